//! `qbank list`: the table, its alignment with Chinese stems, paging and JSON.

use std::io::Read;
use std::process::Stdio;

use crate::support::{display_width, qbank_command, spawn_server};

/// The lines of a table's body, without the header.
fn rows(stdout: &str) -> Vec<&str> {
    stdout.lines().skip(1).collect()
}

#[test]
fn list_prints_a_table_of_id_type_difficulty_tags_language_and_stem() {
    let server = spawn_server();

    let run = server.qbank(&["list"]).success();

    let header = run.stdout.lines().next().expect("a header line");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["ID", "TYPE", "DIFFICULTY", "TAGS", "LANG", "STEM"]
    );
    let rows = rows(&run.stdout);
    assert_eq!(rows.len(), 10, "{}", run.stdout);
    assert!(
        rows[0].starts_with("llm-001  single-choice  medium"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains("prompting,bias"));
    assert_eq!(
        rows[0].split_whitespace().nth(4),
        Some("zh-CN"),
        "the language it is served in: {}",
        rows[0]
    );
    assert!(
        rows[0].ends_with("哪种技术有助于减轻基于提示的学习中的偏见?"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("true-false"));
}

#[test]
fn list_lines_up_the_stem_column_after_chinese_text() {
    let server = spawn_server();
    let page = server.qbank(&["list", "--json"]).success().json();
    let stems: Vec<&str> = page["questions"]
        .as_array()
        .expect("a list of questions")
        .iter()
        .map(|question| question["stem"].as_str().expect("a stem"))
        .collect();

    let run = server.qbank(&["list"]).success();

    // The stem starts at the same display column on every line, header included, although
    // the tags before it differ in length and every stem is Chinese.
    let stem_columns: Vec<usize> = std::iter::once("STEM")
        .chain(stems)
        .zip(run.stdout.lines())
        .map(|(stem, line)| {
            let start = line.find(stem).expect("the line ends with its stem");
            display_width(&line[..start])
        })
        .collect();
    assert_eq!(stem_columns.len(), 11);
    assert!(
        stem_columns.iter().all(|column| *column == stem_columns[0]),
        "stem columns {stem_columns:?} in:\n{}",
        run.stdout
    );
}

#[test]
fn list_cuts_stems_to_the_terminal_width_on_character_boundaries() {
    let server = spawn_server();

    let mut command = qbank_command();
    command
        .env("COLUMNS", "100")
        .args(["--addr", &server.addr, "list"]);
    let run = crate::support::run(command, "").success();

    for line in run.stdout.lines() {
        assert!(
            display_width(line) <= 100,
            "{line:?} is wider than 100 columns"
        );
    }
    let first_row = rows(&run.stdout)[0];
    assert!(first_row.ends_with('…'), "{first_row}");
    // Cut to the width, not well short of it: at most one column is lost, when the next
    // character is a two-column one.
    assert!(display_width(first_row) >= 99, "{first_row:?}");
    let shown_stem = first_row
        .rsplit("  ")
        .next()
        .expect("a stem cell")
        .trim_end_matches('…');
    assert!(
        "哪种技术有助于减轻基于提示的学习中的偏见?".starts_with(shown_stem),
        "{shown_stem:?} is not a prefix of the stem"
    );
}

#[test]
fn list_filters_by_type_and_difficulty() {
    let server = spawn_server();

    let true_false = server.qbank(&["list", "--type", "true-false"]).success();
    let hard = server.qbank(&["list", "--difficulty", "hard"]).success();

    let ids = |stdout: &str| -> Vec<String> {
        rows(stdout)
            .iter()
            .map(|row| row.split_whitespace().next().expect("an id").to_owned())
            .collect()
    };
    assert_eq!(ids(&true_false.stdout), ["llm-002"]);
    assert_eq!(ids(&hard.stdout), ["llm-008"]);
}

#[test]
fn list_says_how_to_get_the_next_page() {
    let server = spawn_server();

    let first = server.qbank(&["list", "--page-size", "4"]).success();

    assert_eq!(rows(&first.stdout).len(), 4);
    assert!(first.stderr.contains("Showing 4 of 10"), "{}", first.stderr);
    let token = first
        .stderr
        .split_whitespace()
        .skip_while(|word| *word != "--page-token")
        .nth(1)
        .expect("the footer names the next page token");
    let second = server
        .qbank(&["list", "--page-size", "4", "--page-token", token])
        .success();
    assert!(
        rows(&second.stdout)[0].starts_with("llm-005"),
        "{}",
        second.stdout
    );
}

#[test]
fn list_all_follows_the_pages_to_the_end() {
    let server = spawn_server();

    let run = server
        .qbank(&["list", "--all", "--page-size", "3"])
        .success();

    let rows = rows(&run.stdout);
    assert_eq!(rows.len(), 10, "{}", run.stdout);
    assert!(rows[9].starts_with("llm-010"));
    assert!(!run.stderr.contains("--page-token"), "{}", run.stderr);
}

#[test]
fn list_json_prints_one_document_with_proto_json_names() {
    let server = spawn_server();

    let run = server
        .qbank(&["list", "--json", "--page-size", "2"])
        .success();

    let page = run.json();
    assert_eq!(page["totalSize"], 10);
    assert!(
        page["nextPageToken"]
            .as_str()
            .is_some_and(|token| !token.is_empty())
    );
    let question = &page["questions"][0];
    assert_eq!(question["id"], "llm-001");
    assert_eq!(question["type"], "QUESTION_TYPE_SINGLE_CHOICE");
    assert_eq!(question["difficulty"], "DIFFICULTY_MEDIUM");
    assert_eq!(question["language"], "zh-CN");
    assert_eq!(question["tags"], serde_json::json!(["prompting", "bias"]));
    assert_eq!(question["choices"][2]["key"], "C");
    assert_eq!(question["revision"], 1);
    assert!(
        question["createTime"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z'))
    );
    assert!(
        question.get("answer").is_none(),
        "the BASIC view has no answer key"
    );
}

#[test]
fn list_all_json_prints_one_object_per_line() {
    let server = spawn_server();

    let run = server
        .qbank(&["list", "--all", "--json", "--page-size", "3"])
        .success();

    let ids: Vec<String> = run
        .stdout
        .lines()
        .map(|line| {
            let question: serde_json::Value =
                serde_json::from_str(line).expect("each line is one JSON object");
            question["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    let expected: Vec<String> = (1..=10).map(|n| format!("llm-{n:03}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn list_all_into_a_closed_pipe_exits_quietly() {
    let server = spawn_server();

    // Like `qbank list --all | head -0`: the reader is gone before the first line is written.
    for format in [None, Some("--json")] {
        let mut child = qbank_command()
            .args(["--addr", &server.addr, "list", "--all"])
            .args(format)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the qbank binary");
        drop(child.stdout.take());
        let status = child.wait().expect("wait for the qbank binary");
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("a piped standard error")
            .read_to_string(&mut stderr)
            .expect("read standard error");

        assert_eq!(status.code(), Some(0), "{format:?}: {stderr}");
        assert_eq!(stderr, "", "{format:?}: a closed pipe is not an error");
    }
}
