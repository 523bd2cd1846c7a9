//! Server configuration, from flags or `QBANK_*` environment variables.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

/// Where the server listens unless told otherwise; `qbank-server healthcheck`
/// probes it too.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
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
                  Logs go to standard error; RUST_LOG filters them (default: info). \
                  `qbank-server healthcheck --help` describes the container health probe."
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "QBANK_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Address of the Prometheus metrics endpoint (`GET /metrics`), a port
    /// of its own so it can stay private. Unset: no metrics endpoint.
    #[arg(long, env = "QBANK_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// Browser origins allowed to call with gRPC-Web (CORS), e.g.
    /// `https://quiz.example.com`; repeat the flag or separate with commas;
    /// `*` allows any origin. Unset: no CORS, so only pages of the server's
    /// own origin (behind a proxy) can call it.
    #[arg(
        long = "grpc-web-allow-origin",
        env = "QBANK_GRPC_WEB_ALLOW_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub grpc_web_allow_origins: Vec<String>,

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

    /// Limits that protect the server from oversized, slow or excessive calls.
    #[command(flatten)]
    pub limits: Limits,

    /// TLS certificate and key files; unset means plaintext.
    #[command(flatten)]
    pub tls: TlsFiles,
}

const DEFAULT_MAX_MESSAGE_BYTES: &str = "65536";
const DEFAULT_MAX_CONCURRENT_STREAMS: &str = "128";
const DEFAULT_MAX_HEADER_LIST_BYTES: &str = "16384";
const DEFAULT_MAX_CONCURRENT_CALLS: &str = "1024";
const DEFAULT_CALL_TIMEOUT: &str = "10";
const DEFAULT_KEEPALIVE_INTERVAL: &str = "30";
const DEFAULT_KEEPALIVE_TIMEOUT: &str = "10";
const DEFAULT_RATE_LIMIT: &str = "0";
const DEFAULT_REPORT_LIMIT: &str = "20";
const DEFAULT_DB_BUSY_TIMEOUT: &str = "5";
const DEFAULT_HANDSHAKE_TIMEOUT: &str = "10";
const DEFAULT_MAX_IMPORT_BYTES: &str = "16777216";
const DEFAULT_REQUEST_READ_TIMEOUT: &str = "5";
const DEFAULT_MAX_CONCURRENT_WRITES: &str = "256";
const DEFAULT_CLIENT_CALL_SHARE: &str = "25";
const DEFAULT_MAX_STREAMING_CALLS: &str = "64";
const DEFAULT_MAX_STREAMING_CALLS_PER_CONNECTION: &str = "4";
/// The most connections open at once unless `--max-connections` says
/// otherwise: this, or half the file-descriptor limit where that is lower.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Limits on what one call or one client may cost.
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct Limits {
    /// Largest request message accepted, in bytes; larger ones fail with
    /// OUT_OF_RANGE before they are decoded.
    #[arg(long, env = "QBANK_MAX_MESSAGE_BYTES", value_name = "BYTES", default_value = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Concurrent calls (HTTP/2 streams) one connection may have open.
    #[arg(long, env = "QBANK_MAX_CONCURRENT_STREAMS", value_name = "N", default_value = DEFAULT_MAX_CONCURRENT_STREAMS)]
    pub max_concurrent_streams: u32,

    /// Largest header list (metadata) a call may send, in bytes.
    #[arg(long, env = "QBANK_MAX_HEADER_LIST_BYTES", value_name = "BYTES", default_value = DEFAULT_MAX_HEADER_LIST_BYTES)]
    pub max_header_list_bytes: u32,

    /// The most an ImportQuestions upload may hold in all, in bytes; a
    /// larger one fails with RESOURCE_EXHAUSTED and imports nothing.
    #[arg(long, env = "QBANK_MAX_IMPORT_BYTES", value_name = "BYTES", default_value = DEFAULT_MAX_IMPORT_BYTES)]
    pub max_import_bytes: usize,

    /// Connections open at once; new ones beyond it wait in the kernel's
    /// backlog until one closes. Default: 1024, or half the file-descriptor
    /// limit (raised to its hard limit at start) where that is lower.
    #[arg(long, env = "QBANK_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// Seconds a new connection may take to finish its TLS handshake and
    /// send its first request bytes (the HTTP/2 preface) before it is closed.
    #[arg(long, env = "QBANK_HANDSHAKE_TIMEOUT", value_name = "SECONDS", default_value = DEFAULT_HANDSHAKE_TIMEOUT, value_parser = parse_seconds)]
    pub handshake_timeout: Duration,

    /// Seconds a call's first request message may take to arrive after its
    /// headers; slower calls end with DEADLINE_EXCEEDED. A call counts
    /// against the limits below only once its message has arrived.
    #[arg(long, env = "QBANK_REQUEST_READ_TIMEOUT", value_name = "SECONDS", default_value = DEFAULT_REQUEST_READ_TIMEOUT, value_parser = parse_seconds)]
    pub request_read_timeout: Duration,

    /// Read calls (everything but writes) in progress across all
    /// connections; calls beyond it fail at once with RESOURCE_EXHAUSTED
    /// instead of queueing.
    #[arg(long, env = "QBANK_MAX_CONCURRENT_CALLS", value_name = "N", default_value = DEFAULT_MAX_CONCURRENT_CALLS)]
    pub max_concurrent_calls: usize,

    /// Write calls (SubmitAnswer, authoring, reports) in progress, a budget of their own: a
    /// flood of writes is refused RESOURCE_EXHAUSTED without refusing reads.
    #[arg(long, env = "QBANK_MAX_CONCURRENT_WRITES", value_name = "N", default_value = DEFAULT_MAX_CONCURRENT_WRITES)]
    pub max_concurrent_writes: usize,

    /// The most of each budget above one client IP address may hold, in
    /// percent. Behind a proxy every caller shares its address: raise it to
    /// 100 there.
    #[arg(long, env = "QBANK_CLIENT_CALL_SHARE", value_name = "PERCENT", default_value = DEFAULT_CLIENT_CALL_SHARE, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub client_call_share: u8,

    /// Open-ended streams (Health.Watch, reflection) open at once across all
    /// connections; each also counts as a call in progress while open.
    #[arg(long, env = "QBANK_MAX_STREAMING_CALLS", value_name = "N", default_value = DEFAULT_MAX_STREAMING_CALLS)]
    pub max_streaming_calls: usize,

    /// Open-ended streams one connection may have open at once.
    #[arg(long, env = "QBANK_MAX_STREAMING_CALLS_PER_CONNECTION", value_name = "N", default_value = DEFAULT_MAX_STREAMING_CALLS_PER_CONNECTION, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streaming_calls_per_connection: u32,

    /// Seconds a call may take (a shorter client deadline wins); tonic
    /// answers a call cut off by it with CANCELLED.
    #[arg(long, env = "QBANK_CALL_TIMEOUT", value_name = "SECONDS", default_value = DEFAULT_CALL_TIMEOUT, value_parser = parse_seconds)]
    pub call_timeout: Duration,

    /// Seconds between HTTP/2 keepalive pings on idle connections.
    #[arg(long, env = "QBANK_KEEPALIVE_INTERVAL", value_name = "SECONDS", default_value = DEFAULT_KEEPALIVE_INTERVAL, value_parser = parse_seconds)]
    pub keepalive_interval: Duration,

    /// Seconds to wait for a keepalive ping's answer before closing the
    /// connection.
    #[arg(long, env = "QBANK_KEEPALIVE_TIMEOUT", value_name = "SECONDS", default_value = DEFAULT_KEEPALIVE_TIMEOUT, value_parser = parse_seconds)]
    pub keepalive_timeout: Duration,

    /// Calls per second one client (peer IP address) may make, with bursts of
    /// the same size; more fail with RESOURCE_EXHAUSTED. Health checks are
    /// not counted. 0 turns the limit off, the default, because behind a
    /// proxy every caller shares one IP.
    #[arg(long, env = "QBANK_RATE_LIMIT", value_name = "CALLS_PER_SECOND", default_value = DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,

    /// Reports (ReportQuestion) one respondent may file per hour, or one
    /// client IP address for anonymous reports; more fail with
    /// RESOURCE_EXHAUSTED and record nothing. Each server process counts on
    /// its own. 0 turns the limit off.
    #[arg(long, env = "QBANK_REPORT_LIMIT", value_name = "REPORTS_PER_HOUR", default_value = DEFAULT_REPORT_LIMIT)]
    pub report_limit: u32,

    /// Seconds a database operation waits for a lock held by another
    /// connection or process before failing with UNAVAILABLE.
    #[arg(long, env = "QBANK_DB_BUSY_TIMEOUT", value_name = "SECONDS", default_value = DEFAULT_DB_BUSY_TIMEOUT, value_parser = parse_seconds)]
    pub db_busy_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let seconds = |text| parse_seconds(text).expect("the default parses");
        let number = |text: &str| text.parse::<u64>().expect("the default parses");
        Self {
            max_message_bytes: number(DEFAULT_MAX_MESSAGE_BYTES) as usize,
            max_concurrent_streams: number(DEFAULT_MAX_CONCURRENT_STREAMS) as u32,
            max_header_list_bytes: number(DEFAULT_MAX_HEADER_LIST_BYTES) as u32,
            max_import_bytes: number(DEFAULT_MAX_IMPORT_BYTES) as usize,
            max_connections: None,
            handshake_timeout: seconds(DEFAULT_HANDSHAKE_TIMEOUT),
            request_read_timeout: seconds(DEFAULT_REQUEST_READ_TIMEOUT),
            max_concurrent_calls: number(DEFAULT_MAX_CONCURRENT_CALLS) as usize,
            max_concurrent_writes: number(DEFAULT_MAX_CONCURRENT_WRITES) as usize,
            client_call_share: number(DEFAULT_CLIENT_CALL_SHARE) as u8,
            max_streaming_calls: number(DEFAULT_MAX_STREAMING_CALLS) as usize,
            max_streaming_calls_per_connection: number(DEFAULT_MAX_STREAMING_CALLS_PER_CONNECTION)
                as u32,
            call_timeout: seconds(DEFAULT_CALL_TIMEOUT),
            keepalive_interval: seconds(DEFAULT_KEEPALIVE_INTERVAL),
            keepalive_timeout: seconds(DEFAULT_KEEPALIVE_TIMEOUT),
            rate_limit: number(DEFAULT_RATE_LIMIT) as u32,
            report_limit: number(DEFAULT_REPORT_LIMIT) as u32,
            db_busy_timeout: seconds(DEFAULT_DB_BUSY_TIMEOUT),
        }
    }
}

/// Certificate files for TLS. Plaintext stays the default so the two-command
/// start works on loopback.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsFiles {
    /// PEM certificate chain; with --tls-key, the server speaks only TLS.
    #[arg(
        long,
        env = "QBANK_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(
        long,
        env = "QBANK_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificates; when set, clients must present a certificate
    /// signed by one of them (mutual TLS).
    #[arg(
        long,
        env = "QBANK_TLS_CLIENT_CA",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_client_ca: Option<PathBuf>,
}

impl std::fmt::Debug for Config {
    // Written out so the admin token can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("grpc_web_allow_origins", &self.grpc_web_allow_origins)
            .field("db_path", &self.db_path)
            .field("initial_bank", &self.initial_bank)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("log_format", &self.log_format)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("limits", &self.limits)
            .field("tls", &self.tls)
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
            metrics_listen: None,
            grpc_web_allow_origins: Vec::new(),
            db_path: db_path.into(),
            initial_bank: None,
            admin_token: None,
            log_format: LogFormat::Text,
            shutdown_timeout: parse_seconds(DEFAULT_SHUTDOWN_TIMEOUT).expect("the default parses"),
            limits: Limits::default(),
            tls: TlsFiles::default(),
        }
    }
}

/// Parses a number of seconds, fractions allowed (`1.5`).
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, String> {
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
