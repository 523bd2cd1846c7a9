//! Question files in formats other tools write: [`gift`] (Moodle's GIFT) and
//! [`aiken`]. Both import all or nothing, with every error on its line, and
//! both say on export what the format could not carry.
//!
//! These formats know less than a [`Question`] does, so an import fills the
//! gaps from [`ImportDefaults`] and derives ids from content ([`content_id`])
//! where the file names none.

pub mod aiken;
pub mod gift;

/// The formats a bank can be imported from and exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankFormat {
    /// qbank's own bank file: every field, lossless.
    Toml,
    /// The same fields as TOML, in JSON: lossless.
    Json,
    /// Moodle's GIFT: multiple choice and true/false.
    Gift,
    /// Aiken: single choice with lettered options.
    Aiken,
}

impl BankFormat {
    /// Whether the format holds translations. Importing one that does not
    /// leaves a question's translations as they are, rather than deleting
    /// them.
    pub fn carries_translations(self) -> bool {
        matches!(self, Self::Toml | Self::Json)
    }

    /// The format a file's extension names (`.toml`, `.json`, `.gift`,
    /// `.aiken`), if any.
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            "gift" => Some(Self::Gift),
            "aiken" => Some(Self::Aiken),
            _ => None,
        }
    }

    /// Reads a file of this format: all or nothing, every error on its line.
    /// `defaults` fill what the format cannot say (TOML and JSON say all).
    pub fn parse(
        self,
        text: &str,
        defaults: &ImportDefaults,
        now: SystemTime,
    ) -> Result<Vec<ParsedQuestion>, Vec<LineError>> {
        match self {
            Self::Toml => super::bank_file::parse_lines(super::bank_file::Syntax::Toml, text, now),
            Self::Json => super::bank_file::parse_lines(super::bank_file::Syntax::Json, text, now),
            Self::Gift => gift::parse(text, defaults, now),
            Self::Aiken => aiken::parse(text, defaults, now),
        }
    }

    /// Writes `questions` in this format, saying what it could not express.
    pub fn export(self, questions: &[Question]) -> Exported {
        match self {
            Self::Toml => super::bank_file::export(super::bank_file::Syntax::Toml, questions),
            Self::Json => super::bank_file::export(super::bank_file::Syntax::Json, questions),
            Self::Gift => gift::export(questions),
            Self::Aiken => aiken::export(questions),
        }
    }
}

use std::{collections::HashMap, time::SystemTime};

use sha2::{Digest as _, Sha256};

use super::question::{AnswerKey, Choice, Difficulty, Question, QuestionType};

/// Fields a format cannot express, applied to every imported question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportDefaults {
    /// The category of questions the file puts in none (GIFT's `$CATEGORY`
    /// overrides it for the questions after it).
    pub category: String,
    /// The difficulty of every question: neither format has one.
    pub difficulty: Difficulty,
    /// The BCP-47 language tag of every question: neither format has one.
    pub language: String,
}

/// One question read from a file, and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedQuestion {
    /// The line of the file the question starts on, counting from 1.
    pub line: usize,
    /// The question, valid by [`Question::validate`].
    pub question: Question,
}

/// One error of a file, on its line (1-based): rendered `line N: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct LineError {
    /// The line at fault, counting from 1.
    pub line: usize,
    /// What is wrong there, in words an author can act on.
    pub reason: String,
}

/// What an export wrote, and what the format could not express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The file's text.
    pub text: String,
    /// What the text lacks, one entry per question and thing lost.
    pub omitted: Vec<Omission>,
}

/// Something of one question that an export left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Omission {
    /// The question it concerns.
    pub question_id: String,
    /// What was left out, and why.
    pub reason: String,
}

/// Most errors reported for one file: past this many, the author has a
/// wrong file or a wrong format, and a longer list helps no one.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// The explanation of an imported question whose file gives none.
///
/// A stored question must have a non-blank explanation
/// ([`validation::check_text`](super::validation::check_text) rejects blank
/// text), and Aiken never has one, so imports say plainly that there was none
/// rather than fail.
pub const NO_EXPLANATION: &str = "No explanation was given.";

/// The id of a question whose file gives none: derived from its content, so
/// the same file imports to the same ids.
///
/// The id is `prefix`, a `-`, and the first 16 hex digits (64 bits) of the
/// SHA-256 of the stem and then each choice's key and text, in order, each
/// written as its UTF-8 length in bytes (8 bytes, big-endian) followed by its
/// bytes. The lengths keep `("ab", "c")` and `("a", "bc")` apart. The answer
/// and explanation are not part of it: fixing a wrong answer in the file
/// keeps the question's id.
pub fn content_id(prefix: &str, stem: &str, choices: &[Choice]) -> String {
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    let mut hash_field = |field: &str| {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    };
    hash_field(stem);
    for choice in choices {
        hash_field(&choice.key);
        hash_field(&choice.text);
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    id.push('-');
    for byte in &digest[..8] {
        id.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        id.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    id
}

/// The omission of a question's translations from a format without them.
fn translations_left_out(question: &Question, format: &str) -> String {
    let languages: Vec<&str> = question.languages().skip(1).collect();
    format!(
        "the translations ({}) are not in {format}",
        languages.join(", ")
    )
}

/// What a format's parser read from a question, before the fields every
/// import fills alike.
struct QuestionDraft {
    id: String,
    question_type: QuestionType,
    stem: String,
    choices: Vec<Choice>,
    correct_choice_keys: Vec<String>,
    explanation: Option<String>,
    category: String,
    /// Whether [`content_id`] made the id, which changes what a repeated id
    /// means: the same question twice, not two questions sharing a title.
    id_from_content: bool,
}

impl QuestionDraft {
    fn into_question(self, defaults: &ImportDefaults, now: SystemTime) -> Question {
        let explanation = self
            .explanation
            .filter(|text| !text.trim().is_empty())
            .unwrap_or_else(|| NO_EXPLANATION.to_owned());
        Question {
            id: self.id,
            question_type: self.question_type,
            stem: self.stem,
            choices: self.choices,
            difficulty: defaults.difficulty,
            category: self.category,
            tags: Vec::new(),
            language: defaults.language.clone(),
            revision: 1,
            create_time: now,
            update_time: now,
            answer: AnswerKey {
                correct_choice_keys: self.correct_choice_keys,
                explanation,
            },
            translations: Vec::new(),
        }
    }
}

/// The questions and errors of one file as a parser finds them, so both
/// formats apply the same rules: every question valid, ids unique, and all
/// or nothing.
struct FileImport<'a> {
    defaults: &'a ImportDefaults,
    now: SystemTime,
    questions: Vec<ParsedQuestion>,
    errors: Vec<LineError>,
    line_of_id: HashMap<String, usize>,
}

impl<'a> FileImport<'a> {
    fn new(defaults: &'a ImportDefaults, now: SystemTime) -> Self {
        Self {
            defaults,
            now,
            questions: Vec::new(),
            errors: Vec::new(),
            line_of_id: HashMap::new(),
        }
    }

    /// Records an error; past [`MAX_REPORTED_ERRORS`] it is dropped.
    fn reject(&mut self, line: usize, reason: impl Into<String>) {
        if !self.is_full() {
            self.errors.push(LineError {
                line,
                reason: reason.into(),
            });
        }
    }

    /// Whether no further error would be reported, so parsing may stop.
    fn is_full(&self) -> bool {
        self.errors.len() >= MAX_REPORTED_ERRORS
    }

    /// Completes a question starting on `line`, and keeps it if it is valid
    /// and its id is new in this file.
    fn accept(&mut self, line: usize, draft: QuestionDraft) {
        let id_from_content = draft.id_from_content;
        let question = draft.into_question(self.defaults, self.now);
        if let Err(error) = question.validate() {
            self.reject(line, error.to_string());
            return;
        }
        if let Some(&first_line) = self.line_of_id.get(&question.id) {
            let reason = if id_from_content {
                format!(
                    "the same stem and choices as the question on line {first_line} \
                     (both get the id {:?})",
                    question.id
                )
            } else {
                format!(
                    "id {:?} is already the id of the question on line {first_line}",
                    question.id
                )
            };
            self.reject(line, reason);
            return;
        }
        self.line_of_id.insert(question.id.clone(), line);
        self.questions.push(ParsedQuestion { line, question });
    }

    /// All the questions, or, if anything was wrong, every error found in
    /// line order.
    fn finish(mut self) -> Result<Vec<ParsedQuestion>, Vec<LineError>> {
        if self.errors.is_empty() {
            Ok(self.questions)
        } else {
            // Parsers report a question's errors when they finish reading it,
            // which can be after a later line's: sort, stably, for the reader.
            self.errors.sort_by_key(|error| error.line);
            Err(self.errors)
        }
    }
}

/// The key of the choice at `index` in formats that letter their choices:
/// `A` to `Z`. Past `Z` (which validation rejects anyway, as more than
/// [`CHOICES_MAX`](super::limits::CHOICES_MAX) choices) it is the number.
fn letter_key(index: usize) -> String {
    match u8::try_from(index) {
        Ok(offset) if offset < 26 => char::from(b'A' + offset).to_string(),
        _ => (index + 1).to_string(),
    }
}

/// Whether `choices` are keyed `A`, `B`, `C`… in order, as lettering formats
/// import them.
fn keyed_by_letters(choices: &[Choice]) -> bool {
    choices
        .iter()
        .enumerate()
        .all(|(index, choice)| choice.key == letter_key(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(pairs: &[(&str, &str)]) -> Vec<Choice> {
        pairs
            .iter()
            .map(|(key, text)| Choice {
                key: (*key).to_owned(),
                text: (*text).to_owned(),
            })
            .collect()
    }

    #[test]
    fn a_content_id_is_the_prefix_and_sixteen_hex_digits() {
        let id = content_id("gift", "Why?", &choices(&[("A", "x"), ("B", "y")]));
        assert_eq!(id.len(), "gift-".len() + 16, "{id}");
        assert!(id.starts_with("gift-"), "{id}");
        assert!(id["gift-".len()..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn the_same_content_gives_the_same_id_and_other_content_another() {
        let first = content_id("aiken", "Why?", &choices(&[("A", "x"), ("B", "y")]));
        let again = content_id("aiken", "Why?", &choices(&[("A", "x"), ("B", "y")]));
        let other = content_id("aiken", "Why?", &choices(&[("A", "x"), ("B", "z")]));
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn field_lengths_keep_shifted_text_apart() {
        let one = content_id("gift", "ab", &choices(&[("A", "c"), ("B", "d")]));
        let two = content_id("gift", "a", &choices(&[("bA", "c"), ("B", "d")]));
        assert_ne!(one, two);
    }

    #[test]
    fn a_line_error_reads_line_then_reason() {
        let error = LineError {
            line: 12,
            reason: "bad".into(),
        };
        assert_eq!(error.to_string(), "line 12: bad");
    }

    #[test]
    fn letter_keys_run_from_a_to_z() {
        assert_eq!(letter_key(0), "A");
        assert_eq!(letter_key(25), "Z");
        assert_eq!(letter_key(26), "27");
    }
}
