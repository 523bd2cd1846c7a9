//! The server as a process: health, reflection, restarts, schema versions,
//! signals and logs.

use std::process::Command;

use qbank::pb;
use tokio_stream::StreamExt as _;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::support::{
    open_endless_call, send_signal, spawn_app, spawn_app_with_generated_bank, start_binary,
    start_binary_with_env, wait_for_exit, wait_for_line,
};

async fn health_of(channel: Channel, service: &str) -> ServingStatus {
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health check")
        .into_inner();
    response.status()
}

#[tokio::test]
async fn health_reports_serving_for_the_server_and_the_question_bank() {
    let app = spawn_app().await;

    assert_eq!(
        health_of(app.channel.clone(), "").await,
        ServingStatus::Serving
    );
    assert_eq!(
        health_of(app.channel.clone(), "qbank.v1.QuestionBank").await,
        ServingStatus::Serving
    );
}

#[tokio::test]
async fn reflection_v1_lists_the_question_bank_and_health_services() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };

    let mut responses = ServerReflectionClient::new(app.channel.clone())
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection call")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("not an error");

    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response {response:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"qbank.v1.QuestionBank"), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
}

#[tokio::test]
async fn reflection_v1alpha_describes_the_contract_for_grpcurl() {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "qbank.v1.QuestionBank".into(),
        )),
    };

    let mut responses = ServerReflectionClient::new(app.channel.clone())
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection call")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("not an error");

    assert!(
        matches!(response.message_response, Some(MessageResponse::FileDescriptorResponse(ref files)) if !files.file_descriptor_proto.is_empty()),
        "{response:?}"
    );
}

#[tokio::test]
async fn a_restart_keeps_attempts_and_never_duplicates_questions() {
    let app = spawn_app().await;
    app.answer("llm-001", &["C"]).await.expect("submit");

    let app = app.restart().await;

    assert_eq!(app.attempts_stored("llm-001"), 1);
    let listed = app
        .list(pb::ListQuestionsRequest::default())
        .await
        .expect("list");
    assert_eq!(listed.total_size, 10);
}

#[tokio::test]
async fn a_restart_does_not_reload_the_initial_bank_over_stored_questions() {
    let app = spawn_app_with_generated_bank(3).await;

    let app = app.restart().await;

    let listed = app
        .list(pb::ListQuestionsRequest::default())
        .await
        .expect("list");
    assert_eq!(listed.total_size, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_each_call_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, addr, lines) = start_binary(&dir.path().join("qbank.db"), &[]);
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");

    let missing = pb::question_bank_client::QuestionBankClient::new(channel.clone())
        .get_question(pb::GetQuestionRequest {
            id: "nope".into(),
            view: 0,
            revision: 0,
            ..Default::default()
        })
        .await;
    assert_eq!(
        missing.expect_err("unknown id").code(),
        tonic::Code::NotFound
    );
    let call_line = wait_for_line(&lines, "/qbank.v1.QuestionBank/GetQuestion");
    assert!(call_line.contains("NotFound"), "{call_line}");
    assert!(call_line.contains("latency_us="), "{call_line}");

    send_signal(&child, "-TERM");
    let status = wait_for_exit(&mut child);

    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_binary_exits_cleanly_on_sigint() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, _addr, _lines) = start_binary(&dir.path().join("qbank.db"), &[]);

    send_signal(&child, "-INT");

    assert_eq!(wait_for_exit(&mut child).code(), Some(0));
}

#[test]
fn a_database_written_by_a_newer_schema_makes_the_server_refuse_to_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let connection = rusqlite::Connection::open(&db).expect("create a database");
    connection
        .pragma_update(None, "user_version", 999)
        .expect("set user_version");
    drop(connection);

    let output = Command::new(env!("CARGO_BIN_EXE_qbank-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .expect("run qbank-server");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("schema is newer"), "{stderr}");
}

#[test]
fn a_database_in_a_missing_directory_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("no-such-dir").join("qbank.db");

    let output = Command::new(env!("CARGO_BIN_EXE_qbank-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .expect("run qbank-server");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(stderr.contains("no-such-dir"), "{stderr}");
}

#[test]
fn help_documents_every_setting_and_its_environment_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_qbank-server"))
        .arg("--help")
        .output()
        .expect("run qbank-server --help");

    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--listen",
        "QBANK_LISTEN",
        "--db",
        "QBANK_DB",
        "--admin-token",
        "QBANK_ADMIN_TOKEN",
        "--log-format",
        "QBANK_LOG_FORMAT",
        "--shutdown-timeout",
        "--initial-bank",
    ] {
        assert!(
            help.contains(needle),
            "--help does not mention {needle}:\n{help}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_up_on_a_call_that_never_ends_after_the_timeout() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, addr, lines) =
        start_binary(&dir.path().join("qbank.db"), &["--shutdown-timeout", "1"]);
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    // A call that would keep a graceful shutdown waiting forever.
    let (requests, _responses) = open_endless_call(channel).await;

    send_signal(&child, "-TERM");
    let status = tokio::task::spawn_blocking(move || wait_for_exit(&mut child))
        .await
        .expect("wait");

    assert_eq!(status.code(), Some(0));
    wait_for_line(&lines, "did not finish before the shutdown timeout");
    drop(requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_never_appears_in_logs_even_at_trace_level() {
    const TOKEN: &str = "never-log-me-7f3a";
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, addr, lines) = start_binary_with_env(
        &dir.path().join("qbank.db"),
        &[],
        &[("QBANK_ADMIN_TOKEN", TOKEN), ("RUST_LOG", "trace")],
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut client = pb::question_bank_client::QuestionBankClient::new(channel);
    for token in [TOKEN, "a-wrong-token"] {
        let request = crate::support::with_token(
            pb::GetQuestionRequest {
                id: "llm-001".into(),
                view: pb::QuestionView::Full.into(),
                revision: 0,
                ..Default::default()
            },
            token,
        );
        let _ = client.get_question(request).await;
    }

    send_signal(&child, "-TERM");
    assert_eq!(wait_for_exit(&mut child).code(), Some(0));
    // The reader thread ends at the exited server's end of output.
    let logged: Vec<String> = lines.iter().collect();
    assert!(
        logged.len() > 10,
        "trace logging produced too little to mean anything"
    );
    assert!(
        logged.iter().all(|line| !line.contains(TOKEN)),
        "the token was logged"
    );
}
