//! `qbank health`: the server's serving status, and an exit code a script can gate on.

use crate::support::spawn_server;

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
