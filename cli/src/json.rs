//! The `--json` output: serde views of the proto messages whose field names are the proto's
//! JSON names (`createTime`, `correctChoiceKeys`, …), enums as their proto names and
//! timestamps as RFC 3339. Scripts depend on these names, so they only ever gain fields.
//!
//! Unlike the canonical proto JSON mapping, every scalar field is always present (a wrong
//! answer prints `"correct": false`, not nothing; an unset optional field is `null`), and int64
//! values are JSON numbers.

use std::io::{self, Write};

use serde::Serialize;

use crate::pb;

/// Writes `value` as one pretty-printed JSON document.
pub(crate) fn write_document(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Writes `value` as one compact line, for output that streams one object per line.
pub(crate) fn write_line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

/// A proto enum value: its name when this client knows it, else its number (as the proto JSON
/// mapping does for values added to the contract after this client was built).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum EnumValue {
    Name(&'static str),
    Number(i32),
}

impl EnumValue {
    fn question_type(value: i32) -> Self {
        pb::QuestionType::try_from(value)
            .map_or(Self::Number(value), |known| Self::Name(known.as_str_name()))
    }

    fn difficulty(value: i32) -> Self {
        pb::Difficulty::try_from(value)
            .map_or(Self::Number(value), |known| Self::Name(known.as_str_name()))
    }

    fn report_reason(value: i32) -> Self {
        pb::ReportReason::try_from(value)
            .map_or(Self::Number(value), |known| Self::Name(known.as_str_name()))
    }

    fn report_state(value: i32) -> Self {
        pb::ReportState::try_from(value)
            .map_or(Self::Number(value), |known| Self::Name(known.as_str_name()))
    }
}

/// A list of choices.
fn choices_json(choices: &[pb::Choice]) -> Vec<ChoiceJson<'_>> {
    choices.iter().map(ChoiceJson::from).collect()
}

/// `qbank.v1.Question`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuestionJson<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    question_type: EnumValue,
    stem: &'a str,
    choices: Vec<ChoiceJson<'a>>,
    difficulty: EnumValue,
    category: &'a str,
    tags: &'a [String],
    /// The language the question is served in: the first preferred one it has, else its own.
    language: &'a str,
    revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_time: Option<String>,
    /// Only in the FULL view (`get --full`).
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<AnswerKeyJson<'a>>,
    /// Only in the FULL view, and left out when empty: the BASIC view never has them, and an
    /// empty list there would claim the question has none (`availableLanguages` says which).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    translations: Vec<TranslationJson<'a>>,
    available_languages: &'a [String],
}

impl<'a> From<&'a pb::Question> for QuestionJson<'a> {
    fn from(question: &'a pb::Question) -> Self {
        // Destructured so that a field added to the contract fails the build here until the
        // JSON output decides what to do with it.
        let pb::Question {
            id,
            r#type,
            stem,
            choices,
            difficulty,
            category,
            tags,
            language,
            revision,
            create_time,
            update_time,
            answer,
            translations,
            available_languages,
        } = question;
        Self {
            id,
            question_type: EnumValue::question_type(*r#type),
            stem,
            choices: choices_json(choices),
            difficulty: EnumValue::difficulty(*difficulty),
            category,
            tags,
            language,
            revision: *revision,
            create_time: create_time.as_ref().map(ToString::to_string),
            update_time: update_time.as_ref().map(ToString::to_string),
            answer: answer.as_ref().map(AnswerKeyJson::from),
            translations: translations.iter().map(TranslationJson::from).collect(),
            available_languages,
        }
    }
}

/// `qbank.v1.QuestionTranslation`.
#[derive(Debug, Serialize)]
pub(crate) struct TranslationJson<'a> {
    language: &'a str,
    stem: &'a str,
    choices: Vec<ChoiceJson<'a>>,
    explanation: &'a str,
}

impl<'a> From<&'a pb::QuestionTranslation> for TranslationJson<'a> {
    fn from(translation: &'a pb::QuestionTranslation) -> Self {
        let pb::QuestionTranslation {
            language,
            stem,
            choices,
            explanation,
        } = translation;
        Self {
            language,
            stem,
            choices: choices_json(choices),
            explanation,
        }
    }
}

/// `qbank.v1.Choice`.
#[derive(Debug, Serialize)]
pub(crate) struct ChoiceJson<'a> {
    key: &'a str,
    text: &'a str,
}

impl<'a> From<&'a pb::Choice> for ChoiceJson<'a> {
    fn from(choice: &'a pb::Choice) -> Self {
        let pb::Choice { key, text } = choice;
        Self { key, text }
    }
}

/// `qbank.v1.AnswerKey`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AnswerKeyJson<'a> {
    correct_choice_keys: &'a [String],
    explanation: &'a str,
}

impl<'a> From<&'a pb::AnswerKey> for AnswerKeyJson<'a> {
    fn from(answer: &'a pb::AnswerKey) -> Self {
        let pb::AnswerKey {
            correct_choice_keys,
            explanation,
        } = answer;
        Self {
            correct_choice_keys,
            explanation,
        }
    }
}

/// `qbank.v1.ListQuestionsResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuestionPageJson<'a> {
    questions: Vec<QuestionJson<'a>>,
    next_page_token: &'a str,
    total_size: i32,
}

impl<'a> From<&'a pb::ListQuestionsResponse> for QuestionPageJson<'a> {
    fn from(page: &'a pb::ListQuestionsResponse) -> Self {
        let pb::ListQuestionsResponse {
            questions,
            next_page_token,
            total_size,
        } = page;
        Self {
            questions: questions.iter().map(QuestionJson::from).collect(),
            next_page_token,
            total_size: *total_size,
        }
    }
}

/// `qbank.v1.DrawQuestionsResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct DrawJson<'a> {
    questions: Vec<QuestionJson<'a>>,
    exhausted: bool,
    available: i32,
}

impl<'a> From<&'a pb::DrawQuestionsResponse> for DrawJson<'a> {
    fn from(draw: &'a pb::DrawQuestionsResponse) -> Self {
        let pb::DrawQuestionsResponse {
            questions,
            exhausted,
            available,
        } = draw;
        Self {
            questions: questions.iter().map(QuestionJson::from).collect(),
            exhausted: *exhausted,
            available: *available,
        }
    }
}

/// `qbank.v1.SubmitAnswerResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GradeJson<'a> {
    attempt_id: &'a str,
    correct: bool,
    score: f64,
    correct_choice_keys: &'a [String],
    explanation: &'a str,
    question_revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    submit_time: Option<String>,
    explanation_language: &'a str,
}

impl<'a> From<&'a pb::SubmitAnswerResponse> for GradeJson<'a> {
    fn from(grade: &'a pb::SubmitAnswerResponse) -> Self {
        let pb::SubmitAnswerResponse {
            attempt_id,
            correct,
            score,
            correct_choice_keys,
            explanation,
            question_revision,
            submit_time,
            explanation_language,
        } = grade;
        Self {
            attempt_id,
            correct: *correct,
            score: *score,
            correct_choice_keys,
            explanation,
            question_revision: *question_revision,
            submit_time: submit_time.as_ref().map(ToString::to_string),
            explanation_language,
        }
    }
}

/// `qbank.v1.ListCategoriesResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct CategoriesJson<'a> {
    categories: Vec<CategoryCountJson<'a>>,
}

impl<'a> From<&'a pb::ListCategoriesResponse> for CategoriesJson<'a> {
    fn from(response: &'a pb::ListCategoriesResponse) -> Self {
        let pb::ListCategoriesResponse { categories } = response;
        Self {
            categories: categories.iter().map(CategoryCountJson::from).collect(),
        }
    }
}

/// `qbank.v1.CategoryCount`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CategoryCountJson<'a> {
    category: &'a str,
    question_count: i32,
    difficulties: Vec<DifficultyCountJson>,
    types: Vec<TypeCountJson>,
}

impl<'a> From<&'a pb::CategoryCount> for CategoryCountJson<'a> {
    fn from(count: &'a pb::CategoryCount) -> Self {
        let pb::CategoryCount {
            category,
            question_count,
            difficulties,
            types,
        } = count;
        Self {
            category,
            question_count: *question_count,
            difficulties: difficulties.iter().map(DifficultyCountJson::from).collect(),
            types: types.iter().map(TypeCountJson::from).collect(),
        }
    }
}

/// `qbank.v1.DifficultyCount`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DifficultyCountJson {
    difficulty: EnumValue,
    question_count: i32,
}

impl From<&pb::DifficultyCount> for DifficultyCountJson {
    fn from(count: &pb::DifficultyCount) -> Self {
        let pb::DifficultyCount {
            difficulty,
            question_count,
        } = *count;
        Self {
            difficulty: EnumValue::difficulty(difficulty),
            question_count,
        }
    }
}

/// `qbank.v1.TypeCount`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypeCountJson {
    #[serde(rename = "type")]
    question_type: EnumValue,
    question_count: i32,
}

impl From<&pb::TypeCount> for TypeCountJson {
    fn from(count: &pb::TypeCount) -> Self {
        let pb::TypeCount {
            r#type,
            question_count,
        } = *count;
        Self {
            question_type: EnumValue::question_type(r#type),
            question_count,
        }
    }
}

/// `qbank.v1.ListTagsResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct TagsJson<'a> {
    tags: Vec<TagCountJson<'a>>,
}

impl<'a> From<&'a pb::ListTagsResponse> for TagsJson<'a> {
    fn from(response: &'a pb::ListTagsResponse) -> Self {
        let pb::ListTagsResponse { tags } = response;
        Self {
            tags: tags.iter().map(TagCountJson::from).collect(),
        }
    }
}

/// `qbank.v1.TagCount`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TagCountJson<'a> {
    tag: &'a str,
    question_count: i32,
}

impl<'a> From<&'a pb::TagCount> for TagCountJson<'a> {
    fn from(count: &'a pb::TagCount) -> Self {
        let pb::TagCount {
            tag,
            question_count,
        } = count;
        Self {
            tag,
            question_count: *question_count,
        }
    }
}

/// `qbank.v1.QuestionStats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuestionStatsJson<'a> {
    id: &'a str,
    revision: i64,
    attempts: i64,
    respondents: i64,
    first_attempts: i64,
    facility: f64,
    mean_score: f64,
    choices: Vec<ChoiceStatsJson<'a>>,
    /// `null` when the server has too little data to compute it.
    discrimination: Option<f64>,
}

impl<'a> From<&'a pb::QuestionStats> for QuestionStatsJson<'a> {
    fn from(stats: &'a pb::QuestionStats) -> Self {
        let pb::QuestionStats {
            id,
            revision,
            attempts,
            respondents,
            first_attempts,
            facility,
            mean_score,
            choices,
            discrimination,
        } = stats;
        Self {
            id,
            revision: *revision,
            attempts: *attempts,
            respondents: *respondents,
            first_attempts: *first_attempts,
            facility: *facility,
            mean_score: *mean_score,
            choices: choices.iter().map(ChoiceStatsJson::from).collect(),
            discrimination: *discrimination,
        }
    }
}

/// `qbank.v1.ChoiceStats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChoiceStatsJson<'a> {
    key: &'a str,
    chosen: i64,
    chosen_share: f64,
}

impl<'a> From<&'a pb::ChoiceStats> for ChoiceStatsJson<'a> {
    fn from(choice: &'a pb::ChoiceStats) -> Self {
        let pb::ChoiceStats {
            key,
            chosen,
            chosen_share,
        } = choice;
        Self {
            key,
            chosen: *chosen,
            chosen_share: *chosen_share,
        }
    }
}

/// `qbank.v1.RespondentStats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RespondentStatsJson<'a> {
    respondent_id: &'a str,
    questions_answered: i64,
    attempts: i64,
    correct_share: f64,
    mean_score: f64,
    by_category: Vec<GroupStatsJson<'a>>,
    by_tag: Vec<GroupStatsJson<'a>>,
}

impl<'a> From<&'a pb::RespondentStats> for RespondentStatsJson<'a> {
    fn from(stats: &'a pb::RespondentStats) -> Self {
        let pb::RespondentStats {
            respondent_id,
            questions_answered,
            attempts,
            correct_share,
            mean_score,
            by_category,
            by_tag,
        } = stats;
        Self {
            respondent_id,
            questions_answered: *questions_answered,
            attempts: *attempts,
            correct_share: *correct_share,
            mean_score: *mean_score,
            by_category: by_category.iter().map(GroupStatsJson::from).collect(),
            by_tag: by_tag.iter().map(GroupStatsJson::from).collect(),
        }
    }
}

/// `qbank.v1.GroupStats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupStatsJson<'a> {
    name: &'a str,
    questions_answered: i64,
    correct_share: f64,
    mean_score: f64,
}

impl<'a> From<&'a pb::GroupStats> for GroupStatsJson<'a> {
    fn from(group: &'a pb::GroupStats) -> Self {
        let pb::GroupStats {
            name,
            questions_answered,
            correct_share,
            mean_score,
        } = group;
        Self {
            name,
            questions_answered: *questions_answered,
            correct_share: *correct_share,
            mean_score: *mean_score,
        }
    }
}

/// `qbank.v1.QuestionReport`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuestionReportJson<'a> {
    id: &'a str,
    question_id: &'a str,
    question_revision: i64,
    reason: EnumValue,
    comment: &'a str,
    respondent_id: &'a str,
    state: EnumValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_time: Option<String>,
    resolution_note: &'a str,
}

impl<'a> From<&'a pb::QuestionReport> for QuestionReportJson<'a> {
    fn from(report: &'a pb::QuestionReport) -> Self {
        let pb::QuestionReport {
            id,
            question_id,
            question_revision,
            reason,
            comment,
            respondent_id,
            state,
            create_time,
            resolution_note,
        } = report;
        Self {
            id,
            question_id,
            question_revision: *question_revision,
            reason: EnumValue::report_reason(*reason),
            comment,
            respondent_id,
            state: EnumValue::report_state(*state),
            create_time: create_time.as_ref().map(ToString::to_string),
            resolution_note,
        }
    }
}

/// `qbank.v1.ListQuestionReportsResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportPageJson<'a> {
    reports: Vec<QuestionReportJson<'a>>,
    next_page_token: &'a str,
}

impl<'a> From<&'a pb::ListQuestionReportsResponse> for ReportPageJson<'a> {
    fn from(page: &'a pb::ListQuestionReportsResponse) -> Self {
        let pb::ListQuestionReportsResponse {
            reports,
            next_page_token,
        } = page;
        Self {
            reports: reports.iter().map(QuestionReportJson::from).collect(),
            next_page_token,
        }
    }
}

/// The result of `qbank quiz`: totals over the answered questions, then each answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuizJson<'a> {
    /// How many questions were drawn for the quiz (`--count`, or fewer if fewer are
    /// available).
    pub(crate) asked: usize,
    /// How many questions the draw could pick from: those that match the filters, less
    /// those `--respondent` has answered.
    pub(crate) available: i32,
    /// True when fewer than `--count` were available: the quiz asked them all.
    pub(crate) exhausted: bool,
    pub(crate) answered: usize,
    pub(crate) correct: usize,
    /// The sum of the answers' scores, partial credit included.
    pub(crate) score: f64,
    pub(crate) results: Vec<QuizAnswerJson<'a>>,
}

/// One answered question of a quiz: what was chosen and its grade.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuizAnswerJson<'a> {
    pub(crate) question_id: &'a str,
    pub(crate) choice_keys: &'a [String],
    #[serde(flatten)]
    pub(crate) grade: GradeJson<'a>,
}

/// The result of `qbank delete`: DeleteQuestion answers nothing, so this says what happened.
#[derive(Debug, Serialize)]
pub(crate) struct DeletedJson<'a> {
    pub(crate) id: &'a str,
    pub(crate) deleted: bool,
}

/// `qbank.v1.ImportQuestionsResponse` of one file, with the file's name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportJson<'a> {
    file: &'a str,
    dry_run: bool,
    created: i32,
    updated: i32,
    unchanged: i32,
    skipped: i32,
}

impl<'a> ImportJson<'a> {
    /// The counts of importing `file`.
    pub(crate) fn new(file: &'a str, dry_run: bool, counts: &pb::ImportQuestionsResponse) -> Self {
        let pb::ImportQuestionsResponse {
            created,
            updated,
            unchanged,
            skipped,
        } = *counts;
        Self {
            file,
            dry_run,
            created,
            updated,
            unchanged,
            skipped,
        }
    }
}

/// `grpc.health.v1.HealthCheckResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct HealthJson {
    pub(crate) status: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_question() -> pb::Question {
        pb::Question {
            id: "llm-002".to_owned(),
            r#type: pb::QuestionType::TrueFalse.into(),
            stem: "是否需要?".to_owned(),
            choices: vec![pb::Choice {
                key: "true".to_owned(),
                text: "需要".to_owned(),
            }],
            difficulty: pb::Difficulty::Easy.into(),
            category: "llm".to_owned(),
            tags: vec!["rag".to_owned()],
            language: "zh-CN".to_owned(),
            revision: 1,
            create_time: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            update_time: None,
            answer: None,
            translations: Vec::new(),
            available_languages: vec!["zh-CN".to_owned(), "en".to_owned()],
        }
    }

    #[test]
    fn questions_use_proto_json_names_and_enum_names() {
        let question = sample_question();
        let json = serde_json::to_value(QuestionJson::from(&question)).expect("serializable");
        assert_eq!(json["type"], "QUESTION_TYPE_TRUE_FALSE");
        assert_eq!(json["difficulty"], "DIFFICULTY_EASY");
        assert_eq!(json["createTime"], "2023-11-14T22:13:20Z");
        assert_eq!(json["choices"][0]["key"], "true");
        assert!(json.get("updateTime").is_none());
        assert!(
            json.get("answer").is_none(),
            "no answer key in the BASIC view"
        );
    }

    #[test]
    fn an_enum_value_this_client_does_not_know_prints_as_its_number() {
        let mut question = sample_question();
        question.difficulty = 42;
        let json = serde_json::to_value(QuestionJson::from(&question)).expect("serializable");
        assert_eq!(json["difficulty"], 42);
    }

    #[test]
    fn the_basic_view_lists_the_languages_but_no_translations() {
        let question = sample_question();
        let json = serde_json::to_value(QuestionJson::from(&question)).expect("serializable");
        assert_eq!(
            json["availableLanguages"],
            serde_json::json!(["zh-CN", "en"])
        );
        assert!(json.get("translations").is_none(), "{json}");
    }

    #[test]
    fn translations_in_the_full_view_have_their_choices_and_explanation() {
        let mut question = sample_question();
        question.translations = vec![pb::QuestionTranslation {
            language: "en".to_owned(),
            stem: "Is it needed?".to_owned(),
            choices: vec![pb::Choice {
                key: "true".to_owned(),
                text: "Yes".to_owned(),
            }],
            explanation: "Because.".to_owned(),
        }];
        let json = serde_json::to_value(QuestionJson::from(&question)).expect("serializable");
        let translation = &json["translations"][0];
        assert_eq!(translation["language"], "en");
        assert_eq!(translation["choices"][0]["text"], "Yes");
        assert_eq!(translation["explanation"], "Because.");
    }

    #[test]
    fn counts_use_proto_json_names_and_enum_names() {
        let response = pb::ListCategoriesResponse {
            categories: vec![pb::CategoryCount {
                category: "llm".to_owned(),
                question_count: 10,
                difficulties: vec![pb::DifficultyCount {
                    difficulty: pb::Difficulty::Hard.into(),
                    question_count: 1,
                }],
                types: vec![pb::TypeCount {
                    r#type: pb::QuestionType::TrueFalse.into(),
                    question_count: 1,
                }],
            }],
        };
        let json = serde_json::to_value(CategoriesJson::from(&response)).expect("serializable");
        let category = &json["categories"][0];
        assert_eq!(category["questionCount"], 10);
        assert_eq!(category["difficulties"][0]["difficulty"], "DIFFICULTY_HARD");
        assert_eq!(category["types"][0]["type"], "QUESTION_TYPE_TRUE_FALSE");
        assert_eq!(category["types"][0]["questionCount"], 1);
    }

    #[test]
    fn unset_discrimination_prints_as_null_and_choices_use_proto_json_names() {
        let stats = pb::QuestionStats {
            id: "llm-004".to_owned(),
            attempts: 3,
            first_attempts: 3,
            choices: vec![pb::ChoiceStats {
                key: "A".to_owned(),
                chosen: 2,
                chosen_share: 2.0 / 3.0,
            }],
            discrimination: None,
            ..pb::QuestionStats::default()
        };
        let json = serde_json::to_value(QuestionStatsJson::from(&stats)).expect("serializable");
        assert_eq!(json["firstAttempts"], 3);
        assert_eq!(json["meanScore"], 0.0);
        assert_eq!(json["choices"][0]["chosenShare"], 2.0 / 3.0);
        assert!(json["discrimination"].is_null(), "{json}");
        assert_eq!(
            json.as_object().map(|fields| fields.len()),
            Some(9),
            "{json}"
        );
    }

    #[test]
    fn reports_print_reason_and_state_as_enum_names() {
        let report = pb::QuestionReport {
            id: "r-1".to_owned(),
            question_id: "llm-001".to_owned(),
            question_revision: 2,
            reason: pb::ReportReason::WrongAnswer.into(),
            state: pb::ReportState::Open.into(),
            ..pb::QuestionReport::default()
        };
        let json = serde_json::to_value(QuestionReportJson::from(&report)).expect("serializable");
        assert_eq!(json["reason"], "REPORT_REASON_WRONG_ANSWER");
        assert_eq!(json["state"], "REPORT_STATE_OPEN");
        assert_eq!(json["questionRevision"], 2);
        assert_eq!(json["resolutionNote"], "");
        assert!(json.get("createTime").is_none());
    }

    #[test]
    fn respondent_stats_keep_the_servers_order_of_groups() {
        let group = |name: &str, mean_score| pb::GroupStats {
            name: name.to_owned(),
            questions_answered: 1,
            correct_share: mean_score,
            mean_score,
        };
        let stats = pb::RespondentStats {
            respondent_id: "alice".to_owned(),
            by_tag: vec![group("rlhf", 0.0), group("bias", 1.0)],
            ..pb::RespondentStats::default()
        };
        let json = serde_json::to_value(RespondentStatsJson::from(&stats)).expect("serializable");
        assert_eq!(json["respondentId"], "alice");
        assert_eq!(json["byTag"][0]["name"], "rlhf");
        assert_eq!(json["byTag"][1]["meanScore"], 1.0);
        assert_eq!(json["byCategory"], serde_json::json!([]));
    }

    #[test]
    fn a_wrong_grade_still_prints_correct_false() {
        let grade = pb::SubmitAnswerResponse::default();
        let json = serde_json::to_value(GradeJson::from(&grade)).expect("serializable");
        assert_eq!(json["correct"], false);
        assert_eq!(json["correctChoiceKeys"], serde_json::json!([]));
    }
}
