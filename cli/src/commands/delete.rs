//! `qbank delete ID`: hides a question; its revisions and attempts stay, and `undelete`
//! brings it back.

use std::io::Write;

use super::Format;
use crate::args::DeleteArgs;
use crate::client::Client;
use crate::error::Error;
use crate::json;

/// Deletes the question and says so.
pub(super) async fn run(
    client: &mut Client,
    args: &DeleteArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let expected_revision = args.expected_revision.unwrap_or(0);
    client.delete_question(&args.id, expected_revision).await?;
    match format {
        Format::Text => writeln!(
            out,
            "Deleted {id}; `qbank undelete {id}` restores it.",
            id = args.id
        )?,
        Format::Json => json::write_document(
            out,
            &json::DeletedJson {
                id: &args.id,
                deleted: true,
            },
        )?,
    }
    Ok(())
}
