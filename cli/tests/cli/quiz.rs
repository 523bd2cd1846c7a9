//! `qbank quiz`: driven line by line through standard input, as a script would drive it.

use crate::support::spawn_server;

#[test]
fn quiz_reads_answers_from_standard_input_and_ends_with_the_score() {
    let server = spawn_server();

    // llm-001 is C (right), llm-002 is false (right), llm-003 is C (A is wrong).
    let run = server
        .qbank_with_input(&["quiz", "--count", "3"], "C\nfalse\nA\n")
        .success();

    assert!(
        run.stdout.contains("Question 1 of 3 · llm-001"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  C  提示校准 Prompt calibration\n"));
    assert!(run.stdout.contains("Question 3 of 3 · llm-003"));
    assert_eq!(run.stdout.matches("✓ Correct").count(), 2, "{}", run.stdout);
    assert_eq!(run.stdout.matches("✗ Incorrect").count(), 1);
    assert!(
        run.stdout.trim_end().ends_with("Score: 2/3 (2 points)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_ends_early_on_an_empty_line_and_scores_the_answered_questions() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(&["quiz", "--count", "5"], "C\n\nA\n")
        .success();

    assert!(!run.stdout.contains("Question 3 of 5"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Quiz ended after 1 of 5 questions."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("Score: 1/1 (1 point)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_ends_at_the_end_of_standard_input() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(&["quiz", "--count", "3"], "B\n")
        .success();

    assert!(
        run.stdout.contains("Quiz ended after 1 of 3 questions."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("Score: 0/1 (0 points)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_asks_again_after_a_key_the_question_does_not_have() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(&["quiz", "--count", "1"], "Z\nc\n")
        .success();

    assert!(run.stdout.contains("Not accepted:"), "{}", run.stdout);
    assert_eq!(
        run.stdout.matches("Your answer").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("Score: 1/1 (1 point)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_asks_only_the_questions_that_match_the_filters() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(&["quiz", "--type", "true-false", "--count", "5"], "false\n")
        .success();

    assert!(
        run.stdout.contains("Question 1 of 1 · llm-002"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Your answer (true/false;"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("Score: 1/1 (1 point)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_json_prints_one_document_with_the_score_and_each_answer() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(
            &["quiz", "--count", "2", "--json", "--respondent", "r1"],
            "C\ntrue\n",
        )
        .success();

    let quiz = run.json();
    assert_eq!(quiz["asked"], 2);
    assert_eq!(quiz["answered"], 2);
    assert_eq!(quiz["correct"], 1);
    assert_eq!(quiz["score"], 1.0);
    assert_eq!(quiz["results"][0]["questionId"], "llm-001");
    assert_eq!(quiz["results"][0]["choiceKeys"], serde_json::json!(["C"]));
    assert_eq!(quiz["results"][0]["correct"], true);
    assert_eq!(quiz["results"][1]["questionId"], "llm-002");
    assert_eq!(quiz["results"][1]["correct"], false);
    assert_eq!(
        quiz["results"][1]["correctChoiceKeys"],
        serde_json::json!(["false"])
    );
    // The questions and prompts went to standard error, leaving standard output to the JSON.
    assert!(run.stderr.contains("Question 1 of 2"), "{}", run.stderr);
}

#[test]
fn quiz_with_filters_that_match_nothing_exits_with_the_not_found_code() {
    let server = spawn_server();

    let run = server
        .qbank(&["quiz", "--category", "no-such-category"])
        .failure(3);

    assert!(run.stderr.contains("no question matches"), "{}", run.stderr);
}
