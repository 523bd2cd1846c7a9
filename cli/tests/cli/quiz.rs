//! `qbank quiz`: driven line by line through standard input, as a script would drive it. The
//! questions come in a random order, so the tests pick filters whose questions the same
//! answers grade alike, or work out from the transcript which question was asked.

use crate::support::spawn_server;

/// The key of each question of the bundled bank.
pub(crate) const BUNDLED_KEYS: [(&str, &str); 10] = [
    ("llm-001", "C"),
    ("llm-002", "false"),
    ("llm-003", "C"),
    ("llm-004", "B"),
    ("llm-005", "B"),
    ("llm-006", "A"),
    ("llm-007", "A"),
    ("llm-008", "B"),
    ("llm-009", "C"),
    ("llm-010", "B"),
];

/// The medium questions of the bundled bank, in id order: single choice, each with a B,
/// which is right for all but llm-001 (C), and an A, which is right for none.
pub(crate) const MEDIUM: [&str; 4] = ["llm-001", "llm-004", "llm-005", "llm-010"];

/// The key of a bundled question.
pub(crate) fn key_of(id: &str) -> &'static str {
    BUNDLED_KEYS
        .iter()
        .find(|(question, _)| *question == id)
        .map(|(_, key)| *key)
        .unwrap_or_else(|| panic!("{id} is not in the bundled bank"))
}

/// The ids of the questions a quiz asked, in the order asked, from its `Question N of M · ID
/// · …` lines.
pub(crate) fn asked_ids(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .filter(|line| line.starts_with("Question "))
        .filter_map(|line| line.split(" · ").nth(1))
        .map(str::to_owned)
        .collect()
}

/// `ids` in id order, to compare as a set.
pub(crate) fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn quiz_reads_answers_from_standard_input_and_ends_with_the_score() {
    let server = spawn_server();

    // B is right for every medium question but llm-001, whatever the order.
    let run = server
        .qbank_with_input(
            &["quiz", "--difficulty", "medium", "--count", "4"],
            "B\nB\nB\nB\n",
        )
        .success();

    assert_eq!(sorted(asked_ids(&run.stdout)), MEDIUM, "{}", run.stdout);
    assert!(run.stdout.contains("Question 1 of 4 · "), "{}", run.stdout);
    assert!(run.stdout.contains("  C  提示校准 Prompt calibration\n"));
    assert_eq!(run.stdout.matches("✓ Correct").count(), 3, "{}", run.stdout);
    assert_eq!(run.stdout.matches("✗ Incorrect").count(), 1);
    assert!(
        run.stdout.trim_end().ends_with("Score: 3/4 (3 points)"),
        "{}",
        run.stdout
    );
}

#[test]
fn quiz_ends_early_on_an_empty_line_and_scores_the_answered_questions() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(
            &["quiz", "--difficulty", "medium", "--count", "4"],
            "B\n\nB\n",
        )
        .success();

    assert!(!run.stdout.contains("Question 3 of 4"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Quiz ended after 1 of 4 questions."),
        "{}",
        run.stdout
    );
    let first = asked_ids(&run.stdout).remove(0);
    let expected = if key_of(&first) == "B" {
        "Score: 1/1 (1 point)"
    } else {
        "Score: 0/1 (0 points)"
    };
    assert!(run.stdout.trim_end().ends_with(expected), "{}", run.stdout);
}

#[test]
fn quiz_ends_at_the_end_of_standard_input() {
    let server = spawn_server();

    // A is wrong for every medium question.
    let run = server
        .qbank_with_input(&["quiz", "--difficulty", "medium", "--count", "3"], "A\n")
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

    // llm-001 is the only question tagged prompting; its key is C.
    let run = server
        .qbank_with_input(&["quiz", "--tag", "prompting", "--count", "1"], "Z\nc\n")
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
            &[
                "quiz",
                "--difficulty",
                "medium",
                "--count",
                "2",
                "--json",
                "--respondent",
                "r1",
            ],
            "B\nB\n",
        )
        .success();

    let quiz = run.json();
    assert_eq!(quiz["asked"], 2);
    assert_eq!(quiz["answered"], 2);
    assert_eq!(quiz["available"], 4);
    assert_eq!(quiz["exhausted"], false);
    let results = quiz["results"].as_array().expect("a list of results");
    let mut correct = 0;
    for result in results {
        let id = result["questionId"].as_str().expect("a question id");
        assert!(MEDIUM.contains(&id), "{quiz}");
        assert_eq!(result["choiceKeys"], serde_json::json!(["B"]));
        assert_eq!(result["correct"], key_of(id) == "B", "{quiz}");
        assert_eq!(result["correctChoiceKeys"], serde_json::json!([key_of(id)]));
        correct += usize::from(key_of(id) == "B");
    }
    assert_ne!(results[0]["questionId"], results[1]["questionId"]);
    assert_eq!(quiz["correct"], correct);
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
