//! One question as a TOML file, in the shape of one `[[questions]]` table of a bank file (see
//! the README, "Bank files"), translations included: what `create` and `update` read, and what
//! `edit` writes out and reads back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::pb;

/// Every path of UpdateQuestion's `update_mask` that a question file holds: `edit` sends them
/// all, since the file it reads back is the whole question, translations too. Sending
/// `translations` with `choices` lets one save change the keys and the translations naming them.
pub(crate) const EVERY_FIELD: &[&str] = &[
    "type",
    "stem",
    "choices",
    "answer",
    "difficulty",
    "category",
    "tags",
    "language",
    "translations",
];

/// A question file. Every field is optional because `update` replaces only the fields a file
/// gives; `create` leaves it to the server to say which are required, so the rules live in
/// one place.
// Unknown fields are errors, as in the server's bank files: a misspelt `explanaton` must not
// quietly leave the explanation as it was.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) question_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) difficulty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) choices: Option<Vec<ChoiceEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) answer: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) explanation: Option<String>,
    /// All of the question's translations or, left out, none of them changed: the server
    /// replaces them as a whole, so `translations = []` is how a file removes every one.
    // Last: the serializer writes tables in field order, so translations follow `[[choices]]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) translations: Option<Vec<TranslationEntry>>,
}

/// One choice: `{ key = "A", text = "…" }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChoiceEntry {
    key: String,
    text: String,
}

/// One translation: `[[translations]]` in a bare question file, `[[questions.translations]]`
/// under a `[[questions]]` table, as in a bank file.
// Every field is required, unlike a question's: a translation is only ever replaced whole, so
// one left half written would be saved half empty.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TranslationEntry {
    language: String,
    stem: String,
    choices: Vec<ChoiceEntry>,
    explanation: String,
}

/// A bank file, for question files written as one `[[questions]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    questions: Vec<QuestionFile>,
}

impl QuestionFile {
    /// Reads the question file at `path`; what is wrong with it is a usage error naming it.
    pub(crate) fn read(path: &Path) -> Result<Self, Error> {
        let unusable = |reason: String| Error::Usage(format!("{}: {reason}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|error| unusable(error.to_string()))?;
        Self::parse(&text).map_err(unusable)
    }

    /// Parses a question file: the fields at the top level, or one `[[questions]]` table.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        // Parsed once to see the shape, then again as that shape, so that an error names the
        // line it is on.
        let table: toml::Table = toml::from_str(text).map_err(|error| error.to_string())?;
        if !table.contains_key("questions") {
            return toml::from_str(text).map_err(|error| error.to_string());
        }
        let bank: BankFile = toml::from_str(text).map_err(|error| error.to_string())?;
        match <[QuestionFile; 1]>::try_from(bank.questions) {
            Ok([question]) => Ok(question),
            Err(questions) => Err(format!(
                "holds {} questions; a question file holds one (`qbank import` takes banks)",
                questions.len()
            )),
        }
    }

    /// Every field of `question`, which should be in the FULL view so the answer is there.
    pub(crate) fn of_question(question: &pb::Question) -> Self {
        let answer = question.answer.clone().unwrap_or_default();
        Self {
            id: Some(question.id.clone()),
            question_type: Some(type_name(question.r#type).to_owned()),
            difficulty: Some(difficulty_name(question.difficulty).to_owned()),
            category: Some(question.category.clone()),
            tags: Some(question.tags.clone()),
            language: Some(question.language.clone()),
            stem: Some(question.stem.clone()),
            choices: Some(
                question
                    .choices
                    .iter()
                    .map(ChoiceEntry::of_choice)
                    .collect(),
            ),
            answer: Some(answer.correct_choice_keys),
            explanation: Some(answer.explanation),
            // Left out when there are none, rather than written as `translations = []`: an
            // author adding a `[[translations]]` table would have to delete that line first,
            // and the file left as it was still reads back as this question.
            translations: (!question.translations.is_empty()).then(|| {
                question
                    .translations
                    .iter()
                    .map(TranslationEntry::of_translation)
                    .collect()
            }),
        }
    }

    /// The file as TOML text.
    pub(crate) fn to_toml(&self) -> Result<String, Error> {
        toml::to_string_pretty(self).map_err(|error| Error::Io(std::io::Error::other(error)))
    }

    /// The `update_mask` paths of the fields this file gives; `answer` and `explanation` are
    /// the one path `answer`.
    pub(crate) fn given_fields(&self) -> Vec<String> {
        let given = [
            ("type", self.question_type.is_some()),
            ("stem", self.stem.is_some()),
            ("choices", self.choices.is_some()),
            (
                "answer",
                self.answer.is_some() || self.explanation.is_some(),
            ),
            ("difficulty", self.difficulty.is_some()),
            ("category", self.category.is_some()),
            ("tags", self.tags.is_some()),
            ("language", self.language.is_some()),
            ("translations", self.translations.is_some()),
        ];
        given
            .into_iter()
            .filter(|(_, given)| *given)
            .map(|(path, _)| path.to_owned())
            .collect()
    }

    /// The question message, with `id` as its id; fields the file leaves out stay empty.
    pub(crate) fn to_question(&self, id: &str) -> Result<pb::Question, Error> {
        let question_type = self
            .question_type
            .as_deref()
            .map(parse_type)
            .transpose()?
            .unwrap_or(pb::QuestionType::Unspecified);
        let difficulty = self
            .difficulty
            .as_deref()
            .map(parse_difficulty)
            .transpose()?
            .unwrap_or(pb::Difficulty::Unspecified);
        let answer = (self.answer.is_some() || self.explanation.is_some()).then(|| pb::AnswerKey {
            correct_choice_keys: self.answer.clone().unwrap_or_default(),
            explanation: self.explanation.clone().unwrap_or_default(),
        });
        Ok(pb::Question {
            id: id.to_owned(),
            r#type: question_type.into(),
            stem: self.stem.clone().unwrap_or_default(),
            choices: self
                .choices
                .iter()
                .flatten()
                .map(ChoiceEntry::to_choice)
                .collect(),
            difficulty: difficulty.into(),
            category: self.category.clone().unwrap_or_default(),
            tags: self.tags.clone().unwrap_or_default(),
            language: self.language.clone().unwrap_or_default(),
            revision: 0,
            create_time: None,
            update_time: None,
            answer,
            // A file without translations sends none: `update` then leaves `translations` out
            // of its mask, so the server keeps the question's; `edit` names it, since its file
            // is the whole question.
            translations: self
                .translations
                .iter()
                .flatten()
                .map(TranslationEntry::to_translation)
                .collect(),
            available_languages: Vec::new(),
        })
    }

    /// Checks that the file's id, if it has one, is `id`: a file copied from another question
    /// must not silently overwrite this one.
    pub(crate) fn check_id(&self, id: &str) -> Result<(), Error> {
        match &self.id {
            Some(file_id) if file_id != id => Err(Error::Usage(format!(
                "the file is question {file_id:?}, not {id:?}; remove its id or fix it"
            ))),
            _ => Ok(()),
        }
    }
}

impl ChoiceEntry {
    fn of_choice(choice: &pb::Choice) -> Self {
        Self {
            key: choice.key.clone(),
            text: choice.text.clone(),
        }
    }

    fn to_choice(&self) -> pb::Choice {
        pb::Choice {
            key: self.key.clone(),
            text: self.text.clone(),
        }
    }
}

impl TranslationEntry {
    fn of_translation(translation: &pb::QuestionTranslation) -> Self {
        // Destructured, so that a field added to the message breaks the build here instead of
        // being dropped by every `edit`.
        let pb::QuestionTranslation {
            language,
            stem,
            choices,
            explanation,
        } = translation;
        Self {
            language: language.clone(),
            stem: stem.clone(),
            choices: choices.iter().map(ChoiceEntry::of_choice).collect(),
            explanation: explanation.clone(),
        }
    }

    fn to_translation(&self) -> pb::QuestionTranslation {
        pb::QuestionTranslation {
            language: self.language.clone(),
            stem: self.stem.clone(),
            choices: self.choices.iter().map(ChoiceEntry::to_choice).collect(),
            explanation: self.explanation.clone(),
        }
    }
}

/// The bank-file name of a question type.
fn type_name(value: i32) -> &'static str {
    match pb::QuestionType::try_from(value) {
        Ok(pb::QuestionType::SingleChoice) => "single_choice",
        Ok(pb::QuestionType::MultipleChoice) => "multiple_choice",
        Ok(pb::QuestionType::TrueFalse) => "true_false",
        Ok(pb::QuestionType::Unspecified) | Err(_) => "unknown",
    }
}

/// The bank-file name of a difficulty.
fn difficulty_name(value: i32) -> &'static str {
    match pb::Difficulty::try_from(value) {
        Ok(pb::Difficulty::Easy) => "easy",
        Ok(pb::Difficulty::Medium) => "medium",
        Ok(pb::Difficulty::Hard) => "hard",
        Ok(pb::Difficulty::Unspecified) | Err(_) => "unknown",
    }
}

fn parse_type(name: &str) -> Result<pb::QuestionType, Error> {
    match name {
        "single_choice" => Ok(pb::QuestionType::SingleChoice),
        "multiple_choice" => Ok(pb::QuestionType::MultipleChoice),
        "true_false" => Ok(pb::QuestionType::TrueFalse),
        _ => Err(Error::Usage(format!(
            "type {name:?} is not one of single_choice, multiple_choice, true_false"
        ))),
    }
}

fn parse_difficulty(name: &str) -> Result<pb::Difficulty, Error> {
    match name {
        "easy" => Ok(pb::Difficulty::Easy),
        "medium" => Ok(pb::Difficulty::Medium),
        "hard" => Ok(pb::Difficulty::Hard),
        _ => Err(Error::Usage(format!(
            "difficulty {name:?} is not one of easy, medium, hard"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARE: &str = r#"
id = "q-1"
type = "true_false"
difficulty = "easy"
category = "llm"
language = "en"
stem = "Is water wet?"
choices = [{ key = "true", text = "Yes" }, { key = "false", text = "No" }]
answer = ["true"]
explanation = "It is."
"#;

    /// The fields of a French translation of [`BARE`], for whichever header a shape needs.
    const FRENCH: &str = r#"
language = "fr"
stem = "L'eau est-elle mouillée ?"
choices = [{ key = "true", text = "Oui" }, { key = "false", text = "Non" }]
explanation = "Elle l'est."
"#;

    #[test]
    fn a_bare_table_and_one_questions_entry_read_the_same() {
        let bare = QuestionFile::parse(BARE).expect("a bare table");
        let entry = QuestionFile::parse(&format!("[[questions]]\n{BARE}")).expect("one entry");
        assert_eq!(bare, entry);
        assert_eq!(bare.stem.as_deref(), Some("Is water wet?"));
        assert_eq!(bare.tags, None);
    }

    #[test]
    fn translations_read_the_same_in_a_bare_table_and_in_one_questions_entry() {
        let bare = QuestionFile::parse(&format!("{BARE}\n[[translations]]\n{FRENCH}"))
            .expect("a bare table");
        let entry = QuestionFile::parse(&format!(
            "[[questions]]\n{BARE}\n[[questions.translations]]\n{FRENCH}"
        ))
        .expect("one entry");
        assert_eq!(bare, entry);
        let translations = bare.translations.expect("the translations given");
        assert_eq!(translations.len(), 1);
        assert_eq!(translations[0].language, "fr");
    }

    #[test]
    fn a_translation_outside_its_questions_entry_is_refused() {
        let stray = format!("[[questions]]\n{BARE}\n[[translations]]\n{FRENCH}");
        let error = QuestionFile::parse(&stray).expect_err("a top-level translation");
        assert!(error.contains("unknown field `translations`"), "{error}");
    }

    #[test]
    fn a_translation_missing_a_field_is_refused() {
        let half = FRENCH.replace("explanation = \"Elle l'est.\"\n", "");
        let error = QuestionFile::parse(&format!("{BARE}\n[[translations]]\n{half}"))
            .expect_err("no explanation");
        assert!(error.contains("missing field `explanation`"), "{error}");
    }

    #[test]
    fn translations_are_in_the_update_mask_only_when_the_file_has_the_key() {
        let without = QuestionFile::parse("stem = \"x\"\n").expect("a partial file");
        let cleared = QuestionFile::parse("translations = []\n").expect("an empty list");
        assert_eq!(without.given_fields(), ["stem"]);
        assert_eq!(cleared.given_fields(), ["translations"]);
        let question = cleared.to_question("q-1").expect("valid names");
        assert!(question.translations.is_empty());
    }

    #[test]
    fn a_file_with_two_questions_is_refused() {
        let two = format!("[[questions]]\n{BARE}\n[[questions]]\n{BARE}");
        let error = QuestionFile::parse(&two).expect_err("two questions");
        assert!(error.contains("holds 2 questions"), "{error}");
    }

    #[test]
    fn a_misspelt_field_is_refused() {
        let error = QuestionFile::parse("stem = \"x\"\nexplanaton = \"y\"\n").expect_err("typo");
        assert!(error.contains("explanaton"), "{error}");
    }

    #[test]
    fn only_the_given_fields_are_in_the_update_mask() {
        let file = QuestionFile::parse("stem = \"x\"\nexplanation = \"y\"\ntags = []\n")
            .expect("a partial file");
        assert_eq!(file.given_fields(), ["stem", "answer", "tags"]);
    }

    #[test]
    fn a_question_written_out_reads_back_the_same() {
        let file = QuestionFile::parse(BARE).expect("a bare table");
        let question = file.to_question("q-1").expect("valid names");
        let mut written = QuestionFile::of_question(&question);
        let text = written.to_toml().expect("serializable");
        // Written out, every field is there, tags too, so an editor shows where they go.
        assert!(text.contains("tags = []"), "{text}");
        written.tags = None;
        assert_eq!(written, file);
        let mut read_back = QuestionFile::parse(&text).expect("our own output parses");
        read_back.tags = None;
        assert_eq!(read_back, file);
    }

    #[test]
    fn a_question_with_translations_written_out_reads_back_the_same() {
        let file = QuestionFile::parse(&format!("{BARE}\n[[translations]]\n{FRENCH}"))
            .expect("a bare table");
        let question = file.to_question("q-1").expect("valid names");
        assert_eq!(question.translations[0].choices[1].text, "Non");
        let mut written = QuestionFile::of_question(&question);
        let text = written.to_toml().expect("serializable");
        assert!(text.contains("\n[[translations]]\n"), "{text}");
        assert_eq!(
            QuestionFile::parse(&text).expect("our own output parses"),
            written
        );
        written.tags = None;
        assert_eq!(written, file);
    }

    #[test]
    fn a_question_without_translations_is_written_without_the_key() {
        let file = QuestionFile::parse(BARE).expect("a bare table");
        let question = file.to_question("q-1").expect("valid names");
        let written = QuestionFile::of_question(&question);
        let text = written.to_toml().expect("serializable");
        // So that `edit` finds an untouched file unchanged, and an author can add a table.
        assert!(!text.contains("translations"), "{text}");
        assert_eq!(
            QuestionFile::parse(&text).expect("our own output parses"),
            written
        );
    }

    #[test]
    fn a_file_naming_another_question_is_refused() {
        let file = QuestionFile::parse(BARE).expect("a bare table");
        assert!(file.check_id("q-1").is_ok());
        assert!(matches!(file.check_id("q-2"), Err(Error::Usage(_))));
        assert!(QuestionFile::default().check_id("q-2").is_ok());
    }
}
