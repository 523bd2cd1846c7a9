//! One module per subcommand. Each writes its result to standard output, as text or, with
//! `--json`, as JSON, and returns an [`Error`] for `main` to print.

mod answer;
mod get;
mod health;
mod list;
mod quiz;

use std::io;

use crate::args::{Cli, Command};
use crate::client::Client;
use crate::error::Error;

/// Whether a command prints text for people or JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
}

/// Connects to the server and runs the command the user asked for.
pub(crate) async fn run(cli: Cli) -> Result<(), Error> {
    let mut client = Client::connect(&cli.addr, cli.token.as_deref(), cli.timeout).await?;
    let format = if cli.json { Format::Json } else { Format::Text };
    let mut out = io::stdout().lock();
    match &cli.command {
        Command::List(args) => list::run(&mut client, args, format, &mut out).await,
        Command::Get(args) => get::run(&mut client, args, format, &mut out).await,
        Command::Answer(args) => answer::run(&mut client, args, format, &mut out).await,
        Command::Quiz(args) => quiz::run(&mut client, args, format, &mut out).await,
        Command::Health(args) => health::run(&mut client, args, format, &mut out).await,
    }
}
