//! `qbank answer`: the verdict, score, right answer and explanation of one answer.

use std::time::Duration;

use crate::support::{
    qbank_command, run, spawn_server, spawn_server_on_port, spawn_server_with_db_busy_timeout,
};

#[test]
fn answer_with_the_right_key_says_correct_and_explains_why() {
    let server = spawn_server();

    let run = server.qbank(&["answer", "llm-001", "C"]).success();

    assert!(
        run.stdout.starts_with("✓ Correct (score 1)\nAnswer: C\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("提示校准包括调整提示"));
}

#[test]
fn answer_with_a_wrong_key_says_incorrect_and_shows_the_right_answer() {
    let server = spawn_server();

    let run = server.qbank(&["answer", "llm-002", "true"]).success();

    assert!(
        run.stdout
            .starts_with("✗ Incorrect (score 0)\nAnswer: false\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn answer_json_prints_the_grade_with_proto_json_names() {
    let server = spawn_server();

    let grade = server
        .qbank(&[
            "answer",
            "llm-001",
            "C",
            "--respondent",
            "candidate-7",
            "--json",
        ])
        .success()
        .json();

    assert_eq!(grade["correct"], true);
    assert_eq!(grade["score"], 1.0);
    assert_eq!(grade["correctChoiceKeys"], serde_json::json!(["C"]));
    assert_eq!(grade["questionRevision"], 1);
    assert!(grade["attemptId"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(
        grade["submitTime"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z'))
    );
    assert!(
        grade["explanation"]
            .as_str()
            .is_some_and(|text| !text.is_empty())
    );
}

#[test]
fn each_answer_command_records_its_own_attempt() {
    let server = spawn_server();

    // Each run sends a fresh request id, so the server does not mistake the second for a
    // retry of the first.
    let first = server
        .qbank(&["answer", "llm-003", "C", "--json"])
        .success()
        .json();
    let second = server
        .qbank(&["answer", "llm-003", "C", "--json"])
        .success()
        .json();

    assert_ne!(first["attemptId"], second["attemptId"]);
}

#[test]
fn answer_with_an_unknown_key_exits_with_the_invalid_argument_code() {
    let server = spawn_server();

    let run = server.qbank(&["answer", "llm-001", "Z"]).failure(4);

    assert!(run.stderr.contains("INVALID_ARGUMENT"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn answer_with_two_keys_to_a_single_choice_question_exits_with_the_invalid_argument_code() {
    let server = spawn_server();

    server.qbank(&["answer", "llm-001", "A,C"]).failure(4);
}

#[test]
fn answer_to_an_unknown_question_exits_with_the_not_found_code() {
    let server = spawn_server();

    let run = server.qbank(&["answer", "llm-999", "A"]).failure(3);

    assert!(run.stderr.contains("NOT_FOUND"), "{}", run.stderr);
}

#[test]
fn answer_without_a_key_exits_with_the_usage_code() {
    let server = spawn_server();

    let run = server.qbank(&["answer", "llm-001"]);

    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("<KEY>"), "{}", run.stderr);
}

#[test]
fn answer_retries_while_the_server_is_unavailable_and_records_the_answer_once() {
    let server = spawn_server_with_db_busy_timeout(Duration::from_millis(50));
    server.qbank(&["health"]).success();
    let lock = server.lock_database();
    // Released while the CLI waits between its retries (after 100, 200 and 400 ms), so the
    // first tries fail with UNAVAILABLE and a later one, with the same request_id, succeeds.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(250));
        lock.execute_batch("ROLLBACK").expect("release the lock");
    });

    let run = server.qbank(&["answer", "llm-001", "C"]).success();

    releaser.join().expect("the releasing thread");
    assert!(run.stdout.starts_with("✓ Correct"), "{}", run.stdout);
    assert_eq!(server.attempts_stored("llm-001"), 1);
}

#[test]
fn answer_gives_up_with_the_unavailable_exit_code_when_the_server_stays_unavailable() {
    let server = spawn_server_with_db_busy_timeout(Duration::from_millis(50));
    server.qbank(&["health"]).success();
    let _lock = server.lock_database();

    let run = server.qbank(&["answer", "llm-001", "C"]).failure(6);

    assert!(run.stderr.contains("UNAVAILABLE"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("is the server running"),
        "the server answered, so it is running: {}",
        run.stderr
    );
    assert!(run.stderr.contains("retry later"), "{}", run.stderr);
    drop(_lock);
    assert_eq!(server.attempts_stored("llm-001"), 0);
}

#[test]
fn answer_retries_a_refused_connection_until_the_server_is_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port();
    // Up while the CLI waits between its retries (after 100, 200 and 400 ms).
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        spawn_server_on_port(port)
    });
    let mut command = qbank_command();
    command.args([
        "--addr",
        &format!("http://127.0.0.1:{port}"),
        "answer",
        "llm-001",
        "C",
    ]);

    let run = run(command, "").success();

    let server = starter.join().expect("the server starts");
    assert!(run.stdout.starts_with("✓ Correct"), "{}", run.stdout);
    assert_eq!(server.attempts_stored("llm-001"), 1);
}
