//! The bank file: a TOML document of questions, the format the bundled bank
//! ships in and operators write their own banks in (see README, "Bank files"),
//! and the same fields as JSON (`{"questions": [...]}`). Both carry every
//! field an author writes, so exporting, importing into an empty database and
//! exporting again gives the same bytes.

use std::{collections::HashSet, time::SystemTime};

use serde::{Deserialize, Serialize};

use super::{
    bank_formats::{Exported, LineError, MAX_REPORTED_ERRORS, ParsedQuestion},
    question::{AnswerKey, Choice, Difficulty, Question, QuestionType, Translation},
    validation::FieldError,
};

/// The bank compiled into the server and loaded into an empty database.
pub const BUNDLED_BANK: &str = include_str!("../../data/llm-interview-questions.zh-CN.toml");

/// Why a bank file cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BankFileError {
    /// Not TOML of the expected shape.
    #[error("bank file is not valid: {0}")]
    Syntax(#[from] toml::de::Error),
    /// A question breaks a rule; `index` counts from 0 in file order.
    #[error("bank file question {index} ({id}): {error}")]
    Question {
        /// Position in the file.
        index: usize,
        /// The question's id as written.
        id: String,
        /// The rule broken.
        error: FieldError,
    },
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    questions: Vec<QuestionEntry>,
}

// Unknown fields are errors: a misspelt `explanaton` must not load a question
// silently missing its explanation.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct QuestionEntry {
    id: String,
    #[serde(rename = "type")]
    question_type: String,
    difficulty: String,
    category: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    language: String,
    stem: String,
    choices: Vec<ChoiceEntry>,
    answer: Vec<String>,
    explanation: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    translations: Vec<TranslationEntry>,
}

/// `[[questions.translations]]`: the question's content in another language.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TranslationEntry {
    language: String,
    stem: String,
    choices: Vec<ChoiceEntry>,
    explanation: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ChoiceEntry {
    key: String,
    text: String,
}

/// Parses and validates a bank file. Every question gets revision 1 and
/// `now` as its creation and update time.
pub fn parse(text: &str, now: SystemTime) -> Result<Vec<Question>, BankFileError> {
    let file: BankFile = toml::from_str(text)?;
    let mut ids = HashSet::new();
    file.questions
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let id = entry.id.clone();
            let reject = |error: FieldError| BankFileError::Question {
                index,
                id: id.clone(),
                error,
            };
            let question = entry.into_question(now).map_err(reject)?;
            question.validate().map_err(reject)?;
            if !ids.insert(question.id.clone()) {
                return Err(reject(FieldError::new(
                    "id",
                    "is used by an earlier question",
                )));
            }
            Ok(question)
        })
        .collect()
}

/// The bank-file formats: the same fields in TOML or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// TOML, one `[[questions]]` table per question.
    Toml,
    /// JSON, `{"questions": [...]}`.
    Json,
}

/// Reads a bank file for an import: all or nothing, with every error (up to
/// [`MAX_REPORTED_ERRORS`]) on the line of its question (the `[[questions]]`
/// header in TOML, the question's `"id"` in JSON).
pub fn parse_lines(
    syntax: Syntax,
    text: &str,
    now: SystemTime,
) -> Result<Vec<ParsedQuestion>, Vec<LineError>> {
    let file: BankFile = match syntax {
        Syntax::Toml => toml::from_str(text).map_err(|error| {
            let line = error
                .span()
                .map_or(1, |span| line_of_offset(text, span.start));
            vec![LineError {
                line,
                reason: error.message().to_owned(),
            }]
        })?,
        Syntax::Json => serde_json::from_str(text).map_err(|error| {
            vec![LineError {
                line: error.line().max(1),
                reason: error.to_string(),
            }]
        })?,
    };
    let starts = question_lines(syntax, text);
    let mut ids = HashSet::new();
    let mut questions = Vec::new();
    let mut errors = Vec::new();
    for (index, entry) in file.questions.into_iter().enumerate() {
        let line = starts.get(index).copied().unwrap_or(1);
        let outcome = entry.into_question(now).and_then(|question| {
            question.validate()?;
            if !ids.insert(question.id.clone()) {
                return Err(FieldError::new("id", "is used by an earlier question"));
            }
            Ok(question)
        });
        match outcome {
            Ok(question) => questions.push(ParsedQuestion { line, question }),
            Err(error) if errors.len() < MAX_REPORTED_ERRORS => {
                errors.push(LineError {
                    line,
                    reason: error.to_string(),
                });
            }
            Err(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(questions)
    } else {
        Err(errors)
    }
}

/// The line each question starts on, in file order.
fn question_lines(syntax: Syntax, text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| match syntax {
            Syntax::Toml => line.trim() == "[[questions]]",
            Syntax::Json => line.trim_start().starts_with("\"id\""),
        })
        .map(|(index, _)| index + 1)
        .collect()
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

/// Writes questions as a bank file. Nothing a bank file carries is lost.
pub fn export(syntax: Syntax, questions: &[Question]) -> Exported {
    let file = BankFile {
        questions: questions.iter().map(QuestionEntry::from).collect(),
    };
    let text = match syntax {
        Syntax::Toml => toml::to_string_pretty(&file).map_err(|error| error.to_string()),
        Syntax::Json => serde_json::to_string_pretty(&file)
            .map(|mut text| {
                text.push('\n');
                text
            })
            .map_err(|error| error.to_string()),
    }
    // Every field is a string or a list of strings: serialising them cannot
    // fail, and an empty text would be an empty bank, not a lost one.
    .unwrap_or_default();
    Exported {
        text,
        omitted: Vec::new(),
    }
}

impl From<&Question> for QuestionEntry {
    fn from(question: &Question) -> Self {
        Self {
            id: question.id.clone(),
            question_type: question.question_type.as_str().to_owned(),
            difficulty: question.difficulty.as_str().to_owned(),
            category: question.category.clone(),
            tags: question.tags.clone(),
            language: question.language.clone(),
            stem: question.stem.clone(),
            choices: question.choices.iter().map(ChoiceEntry::from).collect(),
            answer: question.answer.correct_choice_keys.clone(),
            explanation: question.answer.explanation.clone(),
            translations: question
                .translations
                .iter()
                .map(|translation| TranslationEntry {
                    language: translation.language.clone(),
                    stem: translation.stem.clone(),
                    choices: translation.choices.iter().map(ChoiceEntry::from).collect(),
                    explanation: translation.explanation.clone(),
                })
                .collect(),
        }
    }
}

impl From<&Choice> for ChoiceEntry {
    fn from(choice: &Choice) -> Self {
        Self {
            key: choice.key.clone(),
            text: choice.text.clone(),
        }
    }
}

impl ChoiceEntry {
    fn into_choice(self) -> Choice {
        Choice {
            key: self.key,
            text: self.text.trim().to_owned(),
        }
    }
}

impl QuestionEntry {
    fn into_question(self, now: SystemTime) -> Result<Question, FieldError> {
        let question_type = QuestionType::parse(&self.question_type).ok_or_else(|| {
            FieldError::new(
                "type",
                "must be one of single_choice, multiple_choice, true_false",
            )
        })?;
        let difficulty = Difficulty::parse(&self.difficulty)
            .ok_or_else(|| FieldError::new("difficulty", "must be one of easy, medium, hard"))?;
        Ok(Question {
            id: self.id,
            question_type,
            // Multi-line TOML strings make trailing newlines easy to add by
            // accident; they carry no meaning.
            stem: self.stem.trim().to_owned(),
            choices: self
                .choices
                .into_iter()
                .map(ChoiceEntry::into_choice)
                .collect(),
            difficulty,
            category: self.category,
            tags: self.tags,
            language: self.language,
            revision: 1,
            create_time: now,
            update_time: now,
            answer: AnswerKey {
                correct_choice_keys: self.answer,
                explanation: self.explanation.trim().to_owned(),
            },
            translations: self
                .translations
                .into_iter()
                .map(|translation| Translation {
                    language: translation.language,
                    stem: translation.stem.trim().to_owned(),
                    choices: translation
                        .choices
                        .into_iter()
                        .map(ChoiceEntry::into_choice)
                        .collect(),
                    explanation: translation.explanation.trim().to_owned(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_QUESTION: &str = r#"
        [[questions]]
        id = "q-1"
        type = "multiple_choice"
        difficulty = "hard"
        category = "test"
        tags = ["a"]
        language = "en"
        stem = "Which are even?"
        choices = [{ key = "A", text = "2" }, { key = "B", text = "3" }, { key = "C", text = "4" }]
        answer = ["A", "C"]
        explanation = """
        2 and 4 are divisible by 2.
        """
    "#;

    #[test]
    fn the_bundled_bank_is_valid_and_has_ten_questions() {
        let questions = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank loads");
        let ids: Vec<&str> = questions.iter().map(|q| q.id.as_str()).collect();
        let expected: Vec<String> = (1..=10).map(|n| format!("llm-{n:03}")).collect();
        assert_eq!(ids, expected);
        assert!(
            questions
                .iter()
                .all(|q| q.language == "zh-CN" && q.category == "llm")
        );
    }

    #[test]
    fn every_bundled_question_has_an_english_translation() {
        let questions = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank loads");
        for question in &questions {
            let languages: Vec<&str> = question.languages().collect();
            assert_eq!(languages, ["zh-CN", "en"], "{}", question.id);
            // Both explanation paragraphs, where there are two.
            let paragraphs = |text: &str| text.lines().filter(|l| !l.trim().is_empty()).count();
            assert_eq!(
                paragraphs(&question.translations[0].explanation),
                paragraphs(&question.answer.explanation),
                "{}",
                question.id
            );
        }
    }

    #[test]
    fn translations_survive_an_export_and_import_in_both_syntaxes() {
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank loads");
        for syntax in [Syntax::Toml, Syntax::Json] {
            let exported = export(syntax, &bank).text;
            let imported: Vec<Question> = parse_lines(syntax, &exported, SystemTime::UNIX_EPOCH)
                .expect("reads back")
                .into_iter()
                .map(|parsed| parsed.question)
                .collect();
            assert_eq!(imported, bank, "{syntax:?}");
        }
    }

    #[test]
    fn a_question_is_parsed_with_its_explanation_trimmed() {
        let questions = parse(ONE_QUESTION, SystemTime::UNIX_EPOCH).expect("valid");
        assert_eq!(questions[0].answer.correct_choice_keys, ["A", "C"]);
        assert_eq!(
            questions[0].answer.explanation,
            "2 and 4 are divisible by 2."
        );
        assert_eq!(questions[0].revision, 1);
    }

    #[test]
    fn a_misspelt_field_is_an_error() {
        let text = ONE_QUESTION.replace("explanation =", "explanaton =");
        assert!(matches!(
            parse(&text, SystemTime::UNIX_EPOCH),
            Err(BankFileError::Syntax(_))
        ));
    }

    #[test]
    fn an_unknown_type_names_the_question_and_field() {
        let text = ONE_QUESTION.replace("multiple_choice", "essay");
        let error = parse(&text, SystemTime::UNIX_EPOCH).expect_err("essay is no type");
        assert!(
            error
                .to_string()
                .starts_with("bank file question 0 (q-1): type:"),
            "{error}"
        );
    }

    #[test]
    fn toml_and_json_round_trip_the_bundled_bank_to_the_same_bytes() {
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank");
        for syntax in [Syntax::Toml, Syntax::Json] {
            let exported = export(syntax, &bank).text;
            let imported: Vec<Question> = parse_lines(syntax, &exported, SystemTime::UNIX_EPOCH)
                .expect("its own export imports")
                .into_iter()
                .map(|parsed| parsed.question)
                .collect();

            assert_eq!(imported, bank, "{syntax:?}");
            assert_eq!(export(syntax, &imported).text, exported, "{syntax:?}");
        }
    }

    #[test]
    fn every_bad_question_of_a_file_is_reported_on_its_line() {
        let text = format!(
            "{}\n{}",
            ONE_QUESTION.replace("\"q-1\"", "\"q-1 bad\""),
            ONE_QUESTION
                .replace("hard", "impossible")
                .replace("q-1", "q-2")
        );

        let errors = parse_lines(Syntax::Toml, &text, SystemTime::UNIX_EPOCH)
            .expect_err("two bad questions");

        let lines: Vec<usize> = errors.iter().map(|error| error.line).collect();
        assert_eq!(lines, [2, 17]);
        assert!(errors[0].reason.starts_with("id:"), "{errors:?}");
        assert!(errors[1].reason.starts_with("difficulty:"), "{errors:?}");
    }

    #[test]
    fn a_json_syntax_error_names_its_line() {
        let errors = parse_lines(
            Syntax::Json,
            "{\n  \"questions\": [\n  oops\n]}",
            SystemTime::UNIX_EPOCH,
        )
        .expect_err("not JSON");

        assert_eq!(errors[0].line, 3);
    }

    #[test]
    fn a_repeated_id_is_an_error() {
        let text = format!("{ONE_QUESTION}\n{ONE_QUESTION}");
        let error = parse(&text, SystemTime::UNIX_EPOCH).expect_err("duplicate id");
        assert!(
            error.to_string().contains("question 1 (q-1): id"),
            "{error}"
        );
    }
}
