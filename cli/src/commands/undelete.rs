//! `qbank undelete ID`: restores a deleted question as it was.

use std::io::Write;

use super::Format;
use crate::args::UndeleteArgs;
use crate::client::Client;
use crate::error::Error;
use crate::json;

/// Restores the question and says at which revision it is back.
pub(super) async fn run(
    client: &mut Client,
    args: &UndeleteArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let question = client.undelete_question(&args.id).await?;
    match format {
        Format::Text => writeln!(
            out,
            "Restored {} at revision {}.",
            question.id, question.revision
        )?,
        Format::Json => json::write_document(out, &json::QuestionJson::from(&question))?,
    }
    Ok(())
}
