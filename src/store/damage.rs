//! Damaged stored data, logged once per question.
//!
//! A damaged question (a card that does not decode, columns that break the
//! schema's rules) is left out of listings or answered DATA_LOSS alone, on
//! every call that meets it. An error line for each such call would flood
//! the log with one fact; one line per question and kind of damage says it.

use std::{
    collections::HashSet,
    sync::{Mutex, PoisonError},
};

/// Questions beyond this many are still served as damaged, but no longer
/// logged: a badly damaged file must not grow this set without bound.
const REPORTED_MAX: usize = 1024;

/// The questions whose damage was logged.
#[derive(Debug, Default)]
pub(super) struct DamageReports {
    reported: Mutex<HashSet<(&'static str, String)>>,
}

impl DamageReports {
    /// Logs that the stored row of `question_id` does not decode, and why.
    pub(super) fn report_row(&self, question_id: &str, cause: &(dyn std::error::Error + 'static)) {
        self.report(question_id, "row", &crate::error::error_chain(cause));
    }

    /// Logs that `what` of `question_id` is damaged, the first time only.
    pub(super) fn report(
        &self,
        question_id: &str,
        what: &'static str,
        cause: &dyn std::fmt::Display,
    ) {
        let mut reported = self.reported.lock().unwrap_or_else(PoisonError::into_inner);
        if reported.len() < REPORTED_MAX && reported.insert((what, question_id.to_owned())) {
            tracing::error!(
                question_id,
                error = %cause,
                "the stored {what} of this question is damaged; it is served from its columns \
                 where they are intact, else answered DATA_LOSS"
            );
        }
    }
}
