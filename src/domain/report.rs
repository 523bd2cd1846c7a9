//! Reports of problems with questions: why a question is reported, where a
//! report stands, and the checks a report and its resolution pass before
//! anything is stored.

use std::time::{Duration, SystemTime};

use super::{
    limits,
    validation::{
        FieldError, check_identifier, check_length, check_optional_token, check_question_id,
    },
};

/// Why a question is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    /// The answer key is wrong.
    WrongAnswer,
    /// More than one answer could be right, or none.
    Ambiguous,
    /// A typo or a formatting problem.
    Typo,
    /// No longer true.
    Outdated,
    /// Something else, said in the comment.
    Other,
}

impl ReportReason {
    /// The reason's name in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongAnswer => "wrong_answer",
            Self::Ambiguous => "ambiguous",
            Self::Typo => "typo",
            Self::Outdated => "outdated",
            Self::Other => "other",
        }
    }

    /// The reason [`ReportReason::as_str`] names.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::WrongAnswer,
            Self::Ambiguous,
            Self::Typo,
            Self::Outdated,
            Self::Other,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == name)
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportState {
    /// Not yet looked at.
    Open,
    /// Resolved by an author.
    Resolved,
}

impl ReportState {
    /// The state's name in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }

    /// The state [`ReportState::as_str`] names.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Open, Self::Resolved]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

/// A ReportQuestion request whose fields are individually valid. Whether the
/// question is live is only known once it is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// The question reported.
    pub question_id: String,
    /// Why.
    pub reason: ReportReason,
    /// What the reporter says; may be empty.
    pub comment: String,
    /// Who reports, opaque to the server.
    pub respondent_id: Option<String>,
    /// Idempotency key: the same id always gets the same report.
    pub request_id: Option<String>,
}

impl NewReport {
    /// Validates each field on its own, naming the first that is at fault.
    /// The reason is required before this (the transport knows "unset").
    pub fn new(
        question_id: String,
        reason: ReportReason,
        comment: String,
        respondent_id: String,
        request_id: String,
    ) -> Result<Self, FieldError> {
        check_question_id("question_id", &question_id)?;
        check_length("comment", &comment, limits::REPORT_TEXT_MAX_CHARS)?;
        // The same rules as a submission's, so a client can send the ids it
        // already sends with its answers.
        let respondent_id = check_optional_token(
            "respondent_id",
            respondent_id,
            limits::RESPONDENT_ID_MAX_CHARS,
        )?;
        let request_id =
            check_optional_token("request_id", request_id, limits::REQUEST_ID_MAX_CHARS)?;
        Ok(Self {
            question_id,
            reason,
            comment,
            respondent_id,
            request_id,
        })
    }

    /// Whether `recorded` was filed for this very request: a retry carries
    /// the same question, reason, comment and respondent.
    pub fn matches(&self, recorded: &QuestionReport) -> bool {
        self.question_id == recorded.question_id
            && self.reason == recorded.reason
            && self.comment == recorded.comment
            && self.respondent_id == recorded.respondent_id
    }

    /// The report as filed under `id`: open, about `question_revision`, at
    /// `create_time`.
    pub fn filed(
        &self,
        id: String,
        question_revision: i64,
        create_time: SystemTime,
    ) -> QuestionReport {
        QuestionReport {
            id,
            question_id: self.question_id.clone(),
            question_revision,
            reason: self.reason,
            comment: self.comment.clone(),
            respondent_id: self.respondent_id.clone(),
            request_id: self.request_id.clone(),
            state: ReportState::Open,
            create_time,
            resolution_note: String::new(),
        }
    }
}

/// A report as it is stored. Everything the response carries is here, so a
/// retried request can be answered from the record alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionReport {
    /// Opaque and unique beyond one database (a UUIDv7).
    pub id: String,
    /// The question reported.
    pub question_id: String,
    /// The question's revision when it was reported: what the reporter saw.
    pub question_revision: i64,
    /// Why.
    pub reason: ReportReason,
    /// What the reporter said.
    pub comment: String,
    /// Who reported; `None` when anonymous.
    pub respondent_id: Option<String>,
    /// The idempotency key, if the reporter sent one.
    pub request_id: Option<String>,
    /// Open or resolved.
    pub state: ReportState,
    /// When it was reported.
    pub create_time: SystemTime,
    /// What the author said on resolving it; empty while open.
    pub resolution_note: String,
}

impl QuestionReport {
    /// Where a listing that ends with this report resumes.
    pub fn position(&self) -> ReportPosition {
        ReportPosition {
            create_time: self.create_time,
            id: self.id.clone(),
        }
    }
}

/// Which reports to list. Unset fields match every report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Only reports about this question.
    pub question_id: Option<String>,
    /// Only reports in this state.
    pub state: Option<ReportState>,
}

impl ReportFilter {
    /// Validates the filter; an empty question id means any question.
    pub fn new(question_id: String, state: Option<ReportState>) -> Result<Self, FieldError> {
        let question_id = (!question_id.is_empty()).then_some(question_id);
        if let Some(question_id) = &question_id {
            check_question_id("question_id", question_id)?;
        }
        Ok(Self { question_id, state })
    }

    /// A canonical byte encoding: equal filters, and only those, encode
    /// equally. Question ids hold no control characters, so a NUL cannot be
    /// part of one and separates the fields unambiguously.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut bytes = self
            .question_id
            .as_deref()
            .unwrap_or("")
            .as_bytes()
            .to_vec();
        bytes.push(0);
        bytes.extend_from_slice(self.state.map_or("", ReportState::as_str).as_bytes());
        bytes
    }
}

/// Where a page of reports (newest first) ends: its last report's create
/// time and id. The next page holds the reports before it in that order, so
/// reports filed meanwhile neither shift nor repeat entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPosition {
    /// The last report's create time.
    pub create_time: SystemTime,
    /// The last report's id, which breaks ties between equal times.
    pub id: String,
}

impl ReportPosition {
    /// The position as text, for a page token: `<unix micros>/<id>`.
    pub fn encode(&self) -> String {
        let micros = self
            .create_time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_micros());
        format!("{micros}/{}", self.id)
    }

    /// The position [`ReportPosition::encode`] wrote.
    pub fn decode(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('/')?;
        Some(Self {
            create_time: SystemTime::UNIX_EPOCH + Duration::from_micros(micros.parse().ok()?),
            id: id.to_owned(),
        })
    }
}

/// A ResolveQuestionReport request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The report to resolve.
    pub report_id: String,
    /// What was done about it; may be empty.
    pub note: String,
}

impl Resolution {
    /// Validates the id and the note.
    pub fn new(report_id: String, note: String) -> Result<Self, FieldError> {
        check_identifier("id", &report_id, limits::REPORT_ID_MAX_CHARS)?;
        check_length("resolution_note", &note, limits::REPORT_TEXT_MAX_CHARS)?;
        Ok(Self { report_id, note })
    }
}

/// Why a report was not resolved; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveRefused {
    /// No report has this id.
    #[error("report {0:?} does not exist")]
    NotFound(String),
    /// The report was resolved before.
    #[error("report {0:?} is already resolved")]
    AlreadyResolved(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(comment: &str, respondent_id: &str) -> Result<NewReport, FieldError> {
        NewReport::new(
            "llm-001".into(),
            ReportReason::Typo,
            comment.into(),
            respondent_id.into(),
            String::new(),
        )
    }

    #[test]
    fn names_round_trip_through_storage() {
        for reason in [
            ReportReason::WrongAnswer,
            ReportReason::Ambiguous,
            ReportReason::Typo,
            ReportReason::Outdated,
            ReportReason::Other,
        ] {
            assert_eq!(ReportReason::parse(reason.as_str()), Some(reason));
        }
        for state in [ReportState::Open, ReportState::Resolved] {
            assert_eq!(ReportState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ReportReason::parse("WRONG_ANSWER"), None);
    }

    #[test]
    fn a_comment_is_limited_in_characters_not_bytes() {
        let longest = "错".repeat(limits::REPORT_TEXT_MAX_CHARS);
        assert!(report(&longest, "").is_ok());
        let error = report(&format!("{longest}x"), "").expect_err("too long");
        assert_eq!(error.field, "comment");
    }

    #[test]
    fn an_empty_respondent_means_anonymous_and_control_characters_are_refused() {
        assert_eq!(report("", "").expect("valid").respondent_id, None);
        let error = report("", "a\u{7}b").expect_err("control character");
        assert_eq!(error.field, "respondent_id");
    }

    #[test]
    fn a_retry_matches_only_the_same_report() {
        let request = report("typo in choice B", "r-1").expect("valid");
        let recorded = request.filed("id".into(), 2, SystemTime::UNIX_EPOCH);
        let other_comment = report("typo in choice C", "r-1").expect("valid");
        let other_respondent = report("typo in choice B", "r-2").expect("valid");

        assert!(request.matches(&recorded));
        assert!(!other_comment.matches(&recorded));
        assert!(!other_respondent.matches(&recorded));
    }

    #[test]
    fn a_position_round_trips_at_microsecond_precision() {
        let position = ReportPosition {
            create_time: SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456),
            id: "0190a1b2-0000-7000-8000-000000000000".into(),
        };
        assert_eq!(ReportPosition::decode(&position.encode()), Some(position));
        assert_eq!(ReportPosition::decode("garbage"), None);
    }

    #[test]
    fn filters_encode_apart() {
        let by_question = ReportFilter::new("open".into(), None).expect("valid");
        let by_state = ReportFilter::new(String::new(), Some(ReportState::Open)).expect("valid");
        assert_ne!(by_question.canonical_bytes(), by_state.canonical_bytes());
    }
}
