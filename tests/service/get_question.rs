//! GetQuestion: lookup, the BASIC/FULL views, and the admin token.

use qbank::pb;
use tonic::Code;

use crate::support::{
    ADMIN_TOKEN, Options, expect_code, expect_invalid_field, spawn_app, spawn_app_with,
    spawn_app_with_generated_bank, with_token,
};

fn get_request(id: &str, view: pb::QuestionView) -> pb::GetQuestionRequest {
    pb::GetQuestionRequest {
        id: id.into(),
        view: view.into(),
        revision: 0,
        ..Default::default()
    }
}

#[tokio::test]
async fn get_returns_the_question_without_its_answer_in_the_basic_view() {
    let app = spawn_app().await;

    let question = app.get("llm-003").await.expect("llm-003");

    assert_eq!(question.id, "llm-003");
    assert_eq!(question.choices.len(), 3);
    assert_eq!(question.answer, None);
}

#[tokio::test]
async fn an_unspecified_view_means_basic() {
    let app = spawn_app().await;

    let question = app
        .client
        .clone()
        .get_question(with_token(
            get_request("llm-003", pb::QuestionView::Unspecified),
            ADMIN_TOKEN,
        ))
        .await
        .expect("llm-003")
        .into_inner();

    assert_eq!(question.answer, None);
}

#[tokio::test]
async fn the_full_view_with_the_admin_token_includes_answer_and_explanation() {
    let app = spawn_app().await;

    let question = app.get_full("llm-004").await.expect("llm-004");

    let answer = question.answer.expect("FULL view carries the answer");
    assert_eq!(answer.correct_choice_keys, ["B"]);
    assert!(answer.explanation.contains("reward hacking"));
}

#[tokio::test]
async fn the_basic_view_is_exactly_the_full_view_without_the_answer() {
    // The BASIC view comes from the question's stored card, the FULL view
    // from its columns: they must agree on everything but the answer.
    let app = spawn_app_with_generated_bank(12).await;

    for n in 1..=12 {
        let id = format!("q-{n:04}");
        let basic = app.get(&id).await.expect("basic");
        let mut full = app.get_full(&id).await.expect("full");

        assert!(full.answer.take().is_some());
        assert_eq!(basic, full);
    }
}

#[tokio::test]
async fn an_empty_id_is_invalid_argument() {
    let app = spawn_app().await;

    expect_invalid_field(app.get("").await, "id");
}

#[tokio::test]
async fn an_unknown_id_is_not_found_naming_it() {
    let app = spawn_app().await;

    let status = expect_code(app.get("llm-999").await, Code::NotFound);

    assert!(status.message().contains("llm-999"), "{}", status.message());
}

#[tokio::test]
async fn an_unknown_view_value_is_invalid_argument() {
    let app = spawn_app().await;

    let result = app
        .client
        .clone()
        .get_question(pb::GetQuestionRequest {
            id: "llm-001".into(),
            view: 7,
            revision: 0,
            ..Default::default()
        })
        .await;

    expect_invalid_field(result, "view");
}

#[tokio::test]
async fn the_full_view_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;

    let result = app
        .client
        .clone()
        .get_question(get_request("llm-001", pb::QuestionView::Full))
        .await;

    expect_code(result, Code::Unauthenticated);
}

#[tokio::test]
async fn the_full_view_with_a_wrong_token_is_unauthenticated() {
    let app = spawn_app().await;

    let result = app
        .client
        .clone()
        .get_question(with_token(
            get_request("llm-001", pb::QuestionView::Full),
            "not-the-token",
        ))
        .await;

    let status = expect_code(result, Code::Unauthenticated);
    assert!(!status.message().contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn a_wrong_token_learns_nothing_about_whether_a_question_exists() {
    let app = spawn_app().await;

    let result = app
        .client
        .clone()
        .get_question(with_token(
            get_request("no-such-question", pb::QuestionView::Full),
            "wrong",
        ))
        .await;

    expect_code(result, Code::Unauthenticated);
}

#[tokio::test]
async fn a_server_without_an_admin_token_refuses_the_full_view() {
    let app = spawn_app_with(Options {
        admin_token: None,
        ..Options::default()
    })
    .await;

    let result = app
        .client
        .clone()
        .get_question(with_token(
            get_request("llm-001", pb::QuestionView::Full),
            ADMIN_TOKEN,
        ))
        .await;

    expect_code(result, Code::PermissionDenied);
}
