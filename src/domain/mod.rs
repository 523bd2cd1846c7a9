//! The domain: what a question is, how answers are graded, how listings page.
//! Nothing here knows about protobuf; only [`bank`] talks to storage.

pub mod authoring;
pub mod bank;
pub mod bank_file;
pub mod bank_formats;
pub mod card;
pub mod grading;
pub mod limits;
pub mod listing;
pub mod page_token;
pub mod question;
pub mod submission;
pub mod validation;
