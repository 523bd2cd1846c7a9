//! `qbank-server healthcheck`, run as the container's health check runs it:
//! the real binary, judged by its exit status.

use std::{
    process::{Command, Output},
    time::Duration,
};

use qbank::healthcheck::{self, HealthcheckError};
use tonic_health::pb::health_check_response::ServingStatus;

use crate::support::spawn_app;

/// Runs `qbank-server healthcheck` with `args`, off the async workers that
/// serve the test server.
async fn run_healthcheck(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_qbank-server"))
            .arg("healthcheck")
            .args(&args)
            .env_remove("QBANK_LISTEN")
            .output()
            .expect("run qbank-server healthcheck")
    })
    .await
    .expect("the probe ran")
}

#[tokio::test]
async fn healthcheck_exits_zero_when_the_server_is_serving() {
    let app = spawn_app().await;

    let output = run_healthcheck(&["--addr", &app.addr.to_string()]).await;

    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "SERVING");
}

#[tokio::test]
async fn healthcheck_probes_the_listen_address_when_given_no_addr() {
    let app = spawn_app().await;
    let wildcard = format!("0.0.0.0:{}", app.addr.port());

    let output = run_healthcheck(&["--listen", &wildcard]).await;

    assert!(output.status.success(), "{output:?}");
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_listens() {
    // Bound and dropped: a port that refuses connections.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");

    let output = run_healthcheck(&["--addr", &closed.to_string(), "--timeout", "2"]).await;

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot reach"));
}

#[tokio::test]
async fn healthcheck_fails_for_a_service_the_server_does_not_know() {
    let app = spawn_app().await;

    let output = run_healthcheck(&["--addr", &app.addr.to_string(), "--service", "no.Such"]).await;

    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

#[tokio::test]
async fn check_reports_the_question_bank_as_serving() {
    let app = spawn_app().await;

    let status = healthcheck::check(
        &format!("http://{}", app.addr),
        "qbank.v1.QuestionBank",
        Duration::from_secs(5),
    )
    .await
    .expect("an answer");

    assert_eq!(status, ServingStatus::Serving);
}

#[tokio::test]
async fn check_rejects_an_address_that_is_no_uri() {
    let result = healthcheck::check("not a uri", "", Duration::from_secs(1)).await;

    assert!(
        matches!(result, Err(HealthcheckError::InvalidAddress { .. })),
        "{result:?}"
    );
}
