//! Integration tests: each starts the real server on 127.0.0.1:0 with a fresh
//! temporary database and talks to it through the generated client. One test
//! binary, one module per RPC or concern, so the build stays fast.

// Test code states expectations with `expect`, whose message says what broke.
#![allow(clippy::unwrap_used)]

mod http1;
mod support;

mod authoring;
mod batch_get;
mod bundled_bank;
mod connections;
mod counts;
mod crash_safety;
mod draws;
mod faults;
mod get_question;
mod grpc_web;
mod healthcheck;
mod import_export;
mod lifecycle;
mod limits;
mod list_questions;
mod metrics;
mod reports;
mod search;
mod statistics;
mod streams;
mod submit_answer;
mod tls;
mod translations;
