//! `qbank list`: a table of questions, one page at a time or, with `--all`, every page.
//! `qbank search` pages and prints its results the same way.

use std::io::{self, Write};

use super::Format;
use crate::args::{ListArgs, QuestionFilter};
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::table::{self, Table};
use crate::{json, pb, render};

/// Lists the questions that match the filters.
pub(super) async fn run(
    client: &mut Client,
    args: &ListArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let listing = Listing {
        args,
        query: "",
        languages,
    };
    write_listing(client, &listing, format, out).await
}

/// What `list` and `search` ask ListQuestions for.
#[derive(Debug)]
pub(super) struct Listing<'a> {
    /// The filters and paging of the command line.
    pub(super) args: &'a ListArgs,
    /// What `search` looks for; empty for `list`.
    pub(super) query: &'a str,
    /// The languages to serve each question in, if it has one of them.
    pub(super) languages: &'a PreferredLanguages,
}

impl Listing<'_> {
    /// The request for the page `page_token` points to (the first for an empty token).
    fn request(&self, page_token: String) -> pb::ListQuestionsRequest {
        let page_size = self.args.page_size.unwrap_or(0);
        pb::ListQuestionsRequest {
            query: self.query.to_owned(),
            preferred_languages: self.languages.tags().to_vec(),
            ..list_request(&self.args.filter, page_size, page_token)
        }
    }

    /// What to say when nothing matches, on standard error.
    fn nothing_found(&self) -> &'static str {
        if self.query.is_empty() {
            "No questions match these filters."
        } else {
            "No questions match this search."
        }
    }
}

/// Prints one page, or with `--all` every page, of what `listing` asks for.
pub(super) async fn write_listing(
    client: &mut Client,
    listing: &Listing<'_>,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if listing.args.all {
        list_every_page(client, listing, format, out).await
    } else {
        list_one_page(client, listing, format, out).await
    }
}

/// The page `--page-token` points to (the first without it), and how to get the next.
async fn list_one_page(
    client: &mut Client,
    listing: &Listing<'_>,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let token = listing.args.page_token.clone().unwrap_or_default();
    let page = client.list_questions(listing.request(token)).await?;
    match format {
        Format::Json => json::write_document(out, &json::QuestionPageJson::from(&page))?,
        Format::Text => {
            write_table(out, &page.questions)?;
            write_page_footer(&page, listing);
        }
    }
    Ok(())
}

/// Every page, following `next_page_token` to the end.
async fn list_every_page(
    client: &mut Client,
    listing: &Listing<'_>,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // Text needs every row before it can size the columns; JSON streams a line per question,
    // so `list --all --json | head` stops the listing early.
    let mut questions = Vec::new();
    let mut token = String::new();
    loop {
        let page = client.list_questions(listing.request(token)).await?;
        match format {
            Format::Json => {
                for question in &page.questions {
                    json::write_line(out, &json::QuestionJson::from(question))?;
                }
            }
            Format::Text => questions.extend(page.questions),
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    if format == Format::Text {
        write_table(out, &questions)?;
        if questions.is_empty() {
            eprintln!("{}", listing.nothing_found());
        }
    }
    Ok(())
}

/// The `ListQuestions` request for `filter`, without a query and in the questions' original
/// languages: `draw`, `quiz` and `export` take their filters from it too.
pub(super) fn list_request(
    filter: &QuestionFilter,
    page_size: i32,
    page_token: String,
) -> pb::ListQuestionsRequest {
    let QuestionFilter {
        category,
        tags,
        difficulty,
        question_type,
        language,
    } = filter;
    pb::ListQuestionsRequest {
        page_size,
        page_token,
        category: category.clone().unwrap_or_default(),
        tags: tags.clone(),
        difficulty: difficulty.map_or(pb::Difficulty::Unspecified, Into::into) as i32,
        r#type: question_type.map_or(pb::QuestionType::Unspecified, Into::into) as i32,
        language: language.clone().unwrap_or_default(),
        view: pb::QuestionView::Basic as i32,
        preferred_languages: Vec::new(),
        query: String::new(),
    }
}

/// The questions as a table whose stem column is cut to the terminal width, as `list`,
/// `search` and `draw` print them. LANG is the language each question is served in, which
/// differs from row to row when only some of them have a preferred language.
pub(super) fn write_table(out: &mut dyn Write, questions: &[pb::Question]) -> io::Result<()> {
    if questions.is_empty() {
        return Ok(());
    }
    // On a narrow terminal the stem gives way first, then the tags; the id, type, difficulty
    // and language are short and always whole.
    let mut table = Table::new(["ID", "TYPE", "DIFFICULTY", "TAGS", "LANG", "STEM"])
        .cuttable(3, 8)
        .cuttable(5, 12);
    for question in questions {
        table.push_row(vec![
            question.id.clone(),
            render::type_label(question.r#type).to_owned(),
            render::difficulty_label(question.difficulty).to_owned(),
            question.tags.join(","),
            question.language.clone(),
            question.stem.clone(),
        ]);
    }
    table.write_to(out, table::output_width())
}

/// How to get the rest, on standard error so that standard output stays only the table.
fn write_page_footer(page: &pb::ListQuestionsResponse, listing: &Listing<'_>) {
    if page.questions.is_empty() {
        eprintln!("{}", listing.nothing_found());
    } else if !page.next_page_token.is_empty() {
        eprintln!(
            "Showing {} of {} questions. Next page: repeat with --page-token {} (or use --all).",
            page.questions.len(),
            page.total_size,
            page.next_page_token
        );
    }
}
