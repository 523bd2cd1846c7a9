//! Assessment: random draws (`draw`, and `quiz` drawing its questions), a question's
//! statistics (`stats`), a respondent's progress (`me`), and reporting problems with
//! questions (`report`, `reports`, `resolve`).

use crate::quiz::{MEDIUM, asked_ids, sorted};
use crate::support::{ADMIN_TOKEN, Run, TestServer, spawn_server};

/// The lines of a table's body, without the header.
fn rows(table: &str) -> Vec<&str> {
    table.lines().skip(1).collect()
}

/// The first word of each row of a table: the ids of a question table.
fn first_words(table: &str) -> Vec<&str> {
    rows(table)
        .iter()
        .filter_map(|row| row.split_whitespace().next())
        .collect()
}

/// The ids of the questions of a draw's JSON document, in the order drawn.
fn drawn_ids(draw: &serde_json::Value) -> Vec<String> {
    draw["questions"]
        .as_array()
        .expect("a list of questions")
        .iter()
        .map(|question| question["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Records `respondent`'s answer `key` to `id` (an empty respondent answers anonymously).
fn answer(server: &TestServer, id: &str, key: &str, respondent: &str) {
    let mut args = vec!["answer", id, key];
    if !respondent.is_empty() {
        args.extend(["--respondent", respondent]);
    }
    server.qbank(&args).success();
}

/// Runs an admin command: `qbank --token <the test token> ARGS…`.
fn admin(server: &TestServer, args: &[&str]) -> Run {
    let mut with_token = vec!["--token", ADMIN_TOKEN];
    with_token.extend_from_slice(args);
    server.qbank(&with_token)
}

/// Files a report and returns its id.
fn report(server: &TestServer, args: &[&str]) -> String {
    let mut command = vec!["report", "--json"];
    command.extend_from_slice(args);
    let report = server.qbank(&command).success().json();
    report["id"].as_str().expect("a report id").to_owned()
}

/// The row of a text table or chart whose first cell is `name`.
fn row_named<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|line| line.split("  ").next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name:?} in:\n{text}"))
}

// --- draw ---

#[test]
fn draw_prints_the_drawn_questions_as_list_does_and_how_many_were_available() {
    let server = spawn_server();

    let run = server.qbank(&["draw", "--count", "3"]).success();

    let header = run.stdout.lines().next().expect("a header line");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["ID", "TYPE", "DIFFICULTY", "TAGS", "LANG", "STEM"]
    );
    let mut ids = first_words(&run.stdout);
    assert_eq!(ids.len(), 3, "{}", run.stdout);
    ids.dedup();
    assert_eq!(ids.len(), 3, "the questions are distinct: {}", run.stdout);
    assert!(
        run.stderr.contains("Drew 3 of 10 available questions."),
        "{}",
        run.stderr
    );
}

#[test]
fn draw_with_the_same_seed_draws_the_same_questions_in_the_same_order() {
    let server = spawn_server();
    let draw = || {
        let run = server
            .qbank(&["draw", "--count", "5", "--seed", "exam-7", "--json"])
            .success();
        drawn_ids(&run.json())
    };

    let first = draw();
    let second = draw();

    assert_eq!(first.len(), 5);
    assert_eq!(first, second);
}

#[test]
fn draws_without_a_seed_are_fresh_each_time() {
    let server = spawn_server();

    // Five ordered questions of ten: three equal draws in a row would be a one in
    // 30,240² chance.
    let draws: Vec<Vec<String>> = (0..3)
        .map(|_| {
            drawn_ids(
                &server
                    .qbank(&["draw", "--count", "5", "--json"])
                    .success()
                    .json(),
            )
        })
        .collect();

    assert!(
        draws.iter().any(|draw| *draw != draws[0]),
        "three draws alike: {draws:?}"
    );
}

#[test]
fn draw_json_prints_the_questions_how_many_were_available_and_whether_they_ran_out() {
    let server = spawn_server();

    let draw = server
        .qbank(&["draw", "--count", "4", "--json"])
        .success()
        .json();

    assert_eq!(drawn_ids(&draw).len(), 4);
    assert_eq!(draw["available"], 10);
    assert_eq!(draw["exhausted"], false);
    let question = &draw["questions"][0];
    assert_eq!(question["category"], "llm");
    assert!(question.get("answer").is_none(), "no key in a draw: {draw}");
}

#[test]
fn draw_says_when_the_filters_leave_fewer_questions_than_asked_for() {
    let server = spawn_server();

    let run = server
        .qbank(&["draw", "--type", "true-false", "--count", "5"])
        .success();

    assert_eq!(first_words(&run.stdout), ["llm-002"], "{}", run.stdout);
    assert!(
        run.stderr
            .contains("Only 1 question available: the pool is used up."),
        "{}",
        run.stderr
    );
}

#[test]
fn draw_excluding_answered_leaves_out_every_question_the_respondent_answered() {
    let server = spawn_server();
    answer(&server, "llm-001", "C", "r1");
    // A wrong answer is an answer too.
    answer(&server, "llm-004", "A", "r1");
    // Someone else's answers do not count.
    answer(&server, "llm-005", "B", "r2");

    let draw = server
        .qbank(&[
            "draw",
            "--count",
            "10",
            "--respondent",
            "r1",
            "--exclude-answered",
            "--json",
        ])
        .success()
        .json();

    let ids = drawn_ids(&draw);
    assert_eq!(ids.len(), 8, "{draw}");
    assert!(
        !ids.iter().any(|id| id == "llm-001" || id == "llm-004"),
        "{draw}"
    );
    assert!(ids.iter().any(|id| id == "llm-005"), "{draw}");
    assert_eq!(draw["available"], 8);
    assert_eq!(draw["exhausted"], true);
}

#[test]
fn draw_for_a_respondent_who_answered_every_match_says_the_pool_is_used_up() {
    let server = spawn_server();
    answer(&server, "llm-002", "true", "r1");

    let run = server
        .qbank(&[
            "draw",
            "--type",
            "true-false",
            "--respondent",
            "r1",
            "--exclude-answered",
        ])
        .success();

    assert_eq!(run.stdout, "", "no table for no questions");
    assert!(
        run.stderr
            .contains("r1 has answered every question that matches: the pool is used up."),
        "{}",
        run.stderr
    );
}

#[test]
fn draw_exclude_answered_without_a_respondent_is_a_usage_error() {
    let server = spawn_server();

    let run = server.qbank(&["draw", "--exclude-answered"]).failure(2);

    assert!(run.stderr.contains("--respondent"), "{}", run.stderr);
}

#[test]
fn draw_of_more_than_100_questions_is_a_usage_error() {
    let server = spawn_server();

    server.qbank(&["draw", "--count", "101"]).failure(2);
}

#[test]
fn draw_serves_each_question_in_the_preferred_language() {
    let server = spawn_server();

    let draw = server
        .qbank(&["--lang", "en", "draw", "--count", "10", "--json"])
        .success()
        .json();

    let questions = draw["questions"].as_array().expect("a list of questions");
    assert_eq!(questions.len(), 10);
    assert!(
        questions
            .iter()
            .all(|question| question["language"] == "en"),
        "{draw}"
    );
}

// --- quiz, drawing its questions ---

#[test]
fn quiz_with_the_same_seed_asks_the_same_questions_in_the_same_order() {
    let server = spawn_server();
    let quiz = || {
        let args = [
            "quiz",
            "--difficulty",
            "medium",
            "--count",
            "4",
            "--seed",
            "s-1",
        ];
        asked_ids(
            &server
                .qbank_with_input(&args, "B\nB\nB\nB\n")
                .success()
                .stdout,
        )
    };

    let first = quiz();
    let second = quiz();

    assert_eq!(sorted(first.clone()), MEDIUM);
    assert_eq!(first, second);
}

#[test]
fn quiz_for_a_respondent_skips_what_they_answered_and_says_how_many_are_left() {
    let server = spawn_server();
    answer(&server, "llm-001", "C", "r1");

    let run = server
        .qbank_with_input(
            &[
                "quiz",
                "--respondent",
                "r1",
                "--difficulty",
                "medium",
                "--count",
                "4",
            ],
            "B\nB\nB\n",
        )
        .success();

    assert!(
        run.stdout
            .contains("Only 3 questions left that you have not answered."),
        "{}",
        run.stdout
    );
    assert_eq!(
        sorted(asked_ids(&run.stdout)),
        ["llm-004", "llm-005", "llm-010"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("Score: 3/3 (3 points)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_second_quiz_for_the_same_respondent_says_they_have_answered_everything() {
    let server = spawn_server();
    // The quiz records its answers for the respondent, so the next quiz has nothing left.
    server
        .qbank_with_input(&["quiz", "--respondent", "r1", "--tag", "prompting"], "C\n")
        .success();

    let run = server
        .qbank(&["quiz", "--respondent", "r1", "--tag", "prompting"])
        .success();

    assert!(
        run.stdout
            .contains("You have answered every question that matches."),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("Question 1"), "{}", run.stdout);
    assert!(!run.stdout.contains("Score:"), "{}", run.stdout);
}

#[test]
fn quiz_json_for_a_respondent_with_nothing_left_asks_nothing_and_says_it_ran_out() {
    let server = spawn_server();
    answer(&server, "llm-002", "false", "r1");

    let quiz = server
        .qbank(&[
            "quiz",
            "--respondent",
            "r1",
            "--type",
            "true-false",
            "--json",
        ])
        .success()
        .json();

    assert_eq!(quiz["asked"], 0);
    assert_eq!(quiz["available"], 0);
    assert_eq!(quiz["exhausted"], true);
    assert_eq!(quiz["results"], serde_json::json!([]));
}

#[test]
fn quiz_for_a_respondent_with_filters_that_match_nothing_exits_with_the_not_found_code() {
    let server = spawn_server();

    let run = server
        .qbank(&[
            "quiz",
            "--respondent",
            "r1",
            "--category",
            "no-such-category",
        ])
        .failure(3);

    assert!(run.stderr.contains("no question matches"), "{}", run.stderr);
}

// --- stats ---

#[test]
fn stats_without_the_token_exits_with_the_unauthenticated_code() {
    let server = spawn_server();

    let run = server.qbank(&["stats", "llm-004"]).failure(5);

    assert!(run.stderr.contains("QBANK_TOKEN"), "{}", run.stderr);
}

#[test]
fn stats_show_the_figures_and_the_spread_of_the_choices_with_the_key_marked() {
    let server = spawn_server();
    // llm-004's key is B: two of three respondents chose the distractor A.
    answer(&server, "llm-004", "A", "r1");
    answer(&server, "llm-004", "A", "r2");
    answer(&server, "llm-004", "B", "r3");

    let run = admin(&server, &["stats", "llm-004"]).success();

    let text = &run.stdout;
    assert!(text.starts_with("llm-004 · all revisions\n"), "{text}");
    for line in [
        "Attempts        3",
        "Respondents     3",
        "First attempts  3",
        "Facility        0.33",
        "Mean score      0.33",
        "Discrimination  not enough data (fewer than 30 respondents)",
    ] {
        assert!(
            text.lines().any(|row| row == line),
            "no {line:?} in:\n{text}"
        );
    }
    let distractor = row_named(text, "A");
    assert!(distractor.contains("2 (67%)  █"), "{text}");
    let key = row_named(text, "B ✓");
    assert!(key.contains("1 (33%)  █"), "{text}");
    assert!(
        text.contains("Hint: distractor A is chosen more often than the key."),
        "{text}"
    );
}

#[test]
fn stats_json_counts_first_attempts_and_anonymous_ones_apart_from_all_attempts() {
    let server = spawn_server();
    // r1 gets it wrong, then right; an anonymous attempt gets it right.
    answer(&server, "llm-004", "A", "r1");
    answer(&server, "llm-004", "B", "r1");
    answer(&server, "llm-004", "B", "");

    let stats = admin(&server, &["stats", "llm-004", "--json"])
        .success()
        .json();

    assert_eq!(stats["id"], "llm-004");
    assert_eq!(stats["revision"], 0);
    assert_eq!(stats["attempts"], 3);
    assert_eq!(stats["respondents"], 1);
    assert_eq!(stats["firstAttempts"], 2);
    assert_eq!(stats["facility"], 0.5);
    let mean_score = stats["meanScore"].as_f64().expect("a mean score");
    assert!((mean_score - 2.0 / 3.0).abs() < 1e-9, "{stats}");
    assert_eq!(stats["choices"][0]["key"], "A");
    assert_eq!(stats["choices"][0]["chosen"], 1);
    assert_eq!(stats["choices"][1]["key"], "B");
    assert_eq!(stats["choices"][1]["chosen"], 2);
    assert!(stats["discrimination"].is_null(), "{stats}");
}

#[test]
fn stats_of_a_question_nobody_answered_are_zeros_without_a_hint() {
    let server = spawn_server();

    let run = admin(&server, &["stats", "llm-001"]).success();

    assert!(run.stdout.contains("Attempts        0\n"), "{}", run.stdout);
    assert!(
        row_named(&run.stdout, "C ✓").contains("0 (0%)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('█'), "{}", run.stdout);
    assert!(!run.stdout.contains("Hint:"), "{}", run.stdout);
}

#[test]
fn stats_of_one_revision_count_only_its_attempts() {
    let server = spawn_server();
    answer(&server, "llm-004", "A", "r1");
    let dir = crate::authoring::scratch();
    let stem_fix = dir.path().join("stem.toml");
    std::fs::write(
        &stem_fix,
        "stem = \"How is reward hacking described in RLHF?\"\n",
    )
    .expect("write the question file");
    admin(
        &server,
        &[
            "update",
            "llm-004",
            "--file",
            &stem_fix.display().to_string(),
        ],
    )
    .success();
    answer(&server, "llm-004", "B", "r2");

    let run = admin(&server, &["stats", "llm-004", "--revision", "2"]).success();
    let all = admin(&server, &["stats", "llm-004", "--json"])
        .success()
        .json();

    assert!(
        run.stdout.starts_with("llm-004 · revision 2\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Attempts        1\n"), "{}", run.stdout);
    assert!(
        row_named(&run.stdout, "B ✓").contains("1 (100%)"),
        "{}",
        run.stdout
    );
    assert_eq!(all["attempts"], 2);
}

#[test]
fn stats_of_a_deleted_question_still_mark_its_key() {
    let server = spawn_server();
    answer(&server, "llm-004", "B", "r1");
    admin(&server, &["delete", "llm-004"]).success();

    let run = admin(&server, &["stats", "llm-004"]).success();

    assert!(run.stdout.contains("Attempts        1\n"), "{}", run.stdout);
    assert!(
        row_named(&run.stdout, "B ✓").contains("1 (100%)"),
        "{}",
        run.stdout
    );
}

#[test]
fn stats_of_an_unknown_question_exit_with_the_not_found_code() {
    let server = spawn_server();

    admin(&server, &["stats", "no-such-question"]).failure(3);
}

// --- me ---

#[test]
fn me_shows_progress_overall_then_by_category_and_by_tag_weakest_first() {
    let server = spawn_server();
    // llm-001 (prompting, bias) right; llm-004 (rlhf, reward-hacking, alignment) wrong.
    answer(&server, "llm-001", "C", "r1");
    answer(&server, "llm-004", "A", "r1");

    let run = server.qbank(&["me", "--respondent", "r1"]).success();

    let text = &run.stdout;
    assert_eq!(
        text.lines().next(),
        Some("r1 · 2 questions answered · 2 attempts · 50% correct · mean score 0.5"),
        "{text}"
    );
    assert!(row_named(text, "llm").contains("0.5  ████"), "{text}");
    let tags: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("TAG "))
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        tags,
        ["alignment", "reward-hacking", "rlhf", "bias", "prompting"],
        "{text}"
    );
}

#[test]
fn me_json_counts_the_first_attempt_at_each_question() {
    let server = spawn_server();
    answer(&server, "llm-004", "A", "r1");
    answer(&server, "llm-004", "B", "r1");

    let me = server
        .qbank(&["me", "--respondent", "r1", "--json"])
        .success()
        .json();

    assert_eq!(me["respondentId"], "r1");
    assert_eq!(me["questionsAnswered"], 1);
    assert_eq!(me["attempts"], 2);
    assert_eq!(me["correctShare"], 0.0);
    assert_eq!(me["meanScore"], 0.0);
    assert_eq!(me["byCategory"][0]["name"], "llm");
    assert_eq!(me["byCategory"][0]["questionsAnswered"], 1);
    assert_eq!(me["byTag"].as_array().map(Vec::len), Some(3), "{me}");
}

#[test]
fn me_for_a_respondent_without_attempts_says_so() {
    let server = spawn_server();

    let run = server.qbank(&["me", "--respondent", "nobody"]).success();

    assert_eq!(run.stdout, "nobody has not answered any question yet.\n");
}

#[test]
fn me_takes_the_respondent_from_qbank_respondent() {
    let server = spawn_server();
    answer(&server, "llm-001", "C", "r1");

    let run = server
        .qbank_with_env(&["me", "--json"], &[("QBANK_RESPONDENT", "r1")])
        .success();

    assert_eq!(run.json()["questionsAnswered"], 1);
}

#[test]
fn me_without_a_respondent_is_a_usage_error() {
    let server = spawn_server();

    let run = server.qbank(&["me"]).failure(2);

    assert!(run.stderr.contains("--respondent"), "{}", run.stderr);
}

// --- report, reports, resolve ---

#[test]
fn report_prints_the_report_id_and_that_it_is_open_without_a_token() {
    let server = spawn_server();

    let run = server
        .qbank(&[
            "report",
            "llm-001",
            "--reason",
            "wrong-answer",
            "--comment",
            "I think the key is A",
        ])
        .success();

    let line = run.stdout.trim_end();
    assert!(line.starts_with("Report "), "{line}");
    assert!(
        line.ends_with(" on llm-001 (revision 1, wrong-answer): open."),
        "{line}"
    );
}

#[test]
fn report_json_prints_the_report_with_enum_names() {
    let server = spawn_server();

    let report = server
        .qbank(&[
            "report",
            "llm-002",
            "--reason",
            "typo",
            "--comment",
            "矢量 should be 向量",
            "--respondent",
            "r1",
            "--json",
        ])
        .success()
        .json();

    assert!(report["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(report["questionId"], "llm-002");
    assert_eq!(report["questionRevision"], 1);
    assert_eq!(report["reason"], "REPORT_REASON_TYPO");
    assert_eq!(report["comment"], "矢量 should be 向量");
    assert_eq!(report["respondentId"], "r1");
    assert_eq!(report["state"], "REPORT_STATE_OPEN");
    assert!(report["createTime"].is_string(), "{report}");
}

#[test]
fn report_of_an_unknown_question_exits_with_the_not_found_code() {
    let server = spawn_server();

    server
        .qbank(&["report", "no-such-question", "--reason", "other"])
        .failure(3);
}

#[test]
fn report_with_an_unknown_reason_is_a_usage_error() {
    let server = spawn_server();

    let run = server
        .qbank(&["report", "llm-001", "--reason", "boring"])
        .failure(2);

    assert!(run.stderr.contains("wrong-answer"), "{}", run.stderr);
}

#[test]
fn report_with_a_comment_over_2000_characters_exits_with_the_invalid_argument_code() {
    let server = spawn_server();
    let comment = "x".repeat(2001);

    server
        .qbank(&[
            "report",
            "llm-001",
            "--reason",
            "other",
            "--comment",
            &comment,
        ])
        .failure(4);
}

#[test]
fn reports_beyond_the_hourly_limit_are_refused_as_resource_exhausted() {
    let server = spawn_server();
    // The server's default --report-limit: 20 reports per respondent per hour.
    for _ in 0..20 {
        report(
            &server,
            &["llm-001", "--reason", "typo", "--respondent", "r1"],
        );
    }

    let run = server
        .qbank(&[
            "report",
            "llm-001",
            "--reason",
            "typo",
            "--respondent",
            "r1",
        ])
        .failure(1);

    assert!(
        run.stderr.contains("(RESOURCE_EXHAUSTED)"),
        "{}",
        run.stderr
    );
}

#[test]
fn reports_without_the_token_exit_with_the_unauthenticated_code() {
    let server = spawn_server();

    server.qbank(&["reports"]).failure(5);
}

#[test]
fn reports_list_the_reports_newest_first() {
    let server = spawn_server();
    let older = report(&server, &["llm-001", "--reason", "typo"]);
    let newer = report(
        &server,
        &["llm-002", "--reason", "ambiguous", "--comment", "Both"],
    );

    let run = admin(&server, &["reports"]).success();

    let header = run.stdout.lines().next().expect("a header line");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["ID", "QUESTION", "REASON", "STATE", "CREATED", "COMMENT"]
    );
    assert_eq!(first_words(&run.stdout), [newer.as_str(), older.as_str()]);
    let newest: Vec<&str> = rows(&run.stdout)[0].split_whitespace().collect();
    assert_eq!(
        newest[1..4],
        ["llm-002", "ambiguous", "open"],
        "{}",
        run.stdout
    );
    assert_eq!(newest.last(), Some(&"Both"), "{}", run.stdout);
}

#[test]
fn reports_open_leave_out_the_resolved_ones() {
    let server = spawn_server();
    let resolved = report(&server, &["llm-001", "--reason", "typo"]);
    let open = report(&server, &["llm-001", "--reason", "outdated"]);
    admin(&server, &["resolve", &resolved]).success();

    let page = admin(&server, &["reports", "--open", "--json"])
        .success()
        .json();

    assert_eq!(page["reports"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["reports"][0]["id"], open.as_str());
    assert_eq!(page["nextPageToken"], "");
}

#[test]
fn reports_of_one_question_leave_out_the_others() {
    let server = spawn_server();
    report(&server, &["llm-001", "--reason", "typo"]);
    let about_llm_002 = report(&server, &["llm-002", "--reason", "typo"]);

    let run = admin(&server, &["reports", "--question", "llm-002"]).success();

    assert_eq!(first_words(&run.stdout), [about_llm_002.as_str()]);
}

#[test]
fn reports_say_how_to_get_the_next_page_and_all_follows_them() {
    let server = spawn_server();
    for reason in ["typo", "ambiguous", "other"] {
        report(&server, &["llm-001", "--reason", reason]);
    }

    let first_page = admin(&server, &["reports", "--page-size", "2"]).success();
    let all = admin(&server, &["reports", "--all", "--page-size", "2", "--json"]).success();

    assert_eq!(rows(&first_page.stdout).len(), 2, "{}", first_page.stdout);
    assert!(
        first_page.stderr.contains("--page-token"),
        "{}",
        first_page.stderr
    );
    let lines: Vec<serde_json::Value> = all
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one report per line"))
        .collect();
    assert_eq!(lines.len(), 3, "{}", all.stdout);
    assert_eq!(lines[0]["reason"], "REPORT_REASON_OTHER");
}

#[test]
fn resolve_marks_the_report_resolved_with_the_note() {
    let server = spawn_server();
    let id = report(&server, &["llm-001", "--reason", "wrong-answer"]);

    let run = admin(&server, &["resolve", &id, "--note", "The key is right"]).success();
    let resolved = admin(&server, &["reports", "--json"]).success().json();

    assert!(
        run.stdout
            .trim_end()
            .ends_with("(revision 1, wrong-answer): resolved."),
        "{}",
        run.stdout
    );
    assert_eq!(resolved["reports"][0]["state"], "REPORT_STATE_RESOLVED");
    assert_eq!(resolved["reports"][0]["resolutionNote"], "The key is right");
}

#[test]
fn resolve_of_a_resolved_report_exits_with_the_conflict_code() {
    let server = spawn_server();
    let id = report(&server, &["llm-001", "--reason", "typo"]);
    admin(&server, &["resolve", &id]).success();

    let run = admin(&server, &["resolve", &id]).failure(8);

    assert!(
        run.stderr.contains("(FAILED_PRECONDITION)"),
        "{}",
        run.stderr
    );
}

#[test]
fn resolve_of_an_unknown_report_exits_with_the_not_found_code_and_points_at_reports() {
    let server = spawn_server();

    let run = admin(&server, &["resolve", "no-such-report"]).failure(3);

    assert!(
        run.stderr
            .contains("hint: `qbank reports` shows the report ids"),
        "{}",
        run.stderr
    );
}

#[test]
fn resolve_without_the_token_exits_with_the_unauthenticated_code() {
    let server = spawn_server();
    let id = report(&server, &["llm-001", "--reason", "typo"]);

    server.qbank(&["resolve", &id]).failure(5);
}
