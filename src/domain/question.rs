//! A question of the bank, and the rules every stored question obeys.

use std::{collections::HashSet, time::SystemTime};

use unicode_normalization::UnicodeNormalization as _;

use super::{
    limits,
    validation::{FieldError, check_identifier, check_text},
};

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestionType {
    /// Exactly one choice is correct.
    SingleChoice,
    /// One or more choices are correct.
    MultipleChoice,
    /// Two choices, keyed `true` and `false`.
    TrueFalse,
}

impl QuestionType {
    /// Every type, in the contract's order.
    pub const ALL: [Self; 3] = [Self::SingleChoice, Self::MultipleChoice, Self::TrueFalse];

    /// The name used in bank files and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleChoice => "single_choice",
            Self::MultipleChoice => "multiple_choice",
            Self::TrueFalse => "true_false",
        }
    }

    /// The inverse of [`QuestionType::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|question_type| question_type.as_str() == name)
    }

    /// Whether an answer names exactly one key.
    pub fn takes_one_key(self) -> bool {
        matches!(self, Self::SingleChoice | Self::TrueFalse)
    }
}

/// How hard a question is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Difficulty {
    /// Recall of a definition or a single fact.
    Easy,
    /// Needs understanding of why, not only what.
    Medium,
    /// Needs reasoning across several concepts.
    Hard,
}

impl Difficulty {
    /// Every difficulty, easiest first.
    pub const ALL: [Self; 3] = [Self::Easy, Self::Medium, Self::Hard];

    /// The name used in bank files and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Easy => "easy",
            Self::Medium => "medium",
            Self::Hard => "hard",
        }
    }

    /// The inverse of [`Difficulty::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|difficulty| difficulty.as_str() == name)
    }
}

/// One answer option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Identifies the choice within its question, e.g. `A` or `true`.
    pub key: String,
    /// The option's text.
    pub text: String,
}

/// The correct answer of a question; never shown to unprivileged callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerKey {
    /// The keys of the correct choices, in the question's choice order.
    pub correct_choice_keys: Vec<String>,
    /// Why that answer is right.
    pub explanation: String,
}

/// A question as stored in the bank.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Stable identifier, e.g. `llm-001`.
    pub id: String,
    /// How the question is answered.
    pub question_type: QuestionType,
    /// The question text.
    pub stem: String,
    /// The answer options, in display order.
    pub choices: Vec<Choice>,
    /// How hard the question is.
    pub difficulty: Difficulty,
    /// The subject area, e.g. `llm`.
    pub category: String,
    /// Topic tags, in the author's order.
    pub tags: Vec<String>,
    /// BCP-47 language tag of the text.
    pub language: String,
    /// Starts at 1 and grows by one with every change.
    pub revision: i64,
    /// When the question was added.
    pub create_time: SystemTime,
    /// When the question last changed.
    pub update_time: SystemTime,
    /// The correct answer.
    pub answer: AnswerKey,
    /// The same content in other languages, in the author's order.
    pub translations: Vec<Translation>,
}

/// A question's content in another language. Keys, type and answer are the
/// question's own, so grading never depends on the language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// BCP-47 language tag; neither the original's nor another
    /// translation's.
    pub language: String,
    /// The question text.
    pub stem: String,
    /// Every choice of the question, each key once, with its text in this
    /// language; in any order (served in the question's).
    pub choices: Vec<Choice>,
    /// The explanation of the answer.
    pub explanation: String,
}

/// What a caller reads of a question in one of its languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The language it is in.
    pub language: String,
    /// The question text.
    pub stem: String,
    /// The choices, in the question's display order.
    pub choices: Vec<Choice>,
    /// The explanation of the answer.
    pub explanation: String,
}

/// Choice keys match after trimming, compatibility normalisation (NFKC) and
/// ignoring case, so `" c"` picks `C`, and so do the fullwidth `Ｃ` and `ｃ`
/// that Chinese input methods type. Keys are identifiers, which is what NFKC
/// is for; free text (stems, choice texts) is never normalised.
pub fn normalise_choice_key(key: &str) -> String {
    if key.is_ascii() {
        // NFKC leaves ASCII as it is: the common case skips it.
        return key.trim().to_ascii_lowercase();
    }
    key.trim().nfkc().collect::<String>().trim().to_lowercase()
}

impl Question {
    /// Every language the question is available in: the original first,
    /// then its translations'.
    pub fn languages(&self) -> impl Iterator<Item = &str> + Clone {
        std::iter::once(self.language.as_str()).chain(
            self.translations
                .iter()
                .map(|translation| translation.language.as_str()),
        )
    }

    /// The content in the language at `position` of [`Question::languages`]
    /// (0, or a position past the end, is the original).
    pub fn content(&self, position: usize) -> Content {
        let Some(translation) = position
            .checked_sub(1)
            .and_then(|index| self.translations.get(index))
        else {
            return Content {
                language: self.language.clone(),
                stem: self.stem.clone(),
                choices: self.choices.clone(),
                explanation: self.answer.explanation.clone(),
            };
        };
        // Validation made the translation's keys exactly the question's, so
        // every choice finds its text; the original's stays a fallback.
        let choices = self
            .choices
            .iter()
            .map(|choice| {
                let wanted = normalise_choice_key(&choice.key);
                let text = translation
                    .choices
                    .iter()
                    .find(|translated| normalise_choice_key(&translated.key) == wanted)
                    .map_or(&choice.text, |translated| &translated.text);
                Choice {
                    key: choice.key.clone(),
                    text: text.clone(),
                }
            })
            .collect();
        Content {
            language: translation.language.clone(),
            stem: translation.stem.clone(),
            choices,
            explanation: translation.explanation.clone(),
        }
    }

    /// The language and explanation at `position` of
    /// [`Question::languages`] (0, or a position past the end, is the
    /// original): [`Question::content`] without copying the rest.
    pub fn explanation(&self, position: usize) -> (&str, &str) {
        match position
            .checked_sub(1)
            .and_then(|index| self.translations.get(index))
        {
            Some(translation) => (&translation.language, &translation.explanation),
            None => (&self.language, &self.answer.explanation),
        }
    }

    /// The choice that `key` names, compared as [`normalise_choice_key`] does.
    pub fn choice(&self, key: &str) -> Option<&Choice> {
        let wanted = normalise_choice_key(key);
        self.choices
            .iter()
            .find(|choice| normalise_choice_key(&choice.key) == wanted)
    }

    /// Checks the rules every stored question obeys, naming the first field
    /// that breaks one. Grading relies on these rules holding.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_identifier("id", &self.id, limits::QUESTION_ID_MAX_CHARS)?;
        check_text("stem", &self.stem, limits::STEM_MAX_CHARS)?;
        check_identifier("category", &self.category, limits::CATEGORY_MAX_CHARS)?;
        check_identifier("language", &self.language, limits::LANGUAGE_MAX_CHARS)?;
        if self.revision < 1 {
            return Err(FieldError::new("revision", "must be at least 1"));
        }
        let mut seen_tags = HashSet::new();
        for (index, tag) in self.tags.iter().enumerate() {
            let field = format!("tags[{index}]");
            check_identifier(&field, tag, limits::TAG_MAX_CHARS)?;
            if !seen_tags.insert(tag.as_str()) {
                return Err(FieldError::new(field, format!("duplicate tag {tag:?}")));
            }
        }
        self.validate_choices()?;
        self.validate_answer()?;
        self.validate_translations()
    }

    fn validate_translations(&self) -> Result<(), FieldError> {
        if self.translations.len() > limits::TRANSLATIONS_MAX {
            return Err(FieldError::new(
                "translations",
                format!(
                    "at most {} translations are allowed",
                    limits::TRANSLATIONS_MAX
                ),
            ));
        }
        let keys: HashSet<String> = self
            .choices
            .iter()
            .map(|choice| normalise_choice_key(&choice.key))
            .collect();
        let mut languages = vec![self.language.to_ascii_lowercase()];
        for (index, translation) in self.translations.iter().enumerate() {
            let field = |name: &str| format!("translations[{index}].{name}");
            check_identifier(
                &field("language"),
                &translation.language,
                limits::LANGUAGE_MAX_CHARS,
            )?;
            let language = translation.language.to_ascii_lowercase();
            if languages.contains(&language) {
                return Err(FieldError::new(
                    field("language"),
                    format!(
                        "{:?} is already the language of the question or of another translation",
                        translation.language
                    ),
                ));
            }
            languages.push(language);
            check_text(&field("stem"), &translation.stem, limits::STEM_MAX_CHARS)?;
            let mut translated_keys = HashSet::new();
            for (choice_index, choice) in translation.choices.iter().enumerate() {
                let key = normalise_choice_key(&choice.key);
                if !keys.contains(&key) || !translated_keys.insert(key) {
                    return Err(FieldError::new(
                        field("choices"),
                        format!(
                            "must name each of the question's choice keys exactly once \
                             (choice {choice_index} has key {:?})",
                            choice.key
                        ),
                    ));
                }
                check_text(
                    &field(&format!("choices[{choice_index}].text")),
                    &choice.text,
                    limits::CHOICE_TEXT_MAX_CHARS,
                )?;
            }
            if translated_keys.len() != keys.len() {
                return Err(FieldError::new(
                    field("choices"),
                    "must name each of the question's choice keys exactly once (some are missing)",
                ));
            }
            check_text(
                &field("explanation"),
                &translation.explanation,
                limits::EXPLANATION_MAX_CHARS,
            )?;
        }
        Ok(())
    }

    fn validate_choices(&self) -> Result<(), FieldError> {
        if self.choices.len() < 2 || self.choices.len() > limits::CHOICES_MAX {
            return Err(FieldError::new(
                "choices",
                format!("needs 2 to {} choices", limits::CHOICES_MAX),
            ));
        }
        let mut seen_keys = HashSet::new();
        for (index, choice) in self.choices.iter().enumerate() {
            let field = format!("choices[{index}].key");
            check_identifier(&field, &choice.key, limits::CHOICE_KEY_MAX_CHARS)?;
            if !seen_keys.insert(normalise_choice_key(&choice.key)) {
                return Err(FieldError::new(
                    field,
                    format!("duplicate key {:?} (keys ignore case)", choice.key),
                ));
            }
            check_text(
                &format!("choices[{index}].text"),
                &choice.text,
                limits::CHOICE_TEXT_MAX_CHARS,
            )?;
        }
        if self.question_type == QuestionType::TrueFalse {
            let keys: Vec<&str> = self.choices.iter().map(|c| c.key.as_str()).collect();
            if keys != ["true", "false"] {
                return Err(FieldError::new(
                    "choices",
                    "a true_false question has exactly the keys \"true\" and \"false\", in that order",
                ));
            }
        }
        Ok(())
    }

    fn validate_answer(&self) -> Result<(), FieldError> {
        let correct = &self.answer.correct_choice_keys;
        if correct.is_empty() {
            return Err(FieldError::new("answer", "names no correct choice"));
        }
        if self.question_type.takes_one_key() && correct.len() != 1 {
            return Err(FieldError::new(
                "answer",
                format!(
                    "a {} question has exactly one correct choice",
                    self.question_type.as_str()
                ),
            ));
        }
        // Stored keys are spelled exactly as the choices are, in choice order, so
        // grading and responses never need to re-normalise them.
        let in_choice_order: Vec<&str> = self
            .choices
            .iter()
            .filter(|choice| correct.contains(&choice.key))
            .map(|choice| choice.key.as_str())
            .collect();
        if in_choice_order != correct.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(FieldError::new(
                "answer",
                "must name distinct choice keys, spelled and ordered as the choices are",
            ));
        }
        check_text(
            "explanation",
            &self.answer.explanation,
            limits::EXPLANATION_MAX_CHARS,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_choice() -> Question {
        Question {
            id: "q-1".into(),
            question_type: QuestionType::SingleChoice,
            stem: "Which?".into(),
            choices: vec![
                Choice {
                    key: "A".into(),
                    text: "one".into(),
                },
                Choice {
                    key: "B".into(),
                    text: "two".into(),
                },
            ],
            difficulty: Difficulty::Easy,
            category: "test".into(),
            tags: vec!["t".into()],
            language: "en".into(),
            revision: 1,
            create_time: SystemTime::UNIX_EPOCH,
            update_time: SystemTime::UNIX_EPOCH,
            answer: AnswerKey {
                correct_choice_keys: vec!["B".into()],
                explanation: "because".into(),
            },
            translations: Vec::new(),
        }
    }

    fn translated(question: &Question, language: &str) -> Translation {
        Translation {
            language: language.into(),
            stem: format!("{language}: {}", question.stem),
            // Reversed: a translation may list its choices in any order.
            choices: question
                .choices
                .iter()
                .rev()
                .map(|choice| Choice {
                    key: choice.key.to_lowercase(),
                    text: format!("{language}: {}", choice.text),
                })
                .collect(),
            explanation: format!("{language}: because"),
        }
    }

    #[test]
    fn a_translation_is_served_with_the_question_s_keys_in_its_order() {
        let mut question = single_choice();
        question.translations = vec![translated(&question, "zh")];

        let content = question.content(1);

        assert_eq!(question.validate(), Ok(()));
        assert_eq!(question.languages().collect::<Vec<_>>(), ["en", "zh"]);
        assert_eq!(content.language, "zh");
        assert_eq!(content.stem, "zh: Which?");
        assert_eq!(
            content.choices,
            [
                Choice {
                    key: "A".into(),
                    text: "zh: one".into()
                },
                Choice {
                    key: "B".into(),
                    text: "zh: two".into()
                }
            ]
        );
        assert_eq!(content.explanation, "zh: because");
        assert_eq!(question.content(0).stem, "Which?");
    }

    #[test]
    fn a_translation_must_cover_exactly_the_question_s_keys_in_a_new_language() {
        let field_at_fault = |change: fn(&mut Translation)| {
            let mut question = single_choice();
            let mut translation = translated(&question, "zh");
            change(&mut translation);
            question.translations = vec![translation];
            question.validate().map_err(|error| error.field)
        };

        assert_eq!(
            field_at_fault(|t| t.choices.truncate(1)),
            Err("translations[0].choices".into())
        );
        assert_eq!(
            field_at_fault(|t| t.choices[0].key = "Z".into()),
            Err("translations[0].choices".into())
        );
        assert_eq!(
            field_at_fault(|t| t.choices[1].key = t.choices[0].key.clone()),
            Err("translations[0].choices".into())
        );
        assert_eq!(
            field_at_fault(|t| t.language = "EN".into()),
            Err("translations[0].language".into())
        );
        assert_eq!(
            field_at_fault(|t| t.explanation = " ".into()),
            Err("translations[0].explanation".into())
        );
    }

    #[test]
    fn a_well_formed_question_is_valid() {
        assert_eq!(single_choice().validate(), Ok(()));
    }

    #[test]
    fn keys_that_differ_only_in_case_are_duplicates() {
        let mut question = single_choice();
        question.choices[1].key = "a".into();
        question.answer.correct_choice_keys = vec!["a".into()];
        assert_eq!(
            question.validate().map_err(|e| e.field),
            Err("choices[1].key".into())
        );
    }

    #[test]
    fn a_single_choice_question_has_exactly_one_correct_key() {
        let mut question = single_choice();
        question.answer.correct_choice_keys = vec!["A".into(), "B".into()];
        assert_eq!(
            question.validate().map_err(|e| e.field),
            Err("answer".into())
        );
    }

    #[test]
    fn the_answer_must_name_existing_choices() {
        let mut question = single_choice();
        question.answer.correct_choice_keys = vec!["Z".into()];
        assert_eq!(
            question.validate().map_err(|e| e.field),
            Err("answer".into())
        );
    }

    #[test]
    fn choice_lookup_ignores_case_and_surrounding_space() {
        let question = single_choice();
        assert_eq!(question.choice(" b\t").map(|c| c.key.as_str()), Some("B"));
        assert_eq!(question.choice("c"), None);
    }

    #[test]
    fn fullwidth_keys_typed_with_a_chinese_ime_name_their_ascii_choice() {
        let question = single_choice();
        assert_eq!(question.choice("Ｂ").map(|c| c.key.as_str()), Some("B"));
        assert_eq!(
            question.choice("\u{3000}ａ").map(|c| c.key.as_str()),
            Some("A")
        );
        assert_eq!(normalise_choice_key("ｔｒｕｅ"), "true");
    }
}
