//! Transport: the tonic service, its conversions between protobuf and the
//! domain, the admin-token check, and the per-call log line. This is the only
//! module that uses the generated [`crate::pb`] types. The service's server
//! side is generated from a hand definition ([`wire`]), so ListQuestions can
//! send questions that were encoded when they were stored.

pub mod admission;
pub mod auth;
pub mod call_telemetry;
pub mod convert;
pub mod cors;
pub mod panic_guard;
pub mod service;
pub mod wire;
