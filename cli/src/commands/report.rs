//! `qbank report ID --reason R`: tells the question's authors what is wrong with it. Needs
//! no token: anyone who takes a quiz can report.

use std::io::Write;

use super::Format;
use crate::args::ReportArgs;
use crate::client::Client;
use crate::error::Error;
use crate::{json, pb, render};

/// Files the report and prints its id and state.
pub(super) async fn run(
    client: &mut Client,
    args: &ReportArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // The server checks the comment's length: checking here too would copy its rule.
    let report = client
        .report_question(
            &args.id,
            pb::ReportReason::from(args.reason),
            args.comment.as_deref(),
            args.respondent.as_deref(),
        )
        .await?;
    write_report(out, &report, format)
}

/// A report as `report` and `resolve` print it: one line of text, or one JSON document.
pub(super) fn write_report(
    out: &mut dyn Write,
    report: &pb::QuestionReport,
    format: Format,
) -> Result<(), Error> {
    match format {
        Format::Text => writeln!(out, "{}", report_line(report))?,
        Format::Json => json::write_document(out, &json::QuestionReportJson::from(report))?,
    }
    Ok(())
}

/// `Report r-1 on llm-001 (revision 2, wrong-answer): open.`, with the id to `resolve` it by.
fn report_line(report: &pb::QuestionReport) -> String {
    format!(
        "Report {} on {} (revision {}, {}): {}.",
        report.id,
        report.question_id,
        report.question_revision,
        render::report_reason_label(report.reason),
        render::report_state_label(report.state),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_report_its_question_and_its_state() {
        let report = pb::QuestionReport {
            id: "r-1".to_owned(),
            question_id: "llm-001".to_owned(),
            question_revision: 2,
            reason: pb::ReportReason::WrongAnswer.into(),
            state: pb::ReportState::Open.into(),
            ..pb::QuestionReport::default()
        };
        assert_eq!(
            report_line(&report),
            "Report r-1 on llm-001 (revision 2, wrong-answer): open."
        );
    }
}
