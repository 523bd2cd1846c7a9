//! Authoring: CreateQuestion, UpdateQuestion, DeleteQuestion,
//! UndeleteQuestion and ListQuestionRevisions; revisions of GetQuestion;
//! and what every other call sees after a change, in this process or
//! another.

use std::time::{Duration, Instant};

use qbank::pb;
use tonic::{Code, Request, Status};

use crate::support::{
    ADMIN_TOKEN, Options, TestApp, expect_code, expect_invalid_field, spawn_app, spawn_app_with,
    with_token,
};

/// A valid new question (no id: the request names it).
pub(crate) fn new_question() -> pb::Question {
    pb::Question {
        r#type: pb::QuestionType::SingleChoice.into(),
        stem: "Which layer normalises activations?".into(),
        choices: vec![
            pb::Choice {
                key: "A".into(),
                text: "LayerNorm".into(),
            },
            pb::Choice {
                key: "B".into(),
                text: "Dropout".into(),
            },
        ],
        difficulty: pb::Difficulty::Easy.into(),
        category: "llm".into(),
        tags: vec!["architecture".into()],
        language: "en".into(),
        answer: Some(pb::AnswerKey {
            correct_choice_keys: vec!["A".into()],
            explanation: "LayerNorm normalises each token's activations.".into(),
        }),
        ..Default::default()
    }
}

pub(crate) fn authorised<T>(message: T) -> Request<T> {
    with_token(message, ADMIN_TOKEN)
}

impl TestApp {
    pub(crate) async fn create(
        &self,
        question_id: &str,
        question: pb::Question,
    ) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .create_question(authorised(pb::CreateQuestionRequest {
                question: Some(question),
                question_id: question_id.into(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn update(
        &self,
        question: pb::Question,
        paths: &[&str],
        expected_revision: i64,
    ) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .update_question(authorised(pb::UpdateQuestionRequest {
                question: Some(question),
                update_mask: Some(prost_types::FieldMask {
                    paths: paths.iter().map(|path| (*path).into()).collect(),
                }),
                expected_revision,
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn delete(&self, id: &str, expected_revision: i64) -> Result<(), Status> {
        self.client
            .clone()
            .delete_question(authorised(pb::DeleteQuestionRequest {
                id: id.into(),
                expected_revision,
            }))
            .await
            .map(drop)
    }

    pub(crate) async fn undelete(&self, id: &str) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .undelete_question(authorised(pb::UndeleteQuestionRequest { id: id.into() }))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn revisions(
        &self,
        id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<pb::ListQuestionRevisionsResponse, Status> {
        self.client
            .clone()
            .list_question_revisions(authorised(pb::ListQuestionRevisionsRequest {
                id: id.into(),
                page_size,
                page_token: page_token.into(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get_revision(&self, id: &str, revision: i64) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .get_question(pb::GetQuestionRequest {
                id: id.into(),
                view: pb::QuestionView::Basic.into(),
                revision,
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn total_size(&self) -> i32 {
        self.list(pb::ListQuestionsRequest::default())
            .await
            .expect("list")
            .total_size
    }
}

/// `llm-001` with a new stem, for an update naming `stem`.
fn with_stem(stem: &str) -> pb::Question {
    pb::Question {
        id: "llm-001".into(),
        stem: stem.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_created_question_is_returned_whole_at_revision_one() {
    let app = spawn_app().await;
    let mut asked = new_question();
    asked.revision = 42;

    let created = app.create("arch-001", asked).await.expect("created");

    assert_eq!(created.id, "arch-001");
    assert_eq!(created.revision, 1, "revision is the server's");
    assert_eq!(created.create_time, created.update_time);
    assert_eq!(
        created
            .answer
            .as_ref()
            .expect("FULL view")
            .correct_choice_keys,
        ["A"]
    );
    let mut basic = app.get("arch-001").await.expect("served");
    basic.answer = created.answer.clone();
    assert_eq!(basic, created);
}

#[tokio::test]
async fn a_question_created_without_an_id_gets_one_from_the_server() {
    let app = spawn_app().await;

    let created = app.create("", new_question()).await.expect("created");

    let digits = created.id.strip_prefix("q-").expect("the documented form");
    assert_eq!(digits.len(), 32, "{}", created.id);
    assert!(
        digits.bytes().all(|byte| byte.is_ascii_hexdigit()),
        "{}",
        created.id
    );
}

#[tokio::test]
async fn an_id_in_the_question_must_match_the_request_s() {
    let app = spawn_app().await;
    let question = pb::Question {
        id: "other".into(),
        ..new_question()
    };

    expect_invalid_field(app.create("arch-001", question).await, "question.id");
}

#[tokio::test]
async fn creating_an_id_that_exists_live_or_deleted_is_already_exists() {
    let app = spawn_app().await;
    app.delete("llm-002", 0).await.expect("deleted");

    expect_code(
        app.create("llm-001", new_question()).await,
        Code::AlreadyExists,
    );
    expect_code(
        app.create("llm-002", new_question()).await,
        Code::AlreadyExists,
    );
}

#[tokio::test]
async fn an_invalid_new_question_is_invalid_argument_naming_its_field() {
    let app = spawn_app().await;
    let no_type = pb::Question {
        r#type: 0,
        ..new_question()
    };
    let key_not_a_choice = pb::Question {
        answer: Some(pb::AnswerKey {
            correct_choice_keys: vec!["Z".into()],
            explanation: "why".into(),
        }),
        ..new_question()
    };

    expect_invalid_field(app.create("a", no_type).await, "question.type");
    expect_invalid_field(app.create("b", key_not_a_choice).await, "question.answer");
    expect_code(app.get("b").await, Code::NotFound);
}

#[tokio::test]
async fn every_authoring_method_needs_the_admin_token_before_any_validation() {
    let app = spawn_app().await;
    let mut client = app.client.clone();
    // Each request is invalid too: the token is checked first.
    let statuses = [
        client
            .create_question(pb::CreateQuestionRequest::default())
            .await
            .map(drop),
        client
            .update_question(pb::UpdateQuestionRequest::default())
            .await
            .map(drop),
        client
            .delete_question(pb::DeleteQuestionRequest::default())
            .await
            .map(drop),
        client
            .undelete_question(pb::UndeleteQuestionRequest::default())
            .await
            .map(drop),
        client
            .list_question_revisions(pb::ListQuestionRevisionsRequest::default())
            .await
            .map(drop),
        client
            .delete_question(with_token(
                pb::DeleteQuestionRequest {
                    id: "llm-001".into(),
                    expected_revision: 0,
                },
                "wrong-token",
            ))
            .await
            .map(drop),
    ];

    for status in statuses {
        expect_code(status, Code::Unauthenticated);
    }
    app.get("llm-001").await.expect("nothing was deleted");
}

#[tokio::test]
async fn a_server_without_an_admin_token_refuses_authoring_with_permission_denied() {
    let app = spawn_app_with(Options {
        admin_token: None,
        ..Options::default()
    })
    .await;

    expect_code(
        app.create("a", new_question()).await,
        Code::PermissionDenied,
    );
    expect_code(app.delete("llm-001", 0).await, Code::PermissionDenied);
}

#[tokio::test]
async fn an_update_makes_a_new_revision_that_every_call_then_sees() {
    let app = spawn_app().await;
    // Read first, so the card and the count are cached when the change comes.
    let before = app.get("llm-001").await.expect("served");

    let updated = app
        .update(with_stem("What reduces bias in prompting?"), &["stem"], 1)
        .await
        .expect("updated");

    assert_eq!(updated.revision, 2);
    let time = |question: &pb::Question| {
        let time = question.update_time.expect("an update time");
        (time.seconds, time.nanos)
    };
    assert!(time(&updated) > time(&before));
    assert_eq!(
        updated.choices, before.choices,
        "fields outside the mask stay"
    );
    let served = app.get("llm-001").await.expect("served");
    assert_eq!(served.stem, "What reduces bias in prompting?");
    assert_eq!(served.revision, 2);
    let listed = app
        .list(pb::ListQuestionsRequest::default())
        .await
        .expect("list");
    assert_eq!(listed.questions[0].stem, "What reduces bias in prompting?");
    let graded = app.answer("llm-001", &["C"]).await.expect("graded");
    assert_eq!(graded.question_revision, 2);
}

#[tokio::test]
async fn an_update_that_changes_nothing_keeps_the_revision() {
    let app = spawn_app().await;
    let current = app.get("llm-001").await.expect("served");

    let updated = app
        .update(with_stem(&current.stem), &["stem"], 0)
        .await
        .expect("ok");

    assert_eq!(updated.revision, 1);
    assert_eq!(updated.update_time, current.update_time);
}

#[tokio::test]
async fn an_empty_mask_updates_every_field_the_message_sets() {
    let app = spawn_app().await;
    let question = pb::Question {
        id: "llm-001".into(),
        category: "prompting".into(),
        tags: vec!["calibration".into()],
        ..Default::default()
    };

    let updated = app.update(question, &[], 0).await.expect("updated");

    assert_eq!(updated.category, "prompting");
    assert_eq!(updated.tags, ["calibration"]);
    assert!(!updated.stem.is_empty(), "an unset stem is not cleared");
}

#[tokio::test]
async fn a_stale_expected_revision_is_aborted_and_changes_nothing() {
    let app = spawn_app().await;
    app.update(with_stem("First edit?"), &["stem"], 1)
        .await
        .expect("first edit");

    let status = expect_code(
        app.update(with_stem("Second edit?"), &["stem"], 1).await,
        Code::Aborted,
    );

    assert!(status.message().contains("revision 2"), "{status:?}");
    let served = app.get("llm-001").await.expect("served");
    assert_eq!((served.stem.as_str(), served.revision), ("First edit?", 2));
}

#[tokio::test]
async fn bad_updates_are_refused_with_their_exact_codes() {
    let app = spawn_app().await;
    app.delete("llm-002", 0).await.expect("deleted");
    let drops_the_key = pb::Question {
        id: "llm-001".into(),
        choices: vec![
            pb::Choice {
                key: "A".into(),
                text: "one".into(),
            },
            pb::Choice {
                key: "B".into(),
                text: "two".into(),
            },
        ],
        ..Default::default()
    };

    expect_invalid_field(
        app.update(with_stem("x"), &["colour"], 0).await,
        "update_mask",
    );
    expect_invalid_field(
        app.update(drops_the_key, &["choices"], 0).await,
        "question.answer",
    );
    expect_code(
        app.update(
            pb::Question {
                id: "no-such".into(),
                stem: "x".into(),
                ..Default::default()
            },
            &["stem"],
            0,
        )
        .await,
        Code::NotFound,
    );
    expect_code(
        app.update(
            pb::Question {
                id: "llm-002".into(),
                stem: "x".into(),
                ..Default::default()
            },
            &["stem"],
            0,
        )
        .await,
        Code::NotFound,
    );
    expect_invalid_field(
        app.update(with_stem("x"), &["stem"], -1).await,
        "expected_revision",
    );
    assert_eq!(app.get("llm-001").await.expect("served").revision, 1);
}

#[tokio::test]
async fn a_deleted_question_is_absent_but_its_attempts_and_retries_stay() {
    let app = spawn_app().await;
    let retried = crate::support::submission("llm-003", &["A"]);
    let retried = pb::SubmitAnswerRequest {
        request_id: "before-delete".into(),
        ..retried
    };
    let original = app.submit(retried.clone()).await.expect("answered");
    let total_before = app.total_size().await;

    app.delete("llm-003", 0).await.expect("deleted");

    expect_code(app.get("llm-003").await, Code::NotFound);
    expect_code(app.get_full("llm-003").await, Code::NotFound);
    expect_code(app.answer("llm-003", &["A"]).await, Code::NotFound);
    let listed = app
        .list(pb::ListQuestionsRequest::default())
        .await
        .expect("list");
    assert!(listed.questions.iter().all(|q| q.id != "llm-003"));
    assert_eq!(listed.total_size, total_before - 1);
    let tagged = app
        .list(pb::ListQuestionsRequest {
            tags: original_tags(&app, "llm-003").await,
            ..Default::default()
        })
        .await
        .expect("list by tag");
    assert!(tagged.questions.iter().all(|q| q.id != "llm-003"));
    assert_eq!(app.attempts_stored("llm-003"), 1);
    assert_eq!(app.submit(retried).await.expect("retry"), original);
    expect_code(app.delete("llm-003", 0).await, Code::NotFound);
}

/// The tags a question had, read from its revision history.
async fn original_tags(app: &TestApp, id: &str) -> Vec<String> {
    app.revisions(id, 1, "").await.expect("history").revisions[0]
        .tags
        .clone()
}

#[tokio::test]
async fn undelete_restores_a_question_as_it_was() {
    let app = spawn_app().await;
    let before = app.get_full("llm-004").await.expect("served");
    app.delete("llm-004", 1).await.expect("deleted");

    let restored = app.undelete("llm-004").await.expect("restored");

    assert_eq!(restored, before);
    assert_eq!(app.get_full("llm-004").await.expect("served"), before);
    expect_code(app.undelete("llm-004").await, Code::FailedPrecondition);
    expect_code(app.undelete("no-such").await, Code::NotFound);
}

#[tokio::test]
async fn the_revision_history_lists_each_revision_whole_newest_first_in_pages() {
    let app = spawn_app().await;
    for (revision, stem) in [(1, "Edit one?"), (2, "Edit two?")] {
        app.update(with_stem(stem), &["stem"], revision)
            .await
            .expect("edit");
    }
    app.delete("llm-001", 0).await.expect("deleted");

    let first = app.revisions("llm-001", 2, "").await.expect("first page");
    let second = app
        .revisions("llm-001", 2, &first.next_page_token)
        .await
        .expect("second page");

    let revisions: Vec<(i64, String)> = first
        .revisions
        .iter()
        .chain(&second.revisions)
        .map(|question| (question.revision, question.stem.clone()))
        .collect();
    assert_eq!(revisions[0], (3, "Edit two?".to_owned()));
    assert_eq!(revisions[1], (2, "Edit one?".to_owned()));
    assert_eq!(revisions[2].0, 1);
    assert!(second.next_page_token.is_empty());
    assert!(
        first
            .revisions
            .iter()
            .all(|question| question.answer.is_some())
    );
    expect_code(app.revisions("no-such", 0, "").await, Code::NotFound);
    expect_invalid_field(app.revisions("llm-001", 0, "garbage").await, "page_token");
}

#[tokio::test]
async fn an_earlier_revision_is_served_in_the_view_asked_for() {
    let app = spawn_app().await;
    let original = app.get("llm-001").await.expect("served");
    app.update(with_stem("Changed?"), &["stem"], 0)
        .await
        .expect("edit");

    let first = app.get_revision("llm-001", 1).await.expect("revision 1");

    assert_eq!(first, original);
    assert!(first.answer.is_none(), "BASIC without a token");
    expect_code(app.get_revision("llm-001", 3).await, Code::NotFound);
    expect_invalid_field(app.get_revision("llm-001", -1).await, "revision");
}

#[tokio::test]
async fn an_attempt_keeps_its_grade_after_the_key_changes() {
    let app = spawn_app().await;
    let request = pb::SubmitAnswerRequest {
        request_id: "graded-on-revision-1".into(),
        ..crate::support::submission("llm-001", &["C"])
    };
    let original = app.submit(request.clone()).await.expect("answered");
    let new_key = pb::Question {
        id: "llm-001".into(),
        answer: Some(pb::AnswerKey {
            correct_choice_keys: vec!["A".into()],
            explanation: "Now A.".into(),
        }),
        ..Default::default()
    };
    app.update(new_key, &["answer"], 0).await.expect("new key");

    let retry = app.submit(request).await.expect("retry");
    let fresh = app.answer("llm-001", &["C"]).await.expect("a new answer");

    assert_eq!(retry, original);
    assert!(retry.correct);
    assert_eq!(retry.question_revision, 1);
    assert!(!fresh.correct);
    assert_eq!(fresh.correct_choice_keys, ["A"]);
    assert_eq!(fresh.explanation, "Now A.");
}

#[tokio::test]
async fn a_new_question_is_counted_and_served_at_once() {
    let app = spawn_app().await;
    let total_before = app.total_size().await;
    let by_category = pb::ListQuestionsRequest {
        category: "llm".into(),
        tags: vec!["architecture".into()],
        ..Default::default()
    };
    assert_eq!(
        app.list(by_category.clone())
            .await
            .expect("list")
            .total_size,
        0
    );

    app.create("arch-001", new_question())
        .await
        .expect("created");

    assert_eq!(app.total_size().await, total_before + 1);
    let tagged = app.list(by_category).await.expect("list");
    assert_eq!(tagged.total_size, 1);
    assert_eq!(tagged.questions[0].id, "arch-001");
}

/// Polls GetQuestion until `llm-001`'s stem is `stem`, for at most `within`.
async fn stem_seen_within(app: &TestApp, stem: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let served = app.get("llm-001").await.expect("served");
        if served.stem == stem {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "still {:?} after {within:?}",
            served.stem
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_change_made_by_another_server_on_the_same_database_is_seen_within_a_second() {
    let app = spawn_app().await;
    app.get("llm-001").await.expect("cached");
    let other = app.store();
    let edit = qbank::domain::authoring::QuestionEdit {
        stem: Some("Changed elsewhere?".into()),
        ..Default::default()
    };

    other
        .change_question(qbank::store::QuestionChange::Update {
            id: "llm-001".into(),
            expected_revision: 0,
            edit,
            now: std::time::SystemTime::now(),
        })
        .await
        .expect("stored")
        .expect("changed");

    stem_seen_within(&app, "Changed elsewhere?", Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_change_made_in_the_sqlite_shell_is_seen_within_a_second() {
    let app = spawn_app().await;
    app.get("llm-001").await.expect("cached");

    rusqlite::Connection::open(&app.db_path)
        .expect("open")
        .execute(
            "UPDATE questions SET stem = 'Changed by hand?' WHERE id = 'llm-001'",
            [],
        )
        .expect("change by hand");

    stem_seen_within(&app, "Changed by hand?", Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_deleted_question_stays_deleted_when_its_cards_are_rendered_again() {
    let app = spawn_app().await;
    app.delete("llm-003", 0).await.expect("deleted");
    // As a new release would: the stored cards no longer vouch.
    rusqlite::Connection::open(&app.db_path)
        .expect("open")
        .execute(
            "UPDATE server_state SET value = x'00' WHERE name = 'card_format'",
            [],
        )
        .expect("age the cards");

    let app = app.restart().await;

    expect_code(app.get("llm-003").await, Code::NotFound);
    assert_eq!(app.total_size().await, 9);
}
