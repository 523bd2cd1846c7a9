//! `qbank reports`: the reports about questions, newest first, as a table, one page at a time
//! or, with `--all`, every page. Needs the admin token.

use std::io::{self, Write};

use super::Format;
use crate::args::ReportsArgs;
use crate::client::Client;
use crate::error::Error;
use crate::table::{self, Table};
use crate::{json, pb, render};

/// Lists the reports that match the filters.
pub(super) async fn run(
    client: &mut Client,
    args: &ReportsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if args.all {
        list_every_page(client, args, format, out).await
    } else {
        list_one_page(client, args, format, out).await
    }
}

/// The request for the page `page_token` points to (the first for an empty token).
fn request(args: &ReportsArgs, page_token: String) -> pb::ListQuestionReportsRequest {
    let state = if args.open {
        pb::ReportState::Open
    } else {
        pb::ReportState::Unspecified
    };
    pb::ListQuestionReportsRequest {
        question_id: args.question.clone().unwrap_or_default(),
        state: state.into(),
        page_size: args.page_size.unwrap_or(0),
        page_token,
    }
}

/// The page `--page-token` points to (the first without it), and how to get the next, as
/// `list` does.
async fn list_one_page(
    client: &mut Client,
    args: &ReportsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let token = args.page_token.clone().unwrap_or_default();
    let page = client.list_question_reports(request(args, token)).await?;
    match format {
        Format::Json => json::write_document(out, &json::ReportPageJson::from(&page))?,
        Format::Text => {
            write_table(out, &page.reports, table::output_width())?;
            // On standard error, so that standard output holds only the table.
            if page.reports.is_empty() {
                eprintln!("No reports match these filters.");
            } else if !page.next_page_token.is_empty() {
                eprintln!(
                    "Next page: repeat with --page-token {} (or use --all).",
                    page.next_page_token
                );
            }
        }
    }
    Ok(())
}

/// Every page, following `next_page_token` to the end: text sizes its columns over every
/// row, JSON streams a line per report, as `list --all` does.
async fn list_every_page(
    client: &mut Client,
    args: &ReportsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut reports = Vec::new();
    let mut token = String::new();
    loop {
        let page = client.list_question_reports(request(args, token)).await?;
        match format {
            Format::Json => {
                for report in &page.reports {
                    json::write_line(out, &json::QuestionReportJson::from(report))?;
                }
            }
            Format::Text => reports.extend(page.reports),
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    if format == Format::Text {
        write_table(out, &reports, table::output_width())?;
        if reports.is_empty() {
            eprintln!("No reports match these filters.");
        }
    }
    Ok(())
}

/// The reports as a table whose comment column is cut to `max_width`; the id stays whole,
/// to be copied into `qbank resolve`.
fn write_table(
    out: &mut dyn Write,
    reports: &[pb::QuestionReport],
    max_width: Option<usize>,
) -> io::Result<()> {
    if reports.is_empty() {
        return Ok(());
    }
    let mut table =
        Table::new(["ID", "QUESTION", "REASON", "STATE", "CREATED", "COMMENT"]).cuttable(5, 12);
    for report in reports {
        table.push_row(vec![
            report.id.clone(),
            report.question_id.clone(),
            render::report_reason_label(report.reason).to_owned(),
            render::report_state_label(report.state).to_owned(),
            report
                .create_time
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            report.comment.clone(),
        ]);
    }
    table.write_to(out, max_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, reason: pb::ReportReason, comment: &str) -> pb::QuestionReport {
        pb::QuestionReport {
            id: id.to_owned(),
            question_id: "llm-001".to_owned(),
            question_revision: 1,
            reason: reason.into(),
            comment: comment.to_owned(),
            respondent_id: String::new(),
            state: pb::ReportState::Open.into(),
            create_time: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            resolution_note: String::new(),
        }
    }

    fn render(reports: &[pb::QuestionReport], max_width: Option<usize>) -> String {
        let mut out = Vec::new();
        write_table(&mut out, reports, max_width).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_table_shows_each_report_with_its_reason_as_the_flag_spells_it() {
        let reports = [
            report("r-2", pb::ReportReason::Typo, "选项B有错别字"),
            report("r-1", pb::ReportReason::WrongAnswer, "The key should be B"),
        ];
        assert_eq!(
            render(&reports, None),
            "\
ID   QUESTION  REASON        STATE  CREATED               COMMENT
r-2  llm-001   typo          open   2023-11-14T22:13:20Z  选项B有错别字
r-1  llm-001   wrong-answer  open   2023-11-14T22:13:20Z  The key should be B
"
        );
    }

    #[test]
    fn a_long_comment_is_cut_to_the_width_and_the_id_stays_whole() {
        let reports = [report(
            "019ad9a4-7c1e-7b2a-9f3e-5d0c8e41a2b7",
            pb::ReportReason::Ambiguous,
            "Both A and C can be read as right, depending on what calibration means here",
        )];
        let text = render(&reports, Some(100));
        let row = text.lines().nth(1).expect("a row");
        assert!(
            row.starts_with("019ad9a4-7c1e-7b2a-9f3e-5d0c8e41a2b7  "),
            "{text}"
        );
        assert!(row.ends_with('…'), "{text}");
        assert!(crate::table::display_width(row) <= 100, "{text}");
    }

    #[test]
    fn open_asks_for_open_reports_only() {
        let args = ReportsArgs {
            open: true,
            question: Some("llm-001".to_owned()),
            page_size: None,
            page_token: None,
            all: false,
        };
        let request = request(&args, String::new());
        assert_eq!(request.state, pb::ReportState::Open as i32);
        assert_eq!(request.question_id, "llm-001");
        assert_eq!(request.page_size, 0);
    }
}
