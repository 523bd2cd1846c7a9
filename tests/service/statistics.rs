//! GetQuestionStats and GetRespondentStats, checked against values worked
//! out by hand from a scripted sequence of submissions.

use qbank::pb;
use tonic::{Code, Status};

use crate::{
    authoring::authorised,
    support::{TestApp, expect_code, expect_invalid_field, spawn_app, submission},
};

impl TestApp {
    async fn stats(&self, id: &str, revision: i64) -> Result<pb::QuestionStats, Status> {
        self.client
            .clone()
            .get_question_stats(authorised(pb::GetQuestionStatsRequest {
                id: id.into(),
                revision,
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn respondent(&self, respondent_id: &str) -> Result<pb::RespondentStats, Status> {
        self.client
            .clone()
            .get_respondent_stats(pb::GetRespondentStatsRequest {
                respondent_id: respondent_id.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Submits `key` for `question_id` as `respondent` ("" = anonymous),
    /// with `request_id` ("" = none).
    async fn attempt(&self, question_id: &str, respondent: &str, key: &str, request_id: &str) {
        self.submit(pb::SubmitAnswerRequest {
            respondent_id: respondent.into(),
            request_id: request_id.into(),
            ..submission(question_id, &[key])
        })
        .await
        .expect("answered");
    }
}

fn spread(stats: &pb::QuestionStats) -> Vec<(&str, i64)> {
    stats
        .choices
        .iter()
        .map(|choice| (choice.key.as_str(), choice.chosen))
        .collect()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

/// llm-001 (key C): attempts at revision 1, then at revision 2.
async fn scripted_attempts(app: &TestApp) {
    app.attempt("llm-001", "alice", "B", "").await; // alice's first: 0
    app.attempt("llm-001", "alice", "C", "").await;
    app.attempt("llm-001", "bob", "C", "bob-1").await; // bob's first: 1
    app.attempt("llm-001", "bob", "C", "bob-1").await; // a retry: nothing new
    app.attempt("llm-001", "", "C", "").await; // anonymous: first, 1
    app.attempt("llm-001", "", "A", "").await; // anonymous: first, 0
    app.attempt("llm-001", "carol", "D", "").await; // carol's first: 0
    app.update(
        pb::Question {
            id: "llm-001".into(),
            stem: "哪种技术有助于减轻提示学习中的偏见?".into(),
            ..Default::default()
        },
        &["stem"],
        1,
    )
    .await
    .expect("revision 2");
    app.attempt("llm-001", "alice", "C", "").await; // first at revision 2 only
    app.attempt("llm-001", "dave", "C", "").await; // dave's first: 1
}

#[tokio::test]
async fn statistics_over_all_revisions_count_each_respondent_s_first_attempt_once() {
    let app = spawn_app().await;
    scripted_attempts(&app).await;

    let stats = app.stats("llm-001", 0).await.expect("stats");

    assert_eq!(stats.revision, 0);
    assert_eq!(stats.attempts, 8);
    assert_eq!(stats.respondents, 4);
    // alice 0, bob 1, carol 0, dave 1, and the two anonymous: 1 and 0.
    assert_eq!(stats.first_attempts, 6);
    assert!(close(stats.facility, 3.0 / 6.0), "{}", stats.facility);
    assert!(close(stats.mean_score, 5.0 / 8.0), "{}", stats.mean_score);
    assert_eq!(spread(&stats), [("A", 1), ("B", 1), ("C", 5), ("D", 1)]);
    assert!(close(stats.choices[2].chosen_share, 5.0 / 8.0));
    assert_eq!(stats.discrimination, None);
}

#[tokio::test]
async fn statistics_of_one_revision_count_only_its_attempts() {
    let app = spawn_app().await;
    scripted_attempts(&app).await;

    let first = app.stats("llm-001", 1).await.expect("revision 1");
    let second = app.stats("llm-001", 2).await.expect("revision 2");

    assert_eq!(
        (first.attempts, first.respondents, first.first_attempts),
        (6, 3, 5)
    );
    assert!(close(first.facility, 2.0 / 5.0), "{}", first.facility);
    assert!(close(first.mean_score, 3.0 / 6.0), "{}", first.mean_score);
    assert_eq!(spread(&first), [("A", 1), ("B", 1), ("C", 3), ("D", 1)]);
    assert_eq!(
        (second.attempts, second.respondents, second.first_attempts),
        (2, 2, 2)
    );
    assert!(close(second.facility, 1.0));
    assert_eq!(spread(&second), [("A", 0), ("B", 0), ("C", 2), ("D", 0)]);
}

#[tokio::test]
async fn a_question_without_attempts_has_zeros_and_a_deleted_one_keeps_its_statistics() {
    let app = spawn_app().await;
    app.attempt("llm-003", "alice", "C", "").await;
    app.delete("llm-003", 0).await.expect("deleted");

    let untouched = app.stats("llm-002", 0).await.expect("stats");
    let deleted = app.stats("llm-003", 0).await.expect("stats");

    assert_eq!(untouched.attempts, 0);
    assert_eq!(untouched.facility, 0.0);
    assert_eq!(spread(&untouched), [("true", 0), ("false", 0)]);
    assert_eq!(deleted.attempts, 1);
    assert!(close(deleted.facility, 1.0));
}

#[tokio::test]
async fn statistics_need_the_token_an_existing_question_and_revision() {
    let app = spawn_app().await;

    let without_token = app
        .client
        .clone()
        .get_question_stats(pb::GetQuestionStatsRequest {
            id: "llm-001".into(),
            revision: 0,
        })
        .await;

    expect_code(without_token, Code::Unauthenticated);
    expect_code(app.stats("nope", 0).await, Code::NotFound);
    expect_code(app.stats("llm-001", 2).await, Code::NotFound);
    expect_invalid_field(app.stats("llm-001", -1).await, "revision");
}

#[tokio::test]
async fn discrimination_correlates_a_question_with_the_rest_from_thirty_respondents() {
    let app = spawn_app().await;
    // Respondents who get llm-003 right get llm-001 right, and the others
    // get both wrong: a perfect correlation once there are thirty of them.
    for n in 0..30 {
        let respondent = format!("r-{n:02}");
        let key = if n % 3 == 0 { "A" } else { "C" };
        app.attempt("llm-003", &respondent, key, "").await;
        app.attempt("llm-001", &respondent, key, "").await;
        if n == 28 {
            let stats = app.stats("llm-001", 0).await.expect("29 respondents");
            assert_eq!(stats.discrimination, None);
        }
    }

    let stats = app.stats("llm-001", 0).await.expect("30 respondents");

    let discrimination = stats.discrimination.expect("set from 30 respondents");
    assert!(close(discrimination, 1.0), "{discrimination}");
}

#[tokio::test]
async fn a_respondent_s_progress_counts_first_attempts_weakest_group_first() {
    let app = spawn_app().await;
    app.attempt("llm-001", "erin", "C", "").await; // right
    app.attempt("llm-001", "erin", "B", "").await; // a second attempt
    app.attempt("llm-002", "erin", "true", "").await; // wrong
    app.attempt("llm-003", "erin", "C", "").await; // right
    app.attempt("llm-002", "frank", "false", "").await;

    let erin = app.respondent("erin").await.expect("stats");

    assert_eq!(erin.questions_answered, 3);
    assert_eq!(erin.attempts, 4);
    assert!(close(erin.correct_share, 2.0 / 3.0));
    assert!(close(erin.mean_score, 2.0 / 3.0));
    let categories: Vec<(&str, i64)> = erin
        .by_category
        .iter()
        .map(|g| (g.name.as_str(), g.questions_answered))
        .collect();
    assert_eq!(categories, [("llm", 3)]);
    let tags: Vec<&str> = erin.by_tag.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        tags,
        [
            "rag",
            "vector-store",
            "alignment",
            "bias",
            "dpo",
            "prompting",
            "rlhf"
        ]
    );
    assert_eq!(erin.by_tag[0].mean_score, 0.0);
}

#[tokio::test]
async fn a_respondent_without_attempts_gets_zeros_and_one_is_required() {
    let app = spawn_app().await;

    let nobody = app.respondent("nobody").await.expect("stats");

    assert_eq!(nobody.questions_answered, 0);
    assert_eq!(nobody.mean_score, 0.0);
    assert!(nobody.by_category.is_empty());
    expect_invalid_field(app.respondent("").await, "respondent_id");
}
