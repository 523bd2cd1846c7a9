//! Limits and overload: oversized messages and metadata, the concurrency cap,
//! per-call timeouts, per-connection streams and the per-client rate limit.

use std::time::{Duration, Instant};

use qbank::{config::Limits, pb};
use tonic::Code;

use crate::support::{
    connect, expect_code, expect_invalid_field, open_endless_call, spawn_app, spawn_app_with,
    submission, with_limits,
};

#[tokio::test]
async fn a_request_over_the_message_size_limit_is_out_of_range_and_records_nothing() {
    let app = spawn_app_with(with_limits(Limits {
        max_message_bytes: 1024,
        ..Limits::default()
    }))
    .await;
    let oversized = pb::SubmitAnswerRequest {
        respondent_id: "x".repeat(4096),
        ..submission("llm-001", &["C"])
    };

    expect_code(app.submit(oversized).await, Code::OutOfRange);

    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn metadata_over_the_header_list_limit_is_refused() {
    let app = spawn_app_with(with_limits(Limits {
        max_header_list_bytes: 1024,
        ..Limits::default()
    }))
    .await;
    let mut request = tonic::Request::new(pb::GetQuestionRequest {
        id: "llm-001".into(),
        view: 0,
        revision: 0,
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("x-padding", "p".repeat(8192).parse().expect("ascii"));

    let result = app.client.clone().get_question(request).await;

    let status = result.expect_err("oversized metadata must not be served");
    assert_ne!(status.code(), Code::Ok);
    // The connection survives for well-behaved calls.
    app.get("llm-001").await.expect("a normal call afterwards");
}

/// Holds the database's write lock, as another process would, so that a
/// submission waits inside the server until the lock is released.
fn lock_the_database(app: &crate::support::TestApp) -> rusqlite::Connection {
    let other_process = rusqlite::Connection::open(&app.db_path).expect("open");
    other_process
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    other_process
}

/// The first call to fail with RESOURCE_EXHAUSTED among repeated tries of
/// `call`, and how long that try took; `None` if none did.
async fn first_shed<F, T>(mut call: impl FnMut() -> F) -> Option<(tonic::Status, Duration)>
where
    F: std::future::Future<Output = Result<T, tonic::Status>>,
{
    for _ in 0..200 {
        let started = Instant::now();
        match call().await {
            Err(status) if status.code() == Code::ResourceExhausted => {
                return Some((status, started.elapsed()));
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_concurrency_cap_fail_fast_with_resource_exhausted() {
    let app = spawn_app_with(with_limits(Limits {
        max_concurrent_calls: 1,
        ..Limits::default()
    }))
    .await;
    // A stream that stays open holds its slot for as long as it lives.
    let (endless, responses) = open_endless_call(app.channel.clone()).await;

    let (status, waited) = first_shed(|| app.get("llm-001"))
        .await
        .expect("a call beyond the cap was shed");

    assert!(
        waited < Duration::from_secs(1),
        "shed at once, not queued: {waited:?}"
    );
    assert!(status.message().contains("limit"), "{}", status.message());
    drop((endless, responses));
    // The slot is free again once the stream ends.
    crate::support::wait_until_served(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_flood_refuses_writes_but_never_reads() {
    let app = spawn_app_with(with_limits(Limits {
        max_concurrent_calls: 4,
        max_concurrent_writes: 1,
        ..Limits::default()
    }))
    .await;
    // An upload that never ends holds the one write slot for as long as
    // its stream stays open: a write in progress that no lock can end.
    let hold_the_write_slot = || {
        let (chunks, upload) = tokio::sync::mpsc::channel(1);
        let mut client = app.client.clone();
        let held = tokio::spawn(async move {
            client
                .import_questions(crate::support::with_token(
                    tokio_stream::wrappers::ReceiverStream::new(upload),
                    crate::support::ADMIN_TOKEN,
                ))
                .await
        });
        let first = pb::ImportQuestionsRequest {
            format: pb::BankFormat::Toml.into(),
            ..Default::default()
        };
        chunks.try_send(first).expect("queue the first chunk");
        (chunks, held)
    };
    let (mut chunks, mut held) = hold_the_write_slot();

    // Until the upload is admitted, answers are written; from then on, shed.
    let mut written = 0;
    let mut shed = None;
    for _ in 0..200 {
        match app.answer("llm-002", &["false"]).await {
            Ok(_) => written += 1,
            Err(status) if status.code() == Code::ResourceExhausted => {
                shed = Some(status);
                break;
            }
            Err(status) => panic!("unexpected {status:?}"),
        }
        // An answer in progress when the upload arrived took the slot first,
        // and the upload was refused: start it again.
        if held.is_finished() {
            (chunks, held) = hold_the_write_slot();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = shed.expect("a write beyond the write budget was shed");
    let mut reads = Vec::new();
    for _ in 0..20 {
        reads.push(app.get("llm-001").await.map(|_| ()));
    }

    assert!(status.message().contains("writes"), "{}", status.message());
    assert!(reads.iter().all(Result::is_ok), "{reads:?}");
    assert_eq!(
        app.attempts_stored("llm-002"),
        written,
        "the shed write recorded nothing"
    );
    drop(chunks);
    let _ = held.await.expect("the upload ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_address_holds_at_most_its_share_of_the_budget() {
    let app = spawn_app_with(with_limits(Limits {
        max_concurrent_calls: 8,
        client_call_share: 25,
        ..Limits::default()
    }))
    .await;
    // Two streams on 127.0.0.1 use up its 25% of eight slots.
    let first = open_endless_call(connect(&app).await).await;
    let second = open_endless_call(connect(&app).await).await;

    let status = expect_code(app.get("llm-001").await, Code::ResourceExhausted);

    assert!(status.message().contains("limit"), "{}", status.message());
    drop((first, second));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_longer_than_the_call_timeout_is_cancelled_by_the_server() {
    let app = spawn_app_with(with_limits(Limits {
        call_timeout: Duration::from_millis(300),
        ..Limits::default()
    }))
    .await;
    let lock = lock_the_database(&app);
    let request = pb::SubmitAnswerRequest {
        request_id: "slow-1".into(),
        ..submission("llm-001", &["C"])
    };

    let started = Instant::now();
    let status = expect_code(app.submit(request.clone()).await, Code::Cancelled);

    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert!(!status.message().is_empty());
    // The write queued before the cut-off still lands once the lock is gone;
    // a retry with the same request_id finds it instead of recording again.
    lock.execute_batch("ROLLBACK").expect("release the lock");
    let mut retried = None;
    for _ in 0..50 {
        if let Ok(response) = app.submit(request.clone()).await {
            retried = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(retried.is_some(), "the retry never succeeded");
    assert_eq!(app.attempts_stored("llm-001"), 1);
}

#[tokio::test]
async fn a_connection_may_not_open_more_streams_than_allowed() {
    let app = spawn_app_with(with_limits(Limits {
        max_concurrent_streams: 1,
        ..Limits::default()
    }))
    .await;
    let (_endless, _responses) = open_endless_call(app.channel.clone()).await;

    // Same connection: the second stream must wait for the first, so a short
    // client deadline expires.
    let mut same_connection = app.client.clone();
    let mut request = tonic::Request::new(pb::GetQuestionRequest {
        id: "llm-001".into(),
        view: 0,
        revision: 0,
        ..Default::default()
    });
    request.set_timeout(Duration::from_millis(300));
    let waited = same_connection.get_question(request).await;

    assert!(waited.is_err(), "a second stream was opened: {waited:?}");
    let mut other_connection =
        pb::question_bank_client::QuestionBankClient::new(connect(&app).await);
    other_connection
        .get_question(pb::GetQuestionRequest {
            id: "llm-001".into(),
            view: 0,
            revision: 0,
            ..Default::default()
        })
        .await
        .expect("another connection is not limited");
}

#[tokio::test]
async fn a_client_over_its_rate_limit_gets_resource_exhausted() {
    let app = spawn_app_with(with_limits(Limits {
        rate_limit: 5,
        ..Limits::default()
    }))
    .await;

    let mut outcomes = Vec::new();
    for _ in 0..20 {
        outcomes.push(app.get("llm-001").await.map(|_| ()).map_err(|s| s.code()));
    }

    // The burst of 5 includes the health check spawn_app makes.
    assert!(outcomes[..4].iter().all(Result::is_ok), "{outcomes:?}");
    let rejected = outcomes
        .iter()
        .filter(|outcome| **outcome == Err(Code::ResourceExhausted))
        .count();
    assert!(rejected >= 10, "{outcomes:?}");
}

#[tokio::test]
async fn without_a_rate_limit_a_burst_is_served() {
    let app = spawn_app().await;

    for _ in 0..50 {
        app.get("llm-001").await.expect("no limit by default");
    }
}

#[tokio::test]
async fn every_string_field_is_checked_against_its_maximum_before_any_lookup() {
    let app = spawn_app().await;
    let long = |n: usize| "x".repeat(n);

    expect_invalid_field(app.get(&long(65)).await, "id");
    let by_category = pb::ListQuestionsRequest {
        category: long(65),
        ..Default::default()
    };
    expect_invalid_field(app.list(by_category).await, "category");
    let by_language = pb::ListQuestionsRequest {
        language: long(36),
        ..Default::default()
    };
    expect_invalid_field(app.list(by_language).await, "language");
    let by_token = pb::ListQuestionsRequest {
        page_token: long(257),
        ..Default::default()
    };
    expect_invalid_field(app.list(by_token).await, "page_token");
    let by_tags = pb::ListQuestionsRequest {
        tags: vec![long(65)],
        ..Default::default()
    };
    expect_invalid_field(app.list(by_tags).await, "tags[0]");
    expect_invalid_field(app.answer("llm-001", &[&long(17)]).await, "choice_keys[0]");
}
