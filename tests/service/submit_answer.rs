//! SubmitAnswer: grading on the server, durable attempts, bad input that
//! records nothing, and idempotent retries.

use std::time::SystemTime;

use qbank::pb;
use tonic::Code;

use crate::support::{
    expect_code, expect_invalid_field, spawn_app, spawn_app_with_generated_bank, submission,
};

fn with_ids(
    question_id: &str,
    keys: &[&str],
    respondent_id: &str,
    request_id: &str,
) -> pb::SubmitAnswerRequest {
    pb::SubmitAnswerRequest {
        respondent_id: respondent_id.into(),
        request_id: request_id.into(),
        ..submission(question_id, keys)
    }
}

#[tokio::test]
async fn a_correct_answer_is_graded_and_explained() {
    let app = spawn_app().await;

    let response = app.answer("llm-001", &["C"]).await.expect("submit");

    assert!(response.correct);
    assert_eq!(response.score, 1.0);
    assert_eq!(response.correct_choice_keys, ["C"]);
    assert!(response.explanation.starts_with("提示校准"));
    assert_eq!(response.question_revision, 1);
    assert!(!response.attempt_id.is_empty());
    assert!(response.submit_time.is_some());
}

#[tokio::test]
async fn a_wrong_answer_scores_zero_and_still_shows_the_right_one() {
    let app = spawn_app().await;

    let response = app.answer("llm-001", &["A"]).await.expect("submit");

    assert!(!response.correct);
    assert_eq!(response.score, 0.0);
    assert_eq!(response.correct_choice_keys, ["C"]);
}

#[tokio::test]
async fn keys_are_trimmed_and_compared_ignoring_case() {
    let app = spawn_app().await;

    let letter = app.answer("llm-001", &["  c\t"]).await.expect("submit");
    let boolean = app.answer("llm-002", &["FALSE"]).await.expect("submit");

    assert!(letter.correct);
    assert!(boolean.correct);
}

#[tokio::test]
async fn fullwidth_keys_from_a_chinese_input_method_grade_as_their_ascii_keys() {
    let app = spawn_app().await;

    let letter = app.answer("llm-001", &["Ｃ"]).await.expect("submit");
    let boolean = app
        .answer("llm-002", &["ｆａｌｓｅ"])
        .await
        .expect("submit");
    let with_ideographic_space = app
        .answer("llm-001", &["\u{3000}ｃ"])
        .await
        .expect("submit");

    assert!(letter.correct);
    assert!(boolean.correct);
    assert!(with_ideographic_space.correct);
    let stored = app
        .store()
        .attempts_for_question("llm-001")
        .expect("attempts");
    assert_eq!(
        stored[0].answer.choice_keys,
        ["C"],
        "stored in the question's spelling"
    );
}

#[tokio::test]
async fn attempt_ids_are_uuids_that_reveal_no_count() {
    let app = spawn_app().await;

    let first = app.answer("llm-001", &["C"]).await.expect("submit");
    let second = app.answer("llm-001", &["C"]).await.expect("submit");

    for id in [&first.attempt_id, &second.attempt_id] {
        let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|_| panic!("{id} is no UUID"));
        assert_eq!(uuid.get_version_num(), 7, "{id}");
    }
    assert_ne!(first.attempt_id, second.attempt_id);
}

#[tokio::test]
async fn an_accepted_answer_is_stored_with_everything_it_was_graded_on() {
    let app = spawn_app().await;
    let before = SystemTime::now();

    let response = app
        .submit(with_ids("llm-003", &["c"], "candidate-7", "req-1"))
        .await
        .expect("submit");

    let attempts = app
        .store()
        .attempts_for_question("llm-003")
        .expect("read attempts");
    assert_eq!(attempts.len(), 1);
    let stored = &attempts[0];
    assert_eq!(stored.id.to_string(), response.attempt_id);
    assert_eq!(stored.answer.question_revision, 1);
    assert_eq!(stored.answer.choice_keys, ["C"]);
    assert!(stored.answer.correct);
    assert_eq!(stored.answer.score, 1.0);
    assert_eq!(stored.answer.respondent_id.as_deref(), Some("candidate-7"));
    assert_eq!(stored.answer.request_id.as_deref(), Some("req-1"));
    assert!(stored.answer.submit_time >= before - std::time::Duration::from_secs(1));
}

#[tokio::test]
async fn multiple_choice_needs_the_exact_set_and_gives_partial_credit() {
    // In the generated bank, q-0004 is multiple choice with answer A and C.
    let app = spawn_app_with_generated_bank(4).await;

    let exact = app.answer("q-0004", &["c", "A"]).await.expect("submit");
    let half = app.answer("q-0004", &["A"]).await.expect("submit");
    let half_minus_wrong = app.answer("q-0004", &["A", "B"]).await.expect("submit");

    assert!(exact.correct);
    assert_eq!(exact.score, 1.0);
    assert!(!half.correct);
    assert_eq!(half.score, 0.5);
    assert!(!half_minus_wrong.correct);
    assert_eq!(half_minus_wrong.score, 0.0);
}

#[tokio::test]
async fn no_keys_is_invalid_argument_and_records_nothing() {
    let app = spawn_app().await;

    expect_invalid_field(app.answer("llm-001", &[]).await, "choice_keys");

    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn an_empty_key_is_invalid_argument_and_records_nothing() {
    let app = spawn_app().await;

    expect_invalid_field(app.answer("llm-001", &["  "]).await, "choice_keys[0]");

    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn an_unknown_key_is_invalid_argument_naming_it_and_records_nothing() {
    let app = spawn_app().await;

    let status = expect_invalid_field(app.answer("llm-001", &["E"]).await, "choice_keys");

    assert!(status.message().contains("\"E\""), "{}", status.message());
    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn duplicate_keys_are_invalid_argument_and_record_nothing() {
    let app = spawn_app_with_generated_bank(4).await;

    let status = expect_invalid_field(app.answer("q-0004", &["A", "a"]).await, "choice_keys[1]");

    assert!(
        status.message().contains("duplicate"),
        "{}",
        status.message()
    );
    assert_eq!(app.attempts_stored("q-0004"), 0);
}

#[tokio::test]
async fn two_keys_for_a_single_choice_question_are_invalid_argument() {
    let app = spawn_app().await;

    let single = expect_invalid_field(app.answer("llm-001", &["A", "C"]).await, "choice_keys");
    expect_invalid_field(
        app.answer("llm-002", &["true", "false"]).await,
        "choice_keys",
    );

    assert!(
        single.message().contains("exactly one"),
        "{}",
        single.message()
    );
    assert_eq!(
        app.attempts_stored("llm-001") + app.attempts_stored("llm-002"),
        0
    );
}

#[tokio::test]
async fn more_keys_than_any_question_has_are_invalid_argument() {
    let app = spawn_app().await;
    let many: Vec<String> = (0..27).map(|n| format!("k{n}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();

    expect_invalid_field(app.answer("llm-001", &many).await, "choice_keys");

    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn an_unknown_question_is_not_found_and_records_nothing() {
    let app = spawn_app().await;

    let status = expect_code(app.answer("llm-404", &["A"]).await, Code::NotFound);

    assert!(status.message().contains("llm-404"));
    assert_eq!(app.attempts_stored("llm-404"), 0);
}

#[tokio::test]
async fn an_empty_question_id_is_invalid_argument() {
    let app = spawn_app().await;

    expect_invalid_field(app.answer("", &["A"]).await, "question_id");
}

#[tokio::test]
async fn overlong_request_and_respondent_ids_are_invalid_argument() {
    let app = spawn_app().await;
    let long = "x".repeat(129);

    expect_invalid_field(
        app.submit(with_ids("llm-001", &["C"], &long, "")).await,
        "respondent_id",
    );
    expect_invalid_field(
        app.submit(with_ids("llm-001", &["C"], "", &long)).await,
        "request_id",
    );

    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn ids_at_the_length_limit_are_accepted() {
    let app = spawn_app().await;
    let longest = "x".repeat(128);

    app.submit(with_ids("llm-001", &["C"], &longest, &longest))
        .await
        .expect("submit");

    assert_eq!(app.attempts_stored("llm-001"), 1);
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_returns_the_original_response_and_records_once() {
    let app = spawn_app().await;
    let request = with_ids("llm-005", &["B"], "candidate-1", "retry-me");

    let first = app.submit(request.clone()).await.expect("first try");
    let retry = app.submit(request).await.expect("retry");

    assert_eq!(retry, first);
    assert_eq!(app.attempts_stored("llm-005"), 1);
}

#[tokio::test]
async fn an_attempt_recorded_before_uuids_keeps_its_decimal_id_on_retry() {
    let app = spawn_app().await;
    // As migration 0005 leaves an attempt recorded before it: no public id.
    let row_id: i64 = rusqlite::Connection::open(&app.db_path)
        .expect("open")
        .query_row(
            "INSERT INTO attempts (question_id, question_revision, choice_keys, correct, score,
                 respondent_id, request_id, submit_time)
             VALUES ('llm-005', 1, '[\"B\"]', 1, 1.0, NULL, 'legacy-1', 0)
             RETURNING id",
            [],
            |row| row.get(0),
        )
        .expect("an attempt of the old schema");

    let retry = app
        .submit(with_ids("llm-005", &["B"], "", "legacy-1"))
        .await
        .expect("retry");

    assert_eq!(retry.attempt_id, row_id.to_string());
    assert_eq!(app.attempts_stored("llm-005"), 1);
}

#[tokio::test]
async fn a_retry_survives_a_restart() {
    let app = spawn_app().await;
    let request = with_ids("llm-005", &["A"], "", "retry-after-restart");
    let first = app.submit(request.clone()).await.expect("first try");

    let app = app.restart().await;
    let retry = app.submit(request).await.expect("retry");

    assert_eq!(retry, first);
    assert_eq!(app.attempts_stored("llm-005"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_request_id_record_once_and_agree() {
    let app = spawn_app().await;
    let request = with_ids("llm-006", &["A"], "racer", "raced-request");

    let tries = (0..16).map(|_| {
        let mut client = app.client.clone();
        let request = request.clone();
        tokio::spawn(async move {
            client
                .submit_answer(request)
                .await
                .map(tonic::Response::into_inner)
        })
    });
    let mut responses = Vec::new();
    for handle in tries {
        responses.push(handle.await.expect("task").expect("every try succeeds"));
    }

    assert!(responses.iter().all(|response| *response == responses[0]));
    assert_eq!(app.attempts_stored("llm-006"), 1);
}

#[tokio::test]
async fn the_same_request_id_with_a_different_answer_is_invalid_argument() {
    let app = spawn_app().await;
    app.submit(with_ids("llm-007", &["A"], "", "one-id"))
        .await
        .expect("first");

    let other_keys = app.submit(with_ids("llm-007", &["B"], "", "one-id")).await;
    let other_question = app.submit(with_ids("llm-008", &["B"], "", "one-id")).await;
    let other_respondent = app
        .submit(with_ids("llm-007", &["A"], "someone", "one-id"))
        .await;

    expect_invalid_field(other_keys, "request_id");
    expect_invalid_field(other_question, "request_id");
    expect_invalid_field(other_respondent, "request_id");
    assert_eq!(
        app.attempts_stored("llm-007") + app.attempts_stored("llm-008"),
        1
    );
}

#[tokio::test]
async fn submissions_without_a_request_id_are_each_recorded() {
    let app = spawn_app().await;

    let first = app.answer("llm-009", &["C"]).await.expect("first");
    let second = app.answer("llm-009", &["C"]).await.expect("second");

    assert_ne!(first.attempt_id, second.attempt_id);
    assert_eq!(app.attempts_stored("llm-009"), 2);
}

#[tokio::test]
async fn errors_never_reveal_the_answer_key() {
    let app = spawn_app().await;

    // llm-010's answer is B and its explanation starts with "FSDP(".
    let statuses = [
        expect_code(app.answer("llm-010", &["Z"]).await, Code::InvalidArgument),
        expect_code(
            app.answer("llm-010", &["A", "B"]).await,
            Code::InvalidArgument,
        ),
    ];

    for status in statuses {
        assert!(!status.message().contains("FSDP("), "{}", status.message());
        assert!(
            !status.message().to_lowercase().contains("correct"),
            "{}",
            status.message()
        );
    }
}
