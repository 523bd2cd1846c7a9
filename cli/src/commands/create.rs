//! `qbank create --file Q.toml`: adds the question a file holds, at revision 1.

use std::io::Write;

use super::Format;
use crate::args::CreateArgs;
use crate::client::Client;
use crate::error::Error;
use crate::question_file::QuestionFile;

/// Creates the question and prints it as the server stored it.
pub(super) async fn run(
    client: &mut Client,
    args: &CreateArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let file = QuestionFile::read(&args.file)?;
    // Without an id in the file the server picks one, and the output shows it.
    let question = file.to_question(file.id.as_deref().unwrap_or_default())?;
    let created = client.create_question(question).await?;
    super::write_question(out, &created, format)
}
