//! Server configuration, from flags or `QBANK_*` environment variables.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
const DEFAULT_SHUTDOWN_TIMEOUT: &str = "10";

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Everything the server needs to start.
#[derive(Clone, Parser)]
#[command(
    name = "qbank-server",
    version,
    about = "Serves the qbank question bank over gRPC (with reflection and health)",
    after_help = "Every option can also be set through the environment variable shown. \
                  Logs go to standard error; RUST_LOG filters them (default: info)."
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "QBANK_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// SQLite database file; created, migrated and filled with the bundled
    /// bank if it does not exist.
    #[arg(long = "db", env = "QBANK_DB", default_value = "./qbank.db")]
    pub db_path: PathBuf,

    /// Bank file (see README, "Bank files") to load into a new database
    /// instead of the bundled LLM interview bank.
    #[arg(long, env = "QBANK_INITIAL_BANK", value_name = "FILE")]
    pub initial_bank: Option<PathBuf>,

    /// Token that unlocks the FULL view (answer keys), sent by callers as
    /// `authorization: Bearer <token>`. Unset: the FULL view is refused.
    /// Prefer the environment variable: flags are visible to other users.
    #[arg(long, env = "QBANK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Log line format.
    #[arg(long, env = "QBANK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds to let in-flight calls finish after SIGINT or SIGTERM before
    /// exiting anyway.
    #[arg(
        long = "shutdown-timeout",
        env = "QBANK_SHUTDOWN_TIMEOUT",
        value_name = "SECONDS",
        default_value = DEFAULT_SHUTDOWN_TIMEOUT,
        value_parser = parse_seconds
    )]
    pub shutdown_timeout: Duration,
}

impl std::fmt::Debug for Config {
    // Written out so the admin token can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("db_path", &self.db_path)
            .field("initial_bank", &self.initial_bank)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("log_format", &self.log_format)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

impl Config {
    /// The defaults `--help` shows, for a database at `db_path`, ignoring the
    /// environment: what embedders and tests start from before overriding
    /// fields.
    pub fn with_defaults(db_path: impl Into<PathBuf>) -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("the default address parses"),
            db_path: db_path.into(),
            initial_bank: None,
            admin_token: None,
            log_format: LogFormat::Text,
            shutdown_timeout: parse_seconds(DEFAULT_SHUTDOWN_TIMEOUT).expect("the default parses"),
        }
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_admin_token() {
        let config = Config::parse_from(["qbank-server", "--admin-token", "s3cret"]);
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn with_defaults_matches_the_flag_defaults() {
        let parsed = Config::try_parse_from(["qbank-server", "--db", "x.db"]).expect("parses");
        let built = Config::with_defaults("x.db");
        // The environment may override flags in a developer's shell.
        if std::env::vars().all(|(name, _)| !name.starts_with("QBANK_")) {
            assert_eq!(format!("{parsed:?}"), format!("{built:?}"));
        }
    }

    #[test]
    fn shutdown_timeout_takes_fractional_seconds() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
    }
}
