//! Multiple-choice questions, where an answer can earn partial credit: the verdict says so
//! and the quiz adds partial scores up. The bundled bank has none, so these tests bring a
//! bank of their own.

use crate::support::{TestServer, spawn_server_with_bank};

/// Two multiple-choice questions: mc-1 is A and C, mc-2 is B, C and D.
const MULTIPLE_CHOICE_BANK: &str = r#"
[[questions]]
id = "mc-1"
type = "multiple_choice"
difficulty = "easy"
category = "math"
tags = ["parity"]
language = "en"
stem = "Which are even?"
choices = [{ key = "A", text = "2" }, { key = "B", text = "3" }, { key = "C", text = "4" }]
answer = ["A", "C"]
explanation = "2 and 4 are divisible by 2."

[[questions]]
id = "mc-2"
type = "multiple_choice"
difficulty = "medium"
category = "math"
tags = ["primes"]
language = "en"
stem = "Which are prime?"
choices = [
  { key = "A", text = "1" },
  { key = "B", text = "2" },
  { key = "C", text = "3" },
  { key = "D", text = "5" },
]
answer = ["B", "C", "D"]
explanation = "1 is not prime by definition."
"#;

fn spawn_multiple_choice_server() -> TestServer {
    spawn_server_with_bank(MULTIPLE_CHOICE_BANK)
}

#[test]
fn answer_with_half_of_the_right_keys_is_partly_correct() {
    let server = spawn_multiple_choice_server();

    let run = server.qbank(&["answer", "mc-1", "A"]).success();

    assert!(
        run.stdout
            .starts_with("◐ Partly correct (score 0.5)\nAnswer: A, C\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn answer_takes_several_keys_as_separate_arguments_or_comma_separated() {
    let server = spawn_multiple_choice_server();

    let separate = server
        .qbank(&["answer", "mc-1", "A", "C", "--json"])
        .success();
    let comma_separated = server.qbank(&["answer", "mc-1", "A,C", "--json"]).success();

    assert_eq!(separate.json()["correct"], true);
    assert_eq!(comma_separated.json()["correct"], true);
}

#[test]
fn quiz_adds_up_partial_scores_in_its_summary() {
    let server = spawn_multiple_choice_server();

    // The questions come in either order, so both get the same answer: C alone earns 1/2 of
    // mc-1 (A and C) and 1/3 of mc-2 (B, C and D).
    let run = server.qbank_with_input(&["quiz"], "C\nC\n").success();

    assert!(
        run.stdout.contains("one or more, e.g. A C"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("Score: 0/2 (0.83 points)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_json_reports_the_sum_of_partial_scores() {
    let server = spawn_multiple_choice_server();

    // B and C, for either question: mc-1 loses for B what it earns for C, mc-2 earns 2/3.
    let quiz = server
        .qbank_with_input(&["quiz", "--json"], "B,C\nB,C\n")
        .success()
        .json();

    assert_eq!(quiz["asked"], 2);
    assert_eq!(quiz["correct"], 0);
    let score = quiz["score"].as_f64().expect("a numeric score");
    assert!((score - 2.0 / 3.0).abs() < 1e-9, "score {score}");
}
