//! `qbank-server`: parse the configuration, set up logging, bind, serve until
//! SIGINT or SIGTERM. `qbank-server healthcheck` instead probes a running
//! server, for container health checks; `qbank-server import` and `export`
//! move bank files into and out of a database.

use std::process::ExitCode;

use clap::Parser as _;
use qbank::{
    bank_tools::{self, ExportArgs, ImportArgs},
    config::{Config, LogFormat},
    error::error_chain,
    healthcheck::{self, HealthcheckArgs},
    server, telemetry,
};
use tokio::{net::TcpListener, signal::unix::SignalKind};

#[tokio::main]
async fn main() -> ExitCode {
    // Checked before the server's flags are parsed, so they parse exactly as
    // they did before the subcommand existed (a server has no positionals).
    let subcommand = std::env::args_os().nth(1);
    if let Some(subcommand) = subcommand.as_ref().and_then(|arg| arg.to_str()) {
        let args = || std::env::args_os().skip(1);
        match subcommand {
            healthcheck::SUBCOMMAND => {
                return healthcheck::run(&HealthcheckArgs::parse_from(args())).await;
            }
            bank_tools::IMPORT => {
                telemetry::init(LogFormat::Text);
                return bank_tools::run_import(&ImportArgs::parse_from(args())).await;
            }
            bank_tools::EXPORT => {
                telemetry::init(LogFormat::Text);
                return bank_tools::run_export(&ExportArgs::parse_from(args())).await;
            }
            _ => {}
        }
    }
    let config = Config::parse();
    telemetry::init(config.log_format);
    let listener = match TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(addr = %config.listen, %error, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    match server::serve(config, listener, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "qbank-server failed");
            ExitCode::FAILURE
        }
    }
}

/// Completes on the first SIGINT or SIGTERM. The handlers are installed by
/// this call, not at the future's first poll: a signal sent right after the
/// "serving" line, before the server first polls the future, would otherwise
/// meet the default action and kill the process without draining.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    let interrupt = tokio::signal::unix::signal(SignalKind::interrupt());
    let terminate = tokio::signal::unix::signal(SignalKind::terminate());
    async move {
        let (mut interrupt, mut terminate) = match (interrupt, terminate) {
            (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot listen for SIGINT and SIGTERM; serving until killed");
                return std::future::pending().await;
            }
        };
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("received SIGINT"),
            _ = terminate.recv() => tracing::info!("received SIGTERM"),
        }
    }
}
