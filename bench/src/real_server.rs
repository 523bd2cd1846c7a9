//! The qbank server as a child of the benchmark: the library's `serve` on the
//! benchmark's database, run and logging as `qbank-server` does.

use std::time::Duration;

use qbank::{
    config::{Config, LogFormat},
    server::serve,
    telemetry,
};
use tokio::net::TcpListener;

use crate::{
    BenchResult,
    args::ServeRealArgs,
    process::{LOOPBACK, announce, stdin_closed},
};

/// Serves the database at `args.db` until standard input closes.
pub(crate) fn run(args: &ServeRealArgs) -> BenchResult<()> {
    // What `#[tokio::main]` builds for qbank-server: one worker per CPU this
    // process may run on, so a server pinned to one CPU gets one worker.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // The default filter logs a line per call, as in production; RUST_LOG
        // from the benchmark's environment reaches this process.
        telemetry::init(LogFormat::Text);
        let listener = TcpListener::bind(LOOPBACK).await?;
        let addr = listener.local_addr()?;
        let config = Config {
            listen: addr,
            shutdown_timeout: Duration::from_secs(2),
            // GetQuestionStats needs it.
            admin_token: Some(crate::client::ADMIN_TOKEN.to_owned()),
            ..Config::with_defaults(&args.db)
        };
        announce(addr)?;
        serve(config, listener, stdin_closed()).await?;
        Ok(())
    })
}
