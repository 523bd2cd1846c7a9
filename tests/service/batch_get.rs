//! BatchGetQuestions: several questions in one call, in the order asked.

use qbank::pb;
use tonic::{Code, Status};

use crate::{
    authoring::authorised,
    support::{TestApp, expect_code, expect_invalid_field, spawn_app},
};

impl TestApp {
    async fn batch_get(&self, ids: &[&str]) -> Result<Vec<pb::Question>, Status> {
        self.client
            .clone()
            .batch_get_questions(pb::BatchGetQuestionsRequest {
                ids: ids.iter().map(|id| (*id).into()).collect(),
                ..Default::default()
            })
            .await
            .map(|response| response.into_inner().questions)
    }
}

fn ids(questions: &[pb::Question]) -> Vec<&str> {
    questions
        .iter()
        .map(|question| question.id.as_str())
        .collect()
}

#[tokio::test]
async fn questions_come_in_the_order_asked_and_a_repeated_id_repeats() {
    let app = spawn_app().await;

    let questions = app
        .batch_get(&["llm-003", "llm-001", "llm-003"])
        .await
        .expect("batch");

    assert_eq!(ids(&questions), ["llm-003", "llm-001", "llm-003"]);
    assert_eq!(questions[1], app.get("llm-001").await.expect("get"));
    assert!(questions.iter().all(|question| question.answer.is_none()));
}

#[tokio::test]
async fn the_full_view_and_preferred_languages_work_as_in_get_question() {
    let app = spawn_app().await;
    let request = |view: pb::QuestionView| pb::BatchGetQuestionsRequest {
        ids: vec!["llm-001".into(), "llm-002".into()],
        view: view.into(),
        preferred_languages: vec!["en".into()],
    };

    let without_token = app
        .client
        .clone()
        .batch_get_questions(request(pb::QuestionView::Full))
        .await;
    let full = app
        .client
        .clone()
        .batch_get_questions(authorised(request(pb::QuestionView::Full)))
        .await
        .expect("full")
        .into_inner()
        .questions;
    let basic = app
        .client
        .clone()
        .batch_get_questions(request(pb::QuestionView::Basic))
        .await
        .expect("basic")
        .into_inner()
        .questions;

    expect_code(without_token, Code::Unauthenticated);
    assert!(full.iter().all(|question| question.answer.is_some()));
    assert!(full.iter().all(|question| question.language == "en"));
    assert!(basic.iter().all(|question| question.language == "en"));
    assert!(basic.iter().all(|question| question.answer.is_none()));
}

#[tokio::test]
async fn from_one_to_a_hundred_well_formed_ids_are_accepted() {
    let app = spawn_app().await;
    let many: Vec<&str> = std::iter::repeat_n("llm-001", 101).collect();

    expect_invalid_field(app.batch_get(&[]).await, "ids");
    expect_invalid_field(app.batch_get(&many).await, "ids");
    expect_invalid_field(app.batch_get(&["llm-001", "a b"]).await, "ids[1]");
    assert_eq!(app.batch_get(&many[..100]).await.expect("100").len(), 100);
}

#[tokio::test]
async fn an_unknown_or_deleted_id_is_not_found_naming_the_first() {
    let app = spawn_app().await;
    app.delete("llm-002", 0).await.expect("deleted");

    let unknown = expect_code(
        app.batch_get(&["llm-001", "nope-1", "nope-2"]).await,
        Code::NotFound,
    );
    let deleted = expect_code(app.batch_get(&["llm-002", "llm-001"]).await, Code::NotFound);

    assert!(
        unknown.message().contains("\"nope-1\""),
        "{}",
        unknown.message()
    );
    assert!(
        !unknown.message().contains("nope-2"),
        "{}",
        unknown.message()
    );
    assert!(
        deleted.message().contains("\"llm-002\""),
        "{}",
        deleted.message()
    );
}
