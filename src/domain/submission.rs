//! A submitted answer, validated before it reaches storage, and the attempt it
//! becomes once graded and recorded.

use std::{collections::HashSet, time::SystemTime};

use super::{
    limits,
    question::normalise_choice_key,
    validation::{FieldError, check_optional_token, check_question_id},
};

/// A SubmitAnswer request whose fields are individually valid. Whether the keys
/// fit the question is only known once the question is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The question answered.
    pub question_id: String,
    /// The chosen keys, trimmed, non-empty and distinct ignoring case.
    pub choice_keys: Vec<String>,
    /// Who answered, opaque to the server.
    pub respondent_id: Option<String>,
    /// Idempotency key: the same id always gets the same response.
    pub request_id: Option<String>,
}

impl Submission {
    /// Validates each field on its own, naming the first that is at fault.
    pub fn new(
        question_id: String,
        choice_keys: Vec<String>,
        respondent_id: String,
        request_id: String,
    ) -> Result<Self, FieldError> {
        check_question_id("question_id", &question_id)?;
        let choice_keys = check_choice_keys(choice_keys)?;
        let respondent_id = check_optional_token(
            "respondent_id",
            respondent_id,
            limits::RESPONDENT_ID_MAX_CHARS,
        )?;
        let request_id =
            check_optional_token("request_id", request_id, limits::REQUEST_ID_MAX_CHARS)?;
        Ok(Self {
            question_id,
            choice_keys,
            respondent_id,
            request_id,
        })
    }

    /// Whether `recorded` was graded for this very request: a retry carries
    /// the same question, keys (in any order or case) and respondent.
    pub fn matches(&self, recorded: &GradedAnswer) -> bool {
        let normalised = |keys: &[String]| -> HashSet<String> {
            keys.iter().map(|k| normalise_choice_key(k)).collect()
        };
        self.question_id == recorded.question_id
            && self.respondent_id == recorded.respondent_id
            && normalised(&self.choice_keys) == normalised(&recorded.choice_keys)
    }
}

fn check_choice_keys(choice_keys: Vec<String>) -> Result<Vec<String>, FieldError> {
    if choice_keys.is_empty() {
        return Err(FieldError::new(
            "choice_keys",
            "must name at least one choice key",
        ));
    }
    // A question has at most CHOICES_MAX choices, so more distinct keys than
    // that cannot all be valid: reject them before any lookup.
    if choice_keys.len() > limits::CHOICES_MAX {
        return Err(FieldError::new(
            "choice_keys",
            format!("at most {} choice keys are allowed", limits::CHOICES_MAX),
        ));
    }
    let mut seen = HashSet::new();
    let mut trimmed_keys = Vec::with_capacity(choice_keys.len());
    for (index, key) in choice_keys.iter().enumerate() {
        let field = format!("choice_keys[{index}]");
        let trimmed = key.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if trimmed.chars().count() > limits::CHOICE_KEY_MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!(
                    "must be at most {} characters",
                    limits::CHOICE_KEY_MAX_CHARS
                ),
            ));
        }
        if !seen.insert(normalise_choice_key(trimmed)) {
            return Err(FieldError::new(
                field,
                format!("duplicate choice key {trimmed:?} (keys ignore case)"),
            ));
        }
        trimmed_keys.push(trimmed.to_owned());
    }
    Ok(trimmed_keys)
}

/// A graded submission, ready to record. Everything the response carries is
/// here, so a retried request can be answered from the record alone.
#[derive(Debug, Clone, PartialEq)]
pub struct GradedAnswer {
    /// The question answered.
    pub question_id: String,
    /// The question's revision the answer was graded against.
    pub question_revision: i64,
    /// The chosen keys, spelled as the question spells them.
    pub choice_keys: Vec<String>,
    /// Whether the answer was exactly right.
    pub correct: bool,
    /// From 0.0 to 1.0.
    pub score: f64,
    /// The answer key at grading time.
    pub correct_choice_keys: Vec<String>,
    /// The explanation at grading time.
    pub explanation: String,
    /// Who answered.
    pub respondent_id: Option<String>,
    /// The idempotency key, if the caller sent one.
    pub request_id: Option<String>,
    /// When the answer was graded.
    pub submit_time: SystemTime,
}

/// A recorded attempt: a graded answer with the id storage gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Assigned by storage: opaque, and unique beyond one database.
    pub id: String,
    /// What was recorded.
    pub answer: GradedAnswer,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(keys: &[&str]) -> Result<Submission, FieldError> {
        Submission::new(
            "llm-001".into(),
            keys.iter().map(|key| (*key).into()).collect(),
            String::new(),
            String::new(),
        )
    }

    #[test]
    fn keys_are_trimmed_and_empty_ids_mean_absent() {
        let submission = submission(&[" C "]).expect("valid");
        assert_eq!(submission.choice_keys, ["C"]);
        assert_eq!(submission.respondent_id, None);
        assert_eq!(submission.request_id, None);
    }

    #[test]
    fn duplicate_keys_are_named_by_index() {
        let error = submission(&["a", " A"]).expect_err("duplicate");
        assert_eq!(error.field, "choice_keys[1]");
    }

    #[test]
    fn no_keys_and_blank_keys_are_rejected() {
        assert_eq!(submission(&[]).expect_err("empty").field, "choice_keys");
        assert_eq!(
            submission(&["A", "  "]).expect_err("blank").field,
            "choice_keys[1]"
        );
    }
}
