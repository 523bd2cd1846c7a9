//! `qbank resolve REPORT_ID [--note TEXT]`: marks a report resolved, saying what was done.
//! Needs the admin token.

use std::io::Write;

use tonic::Code;

use super::Format;
use super::report::write_report;
use crate::args::ResolveArgs;
use crate::client::Client;
use crate::error::Error;

/// Resolves the report and prints it as it now stands.
pub(super) async fn run(
    client: &mut Client,
    args: &ResolveArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let note = args.note.as_deref().unwrap_or_default();
    let report = match client.resolve_question_report(&args.report_id, note).await {
        Ok(report) => report,
        // NOT_FOUND here is about the report, not a question.
        Err(Error::Rejected(status)) if status.code() == Code::NotFound => {
            return Err(Error::UnknownReport(status));
        }
        Err(error) => return Err(error),
    };
    write_report(out, &report, format)
}
