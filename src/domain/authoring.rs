//! Authoring: how an edit changes a question, and what a change may not do.
//!
//! An edit names the fields it replaces (an update mask, AIP-134); the
//! question it leaves is validated whole, so an edit that changes the
//! choices under a key the answer still names is refused. An edit that
//! changes nothing is no change: the revision stays.

use std::time::SystemTime;

use super::{
    question::{AnswerKey, Choice, Difficulty, Question, QuestionType, Translation},
    validation::FieldError,
};

/// The fields an update replaces; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionEdit {
    /// A new type.
    pub question_type: Option<QuestionType>,
    /// A new stem.
    pub stem: Option<String>,
    /// New choices, all of them.
    pub choices: Option<Vec<Choice>>,
    /// A new answer key: the correct keys and the explanation.
    pub answer: Option<AnswerKey>,
    /// A new difficulty.
    pub difficulty: Option<Difficulty>,
    /// A new category.
    pub category: Option<String>,
    /// New tags, all of them.
    pub tags: Option<Vec<String>>,
    /// A new original language.
    pub language: Option<String>,
    /// New translations, all of them.
    pub translations: Option<Vec<Translation>>,
}

impl QuestionEdit {
    /// An edit that makes a question's content that of `question`: what an
    /// import of a file holding an existing question does.
    pub fn replacing(question: Question) -> Self {
        let Question {
            id: _,
            question_type,
            stem,
            choices,
            difficulty,
            category,
            tags,
            language,
            revision: _,
            create_time: _,
            update_time: _,
            answer,
            translations,
        } = question;
        Self {
            question_type: Some(question_type),
            stem: Some(stem),
            choices: Some(choices),
            answer: Some(answer),
            difficulty: Some(difficulty),
            category: Some(category),
            tags: Some(tags),
            language: Some(language),
            translations: Some(translations),
        }
    }

    /// `current` after this edit, at the next revision and updated `now`,
    /// or `None` when the edit leaves it as it was.
    pub fn apply(
        self,
        current: &Question,
        now: SystemTime,
    ) -> Result<Option<Question>, FieldError> {
        let Self {
            question_type,
            stem,
            choices,
            answer,
            difficulty,
            category,
            tags,
            language,
            translations,
        } = self;
        let mut edited = current.clone();
        if let Some(question_type) = question_type {
            edited.question_type = question_type;
        }
        if let Some(stem) = stem {
            edited.stem = stem;
        }
        if let Some(choices) = choices {
            edited.choices = choices;
        }
        if let Some(answer) = answer {
            edited.answer = answer;
        }
        if let Some(difficulty) = difficulty {
            edited.difficulty = difficulty;
        }
        if let Some(category) = category {
            edited.category = category;
        }
        if let Some(tags) = tags {
            edited.tags = tags;
        }
        if let Some(language) = language {
            edited.language = language;
        }
        if let Some(translations) = translations {
            edited.translations = translations;
        }
        if edited == *current {
            return Ok(None);
        }
        edited.validate()?;
        edited.revision = current.revision + 1;
        edited.update_time = now;
        Ok(Some(edited))
    }
}

/// Why a change to a question was refused. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefused {
    /// No question has this id (or it is deleted, for changes of live ones).
    #[error("question {0:?} does not exist")]
    NotFound(String),
    /// A question with this id exists, live or deleted.
    #[error("question {0:?} already exists (ids of deleted questions stay taken)")]
    AlreadyExists(String),
    /// The question is no longer at the revision the change was based on.
    #[error("question {id:?} is at revision {current}, not {expected}; read it again and retry")]
    RevisionMismatch {
        /// The question.
        id: String,
        /// The revision the caller expected.
        expected: i64,
        /// The revision it is at.
        current: i64,
    },
    /// Undelete of a question that is not deleted.
    #[error("question {0:?} is not deleted")]
    NotDeleted(String),
    /// The question the change would leave breaks a rule.
    #[error("{0}")]
    Invalid(FieldError),
}

/// Checks `expected` (0: any) against the question's `current` revision.
pub fn check_revision(id: &str, expected: i64, current: i64) -> Result<(), ChangeRefused> {
    if expected == 0 || expected == current {
        Ok(())
    } else {
        Err(ChangeRefused::RevisionMismatch {
            id: id.to_owned(),
            expected,
            current,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question() -> Question {
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
            tags: vec![],
            language: "en".into(),
            revision: 3,
            create_time: SystemTime::UNIX_EPOCH,
            update_time: SystemTime::UNIX_EPOCH,
            answer: AnswerKey {
                correct_choice_keys: vec!["B".into()],
                explanation: "because".into(),
            },
            translations: vec![],
        }
    }

    #[test]
    fn a_real_change_makes_the_next_revision() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(60);
        let edit = QuestionEdit {
            stem: Some("Which one?".into()),
            ..QuestionEdit::default()
        };

        let edited = edit
            .apply(&question(), now)
            .expect("valid")
            .expect("a change");

        assert_eq!(edited.stem, "Which one?");
        assert_eq!(edited.revision, 4);
        assert_eq!(edited.update_time, now);
        assert_eq!(edited.create_time, SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn an_edit_that_changes_nothing_is_no_change() {
        let edit = QuestionEdit {
            stem: Some("Which?".into()),
            ..QuestionEdit::default()
        };

        assert_eq!(edit.apply(&question(), SystemTime::now()), Ok(None));
    }

    #[test]
    fn choices_that_drop_the_answer_s_key_are_refused() {
        let edit = QuestionEdit {
            choices: Some(vec![
                Choice {
                    key: "A".into(),
                    text: "one".into(),
                },
                Choice {
                    key: "C".into(),
                    text: "three".into(),
                },
            ]),
            ..QuestionEdit::default()
        };

        let error = edit
            .apply(&question(), SystemTime::now())
            .expect_err("the answer names B");

        assert_eq!(error.field, "answer");
    }

    #[test]
    fn a_translation_change_makes_the_next_revision_and_must_fit_the_choices() {
        let translation = |keys: [&str; 2]| Translation {
            language: "zh".into(),
            stem: "哪个?".into(),
            choices: keys
                .iter()
                .map(|key| Choice {
                    key: (*key).into(),
                    text: "选项".into(),
                })
                .collect(),
            explanation: "因为".into(),
        };
        let translating = |keys| QuestionEdit {
            translations: Some(vec![translation(keys)]),
            ..QuestionEdit::default()
        };

        let translated = translating(["A", "B"])
            .apply(&question(), SystemTime::now())
            .expect("valid")
            .expect("a change");
        let misfit = translating(["A", "C"]).apply(&question(), SystemTime::now());

        assert_eq!(translated.revision, 4);
        assert_eq!(translated.translations, [translation(["A", "B"])]);
        assert_eq!(
            misfit.map_err(|error| error.field),
            Err("translations[0].choices".into())
        );
    }

    #[test]
    fn an_expected_revision_of_zero_matches_any() {
        assert_eq!(check_revision("q", 0, 7), Ok(()));
        assert_eq!(check_revision("q", 7, 7), Ok(()));
        assert!(matches!(
            check_revision("q", 6, 7),
            Err(ChangeRefused::RevisionMismatch { current: 7, .. })
        ));
    }
}
