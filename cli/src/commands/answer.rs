//! `qbank answer ID KEY...`: submits one answer and shows the verdict, the score, the right
//! answer and the explanation, in the first preferred language the question has.

use std::io::Write;

use super::Format;
use crate::args::AnswerArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::{json, render};

/// Submits the answer and prints its grade.
pub(super) async fn run(
    client: &mut Client,
    args: &AnswerArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let keys = choice_keys(args.keys.iter().map(String::as_str));
    let grade = client
        .submit_answer(&args.id, keys, args.respondent.as_deref(), languages)
        .await?;
    match format {
        Format::Text => render::write_grade(out, &grade)?,
        Format::Json => json::write_document(out, &json::GradeJson::from(&grade))?,
    }
    Ok(())
}

/// The choice keys in what the user typed: `A C`, `A,C` and `A, C` all mean A and C.
pub(super) fn choice_keys<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    words
        .into_iter()
        .flat_map(|word| word.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_may_be_separated_by_spaces_or_commas() {
        assert_eq!(choice_keys(["A", "C"]), ["A", "C"]);
        assert_eq!(choice_keys(["A,C"]), ["A", "C"]);
        assert_eq!(choice_keys(["A, C "]), ["A", "C"]);
        assert!(choice_keys(["  "]).is_empty());
    }
}
