//! Field checks shared by everything that accepts text from outside: requests,
//! bank files, and (later) authoring.

use super::limits;

/// One field at fault and why. Becomes `INVALID_ARGUMENT` with a
/// `google.rpc.BadRequest` naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field's name as the caller knows it, e.g. `choice_keys[1]`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    /// A fault in `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Identifiers (ids, categories, tags, keys) are short, non-empty and free of
/// whitespace and control characters, so they survive URLs, shells and tables.
pub fn check_identifier(field: &str, value: &str, max_chars: usize) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    check_length(field, value, max_chars)?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

/// A question id as a request names it.
pub fn check_question_id(field: &str, id: &str) -> Result<(), FieldError> {
    check_identifier(field, id, limits::QUESTION_ID_MAX_CHARS)
}

/// Free text (stems, explanations) must say something and stay bounded.
pub fn check_text(field: &str, value: &str, max_chars: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be blank"));
    }
    check_length(field, value, max_chars)
}

/// Opaque caller-chosen tokens (`respondent_id`, `request_id`): empty means
/// absent, otherwise they are stored as sent, so they must be printable.
pub fn check_optional_token(
    field: &str,
    value: String,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    if value.is_empty() {
        return Ok(None);
    }
    check_length(field, &value, max_chars)?;
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value))
}

/// Limits count characters, not bytes, so a Chinese text gets the same room
/// as an English one.
pub fn check_length(field: &str, value: &str, max_chars: usize) -> Result<(), FieldError> {
    // The byte length bounds the character count from above: skip counting
    // for the common short value.
    if value.len() > max_chars && value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(())
}
