//! `qbank health`: the server's serving status, and an exit code a script can gate on.

use std::time::Duration;

use crate::support::{spawn_server, spawn_server_with_db_busy_timeout};

#[test]
fn health_of_a_running_server_prints_serving_and_exits_zero() {
    let server = spawn_server();

    let run = server.qbank(&["health"]).success();

    assert_eq!(run.stdout, "SERVING\n");
}

#[test]
fn health_of_the_question_bank_service_is_serving() {
    let server = spawn_server();

    let run = server
        .qbank(&["health", "--service", "qbank.v1.QuestionBank"])
        .success();

    assert_eq!(run.stdout, "SERVING\n");
}

#[test]
fn health_json_prints_the_status() {
    let server = spawn_server();

    let health = server.qbank(&["health", "--json"]).success().json();

    assert_eq!(health, serde_json::json!({ "status": "SERVING" }));
}

#[test]
fn health_of_an_unknown_service_exits_with_the_not_found_code() {
    let server = spawn_server();

    server
        .qbank(&["health", "--service", "no.such.Service"])
        .failure(3);
}

#[test]
fn health_of_the_question_bank_exits_7_while_its_writes_fail() {
    let server = spawn_server_with_db_busy_timeout(Duration::from_millis(50));
    server.qbank(&["health"]).success();
    let _lock = server.lock_database();
    server.qbank(&["answer", "llm-001", "C"]).failure(6);

    let run = server
        .qbank(&["health", "--service", "qbank.v1.QuestionBank"])
        .failure(7);

    assert_eq!(run.stdout, "NOT_SERVING\n");
}
