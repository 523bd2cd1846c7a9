//! End-to-end tests of the `qbank` binary: each test starts a real server on 127.0.0.1:0
//! with a fresh database holding the bundled bank, runs the binary against it, and checks
//! what it prints and its exit code. One test binary, so the build stays fast.

// Tests state their expectations with `expect`; the few unwraps left would only repeat them.
#![allow(clippy::unwrap_used)]

mod answer;
mod assessment;
mod authoring;
mod connection;
mod discovery;
mod get;
mod health;
mod list;
mod partial_credit;
mod quiz;
mod support;
