//! The Rust code `build.rs` generates from `proto/qbank/v1/question_bank.proto`: messages and
//! the gRPC client (no server, so the CLI never links the server crate or SQLite).

// Generated items are `pub` inside this private module, and their shape is prost's to choose.
#![allow(unreachable_pub, clippy::all)]

tonic::include_proto!("qbank.v1");
