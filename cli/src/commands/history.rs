//! `qbank history ID`: every revision of a question, newest first.

use std::io::Write;

use super::Format;
use crate::args::HistoryArgs;
use crate::client::Client;
use crate::error::Error;
use crate::json;
use crate::table::{Table, output_width};

/// Lists the revisions, following the pages to the end.
pub(super) async fn run(
    client: &mut Client,
    args: &HistoryArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // As in `list --all`: text sizes its columns over every row, JSON streams a line each.
    let mut table = Table::new(["REVISION", "UPDATED", "STEM"]).cuttable(2, 12);
    let mut token = String::new();
    loop {
        let page = client.list_question_revisions(&args.id, token).await?;
        for revision in &page.revisions {
            match format {
                Format::Json => json::write_line(out, &json::QuestionJson::from(revision))?,
                Format::Text => table.push_row(vec![
                    revision.revision.to_string(),
                    revision
                        .update_time
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    revision.stem.clone(),
                ]),
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    if format == Format::Text {
        table.write_to(out, output_width())?;
    }
    Ok(())
}
