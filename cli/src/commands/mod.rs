//! One module per subcommand. Each writes its result to standard output, as text or, with
//! `--json`, as JSON, and returns an [`Error`] for `main` to print.

mod answer;
mod categories;
mod create;
mod delete;
mod draw;
mod edit;
mod export;
mod get;
mod health;
mod history;
mod import;
mod list;
mod me;
mod quiz;
mod report;
mod reports;
mod resolve;
mod search;
mod stats;
mod tags;
mod undelete;
mod update;

use std::io::{self, Write};

use crate::args::{Cli, Command};
use crate::client::{Client, Connect};
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::{json, pb, render};

/// Whether a command prints text for people or JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
}

/// Connects to the server and runs the command the user asked for.
pub(crate) async fn run(cli: Cli) -> Result<(), Error> {
    // Read before connecting, so a malformed QBANK_LANG is a usage error before any call, as
    // a malformed QBANK_TIMEOUT is.
    let languages = match cli.lang {
        Some(languages) => languages,
        None => PreferredLanguages::from_environment(|name| std::env::var(name).ok())
            .map_err(Error::Usage)?,
    };
    // `answer` and `report` retry a refused connection as they retry an unavailable
    // server; every other command names an unreachable server before printing anything.
    let when = match cli.command {
        Command::Answer(_) | Command::Report(_) => Connect::OnFirstCall,
        _ => Connect::Now,
    };
    let mut client = Client::connect(&cli.addr, cli.token.as_deref(), cli.timeout, when).await?;
    let format = if cli.json { Format::Json } else { Format::Text };
    let mut out = io::stdout().lock();
    // The commands that show questions to read take the preferred languages; the authoring
    // commands and `export` work on the original language and never see them.
    let languages = &languages;
    match &cli.command {
        Command::List(args) => list::run(&mut client, args, languages, format, &mut out).await,
        Command::Search(args) => search::run(&mut client, args, languages, format, &mut out).await,
        Command::Categories(args) => categories::run(&mut client, args, format, &mut out).await,
        Command::Tags(args) => tags::run(&mut client, args, format, &mut out).await,
        Command::Get(args) => get::run(&mut client, args, languages, format, &mut out).await,
        Command::Draw(args) => draw::run(&mut client, args, languages, format, &mut out).await,
        Command::Answer(args) => answer::run(&mut client, args, languages, format, &mut out).await,
        Command::Quiz(args) => quiz::run(&mut client, args, languages, format, &mut out).await,
        Command::Me(args) => me::run(&mut client, args, format, &mut out).await,
        Command::Report(args) => report::run(&mut client, args, format, &mut out).await,
        Command::Health(args) => health::run(&mut client, args, format, &mut out).await,
        Command::Create(args) => create::run(&mut client, args, format, &mut out).await,
        Command::Update(args) => update::run(&mut client, args, format, &mut out).await,
        Command::Edit(args) => edit::run(&mut client, args, format, &mut out).await,
        Command::Delete(args) => delete::run(&mut client, args, format, &mut out).await,
        Command::Undelete(args) => undelete::run(&mut client, args, format, &mut out).await,
        Command::History(args) => history::run(&mut client, args, format, &mut out).await,
        Command::Import(args) => import::run(&mut client, args, format, &mut out).await,
        // The bank file is the output, in the format it names, with or without --json.
        Command::Export(args) => export::run(&mut client, args, &mut out).await,
        Command::Stats(args) => stats::run(&mut client, args, format, &mut out).await,
        Command::Reports(args) => reports::run(&mut client, args, format, &mut out).await,
        Command::Resolve(args) => resolve::run(&mut client, args, format, &mut out).await,
    }
}

/// A question as `get` prints it: text, or with `--json` one document.
fn write_question(
    out: &mut dyn Write,
    question: &pb::Question,
    format: Format,
) -> Result<(), Error> {
    match format {
        Format::Text => render::write_question(out, question)?,
        Format::Json => json::write_document(out, &json::QuestionJson::from(question))?,
    }
    Ok(())
}
