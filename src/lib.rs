//! qbank: a gRPC question-bank service backed by SQLite.
//!
//! A call travels down these modules, each in its own layer:
//!
//! - [`incoming`]: connections from `accept` until tonic serves them: the
//!   connection cap, accept back-off, TLS and the handshake deadline.
//! - [`server`]: the tonic server: services, reflection, health, gRPC-Web,
//!   shutdown.
//! - [`api`]: transport. [`api::service`] implements `qbank.v1.QuestionBank`,
//!   [`api::convert`] turns protobuf into domain types and back, and
//!   [`api::wire`] carries questions encoded ahead of time (only [`api`] and
//!   the server's wiring use [`pb`]), [`api::auth`] checks the admin token.
//!   Around every
//!   call: [`api::call_telemetry`] logs it and counts and times it,
//!   [`api::admission`] sheds load and rate-limits clients,
//!   [`api::panic_guard`] contains a panicking handler to its call, and
//!   [`api::cors`] lets allowed browser origins call over gRPC-Web.
//! - [`bank`]: the use cases ([`bank::Bank`]): list, search, count, get,
//!   answer, author, report, import and export, tying the domain's rules to
//!   storage (and limiting how often one reporter reports).
//! - [`domain`]: the rules, a leaf that knows nothing of the layers around
//!   it. Questions, their translations and validation, which language a
//!   caller is served ([`domain::language`]), grading, filters and signed
//!   page tokens, search terms and queries ([`domain::search`]), category
//!   and tag counts, edits and revisions ([`domain::authoring`]), reports
//!   of problems with questions ([`domain::report`]), the bank-file format,
//!   the GIFT and Aiken formats other quiz tools write
//!   ([`domain::bank_formats`]), and cards (questions rendered once per
//!   language for listings).
//! - [`store`]: SQLite, the only module with SQL: a read pool, one writer
//!   thread with group commit (every write: attempts, question changes,
//!   imports, each with its search-index row and cards, and reports), the
//!   full-text index (FTS5), the caches that follow every change (cards,
//!   counts, the best matches of recent searches), a monitor that sees other
//!   processes' changes, and the embedded migrations.
//! - [`error`]: the one error type and its one mapping to `tonic::Status`.
//! - [`config`] and [`telemetry`]: flags, environment and logging for the
//!   `qbank-server` binary.
//! - Beside the call path: [`metrics`], the Prometheus registry and its scrape
//!   endpoint, [`healthcheck`], the `qbank-server healthcheck` probe that
//!   container images run, and [`bank_tools`], `qbank-server import` and
//!   `export`.

pub mod api;
pub mod bank;
pub mod bank_tools;
pub mod config;
pub mod domain;
pub mod error;
pub mod healthcheck;
pub mod incoming;
pub mod metrics;
pub mod server;
pub mod store;
pub mod telemetry;

/// Code generated from `proto/qbank/v1/question_bank.proto`.
pub mod pb {
    #![allow(missing_docs, unreachable_pub, missing_debug_implementations)]
    tonic::include_proto!("qbank.v1");

    /// The encoded descriptor set of the contract, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("qbank_descriptor");
}
