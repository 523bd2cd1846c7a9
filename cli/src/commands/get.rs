//! `qbank get ID [--full]`: one question with its choices, and with `--full` its answer, in
//! the first preferred language it has.

use std::io::Write;

use super::Format;
use crate::args::GetArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::pb;

/// Fetches the question and prints it.
pub(super) async fn run(
    client: &mut Client,
    args: &GetArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // Without a token the server refuses FULL with UNAUTHENTICATED, whose hint says to pass
    // one; checking here as well would duplicate the server's rule.
    let view = if args.full {
        pb::QuestionView::Full
    } else {
        pb::QuestionView::Basic
    };
    let question = client.get_question(&args.id, view, languages).await?;
    super::write_question(out, &question, format)
}
