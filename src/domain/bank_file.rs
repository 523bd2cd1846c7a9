//! The bank file: a TOML document of questions, the format the bundled bank
//! ships in and operators write their own banks in (see README, "Bank files").

use std::{collections::HashSet, time::SystemTime};

use serde::Deserialize;

use super::{
    question::{AnswerKey, Choice, Difficulty, Question, QuestionType},
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    questions: Vec<QuestionEntry>,
}

// Unknown fields are errors: a misspelt `explanaton` must not load a question
// silently missing its explanation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionEntry {
    id: String,
    #[serde(rename = "type")]
    question_type: String,
    difficulty: String,
    category: String,
    #[serde(default)]
    tags: Vec<String>,
    language: String,
    stem: String,
    choices: Vec<ChoiceEntry>,
    answer: Vec<String>,
    explanation: String,
}

#[derive(Deserialize)]
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
                .map(|choice| Choice {
                    key: choice.key,
                    text: choice.text.trim().to_owned(),
                })
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
    fn a_repeated_id_is_an_error() {
        let text = format!("{ONE_QUESTION}\n{ONE_QUESTION}");
        let error = parse(&text, SystemTime::UNIX_EPOCH).expect_err("duplicate id");
        assert!(
            error.to_string().contains("question 1 (q-1): id"),
            "{error}"
        );
    }
}
