//! Transport: the tonic service, its conversions between protobuf and the
//! domain, the admin-token check, and the per-call log line. This is the only
//! module that uses the generated [`crate::pb`] types.

pub mod auth;
pub mod call_log;
pub mod convert;
pub mod service;
