//! Conversion between protobuf messages and domain types: the one place that
//! knows both. Incoming messages are destructured completely, so a field added
//! to the proto breaks the build here instead of being ignored.

use std::{
    sync::LazyLock,
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use prost::Message as _;
use sha2::{Digest as _, Sha256};

use super::wire;
use crate::{
    bank::{Answered, ImportCounts, ListPage, ListQuery, Search},
    domain::{
        authoring::QuestionEdit,
        bank_formats::{BankFormat, Exported, ImportDefaults},
        card::{Card, CardFormat},
        counts::{CategoryCount, TagCount},
        draw::{DrawQuery, Drawn, draw_count},
        language::PreferredLanguages,
        limits,
        listing::{QuestionFilter, page_size},
        question::{AnswerKey, Choice, Difficulty, Question, QuestionType, Translation},
        report::{NewReport, QuestionReport, ReportFilter, ReportReason, ReportState, Resolution},
        search::SearchQuery,
        statistics::{GroupStats, QuestionStats, RespondentStats},
        submission::Submission,
        validation::{
            FieldError, check_identifier, check_length, check_optional_token, check_question_id,
        },
    },
    error::Error,
    pb,
};

/// How much of a question to send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Without the answer key.
    Basic,
    /// With the answer key; needs the admin token.
    Full,
}

/// A GetQuestion request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetQuestion {
    /// The question's id.
    pub id: String,
    /// The view asked for.
    pub view: View,
    /// An earlier revision, or `None` for the current one.
    pub revision: Option<i64>,
    /// The languages to serve it in.
    pub languages: PreferredLanguages,
}

/// A CreateQuestion request, validated: the new question, at revision 1.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateQuestion(pub Question);

/// An UpdateQuestion request, validated field by field (the question it
/// leaves is validated whole when it is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateQuestion {
    /// The question to change.
    pub id: String,
    /// The revision the change is based on; 0 means any.
    pub expected_revision: i64,
    /// What changes.
    pub edit: QuestionEdit,
}

/// A DeleteQuestion request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteQuestion {
    /// The question to hide.
    pub id: String,
    /// The revision the deletion is based on; 0 means any.
    pub expected_revision: i64,
}

/// A ListQuestionRevisions request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRevisions {
    /// The question.
    pub id: String,
    /// At most this many revisions.
    pub page_size: usize,
    /// The previous page's token; empty for the first page.
    pub page_token: String,
}

/// The server picks the id of a question created without one: `q-` and the
/// 32 hex digits of a UUIDv7, unique beyond one database.
fn new_question_id() -> String {
    format!("q-{}", uuid::Uuid::now_v7().simple())
}

/// The paths UpdateQuestion's `update_mask` may name (AIP-134).
const UPDATE_MASK_PATHS: &[&str] = &[
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

impl TryFrom<pb::CreateQuestionRequest> for CreateQuestion {
    type Error = Error;

    fn try_from(request: pb::CreateQuestionRequest) -> Result<Self, Error> {
        let pb::CreateQuestionRequest {
            question,
            question_id,
        } = request;
        let question = question.ok_or_else(|| FieldError::new("question", "is required"))?;
        let id = match (question_id.is_empty(), question.id.is_empty()) {
            (true, true) => new_question_id(),
            (false, true) => question_id,
            (true, false) => question.id.clone(),
            (false, false) if question.id == question_id => question_id,
            (false, false) => {
                return Err(
                    FieldError::new("question.id", "must be empty or equal question_id").into(),
                );
            }
        };
        check_question_id("question_id", &id)?;
        let now = SystemTime::now();
        let question = new_question_from_proto(question, id, now)?;
        question
            .validate()
            .map_err(|FieldError { field, reason }| {
                FieldError::new(format!("question.{field}"), reason)
            })?;
        Ok(Self(question))
    }
}

/// A new question from its message: every content field is required;
/// revision and times are the server's.
fn new_question_from_proto(
    question: pb::Question,
    id: String,
    now: SystemTime,
) -> Result<Question, FieldError> {
    let pb::Question {
        id: _,
        r#type,
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
        // Output only: the languages follow from the translations.
        available_languages: _,
    } = question;
    let answer = answer.ok_or_else(|| FieldError::new("question.answer", "is required"))?;
    Ok(Question {
        id,
        question_type: required_question_type(r#type)?,
        stem,
        choices: choices_from_proto(choices),
        difficulty: required_difficulty(difficulty)?,
        category,
        tags,
        language,
        revision: 1,
        create_time: now,
        update_time: now,
        answer: answer_from_proto(answer),
        translations: translations_from_proto(translations),
    })
}

fn translations_from_proto(translations: Vec<pb::QuestionTranslation>) -> Vec<Translation> {
    translations
        .into_iter()
        .map(
            |pb::QuestionTranslation {
                 language,
                 stem,
                 choices,
                 explanation,
             }| Translation {
                language,
                stem,
                choices: choices_from_proto(choices),
                explanation,
            },
        )
        .collect()
}

fn choices_to_proto(choices: Vec<Choice>) -> Vec<pb::Choice> {
    choices
        .into_iter()
        .map(|choice| pb::Choice {
            key: choice.key,
            text: choice.text,
        })
        .collect()
}

fn required_question_type(value: i32) -> Result<QuestionType, FieldError> {
    question_type_from_proto(value)
        .map_err(|error| FieldError::new("question.type", error.reason))?
        .ok_or_else(|| FieldError::new("question.type", "is required"))
}

fn required_difficulty(value: i32) -> Result<Difficulty, FieldError> {
    difficulty_from_proto(value)
        .map_err(|error| FieldError::new("question.difficulty", error.reason))?
        .ok_or_else(|| FieldError::new("question.difficulty", "is required"))
}

fn choices_from_proto(choices: Vec<pb::Choice>) -> Vec<Choice> {
    choices
        .into_iter()
        .map(|pb::Choice { key, text }| Choice { key, text })
        .collect()
}

fn answer_from_proto(answer: pb::AnswerKey) -> AnswerKey {
    let pb::AnswerKey {
        correct_choice_keys,
        explanation,
    } = answer;
    AnswerKey {
        correct_choice_keys,
        explanation,
    }
}

impl TryFrom<pb::UpdateQuestionRequest> for UpdateQuestion {
    type Error = Error;

    fn try_from(request: pb::UpdateQuestionRequest) -> Result<Self, Error> {
        let pb::UpdateQuestionRequest {
            question,
            update_mask,
            expected_revision,
        } = request;
        let question = question.ok_or_else(|| FieldError::new("question", "is required"))?;
        check_question_id("question.id", &question.id)?;
        check_expected_revision(expected_revision)?;
        let paths = update_mask.map(|mask| mask.paths).unwrap_or_default();
        if let Some(unknown) = paths
            .iter()
            .find(|path| !UPDATE_MASK_PATHS.contains(&path.as_str()))
        {
            return Err(FieldError::new(
                "update_mask",
                format!(
                    "unknown path {unknown:?}; the paths are {}",
                    UPDATE_MASK_PATHS.join(", ")
                ),
            )
            .into());
        }
        let pb::Question {
            id,
            r#type,
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
            available_languages: _,
        } = question;
        // An empty mask means every field the message sets (AIP-134).
        let named = |path: &str, set: bool| {
            if paths.is_empty() {
                set
            } else {
                paths.iter().any(|named| named == path)
            }
        };
        let edit = QuestionEdit {
            question_type: named("type", r#type != 0)
                .then(|| required_question_type(r#type))
                .transpose()?,
            stem: named("stem", !stem.is_empty()).then_some(stem),
            choices: named("choices", !choices.is_empty()).then(|| choices_from_proto(choices)),
            answer: named("answer", answer.is_some())
                .then(|| {
                    answer
                        .map(answer_from_proto)
                        .ok_or_else(|| FieldError::new("question.answer", "is required"))
                })
                .transpose()?,
            difficulty: named("difficulty", difficulty != 0)
                .then(|| required_difficulty(difficulty))
                .transpose()?,
            category: named("category", !category.is_empty()).then_some(category),
            tags: named("tags", !tags.is_empty()).then_some(tags),
            language: named("language", !language.is_empty()).then_some(language),
            translations: named("translations", !translations.is_empty())
                .then(|| translations_from_proto(translations)),
        };
        Ok(Self {
            id,
            expected_revision,
            edit,
        })
    }
}

fn check_expected_revision(expected_revision: i64) -> Result<(), FieldError> {
    if expected_revision < 0 {
        return Err(FieldError::new("expected_revision", "must not be negative"));
    }
    Ok(())
}

impl TryFrom<pb::DeleteQuestionRequest> for DeleteQuestion {
    type Error = Error;

    fn try_from(request: pb::DeleteQuestionRequest) -> Result<Self, Error> {
        let pb::DeleteQuestionRequest {
            id,
            expected_revision,
        } = request;
        check_question_id("id", &id)?;
        check_expected_revision(expected_revision)?;
        Ok(Self {
            id,
            expected_revision,
        })
    }
}

/// An UndeleteQuestion request, validated: the question's id.
pub fn undelete_id(request: pb::UndeleteQuestionRequest) -> Result<String, Error> {
    let pb::UndeleteQuestionRequest { id } = request;
    check_question_id("id", &id)?;
    Ok(id)
}

impl TryFrom<pb::ListQuestionRevisionsRequest> for ListRevisions {
    type Error = Error;

    fn try_from(request: pb::ListQuestionRevisionsRequest) -> Result<Self, Error> {
        let pb::ListQuestionRevisionsRequest {
            id,
            page_size: requested_page_size,
            page_token,
        } = request;
        check_question_id("id", &id)?;
        check_length("page_token", &page_token, limits::PAGE_TOKEN_MAX_CHARS)?;
        Ok(Self {
            id,
            page_size: page_size(requested_page_size)?,
            page_token,
        })
    }
}

/// What the first message of an ImportQuestions upload sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportHeader {
    /// The file's format.
    pub format: BankFormat,
    /// Count, change nothing.
    pub dry_run: bool,
    /// What the format cannot say.
    pub defaults: ImportDefaults,
}

/// The category of imported questions whose format gives none.
pub const DEFAULT_IMPORT_CATEGORY: &str = "imported";
/// BCP-47 for "undetermined": the language of imported questions whose
/// format has none, unless the upload says.
pub const DEFAULT_IMPORT_LANGUAGE: &str = "und";

/// The header of an upload, from its first message (the caller keeps its
/// content).
pub fn import_header(first: &pb::ImportQuestionsRequest) -> Result<ImportHeader, Error> {
    let pb::ImportQuestionsRequest {
        content: _,
        format,
        dry_run,
        default_category,
        default_difficulty,
        default_language,
    } = first;
    let or_default = |value: &str, default: &str| {
        if value.is_empty() {
            default.to_owned()
        } else {
            value.to_owned()
        }
    };
    let category = or_default(default_category, DEFAULT_IMPORT_CATEGORY);
    check_identifier("default_category", &category, limits::CATEGORY_MAX_CHARS)?;
    let language = or_default(default_language, DEFAULT_IMPORT_LANGUAGE);
    check_identifier("default_language", &language, limits::LANGUAGE_MAX_CHARS)?;
    let difficulty = difficulty_from_proto(*default_difficulty)
        .map_err(|error| FieldError::new("default_difficulty", error.reason))?
        .unwrap_or(Difficulty::Medium);
    Ok(ImportHeader {
        format: bank_format_from_proto(*format)?,
        dry_run: *dry_run,
        defaults: ImportDefaults {
            category,
            difficulty,
            language,
        },
    })
}

fn bank_format_from_proto(value: i32) -> Result<BankFormat, FieldError> {
    match pb::BankFormat::try_from(value) {
        Ok(pb::BankFormat::Toml) => Ok(BankFormat::Toml),
        Ok(pb::BankFormat::Json) => Ok(BankFormat::Json),
        Ok(pb::BankFormat::Gift) => Ok(BankFormat::Gift),
        Ok(pb::BankFormat::Aiken) => Ok(BankFormat::Aiken),
        Ok(pb::BankFormat::Unspecified) => Err(FieldError::new("format", "is required")),
        Err(_) => Err(unknown_enum_value("format", value)),
    }
}

impl From<ImportCounts> for pb::ImportQuestionsResponse {
    fn from(counts: ImportCounts) -> Self {
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            created: count(counts.created),
            updated: count(counts.updated),
            unchanged: count(counts.unchanged),
            skipped: count(counts.skipped),
        }
    }
}

/// An ExportQuestions request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportQuestions {
    /// The file's format.
    pub format: BankFormat,
    /// Which questions.
    pub filter: QuestionFilter,
}

impl TryFrom<pb::ExportQuestionsRequest> for ExportQuestions {
    type Error = Error;

    fn try_from(request: pb::ExportQuestionsRequest) -> Result<Self, Error> {
        let pb::ExportQuestionsRequest {
            format,
            category,
            tags,
            difficulty,
            r#type,
            language,
        } = request;
        Ok(Self {
            format: bank_format_from_proto(format)?,
            filter: filter_from_proto(category, tags, difficulty, r#type, language)?,
        })
    }
}

/// Bytes of the file in each ExportQuestions message: well under any
/// client's message limit.
const EXPORT_CHUNK_BYTES: usize = 32 * 1024;

/// An exported file as the messages of its stream; the last one lists what
/// the format could not express.
pub fn export_to_proto(exported: Exported) -> Vec<pb::ExportQuestionsResponse> {
    let Exported { text, omitted } = exported;
    let bytes = Bytes::from(text.into_bytes());
    let mut chunks: Vec<pb::ExportQuestionsResponse> = (0..bytes.len())
        .step_by(EXPORT_CHUNK_BYTES)
        .map(|start| pb::ExportQuestionsResponse {
            content: bytes
                .slice(start..(start + EXPORT_CHUNK_BYTES).min(bytes.len()))
                .to_vec(),
            omitted: Vec::new(),
        })
        .collect();
    if chunks.is_empty() {
        chunks.push(pb::ExportQuestionsResponse::default());
    }
    if let Some(last) = chunks.last_mut() {
        last.omitted = omitted
            .into_iter()
            .map(|omission| format!("{}: {}", omission.question_id, omission.reason))
            .collect();
    }
    chunks
}

/// A page of revisions, each in the FULL view.
pub fn revisions_to_proto(page: ListPage<Question>) -> pb::ListQuestionRevisionsResponse {
    let ListPage {
        entries,
        next_page_token,
        total_size: _,
    } = page;
    pb::ListQuestionRevisionsResponse {
        revisions: entries
            .into_iter()
            .map(|question| question_to_proto(question, View::Full, &PreferredLanguages::none()))
            .collect(),
        next_page_token: next_page_token.unwrap_or_default(),
    }
}

/// A ListQuestions request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuestions {
    /// The domain query.
    pub query: ListQuery,
    /// The view asked for.
    pub view: View,
    /// The languages to serve the questions in.
    pub languages: PreferredLanguages,
}

impl TryFrom<pb::GetQuestionRequest> for GetQuestion {
    type Error = Error;

    fn try_from(request: pb::GetQuestionRequest) -> Result<Self, Error> {
        let pb::GetQuestionRequest {
            id,
            view,
            revision,
            preferred_languages,
        } = request;
        check_question_id("id", &id)?;
        let revision = match revision {
            0 => None,
            revision if revision < 0 => {
                return Err(FieldError::new("revision", "must not be negative").into());
            }
            revision => Some(revision),
        };
        Ok(Self {
            id,
            view: view_from_proto(view)?,
            revision,
            languages: PreferredLanguages::new("preferred_languages", preferred_languages)?,
        })
    }
}

impl TryFrom<pb::ListQuestionsRequest> for ListQuestions {
    type Error = Error;

    fn try_from(request: pb::ListQuestionsRequest) -> Result<Self, Error> {
        let pb::ListQuestionsRequest {
            page_size: requested_page_size,
            page_token,
            category,
            tags,
            difficulty,
            r#type,
            language,
            view,
            preferred_languages,
            query,
        } = request;
        check_length("page_token", &page_token, limits::PAGE_TOKEN_MAX_CHARS)?;
        let view = view_from_proto(view)?;
        let search = SearchQuery::parse(&query)?.map(|query| Search {
            query,
            explanations: view == View::Full,
        });
        let filter = filter_from_proto(category, tags, difficulty, r#type, language)?;
        Ok(Self {
            query: ListQuery {
                filter,
                search,
                page_size: page_size(requested_page_size)?,
                page_token,
            },
            view,
            languages: PreferredLanguages::new("preferred_languages", preferred_languages)?,
        })
    }
}

/// A SubmitAnswer request, validated.
#[derive(Debug)]
pub struct SubmitAnswer {
    /// The answer.
    pub submission: Submission,
    /// The languages to explain it in.
    pub languages: PreferredLanguages,
}

impl TryFrom<pb::SubmitAnswerRequest> for SubmitAnswer {
    type Error = Error;

    fn try_from(request: pb::SubmitAnswerRequest) -> Result<Self, Error> {
        let pb::SubmitAnswerRequest {
            question_id,
            choice_keys,
            respondent_id,
            request_id,
            preferred_languages,
        } = request;
        Ok(Self {
            submission: Submission::new(question_id, choice_keys, respondent_id, request_id)?,
            languages: PreferredLanguages::new("preferred_languages", preferred_languages)?,
        })
    }
}

/// A BatchGetQuestions request, validated.
#[derive(Debug)]
pub struct BatchGet {
    /// 1 to 100 ids, in the order to answer them.
    pub ids: Vec<String>,
    /// The view asked for.
    pub view: View,
    /// The languages to serve them in.
    pub languages: PreferredLanguages,
}

impl TryFrom<pb::BatchGetQuestionsRequest> for BatchGet {
    type Error = Error;

    fn try_from(request: pb::BatchGetQuestionsRequest) -> Result<Self, Error> {
        let pb::BatchGetQuestionsRequest {
            ids,
            view,
            preferred_languages,
        } = request;
        if ids.is_empty() || ids.len() > limits::BATCH_IDS_MAX {
            return Err(FieldError::new(
                "ids",
                format!("must name 1 to {} questions", limits::BATCH_IDS_MAX),
            )
            .into());
        }
        for (index, id) in ids.iter().enumerate() {
            check_question_id(&format!("ids[{index}]"), id)?;
        }
        Ok(Self {
            ids,
            view: view_from_proto(view)?,
            languages: PreferredLanguages::new("preferred_languages", preferred_languages)?,
        })
    }
}

/// A DrawQuestions request, validated.
#[derive(Debug)]
pub struct Draw {
    /// The draw.
    pub query: DrawQuery,
    /// The view asked for.
    pub view: View,
    /// The languages to serve the questions in.
    pub languages: PreferredLanguages,
}

impl TryFrom<pb::DrawQuestionsRequest> for Draw {
    type Error = Error;

    fn try_from(request: pb::DrawQuestionsRequest) -> Result<Self, Error> {
        let pb::DrawQuestionsRequest {
            count,
            category,
            tags,
            difficulty,
            r#type,
            language,
            seed,
            respondent_id,
            exclude_answered,
            view,
            preferred_languages,
        } = request;
        let count = draw_count(count)?;
        let filter = filter_from_proto(category, tags, difficulty, r#type, language)?;
        let seed = check_optional_token("seed", seed, limits::SEED_MAX_CHARS)?;
        let respondent_id = check_optional_token(
            "respondent_id",
            respondent_id,
            limits::RESPONDENT_ID_MAX_CHARS,
        )?;
        let excluding_answers_of = match (exclude_answered, respondent_id) {
            (false, _) => None,
            (true, Some(respondent_id)) => Some(respondent_id),
            (true, None) => {
                return Err(
                    FieldError::new("respondent_id", "is required with exclude_answered").into(),
                );
            }
        };
        Ok(Self {
            query: DrawQuery {
                filter,
                count,
                seed,
                excluding_answers_of,
            },
            view: view_from_proto(view)?,
            languages: PreferredLanguages::new("preferred_languages", preferred_languages)?,
        })
    }
}

/// Encoded questions, each in `view` and the caller's language.
pub fn encoded_questions(
    questions: Vec<Question>,
    view: View,
    languages: &PreferredLanguages,
) -> Vec<Bytes> {
    questions
        .into_iter()
        .map(|question| {
            question_to_proto(question, view, languages)
                .encode_to_vec()
                .into()
        })
        .collect()
}

/// Cards, encoded, in the caller's language.
pub fn encoded_cards(cards: &[Card], languages: &PreferredLanguages) -> Vec<Bytes> {
    cards
        .iter()
        .map(|card| card.rendered_for(languages))
        .collect()
}

/// A batch of cards on the wire.
pub fn batch_of_cards(
    cards: &[Card],
    languages: &PreferredLanguages,
) -> wire::BatchGetQuestionsReply {
    wire::BatchGetQuestionsReply {
        questions: encoded_cards(cards, languages),
    }
}

/// A batch of questions on the wire, each in `view`.
pub fn batch_of_questions(
    questions: Vec<Question>,
    view: View,
    languages: &PreferredLanguages,
) -> wire::BatchGetQuestionsReply {
    wire::BatchGetQuestionsReply {
        questions: encoded_questions(questions, view, languages),
    }
}

/// A draw on the wire, its questions already encoded.
pub fn drawn_to_wire(encoded: Vec<Bytes>, drawn: &Drawn) -> wire::DrawQuestionsReply {
    wire::DrawQuestionsReply {
        questions: encoded,
        exhausted: drawn.exhausted,
        available: i32::try_from(drawn.available).unwrap_or(i32::MAX),
    }
}

/// A GetQuestionStats request, validated: the question and revision.
pub fn stats_request(request: pb::GetQuestionStatsRequest) -> Result<(String, i64), Error> {
    let pb::GetQuestionStatsRequest { id, revision } = request;
    check_question_id("id", &id)?;
    if revision < 0 {
        return Err(FieldError::new("revision", "must not be negative").into());
    }
    Ok((id, revision))
}

impl From<QuestionStats> for pb::QuestionStats {
    fn from(stats: QuestionStats) -> Self {
        let QuestionStats {
            question_id,
            revision,
            totals,
            facility,
            mean_score,
            choices,
            discrimination,
        } = stats;
        Self {
            id: question_id,
            revision,
            attempts: count_to_i64(totals.attempts),
            respondents: count_to_i64(totals.respondents),
            first_attempts: count_to_i64(totals.first_attempts),
            facility,
            mean_score,
            choices: choices
                .into_iter()
                .map(|choice| pb::ChoiceStats {
                    key: choice.key,
                    chosen: count_to_i64(choice.chosen),
                    chosen_share: choice.chosen_share,
                })
                .collect(),
            discrimination,
        }
    }
}

/// A GetRespondentStats request, validated: the respondent.
pub fn respondent_stats_request(request: pb::GetRespondentStatsRequest) -> Result<String, Error> {
    let pb::GetRespondentStatsRequest { respondent_id } = request;
    check_optional_token(
        "respondent_id",
        respondent_id,
        limits::RESPONDENT_ID_MAX_CHARS,
    )?
    .ok_or_else(|| FieldError::new("respondent_id", "is required").into())
}

impl From<RespondentStats> for pb::RespondentStats {
    fn from(stats: RespondentStats) -> Self {
        let RespondentStats {
            respondent_id,
            overall,
            attempts,
            by_category,
            by_tag,
        } = stats;
        let groups = |groups: Vec<GroupStats>| -> Vec<pb::GroupStats> {
            groups
                .into_iter()
                .map(|group| pb::GroupStats {
                    name: group.name,
                    questions_answered: count_to_i64(group.questions_answered),
                    correct_share: group.correct_share,
                    mean_score: group.mean_score,
                })
                .collect()
        };
        Self {
            respondent_id,
            questions_answered: count_to_i64(overall.questions_answered),
            attempts: count_to_i64(attempts),
            correct_share: overall.correct_share,
            mean_score: overall.mean_score,
            by_category: groups(by_category),
            by_tag: groups(by_tag),
        }
    }
}

/// Counts fit `int64` on any bank.
fn count_to_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// A ListCategories request, validated: the language filter.
#[derive(Debug)]
pub struct ListCategories {
    /// Only questions available in this language.
    pub language: Option<String>,
}

impl TryFrom<pb::ListCategoriesRequest> for ListCategories {
    type Error = Error;

    fn try_from(request: pb::ListCategoriesRequest) -> Result<Self, Error> {
        let pb::ListCategoriesRequest { language } = request;
        let QuestionFilter { language, .. } =
            QuestionFilter::new(String::new(), Vec::new(), None, None, language)?;
        Ok(Self { language })
    }
}

/// A ListTags request, validated: its filters.
#[derive(Debug)]
pub struct ListTags {
    /// Only questions of this category.
    pub category: Option<String>,
    /// Only questions available in this language.
    pub language: Option<String>,
}

impl TryFrom<pb::ListTagsRequest> for ListTags {
    type Error = Error;

    fn try_from(request: pb::ListTagsRequest) -> Result<Self, Error> {
        let pb::ListTagsRequest { category, language } = request;
        let QuestionFilter {
            category, language, ..
        } = QuestionFilter::new(category, Vec::new(), None, None, language)?;
        Ok(Self { category, language })
    }
}

/// Counts are far below `i32::MAX` on any bank SQLite holds.
fn count_to_proto(count: u64) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// The categories' counts as ListCategories answers them.
pub fn categories_to_proto(categories: &[CategoryCount]) -> pb::ListCategoriesResponse {
    pb::ListCategoriesResponse {
        categories: categories
            .iter()
            .map(|category| pb::CategoryCount {
                category: category.category.clone(),
                question_count: count_to_proto(category.question_count),
                difficulties: category
                    .difficulties
                    .iter()
                    .map(|&(difficulty, count)| pb::DifficultyCount {
                        difficulty: difficulty_to_proto(difficulty).into(),
                        question_count: count_to_proto(count),
                    })
                    .collect(),
                types: category
                    .types
                    .iter()
                    .map(|&(question_type, count)| pb::TypeCount {
                        r#type: question_type_to_proto(question_type).into(),
                        question_count: count_to_proto(count),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The tags' counts as ListTags answers them.
pub fn tags_to_proto(tags: &[TagCount]) -> pb::ListTagsResponse {
    pb::ListTagsResponse {
        tags: tags
            .iter()
            .map(|tag| pb::TagCount {
                tag: tag.tag.clone(),
                question_count: count_to_proto(tag.question_count),
            })
            .collect(),
    }
}

/// The listing filters that ListQuestions, DrawQuestions and
/// ExportQuestions share, validated.
fn filter_from_proto(
    category: String,
    tags: Vec<String>,
    difficulty: i32,
    question_type: i32,
    language: String,
) -> Result<QuestionFilter, FieldError> {
    QuestionFilter::new(
        category,
        tags,
        difficulty_from_proto(difficulty)?,
        question_type_from_proto(question_type)?,
        language,
    )
}

/// Unspecified means BASIC; a value this server does not know is an error
/// rather than a silent downgrade.
fn view_from_proto(value: i32) -> Result<View, FieldError> {
    match pb::QuestionView::try_from(value) {
        Ok(pb::QuestionView::Unspecified | pb::QuestionView::Basic) => Ok(View::Basic),
        Ok(pb::QuestionView::Full) => Ok(View::Full),
        Err(_) => Err(unknown_enum_value("view", value)),
    }
}

/// Unspecified means "any difficulty".
fn difficulty_from_proto(value: i32) -> Result<Option<Difficulty>, FieldError> {
    match pb::Difficulty::try_from(value) {
        Ok(pb::Difficulty::Unspecified) => Ok(None),
        Ok(pb::Difficulty::Easy) => Ok(Some(Difficulty::Easy)),
        Ok(pb::Difficulty::Medium) => Ok(Some(Difficulty::Medium)),
        Ok(pb::Difficulty::Hard) => Ok(Some(Difficulty::Hard)),
        Err(_) => Err(unknown_enum_value("difficulty", value)),
    }
}

/// Unspecified means "any type".
fn question_type_from_proto(value: i32) -> Result<Option<QuestionType>, FieldError> {
    match pb::QuestionType::try_from(value) {
        Ok(pb::QuestionType::Unspecified) => Ok(None),
        Ok(pb::QuestionType::SingleChoice) => Ok(Some(QuestionType::SingleChoice)),
        Ok(pb::QuestionType::MultipleChoice) => Ok(Some(QuestionType::MultipleChoice)),
        Ok(pb::QuestionType::TrueFalse) => Ok(Some(QuestionType::TrueFalse)),
        Err(_) => Err(unknown_enum_value("type", value)),
    }
}

fn unknown_enum_value(field: &str, value: i32) -> FieldError {
    FieldError::new(field, format!("unknown value {value}"))
}

fn question_type_to_proto(question_type: QuestionType) -> pb::QuestionType {
    match question_type {
        QuestionType::SingleChoice => pb::QuestionType::SingleChoice,
        QuestionType::MultipleChoice => pb::QuestionType::MultipleChoice,
        QuestionType::TrueFalse => pb::QuestionType::TrueFalse,
    }
}

fn difficulty_to_proto(difficulty: Difficulty) -> pb::Difficulty {
    match difficulty {
        Difficulty::Easy => pb::Difficulty::Easy,
        Difficulty::Medium => pb::Difficulty::Medium,
        Difficulty::Hard => pb::Difficulty::Hard,
    }
}

/// The question as a caller with `view` who prefers `languages` may see it.
/// This is the one place the answer key enters a response: only for
/// [`View::Full`].
pub fn question_to_proto(
    question: Question,
    view: View,
    languages: &PreferredLanguages,
) -> pb::Question {
    let position = languages.pick(question.languages());
    question_in_language(question, view, position)
}

/// The question in the language at `position` of its languages.
fn question_in_language(question: Question, view: View, position: usize) -> pb::Question {
    let content = question.content(position);
    let available_languages = question.languages().map(str::to_owned).collect();
    let full = view == View::Full;
    let other_languages = if full {
        other_languages(&question, position)
    } else {
        Vec::new()
    };
    let Question {
        id,
        question_type,
        stem: _,
        choices: _,
        difficulty,
        category,
        tags,
        language: _,
        revision,
        create_time,
        update_time,
        answer,
        translations: _,
    } = question;
    pb::Question {
        id,
        r#type: question_type_to_proto(question_type).into(),
        stem: content.stem,
        choices: choices_to_proto(content.choices),
        difficulty: difficulty_to_proto(difficulty).into(),
        category,
        tags,
        language: content.language,
        revision,
        create_time: Some(create_time.into()),
        update_time: Some(update_time.into()),
        answer: full.then_some(pb::AnswerKey {
            correct_choice_keys: answer.correct_choice_keys,
            explanation: content.explanation,
        }),
        translations: other_languages,
        available_languages,
    }
}

/// The question's content in every language but the one at `position`:
/// its translations, with the original in place of the one served, so a
/// FULL message always holds the whole question.
fn other_languages(question: &Question, position: usize) -> Vec<pb::QuestionTranslation> {
    (1..=question.translations.len())
        .map(|other| {
            let content = question.content(if other == position { 0 } else { other });
            pb::QuestionTranslation {
                language: content.language,
                stem: content.stem,
                choices: choices_to_proto(content.choices),
                explanation: content.explanation,
            }
        })
        .collect()
}

/// A question on the wire in `view`.
pub fn question_to_wire(
    question: Question,
    view: View,
    languages: &PreferredLanguages,
) -> wire::EncodedQuestion {
    wire::EncodedQuestion(
        question_to_proto(question, view, languages)
            .encode_to_vec()
            .into(),
    )
}

/// A card on the wire: it already is an encoded BASIC-view question (see
/// [`card_format`]).
pub fn card_to_wire(card: &Card, languages: &PreferredLanguages) -> wire::EncodedQuestion {
    wire::EncodedQuestion(card.rendered_for(languages))
}

/// A page of questions on the wire, each encoded in `view`.
pub fn list_page_to_wire(
    page: ListPage<Question>,
    view: View,
    languages: &PreferredLanguages,
) -> wire::ListQuestionsReply {
    let ListPage {
        entries: questions,
        next_page_token,
        total_size,
    } = page;
    wire_reply(
        questions
            .into_iter()
            .map(|question| {
                question_to_proto(question, view, languages)
                    .encode_to_vec()
                    .into()
            })
            .collect(),
        next_page_token,
        total_size,
    )
}

/// A page of cards on the wire: each card already is an encoded BASIC-view
/// question (see [`card_format`]).
pub fn card_page_to_wire(
    page: ListPage<Card>,
    languages: &PreferredLanguages,
) -> wire::ListQuestionsReply {
    let ListPage {
        entries: cards,
        next_page_token,
        total_size,
    } = page;
    wire_reply(
        cards
            .iter()
            .map(|card| card.rendered_for(languages))
            .collect(),
        next_page_token,
        total_size,
    )
}

fn wire_reply(
    encoded_questions: Vec<Bytes>,
    next_page_token: Option<String>,
    total_size: u64,
) -> wire::ListQuestionsReply {
    wire::ListQuestionsReply {
        questions: encoded_questions,
        next_page_token: next_page_token.unwrap_or_default(),
        // A bank of over two billion questions is not a SQLite bank.
        total_size: i32::try_from(total_size).unwrap_or(i32::MAX),
    }
}

/// Cards as ListQuestions sends them: the question in the BASIC view,
/// encoded as a `qbank.v1.Question`.
///
/// The fingerprint covers this release, the contract, and the rendering of a
/// probe question that sets every field, so stored cards are rendered again
/// whenever any of them could have changed what a card holds.
pub fn card_format() -> CardFormat {
    static FINGERPRINT: LazyLock<[u8; 32]> = LazyLock::new(|| {
        let mut hasher = Sha256::new();
        hasher.update(env!("CARGO_PKG_VERSION"));
        hasher.update(pb::FILE_DESCRIPTOR_SET);
        let probe = probe_question();
        for position in 0..=probe.translations.len() {
            hasher.update(render_card(&probe, position));
        }
        hasher.finalize().into()
    });
    CardFormat {
        fingerprint: *FINGERPRINT,
        render: render_card,
        is_intact: card_is_intact,
    }
}

fn render_card(question: &Question, position: usize) -> Vec<u8> {
    question_in_language(question.clone(), View::Basic, position).encode_to_vec()
}

/// A card is intact when it decodes as the question it is stored for, with
/// no answer in it: the checks a client would fail on, or leak through.
fn card_is_intact(rendered: &[u8], question_id: &str) -> bool {
    pb::Question::decode(rendered)
        .is_ok_and(|question| question.id == question_id && question.answer.is_none())
}

/// A question with every field set, for the card format's fingerprint.
fn probe_question() -> Question {
    let time = SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
    Question {
        id: "probe".into(),
        question_type: QuestionType::MultipleChoice,
        stem: "stem".into(),
        choices: vec![Choice {
            key: "A".into(),
            text: "text".into(),
        }],
        answer: AnswerKey {
            correct_choice_keys: vec!["A".into()],
            explanation: "explanation".into(),
        },
        difficulty: Difficulty::Hard,
        category: "category".into(),
        tags: vec!["tag".into()],
        language: "en".into(),
        revision: 2,
        create_time: time,
        update_time: time,
        translations: vec![Translation {
            language: "zh".into(),
            stem: "题干".into(),
            choices: vec![Choice {
                key: "A".into(),
                text: "文本".into(),
            }],
            explanation: "解释".into(),
        }],
    }
}

impl From<Answered> for pb::SubmitAnswerResponse {
    fn from(answered: Answered) -> Self {
        let Answered {
            attempt,
            explanation_language,
        } = answered;
        let answer = attempt.answer;
        Self {
            attempt_id: attempt.id,
            correct: answer.correct,
            score: answer.score,
            correct_choice_keys: answer.correct_choice_keys,
            explanation: answer.explanation,
            question_revision: answer.question_revision,
            submit_time: Some(answer.submit_time.into()),
            explanation_language,
        }
    }
}

/// A ReportQuestion request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuestion(pub NewReport);

impl TryFrom<pb::ReportQuestionRequest> for ReportQuestion {
    type Error = Error;

    fn try_from(request: pb::ReportQuestionRequest) -> Result<Self, Error> {
        let pb::ReportQuestionRequest {
            question_id,
            reason,
            comment,
            respondent_id,
            request_id,
        } = request;
        let reason = report_reason_from_proto(reason)?;
        Ok(Self(NewReport::new(
            question_id,
            reason,
            comment,
            respondent_id,
            request_id,
        )?))
    }
}

/// A ListQuestionReports request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListReports {
    /// Which reports.
    pub filter: ReportFilter,
    /// At most this many reports.
    pub page_size: usize,
    /// The previous page's token; empty for the first page.
    pub page_token: String,
}

impl TryFrom<pb::ListQuestionReportsRequest> for ListReports {
    type Error = Error;

    fn try_from(request: pb::ListQuestionReportsRequest) -> Result<Self, Error> {
        let pb::ListQuestionReportsRequest {
            question_id,
            state,
            page_size: requested_page_size,
            page_token,
        } = request;
        check_length("page_token", &page_token, limits::PAGE_TOKEN_MAX_CHARS)?;
        Ok(Self {
            filter: ReportFilter::new(question_id, report_state_from_proto(state)?)?,
            page_size: page_size(requested_page_size)?,
            page_token,
        })
    }
}

/// A ResolveQuestionReport request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveReport(pub Resolution);

impl TryFrom<pb::ResolveQuestionReportRequest> for ResolveReport {
    type Error = Error;

    fn try_from(request: pb::ResolveQuestionReportRequest) -> Result<Self, Error> {
        let pb::ResolveQuestionReportRequest {
            id,
            resolution_note,
        } = request;
        Ok(Self(Resolution::new(id, resolution_note)?))
    }
}

/// A report is about something: unspecified is refused, not defaulted.
fn report_reason_from_proto(value: i32) -> Result<ReportReason, FieldError> {
    match pb::ReportReason::try_from(value) {
        Ok(pb::ReportReason::WrongAnswer) => Ok(ReportReason::WrongAnswer),
        Ok(pb::ReportReason::Ambiguous) => Ok(ReportReason::Ambiguous),
        Ok(pb::ReportReason::Typo) => Ok(ReportReason::Typo),
        Ok(pb::ReportReason::Outdated) => Ok(ReportReason::Outdated),
        Ok(pb::ReportReason::Other) => Ok(ReportReason::Other),
        Ok(pb::ReportReason::Unspecified) => Err(FieldError::new("reason", "is required")),
        Err(_) => Err(unknown_enum_value("reason", value)),
    }
}

/// Unspecified means "any state".
fn report_state_from_proto(value: i32) -> Result<Option<ReportState>, FieldError> {
    match pb::ReportState::try_from(value) {
        Ok(pb::ReportState::Unspecified) => Ok(None),
        Ok(pb::ReportState::Open) => Ok(Some(ReportState::Open)),
        Ok(pb::ReportState::Resolved) => Ok(Some(ReportState::Resolved)),
        Err(_) => Err(unknown_enum_value("state", value)),
    }
}

fn report_reason_to_proto(reason: ReportReason) -> pb::ReportReason {
    match reason {
        ReportReason::WrongAnswer => pb::ReportReason::WrongAnswer,
        ReportReason::Ambiguous => pb::ReportReason::Ambiguous,
        ReportReason::Typo => pb::ReportReason::Typo,
        ReportReason::Outdated => pb::ReportReason::Outdated,
        ReportReason::Other => pb::ReportReason::Other,
    }
}

fn report_state_to_proto(state: ReportState) -> pb::ReportState {
    match state {
        ReportState::Open => pb::ReportState::Open,
        ReportState::Resolved => pb::ReportState::Resolved,
    }
}

/// A report as the report calls answer it.
pub fn report_to_proto(report: QuestionReport) -> pb::QuestionReport {
    let QuestionReport {
        id,
        question_id,
        question_revision,
        reason,
        comment,
        respondent_id,
        // The reporter's own key: not part of what a report shows.
        request_id: _,
        state,
        create_time,
        resolution_note,
    } = report;
    pb::QuestionReport {
        id,
        question_id,
        question_revision,
        reason: report_reason_to_proto(reason).into(),
        comment,
        respondent_id: respondent_id.unwrap_or_default(),
        state: report_state_to_proto(state).into(),
        create_time: Some(create_time.into()),
        resolution_note,
    }
}

/// A page of reports as ListQuestionReports answers it.
pub fn reports_to_proto(page: ListPage<QuestionReport>) -> pb::ListQuestionReportsResponse {
    let ListPage {
        entries,
        next_page_token,
        // The contract has no count of reports.
        total_size: _,
    } = page;
    pb::ListQuestionReportsResponse {
        reports: entries.into_iter().map(report_to_proto).collect(),
        next_page_token: next_page_token.unwrap_or_default(),
    }
}
