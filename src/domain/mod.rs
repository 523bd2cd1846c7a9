//! The domain: what a question is, how answers are graded, how listings page,
//! how a question is edited and reported, what bank files look like. A leaf:
//! it knows neither protobuf nor storage nor the use cases (`crate::bank`).

pub mod authoring;
pub mod bank_file;
pub mod bank_formats;
pub mod card;
pub mod counts;
pub mod draw;
pub mod grading;
pub mod language;
pub mod limits;
pub mod listing;
pub mod page_token;
pub mod question;
pub mod report;
pub mod search;
pub mod statistics;
pub mod submission;
pub mod validation;
