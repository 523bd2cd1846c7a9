//! `qbank get`: one question, its choices, and with `--full` and a token its answer.

use crate::support::{ADMIN_TOKEN, spawn_server};

#[test]
fn get_shows_the_stem_and_the_choices_without_the_answer() {
    let server = spawn_server();

    let run = server.qbank(&["get", "llm-001"]).success();

    assert!(
        run.stdout.starts_with("llm-001 · single-choice · medium"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("哪种技术有助于减轻基于提示的学习中的偏见?")
    );
    assert!(
        run.stdout.contains("  A  微调 Fine-tuning\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  D  梯度裁剪 Gradient clipping\n"));
    assert!(!run.stdout.contains("Answer:"), "{}", run.stdout);
}

#[test]
fn get_full_with_the_admin_token_adds_the_answer_and_explanation() {
    let server = spawn_server();

    let run = server
        .qbank(&["--token", ADMIN_TOKEN, "get", "llm-001", "--full"])
        .success();

    assert!(run.stdout.contains("Answer: C\n"), "{}", run.stdout);
    assert!(run.stdout.contains("提示校准包括调整提示"));
}

#[test]
fn get_full_without_a_token_exits_with_the_unauthenticated_code() {
    let server = spawn_server();

    let run = server.qbank(&["get", "llm-001", "--full"]).failure(5);

    assert!(run.stderr.contains("UNAUTHENTICATED"), "{}", run.stderr);
    assert!(
        run.stderr.contains("QBANK_TOKEN"),
        "the hint names the variable: {}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn get_full_with_a_wrong_token_exits_with_the_unauthenticated_code() {
    let server = spawn_server();

    let run = server
        .qbank(&["--token", "not-the-token", "get", "llm-001", "--full"])
        .failure(5);

    assert!(run.stderr.contains("--token"), "{}", run.stderr);
}

#[test]
fn get_an_unknown_id_exits_with_the_not_found_code() {
    let server = spawn_server();

    let run = server.qbank(&["get", "llm-999"]).failure(3);

    assert!(run.stderr.contains("NOT_FOUND"), "{}", run.stderr);
    assert!(
        run.stderr.contains("qbank list"),
        "the hint says where ids are: {}",
        run.stderr
    );
}

#[test]
fn get_json_prints_the_question_with_proto_json_names() {
    let server = spawn_server();

    let question = server.qbank(&["get", "llm-002", "--json"]).success().json();

    assert_eq!(question["id"], "llm-002");
    assert_eq!(question["type"], "QUESTION_TYPE_TRUE_FALSE");
    assert_eq!(question["difficulty"], "DIFFICULTY_EASY");
    assert_eq!(question["category"], "llm");
    assert_eq!(question["choices"][1]["key"], "false");
    assert_eq!(question["choices"][1]["text"], "不需要");
    assert!(question["updateTime"].is_string());
    assert!(question.get("answer").is_none());
}

#[test]
fn get_full_json_includes_the_answer_key() {
    let server = spawn_server();

    let question = server
        .qbank(&["--json", "--token", ADMIN_TOKEN, "get", "llm-002", "--full"])
        .success()
        .json();

    assert_eq!(
        question["answer"]["correctChoiceKeys"],
        serde_json::json!(["false"])
    );
    assert!(
        question["answer"]["explanation"]
            .as_str()
            .is_some_and(|text| text.contains("向量存储")),
        "{question}"
    );
}
