//! Human-readable text for questions, grades and reports, shared by `get`, `answer`, `quiz`,
//! `stats`, `me` and the report commands.

use std::io::{self, Write};

use crate::pb;
use crate::table::pad_to_width;

/// The type of a question as the `--type` flag spells it.
pub(crate) fn type_label(value: i32) -> &'static str {
    match pb::QuestionType::try_from(value) {
        Ok(pb::QuestionType::SingleChoice) => "single-choice",
        Ok(pb::QuestionType::MultipleChoice) => "multiple-choice",
        Ok(pb::QuestionType::TrueFalse) => "true-false",
        Ok(pb::QuestionType::Unspecified) | Err(_) => "unknown",
    }
}

/// The difficulty of a question as the `--difficulty` flag spells it.
pub(crate) fn difficulty_label(value: i32) -> &'static str {
    match pb::Difficulty::try_from(value) {
        Ok(pb::Difficulty::Easy) => "easy",
        Ok(pb::Difficulty::Medium) => "medium",
        Ok(pb::Difficulty::Hard) => "hard",
        Ok(pb::Difficulty::Unspecified) | Err(_) => "unknown",
    }
}

/// The reason of a report as the `--reason` flag spells it.
pub(crate) fn report_reason_label(value: i32) -> &'static str {
    match pb::ReportReason::try_from(value) {
        Ok(pb::ReportReason::WrongAnswer) => "wrong-answer",
        Ok(pb::ReportReason::Ambiguous) => "ambiguous",
        Ok(pb::ReportReason::Typo) => "typo",
        Ok(pb::ReportReason::Outdated) => "outdated",
        Ok(pb::ReportReason::Other) => "other",
        Ok(pb::ReportReason::Unspecified) | Err(_) => "unknown",
    }
}

/// Where a report stands, as one word.
pub(crate) fn report_state_label(value: i32) -> &'static str {
    match pb::ReportState::try_from(value) {
        Ok(pb::ReportState::Open) => "open",
        Ok(pb::ReportState::Resolved) => "resolved",
        Ok(pb::ReportState::Unspecified) | Err(_) => "unknown",
    }
}

/// A score without noise: `1`, `0.5`, `0.33`.
pub(crate) fn format_score(score: f64) -> String {
    let text = format!("{score:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    // -0.001 rounds to "-0.00", which would read as a negative score.
    if text == "-0" { "0" } else { text }.to_owned()
}

/// A share of a whole as a percentage of whole numbers: `67%`.
pub(crate) fn format_share(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `1 question`, `3 questions`: a count and its noun, in the plural unless it is one.
pub(crate) fn count_of(count: i64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// One line about a question: id, type, difficulty, category, language and revision.
pub(crate) fn question_summary(question: &pb::Question) -> String {
    format!(
        "{} · {} · {} · {} · {} · revision {}",
        question.id,
        type_label(question.r#type),
        difficulty_label(question.difficulty),
        question.category,
        question.language,
        question.revision,
    )
}

/// The stem, then the choices with their keys aligned in a column.
pub(crate) fn write_stem_and_choices(
    out: &mut dyn Write,
    question: &pb::Question,
) -> io::Result<()> {
    writeln!(out, "{}", question.stem)?;
    writeln!(out)?;
    let key_width = question
        .choices
        .iter()
        .map(|choice| crate::table::display_width(&choice.key))
        .max()
        .unwrap_or(0);
    for choice in &question.choices {
        writeln!(
            out,
            "  {}  {}",
            pad_to_width(&choice.key, key_width),
            choice.text
        )?;
    }
    Ok(())
}

/// A question as `get` shows it; the answer key follows when the FULL view carried one.
pub(crate) fn write_question(out: &mut dyn Write, question: &pb::Question) -> io::Result<()> {
    writeln!(out, "{}", question_summary(question))?;
    if !question.tags.is_empty() {
        writeln!(out, "tags: {}", question.tags.join(", "))?;
    }
    if let Some(languages) = languages_line(question) {
        writeln!(out, "{languages}")?;
    }
    writeln!(out)?;
    write_stem_and_choices(out, question)?;
    if let Some(answer) = &question.answer {
        writeln!(out)?;
        writeln!(out, "Answer: {}", answer.correct_choice_keys.join(", "))?;
        write_explanation(out, &answer.explanation)?;
    }
    Ok(())
}

/// `Languages: zh-CN (shown), en`: every language the question can be read in, original first,
/// marking the one it is served in, so a reader knows `--lang` can show it in the others.
/// `None` from a server that does not list them.
fn languages_line(question: &pb::Question) -> Option<String> {
    if question.available_languages.is_empty() {
        return None;
    }
    let languages: Vec<String> = question
        .available_languages
        .iter()
        .map(|language| {
            // Tags are compared ignoring case, as the server compares them.
            if language.eq_ignore_ascii_case(&question.language) {
                format!("{language} (shown)")
            } else {
                language.clone()
            }
        })
        .collect();
    Some(format!("Languages: {}", languages.join(", ")))
}

/// The verdict on an answer, the right answer and why.
pub(crate) fn write_grade(out: &mut dyn Write, grade: &pb::SubmitAnswerResponse) -> io::Result<()> {
    let verdict = if grade.correct {
        "✓ Correct"
    } else if grade.score > 0.0 {
        "◐ Partly correct"
    } else {
        "✗ Incorrect"
    };
    writeln!(out, "{verdict} (score {})", format_score(grade.score))?;
    writeln!(out, "Answer: {}", grade.correct_choice_keys.join(", "))?;
    write_explanation(out, &grade.explanation)
}

/// The explanation, indented so it reads as part of the answer above it.
fn write_explanation(out: &mut dyn Write, explanation: &str) -> io::Result<()> {
    for line in explanation.lines().filter(|line| !line.trim().is_empty()) {
        writeln!(out, "  {}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_print_without_trailing_zeros() {
        assert_eq!(format_score(1.0), "1");
        assert_eq!(format_score(0.0), "0");
        assert_eq!(format_score(0.5), "0.5");
        assert_eq!(format_score(1.0 / 3.0), "0.33");
        assert_eq!(format_score(7.5), "7.5");
    }

    #[test]
    fn negative_scores_near_zero_print_as_zero_and_shares_as_whole_percentages() {
        assert_eq!(format_score(-0.001), "0");
        assert_eq!(format_score(-0.12), "-0.12");
        assert_eq!(format_share(2.0 / 3.0), "67%");
        assert_eq!(format_share(0.0), "0%");
        assert_eq!(format_share(1.0), "100%");
    }

    #[test]
    fn counts_take_the_plural_unless_they_are_one() {
        assert_eq!(count_of(1, "question"), "1 question");
        assert_eq!(count_of(0, "question"), "0 questions");
        assert_eq!(count_of(3, "attempt"), "3 attempts");
    }

    #[test]
    fn choice_keys_line_up_in_a_column() {
        let question = pb::Question {
            stem: "是否需要?".to_owned(),
            choices: vec![
                pb::Choice {
                    key: "true".to_owned(),
                    text: "需要".to_owned(),
                },
                pb::Choice {
                    key: "false".to_owned(),
                    text: "不需要".to_owned(),
                },
            ],
            ..pb::Question::default()
        };
        let mut out = Vec::new();
        write_stem_and_choices(&mut out, &question).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(out).expect("UTF-8");
        assert_eq!(text, "是否需要?\n\n  true   需要\n  false  不需要\n");
    }

    #[test]
    fn the_languages_line_marks_the_language_shown() {
        let question = pb::Question {
            language: "EN".to_owned(),
            available_languages: vec!["zh-CN".to_owned(), "en".to_owned()],
            ..pb::Question::default()
        };
        assert_eq!(
            languages_line(&question).as_deref(),
            Some("Languages: zh-CN, en (shown)")
        );
        assert_eq!(languages_line(&pb::Question::default()), None);
    }

    #[test]
    fn a_partial_score_is_called_partly_correct() {
        let grade = pb::SubmitAnswerResponse {
            correct: false,
            score: 0.5,
            correct_choice_keys: vec!["A".to_owned(), "C".to_owned()],
            ..pb::SubmitAnswerResponse::default()
        };
        let mut out = Vec::new();
        write_grade(&mut out, &grade).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(
            text.starts_with("◐ Partly correct (score 0.5)\nAnswer: A, C\n"),
            "{text}"
        );
    }
}
