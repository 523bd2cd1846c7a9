//! Finding questions: `qbank search`, the counts of `categories` and `tags`, and reading
//! questions in the preferred languages of `--lang`, `QBANK_LANG` or the locale.

use crate::authoring::{editor_script, scratch};
use crate::support::{ADMIN_TOKEN, spawn_server};

/// llm-001's stem as the bundled bank has it, in its original language.
const CHINESE_STEM: &str = "哪种技术有助于减轻基于提示的学习中的偏见?";

/// The lines of a table's body, without the header.
fn rows(stdout: &str) -> Vec<&str> {
    stdout.lines().skip(1).collect()
}

/// The first word of each row: the ids of a question table, the names of a count table.
fn first_words(stdout: &str) -> Vec<&str> {
    rows(stdout)
        .iter()
        .filter_map(|row| row.split_whitespace().next())
        .collect()
}

/// The `Languages:` line of `get`'s output.
fn languages_line(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|line| line.starts_with("Languages: "))
        .unwrap_or_else(|| panic!("no Languages: line in:\n{stdout}"))
}

#[test]
fn search_finds_the_question_whose_stem_holds_a_chinese_word() {
    let server = spawn_server();

    let run = server.qbank(&["search", "偏见"]).success();

    assert_eq!(
        first_words(&run.stdout).first(),
        Some(&"llm-001"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(CHINESE_STEM), "{}", run.stdout);
}

#[test]
fn search_prints_the_table_of_list() {
    let server = spawn_server();

    let run = server.qbank(&["search", "偏见"]).success();

    let header = run.stdout.lines().next().expect("a header line");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["ID", "TYPE", "DIFFICULTY", "TAGS", "LANG", "STEM"]
    );
}

#[test]
fn search_takes_the_filters_of_list() {
    let server = spawn_server();

    // llm-001 is of medium difficulty, so nothing easy matches.
    let run = server
        .qbank(&["search", "偏见", "--difficulty", "easy"])
        .success();

    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("No questions match this search."),
        "{}",
        run.stderr
    );
}

#[test]
fn search_json_prints_one_page_with_the_total() {
    let server = spawn_server();

    let page = server.qbank(&["--json", "search", "偏见"]).success().json();

    assert_eq!(page["questions"][0]["id"], "llm-001");
    assert!(
        page["totalSize"].as_i64().is_some_and(|total| total >= 1),
        "{page}"
    );
}

#[test]
fn search_with_an_empty_query_is_a_usage_error() {
    let server = spawn_server();

    let run = server.qbank(&["search", ""]).failure(2);

    assert!(run.stderr.contains("query is empty"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn categories_prints_the_llm_row_with_its_count_and_a_bar() {
    let server = spawn_server();

    let run = server.qbank(&["categories"]).success();

    let header: Vec<&str> = run
        .stdout
        .lines()
        .next()
        .expect("a header line")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["CATEGORY", "QUESTIONS", "DIFFICULTY", "TYPE"]);
    let llm = rows(&run.stdout)
        .into_iter()
        .find(|row| row.starts_with("llm "))
        .unwrap_or_else(|| panic!("no llm row in:\n{}", run.stdout));
    let cells: Vec<&str> = llm.split_whitespace().collect();
    assert_eq!(cells[1], "10", "{llm}");
    assert!(
        !cells[2].is_empty() && cells[2].chars().all(|character| character == '█'),
        "a bar after the count: {llm}"
    );
    assert!(llm.contains("easy "), "the breakdown by difficulty: {llm}");
    assert!(
        llm.contains("single-choice "),
        "the breakdown by type: {llm}"
    );
}

#[test]
fn categories_json_counts_each_category_by_difficulty_and_type() {
    let server = spawn_server();

    let document = server.qbank(&["--json", "categories"]).success().json();

    let categories = document["categories"]
        .as_array()
        .expect("a list of categories");
    let llm = categories
        .iter()
        .find(|category| category["category"] == "llm")
        .unwrap_or_else(|| panic!("no llm category in {document}"));
    assert_eq!(llm["questionCount"], 10);
    let total = |list: &serde_json::Value| -> i64 {
        list.as_array()
            .expect("a list of counts")
            .iter()
            .map(|count| count["questionCount"].as_i64().expect("a count"))
            .sum()
    };
    assert_eq!(total(&llm["difficulties"]), 10, "{llm}");
    assert_eq!(total(&llm["types"]), 10, "{llm}");
    assert_eq!(llm["types"][0]["type"], "QUESTION_TYPE_SINGLE_CHOICE");
}

#[test]
fn tags_of_a_category_come_most_used_first_each_with_a_bar() {
    let server = spawn_server();

    let run = server.qbank(&["tags", "--category", "llm"]).success();

    let counts: Vec<u32> = rows(&run.stdout)
        .iter()
        .map(|row| {
            let cells: Vec<&str> = row.split_whitespace().collect();
            assert!(cells.get(2).is_some_and(|bar| bar.contains('█')), "{row}");
            cells[1].parse().expect("a count")
        })
        .collect();
    assert!(counts.len() > 2, "{}", run.stdout);
    assert!(
        counts.windows(2).all(|pair| pair[0] >= pair[1]),
        "counts {counts:?} in:\n{}",
        run.stdout
    );
    // alignment and rlhf are the only tags on two questions; ties come by name.
    assert_eq!(first_words(&run.stdout)[..2], ["alignment", "rlhf"]);
}

#[test]
fn tags_json_prints_each_tag_with_its_count() {
    let server = spawn_server();

    let document = server
        .qbank(&["--json", "tags", "--category", "llm"])
        .success()
        .json();

    assert_eq!(document["tags"][0]["tag"], "alignment");
    assert_eq!(document["tags"][0]["questionCount"], 2);
}

#[test]
fn tags_of_a_category_without_questions_print_no_table() {
    let server = spawn_server();

    let run = server
        .qbank(&["tags", "--category", "no-such-category"])
        .success();

    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("No questions match"), "{}", run.stderr);
}

#[test]
fn lang_en_shows_the_english_translation() {
    let server = spawn_server();

    let run = server.qbank(&["--lang", "en", "get", "llm-001"]).success();

    assert!(
        run.stdout
            .starts_with("llm-001 · single-choice · medium · llm · en · "),
        "{}",
        run.stdout
    );
    assert!(
        languages_line(&run.stdout).contains("en (shown)"),
        "{}",
        run.stdout
    );
    assert!(
        languages_line(&run.stdout).contains("zh-CN"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(CHINESE_STEM), "{}", run.stdout);
}

#[test]
fn the_locale_in_lang_chooses_english_without_the_flag() {
    let server = spawn_server();

    let run = server
        .qbank_with_env(&["get", "llm-001"], &[("LANG", "en_US.UTF-8")])
        .success();

    assert!(
        languages_line(&run.stdout).contains("en (shown)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(CHINESE_STEM), "{}", run.stdout);
}

#[test]
fn a_language_the_question_lacks_falls_back_to_its_original() {
    let server = spawn_server();

    let run = server.qbank(&["--lang", "fr", "get", "llm-001"]).success();

    assert!(
        run.stdout
            .starts_with("llm-001 · single-choice · medium · llm · zh-CN · "),
        "{}",
        run.stdout
    );
    assert!(
        languages_line(&run.stdout).contains("zh-CN (shown)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(CHINESE_STEM), "{}", run.stdout);
}

#[test]
fn qbank_lang_wins_over_the_locale_and_the_flag_over_both() {
    let server = spawn_server();
    let environment = [("QBANK_LANG", "fr"), ("LANG", "en_US.UTF-8")];

    let from_qbank_lang = server
        .qbank_with_env(&["get", "llm-001"], &environment)
        .success();
    let from_the_flag = server
        .qbank_with_env(&["--lang", "en", "get", "llm-001"], &environment)
        .success();

    assert!(
        from_qbank_lang.stdout.contains(CHINESE_STEM),
        "{}",
        from_qbank_lang.stdout
    );
    assert!(
        languages_line(&from_the_flag.stdout).contains("en (shown)"),
        "{}",
        from_the_flag.stdout
    );
}

#[test]
fn a_malformed_qbank_lang_is_a_usage_error() {
    let server = spawn_server();

    let run = server
        .qbank_with_env(&["get", "llm-001"], &[("QBANK_LANG", "en US")])
        .failure(2);

    assert!(run.stderr.contains("QBANK_LANG"), "{}", run.stderr);
}

#[test]
fn list_shows_the_language_each_question_is_served_in() {
    let server = spawn_server();

    let run = server.qbank(&["--lang", "en", "list"]).success();

    let languages: Vec<&str> = rows(&run.stdout)
        .iter()
        .map(|row| row.split_whitespace().nth(4).expect("a LANG cell"))
        .collect();
    assert_eq!(languages.len(), 10, "{}", run.stdout);
    assert!(
        languages.iter().all(|language| *language == "en"),
        "{}",
        run.stdout
    );
}

#[test]
fn answer_explains_in_the_preferred_language() {
    let server = spawn_server();

    let grade = server
        .qbank(&["--json", "--lang", "en", "answer", "llm-001", "C"])
        .success()
        .json();

    assert_eq!(grade["correct"], true);
    assert_eq!(grade["explanationLanguage"], "en");
    assert!(
        grade["explanation"]
            .as_str()
            .is_some_and(|text| !text.contains("提示校准")),
        "{grade}"
    );
}

#[test]
fn quiz_asks_in_the_preferred_language() {
    let server = spawn_server();

    let run = server
        .qbank_with_input(&["--lang", "en", "quiz", "--tag", "prompting"], "C\n")
        .success();

    assert!(
        run.stdout
            .contains("llm-001 · single-choice · medium · llm · en · "),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(CHINESE_STEM), "{}", run.stdout);
    assert!(run.stdout.contains("Score: 1/1"), "{}", run.stdout);
}

#[test]
fn edit_opens_the_original_language_whatever_the_preference() {
    let server = spawn_server();
    let dir = scratch();
    let opened = dir.path().join("opened.toml");
    let editor = editor_script(dir.path(), &format!(r#"cp "$1" "{}""#, opened.display()));

    let run = server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "--lang", "en", "edit", "llm-001"],
            &[("VISUAL", &editor), ("LANG", "en_US.UTF-8")],
        )
        .success();

    let file = std::fs::read_to_string(&opened).expect("the editor saw the file");
    assert!(file.contains(CHINESE_STEM), "{file}");
    assert!(file.contains(r#"language = "zh-CN""#), "{file}");
    assert!(run.stdout.contains("unchanged"), "{}", run.stdout);
}
