//! The command line: the run's settings, and the hidden subcommands that run a
//! server under test in a child process.

use std::{path::PathBuf, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};

/// Command line of `qbank-bench`.
#[derive(Debug, Parser)]
#[command(
    name = "qbank-bench",
    about = "Load-tests the qbank server side by side with a constant tonic server",
    after_help = "Build with --release: a debug build measures the compiler, not the service. \
                  RUST_LOG reaches the qbank server (default info: one log line per call)."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(subcommand)]
    pub(crate) child: Option<ChildCommand>,
}

/// How one benchmark run measures.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunArgs {
    /// Questions in the generated bank.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub(crate) bank: usize,

    /// Seconds each measurement counts, after its warm-up.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_positive_seconds)]
    pub(crate) duration: Duration,

    /// Seconds of load before each measurement starts counting.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = parse_seconds)]
    pub(crate) warmup: Duration,

    /// HTTP/2 connections the load generator opens to the server.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub(crate) connections: usize,

    /// Calls in flight at any moment, spread over the connections.
    #[arg(long, value_name = "C", default_value_t = 64)]
    pub(crate) concurrency: usize,

    /// Calls in flight while comparing the first page with a deep one: one at
    /// a time, so the latency is the page's cost and not a queue.
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub(crate) page_concurrency: usize,

    /// CPU the server under test runs on.
    #[arg(long, value_name = "CPU", default_value_t = 0)]
    pub(crate) server_cpu: usize,

    /// CPU the load generator runs on.
    #[arg(long, value_name = "CPU", default_value_t = 1)]
    pub(crate) load_cpu: usize,

    /// Do not pin the server and the load generator to CPUs.
    #[arg(long)]
    pub(crate) no_pin: bool,

    /// Measure only these (repeatable or comma-separated); default: all.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub(crate) only: Vec<Measured>,

    /// Print one JSON object on standard output instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What a run can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Measured {
    /// GetQuestion of random ids.
    Get,
    /// ListQuestions with a category and a tag, at random depths.
    List,
    /// SubmitAnswer with random answers and distinct request ids.
    Submit,
    /// The first unfiltered page against one at depth 50,000.
    Deep,
    /// A two-term search within a category (qbank only: its CPU per call
    /// is compared with a filtered page's).
    Search,
    /// BatchGetQuestions of 20 random ids.
    Batch,
    /// DrawQuestions of 20 within a category.
    Draw,
    /// GetQuestionStats of a question with 100,000 attempts (qbank only,
    /// one call in flight).
    Stats,
    /// SQLite alone doing each RPC's storage work: the floor under qbank.
    Floor,
}

impl RunArgs {
    /// Whether this run measures `what`.
    pub(crate) fn measures(&self, what: Measured) -> bool {
        self.only.is_empty() || self.only.contains(&what)
    }
}

/// The servers under test, each run by a child `qbank-bench`.
#[derive(Debug, Subcommand)]
pub(crate) enum ChildCommand {
    /// The qbank server on an existing database.
    #[command(hide = true)]
    ServeReal(ServeRealArgs),
    /// The constant server, answering with responses captured from qbank.
    #[command(hide = true)]
    ServeBaseline(ServeBaselineArgs),
}

/// Arguments of `serve-real`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeRealArgs {
    /// The database the bank was built in.
    #[arg(long)]
    pub(crate) db: PathBuf,
}

/// Arguments of `serve-baseline`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeBaselineArgs {
    /// The directory the constant responses were saved in.
    #[arg(long)]
    pub(crate) responses: PathBuf,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

/// A measurement of no time would divide by zero.
fn parse_positive_seconds(text: &str) -> Result<Duration, String> {
    match parse_seconds(text)? {
        duration if duration.is_zero() => {
            Err(format!("{text:?} is not a positive number of seconds"))
        }
        duration => Ok(duration),
    }
}
