//! `qbank-bench`: a side-by-side load benchmark of the qbank server and a
//! constant tonic server (see BENCHMARKS.md).
//!
//! One binary plays three parts: the benchmark itself, and, re-executed as a
//! hidden subcommand, each server under test, so a server runs in a process
//! of its own that can be pinned to a CPU and measured through `/proc`.
//!
//! - [`args`]: the command line.
//! - [`suite`]: one run: build the bank, start each server, measure, report.
//! - [`bank`]: the generated bank of questions.
//! - [`real_server`] and [`baseline`]: the two servers, as child processes.
//! - [`process`]: starting, pinning, measuring and stopping a child.
//! - [`workload`]: the calls each measurement makes.
//! - [`floor`]: SQLite alone doing each RPC's storage work, the floor under
//!   qbank's figures.
//! - [`load`]: the load generator: connections, concurrency, latency; its
//!   [`client`] sends requests and only counts the responses' bytes.
//! - [`report`]: the table, the JSON object and the targets.

mod args;
mod bank;
mod baseline;
mod client;
mod floor;
mod load;
mod process;
mod real_server;
mod report;
mod suite;
mod workload;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Args, ChildCommand};

/// Errors of a benchmark run: they end the run with a message, nothing more.
type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match args.child {
        Some(ChildCommand::ServeReal(child)) => real_server::run(&child),
        Some(ChildCommand::ServeBaseline(child)) => baseline::run(&child),
        None => suite::run(&args.run),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("qbank-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
