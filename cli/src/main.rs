//! `qbank`: the command-line client of the qbank question-bank service.
//!
//! A command travels: `args` (the command line) → `commands` (one module per subcommand) →
//! `client` (the gRPC connection: token, deadline, retry) → the server. `language` turns
//! `--lang` or the locale into the languages to read questions in. On the way back, `render`
//! and `table` print text for people (`bar_chart` draws counts and shares as bars), `json`
//! prints JSON for scripts, and `error` turns a failure into one `error: …` line, a hint and a
//! documented exit code. The authoring commands read and write one question as a TOML file
//! through `question_file`.

mod args;
mod bar_chart;
mod client;
mod commands;
mod error;
mod json;
mod language;
mod pb;
mod question_file;
mod render;
mod table;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;
use crate::error::Error;

fn main() -> ExitCode {
    // Usage errors, --help and --version exit here, with clap's codes (2 for a usage error).
    let cli = Cli::parse();
    // One thread is plenty for a client that makes one call at a time.
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::from)
        .and_then(|runtime| runtime.block_on(commands::run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output has gone (`qbank list --all | head -3`): it has what it
        // wanted, so stop quietly.
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
