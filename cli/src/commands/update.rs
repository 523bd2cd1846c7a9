//! `qbank update ID --file Q.toml`: replaces the fields the file gives, and only those.

use std::io::Write;

use super::Format;
use crate::args::UpdateArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::pb;
use crate::question_file::QuestionFile;

/// Sends the change and prints the question at its new revision.
pub(super) async fn run(
    client: &mut Client,
    args: &UpdateArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut file = QuestionFile::read(&args.file)?;
    file.check_id(&args.id)?;
    let mut expected_revision = args.expected_revision.unwrap_or(0);
    // The server's `answer` path is the key and the explanation together, so a file that
    // gives one of them keeps the other as it is on the server.
    if file.answer.is_some() != file.explanation.is_some() {
        // In its original language, the one the file's other fields replace.
        let current = client
            .get_question(
                &args.id,
                pb::QuestionView::Full,
                &PreferredLanguages::none(),
            )
            .await?;
        let answer = current.answer.unwrap_or_default();
        file.answer.get_or_insert(answer.correct_choice_keys);
        file.explanation.get_or_insert(answer.explanation);
        // The kept half is from this revision: a change made since is refused, not mixed in.
        if expected_revision == 0 {
            expected_revision = current.revision;
        }
    }
    let fields = file.given_fields();
    if fields.is_empty() {
        return Err(Error::Usage(format!(
            "{}: gives no field to change",
            args.file.display()
        )));
    }
    let question = file.to_question(&args.id)?;
    let updated = client
        .update_question(question, fields, expected_revision)
        .await?;
    super::write_question(out, &updated, format)
}
