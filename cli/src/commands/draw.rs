//! `qbank draw`: questions drawn at random from those that match the filters, printed as
//! `list` prints them, and how many there were to draw from.

use std::io::Write;

use super::Format;
use super::list::{list_request, write_table};
use crate::args::{DrawArgs, QuestionFilter};
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::{json, pb, render};

/// Draws the questions and prints them.
pub(super) async fn run(
    client: &mut Client,
    args: &DrawArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let request = pb::DrawQuestionsRequest {
        seed: args.seed.clone().unwrap_or_default(),
        respondent_id: args.respondent.clone().unwrap_or_default(),
        exclude_answered: args.exclude_answered,
        ..draw_request(&args.filter, args.count, languages)
    };
    let draw = client.draw_questions(request).await?;
    match format {
        Format::Json => json::write_document(out, &json::DrawJson::from(&draw))?,
        Format::Text => {
            write_table(out, &draw.questions)?;
            // On standard error, as `list`'s page footer, so standard output is the table.
            let excluded = args.respondent.as_deref().filter(|_| args.exclude_answered);
            eprintln!("{}", footer(&draw, excluded));
        }
    }
    Ok(())
}

/// The `DrawQuestions` request for `count` questions that match `filter`, each in the first
/// of `languages` it has: without a seed and for no one, which callers add.
pub(super) fn draw_request(
    filter: &QuestionFilter,
    count: i32,
    languages: &PreferredLanguages,
) -> pb::DrawQuestionsRequest {
    // The filters of `list`, so that `qbank list` shows the pool a draw picks from.
    let pb::ListQuestionsRequest {
        category,
        tags,
        difficulty,
        r#type,
        language,
        view,
        ..
    } = list_request(filter, 0, String::new());
    pb::DrawQuestionsRequest {
        count,
        category,
        tags,
        difficulty,
        r#type,
        language,
        seed: String::new(),
        respondent_id: String::new(),
        exclude_answered: false,
        view,
        preferred_languages: languages.tags().to_vec(),
    }
}

/// How many questions there were to draw from, and whether the draw took them all;
/// `excluded` is the respondent whose answered questions were left out, if any.
fn footer(draw: &pb::DrawQuestionsResponse, excluded: Option<&str>) -> String {
    let drawn = draw.questions.len();
    let available = i64::from(draw.available);
    match excluded {
        None if drawn == 0 => "No questions match these filters.".to_owned(),
        Some(respondent) if drawn == 0 => {
            format!("{respondent} has answered every question that matches: the pool is used up.")
        }
        None if draw.exhausted => format!(
            "Only {} available: the pool is used up.",
            render::count_of(available, "question")
        ),
        Some(respondent) if draw.exhausted => format!(
            "Only {} that {respondent} has not answered: the pool is used up.",
            render::count_of(available, "question")
        ),
        None => format!(
            "Drew {drawn} of {}.",
            render::count_of(available, "available question")
        ),
        Some(respondent) => format!(
            "Drew {drawn} of {} that {respondent} has not answered.",
            render::count_of(available, "question")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(ids: &[&str], available: i32, exhausted: bool) -> pb::DrawQuestionsResponse {
        pb::DrawQuestionsResponse {
            questions: ids
                .iter()
                .map(|id| pb::Question {
                    id: (*id).to_owned(),
                    ..pb::Question::default()
                })
                .collect(),
            exhausted,
            available,
        }
    }

    #[test]
    fn the_footer_says_how_many_were_available() {
        let draw = drawn(&["llm-003", "llm-001"], 10, false);
        assert_eq!(footer(&draw, None), "Drew 2 of 10 available questions.");
        assert_eq!(
            footer(&draw, Some("alice")),
            "Drew 2 of 10 questions that alice has not answered."
        );
    }

    #[test]
    fn the_footer_says_when_the_pool_is_used_up() {
        let draw = drawn(&["llm-002"], 1, true);
        assert_eq!(
            footer(&draw, None),
            "Only 1 question available: the pool is used up."
        );
        let draw = drawn(&["llm-002", "llm-005", "llm-007"], 3, true);
        assert_eq!(
            footer(&draw, Some("alice")),
            "Only 3 questions that alice has not answered: the pool is used up."
        );
    }

    #[test]
    fn an_empty_draw_tells_no_match_from_everything_answered() {
        let draw = drawn(&[], 0, true);
        assert_eq!(footer(&draw, None), "No questions match these filters.");
        assert_eq!(
            footer(&draw, Some("alice")),
            "alice has answered every question that matches: the pool is used up."
        );
    }

    #[test]
    fn the_request_carries_the_filters_of_list_and_the_preferred_languages() {
        let filter = QuestionFilter {
            category: Some("llm".to_owned()),
            tags: vec!["rlhf".to_owned()],
            difficulty: Some(crate::args::Difficulty::Easy),
            question_type: None,
            language: None,
        };
        let languages = PreferredLanguages::parse("en").expect("a valid tag");
        let request = draw_request(&filter, 5, &languages);
        assert_eq!(request.count, 5);
        assert_eq!(request.category, "llm");
        assert_eq!(request.tags, ["rlhf"]);
        assert_eq!(request.difficulty, pb::Difficulty::Easy as i32);
        assert_eq!(request.view, pb::QuestionView::Basic as i32);
        assert_eq!(request.preferred_languages, ["en"]);
        assert!(!request.exclude_answered && request.respondent_id.is_empty());
    }
}
