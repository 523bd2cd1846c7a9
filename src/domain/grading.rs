//! Grading: turns the keys a respondent chose into a verdict and a score.
//!
//! Partial credit for multiple choice: each correct key chosen earns
//! `1 / number of correct keys`, each wrong key chosen costs the same, and the
//! score never goes below zero. Guessing every key therefore earns nothing,
//! while missing one of three correct keys still earns 2/3.

use std::collections::HashSet;

use super::question::{Question, QuestionType, normalise_choice_key};

/// The outcome of grading one answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    /// True only when the chosen keys are exactly the correct ones.
    pub correct: bool,
    /// From 0.0 to 1.0; 1.0 exactly when `correct`.
    pub score: f64,
}

/// Why the chosen keys cannot be graded against this question. The messages
/// name only what the caller sent and the question's choices, never the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAnswer {
    /// A key that is not one of the question's choices.
    #[error("choice key {key:?} is not one of the question's choices ({choices})")]
    UnknownKey {
        /// The key as the caller sent it.
        key: String,
        /// The question's keys, comma-separated.
        choices: String,
    },
    /// More keys than a question of this type takes.
    #[error("a {question_type} question takes exactly one choice key, got {count}")]
    TooManyKeys {
        /// The question's type name.
        question_type: &'static str,
        /// How many keys were sent.
        count: usize,
    },
}

/// Resolves the chosen keys against the question's choices, returning them
/// spelled as the question spells them. The keys arrive already trimmed,
/// non-empty and distinct (see `Submission`), so only question-specific
/// checks remain.
pub fn resolve_choice_keys(
    question: &Question,
    chosen_keys: &[String],
) -> Result<Vec<String>, InvalidAnswer> {
    if question.question_type.takes_one_key() && chosen_keys.len() > 1 {
        return Err(InvalidAnswer::TooManyKeys {
            question_type: question.question_type.as_str(),
            count: chosen_keys.len(),
        });
    }
    chosen_keys
        .iter()
        .map(|key| {
            question
                .choice(key)
                .map(|choice| choice.key.clone())
                .ok_or_else(|| InvalidAnswer::UnknownKey {
                    key: key.clone(),
                    choices: question
                        .choices
                        .iter()
                        .map(|choice| choice.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        })
        .collect()
}

/// Grades keys already resolved by [`resolve_choice_keys`].
pub fn grade(question: &Question, resolved_keys: &[String]) -> Grade {
    let correct_keys: HashSet<String> = question
        .answer
        .correct_choice_keys
        .iter()
        .map(|key| normalise_choice_key(key))
        .collect();
    let chosen: HashSet<String> = resolved_keys
        .iter()
        .map(|key| normalise_choice_key(key))
        .collect();
    let correct = chosen == correct_keys;
    let score = match question.question_type {
        _ if correct => 1.0,
        QuestionType::SingleChoice | QuestionType::TrueFalse => 0.0,
        QuestionType::MultipleChoice => {
            let hits = chosen.intersection(&correct_keys).count() as f64;
            let misses = chosen.difference(&correct_keys).count() as f64;
            ((hits - misses) / correct_keys.len() as f64).max(0.0)
        }
    };
    Grade { correct, score }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::question::{AnswerKey, Choice, Difficulty};

    fn question(question_type: QuestionType, keys: &[&str], correct: &[&str]) -> Question {
        Question {
            id: "q".into(),
            question_type,
            stem: "?".into(),
            choices: keys
                .iter()
                .map(|key| Choice {
                    key: (*key).into(),
                    text: format!("choice {key}"),
                })
                .collect(),
            difficulty: Difficulty::Easy,
            category: "test".into(),
            tags: vec![],
            language: "en".into(),
            revision: 1,
            create_time: SystemTime::UNIX_EPOCH,
            update_time: SystemTime::UNIX_EPOCH,
            answer: AnswerKey {
                correct_choice_keys: correct.iter().map(|key| (*key).into()).collect(),
                explanation: "why".into(),
            },
            translations: Vec::new(),
        }
    }

    fn keys(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|key| (*key).into()).collect()
    }

    #[test]
    fn resolving_keys_ignores_case_and_returns_the_questions_spelling() {
        let q = question(QuestionType::SingleChoice, &["A", "B"], &["B"]);
        assert_eq!(resolve_choice_keys(&q, &keys(&["b"])), Ok(keys(&["B"])));
    }

    #[test]
    fn an_unknown_key_is_named_without_revealing_the_answer() {
        let q = question(QuestionType::SingleChoice, &["A", "B"], &["B"]);
        let error = resolve_choice_keys(&q, &keys(&["E"])).expect_err("E is not a choice");
        assert_eq!(
            error.to_string(),
            "choice key \"E\" is not one of the question's choices (A, B)"
        );
    }

    #[test]
    fn single_choice_and_true_false_take_one_key() {
        for question_type in [QuestionType::SingleChoice, QuestionType::TrueFalse] {
            let q = question(question_type, &["true", "false"], &["true"]);
            assert!(matches!(
                resolve_choice_keys(&q, &keys(&["true", "false"])),
                Err(InvalidAnswer::TooManyKeys { count: 2, .. })
            ));
        }
    }

    #[test]
    fn multiple_choice_earns_partial_credit_for_a_subset() {
        let q = question(
            QuestionType::MultipleChoice,
            &["A", "B", "C", "D"],
            &["A", "B", "C"],
        );
        let grade = grade(&q, &keys(&["A", "B"]));
        assert!(!grade.correct);
        assert!((grade.score - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn multiple_choice_loses_credit_for_wrong_picks() {
        let q = question(
            QuestionType::MultipleChoice,
            &["A", "B", "C", "D"],
            &["A", "B"],
        );
        assert_eq!(
            grade(&q, &keys(&["A", "C"])),
            Grade {
                correct: false,
                score: 0.0
            }
        );
        assert_eq!(grade(&q, &keys(&["A", "B", "C", "D"])).score, 0.0);
    }

    #[test]
    fn the_exact_set_is_correct_in_any_order() {
        let q = question(QuestionType::MultipleChoice, &["A", "B", "C"], &["A", "C"]);
        assert_eq!(
            grade(&q, &keys(&["C", "A"])),
            Grade {
                correct: true,
                score: 1.0
            }
        );
    }

    proptest! {
        #[test]
        fn scores_stay_between_zero_and_one_and_are_one_only_when_correct(
            correct_mask in 1u8..16,
            chosen_mask in 1u8..16,
        ) {
            let all = ["A", "B", "C", "D"];
            let pick = |mask: u8| -> Vec<&str> {
                all.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, k)| *k).collect()
            };
            let q = question(QuestionType::MultipleChoice, &all, &pick(correct_mask));
            let grade = grade(&q, &keys(&pick(chosen_mask)));
            prop_assert!((0.0..=1.0).contains(&grade.score));
            prop_assert_eq!(grade.correct, correct_mask == chosen_mask);
            prop_assert_eq!(grade.score == 1.0, grade.correct);
        }

        #[test]
        fn key_normalisation_is_idempotent_and_ignores_case_and_padding(key in "[ -~]{0,12}") {
            let once = normalise_choice_key(&key);
            prop_assert_eq!(normalise_choice_key(&once), once.clone());
            prop_assert_eq!(normalise_choice_key(&format!("  {}\t", key.to_uppercase())), normalise_choice_key(&key.to_lowercase()));
        }
    }
}
