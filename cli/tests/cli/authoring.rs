//! The authoring commands, with the admin token: `create`, `update`, `edit`, `delete`,
//! `undelete`, `history`, `import` and `export`.

use std::path::{Path, PathBuf};

use crate::support::{ADMIN_TOKEN, TestServer, spawn_server};

/// A new true/false question, as a bare question file.
const NEW_QUESTION: &str = r#"
id = "t-001"
type = "true_false"
difficulty = "easy"
category = "testing"
tags = ["cli"]
language = "en"
stem = "Does the CLI create questions?"
choices = [{ key = "true", text = "Yes" }, { key = "false", text = "No" }]
answer = ["true"]
explanation = "It does."
"#;

/// A bank of two new questions, for `import`.
const NEW_BANK: &str = r#"
[[questions]]
id = "t-101"
type = "single_choice"
difficulty = "medium"
category = "testing"
language = "en"
stem = "Which number is even?"
choices = [{ key = "A", text = "1" }, { key = "B", text = "2" }]
answer = ["B"]
explanation = "2 is divisible by 2."

[[questions]]
id = "t-102"
type = "true_false"
difficulty = "easy"
category = "testing"
language = "en"
stem = "Is 3 odd?"
choices = [{ key = "true", text = "Yes" }, { key = "false", text = "No" }]
answer = ["true"]
explanation = "3 is not divisible by 2."
"#;

/// The English stem of llm-001, from its translation in the bundled bank.
const ENGLISH_STEM: &str = "Which technique helps mitigate bias in prompt-based learning?";

/// The bundled bank's llm-001, translation included, as an author gets it by copying its
/// `[[questions]]` entry out of the bank, with `id` as its id.
fn bundled_entry_as(id: &str) -> String {
    let bank = qbank::domain::bank_file::BUNDLED_BANK;
    let (second, _) = bank
        .match_indices("\n[[questions]]\n")
        .nth(1)
        .expect("the bundled bank has a second question");
    bank[..second].replace(r#"id = "llm-001""#, &format!("id = {id:?}"))
}

/// A directory for the files a test writes; removed when dropped.
pub(crate) fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the test file");
    path
}

/// A shell script to run as `$VISUAL`: it gets the file to edit as `$1`.
pub(crate) fn editor_script(dir: &Path, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = write(dir, "editor.sh", &format!("#!/bin/sh\nset -e\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .expect("make the editor script executable");
    path.display().to_string()
}

/// Runs `qbank --token <admin> ARGS…`.
fn admin(server: &TestServer, args: &[&str]) -> crate::support::Run {
    let mut with_token = vec!["--token", ADMIN_TOKEN];
    with_token.extend_from_slice(args);
    server.qbank(&with_token)
}

/// The question as `get --full --json` prints it.
fn stored(server: &TestServer, id: &str) -> serde_json::Value {
    admin(server, &["--json", "get", id, "--full"])
        .success()
        .json()
}

#[test]
fn create_from_a_file_stores_the_question_at_revision_1() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "q.toml", NEW_QUESTION);

    let run = admin(&server, &["create", "--file", file.to_str().unwrap()]).success();

    assert!(
        run.stdout
            .starts_with("t-001 · true-false · easy · testing · en · revision 1"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Answer: true"), "{}", run.stdout);
    let question = stored(&server, "t-001");
    assert_eq!(question["stem"], "Does the CLI create questions?");
    assert_eq!(question["answer"]["explanation"], "It does.");
}

#[test]
fn create_accepts_a_file_with_one_questions_entry_and_prints_json() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(
        dir.path(),
        "q.toml",
        &format!("[[questions]]\n{NEW_QUESTION}"),
    );

    let question = admin(
        &server,
        &["--json", "create", "--file", file.to_str().unwrap()],
    )
    .success()
    .json();

    assert_eq!(question["id"], "t-001");
    assert_eq!(question["revision"], 1);
    assert_eq!(
        question["answer"]["correctChoiceKeys"],
        serde_json::json!(["true"])
    );
}

#[test]
fn create_from_an_entry_copied_from_the_bundled_bank_serves_its_translation() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "q.toml", &bundled_entry_as("copy-001"));
    admin(&server, &["create", "--file", file.to_str().unwrap()]).success();

    let run = server.qbank(&["--lang", "en", "get", "copy-001"]).success();

    assert!(
        run.stdout
            .starts_with("copy-001 · single-choice · medium · llm · en · revision 1"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("en (shown)"), "{}", run.stdout);
    assert!(run.stdout.contains(ENGLISH_STEM), "{}", run.stdout);
}

#[test]
fn update_replaces_only_the_fields_the_file_gives() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "stem.toml", "stem = \"A new stem?\"\n");

    let run = admin(
        &server,
        &["update", "llm-001", "--file", file.to_str().unwrap()],
    )
    .success();

    assert!(run.stdout.contains("revision 2"), "{}", run.stdout);
    let question = stored(&server, "llm-001");
    assert_eq!(question["stem"], "A new stem?");
    assert_eq!(question["category"], "llm");
    assert_eq!(
        question["answer"]["correctChoiceKeys"],
        serde_json::json!(["C"])
    );
    assert_eq!(question["translations"][0]["stem"], ENGLISH_STEM);
}

#[test]
fn update_with_translations_replaces_them_and_keeps_the_rest() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(
        dir.path(),
        "translations.toml",
        r#"
[[translations]]
language = "en"
stem = "Which technique reduces bias in prompting?"
choices = [
  { key = "A", text = "Fine-tuning" },
  { key = "B", text = "Data augmentation" },
  { key = "C", text = "Prompt calibration" },
  { key = "D", text = "Gradient clipping" },
]
explanation = "Calibrating the prompt reduces the bias of the output."
"#,
    );

    let run = admin(
        &server,
        &["update", "llm-001", "--file", file.to_str().unwrap()],
    )
    .success();

    assert!(run.stdout.contains("revision 2"), "{}", run.stdout);
    let question = stored(&server, "llm-001");
    let translations = question["translations"].as_array().expect("translations");
    assert_eq!(translations.len(), 1);
    assert_eq!(
        translations[0]["stem"],
        "Which technique reduces bias in prompting?"
    );
    assert_eq!(
        translations[0]["explanation"],
        "Calibrating the prompt reduces the bias of the output."
    );
    assert_eq!(
        question["stem"],
        "哪种技术有助于减轻基于提示的学习中的偏见?"
    );
}

#[test]
fn update_with_an_empty_translations_list_removes_them_all() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "none.toml", "translations = []\n");

    admin(
        &server,
        &["update", "llm-001", "--file", file.to_str().unwrap()],
    )
    .success();

    let question = stored(&server, "llm-001");
    assert_eq!(question["revision"], 2);
    assert_eq!(question["availableLanguages"], serde_json::json!(["zh-CN"]));
    let translations = question
        .get("translations")
        .and_then(|list| list.as_array());
    assert!(translations.is_none_or(Vec::is_empty), "{question}");
}

#[test]
fn update_with_a_stale_expected_revision_is_a_conflict_and_changes_nothing() {
    let server = spawn_server();
    let dir = scratch();
    let first = write(dir.path(), "first.toml", "stem = \"First change?\"\n");
    let second = write(dir.path(), "second.toml", "stem = \"Second change?\"\n");
    admin(
        &server,
        &["update", "llm-001", "--file", first.to_str().unwrap()],
    )
    .success();

    let run = admin(
        &server,
        &[
            "update",
            "llm-001",
            "--file",
            second.to_str().unwrap(),
            "--expected-revision",
            "1",
        ],
    )
    .failure(8);

    assert!(run.stderr.contains("ABORTED"), "{}", run.stderr);
    assert!(run.stderr.contains("read it again"), "{}", run.stderr);
    let question = stored(&server, "llm-001");
    assert_eq!(question["stem"], "First change?");
    assert_eq!(question["revision"], 2);
}

#[test]
fn update_with_a_file_naming_another_question_is_a_usage_error() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(
        dir.path(),
        "q.toml",
        "id = \"llm-002\"\nstem = \"Moved?\"\n",
    );

    let run = admin(
        &server,
        &["update", "llm-001", "--file", file.to_str().unwrap()],
    )
    .failure(2);

    assert!(run.stderr.contains("llm-002"), "{}", run.stderr);
    assert_eq!(stored(&server, "llm-001")["revision"], 1);
}

#[test]
fn a_deleted_question_is_not_found_until_undelete_restores_it() {
    let server = spawn_server();

    let deleted = admin(&server, &["delete", "llm-003"]).success();
    let gone = server.qbank(&["get", "llm-003"]).failure(3);
    let restored = admin(&server, &["undelete", "llm-003"]).success();

    assert!(
        deleted.stdout.starts_with("Deleted llm-003"),
        "{}",
        deleted.stdout
    );
    assert!(gone.stderr.contains("NOT_FOUND"), "{}", gone.stderr);
    assert!(
        restored.stdout.starts_with("Restored llm-003"),
        "{}",
        restored.stdout
    );
    server.qbank(&["get", "llm-003"]).success();
}

#[test]
fn delete_json_says_the_question_was_deleted() {
    let server = spawn_server();

    let result = admin(&server, &["--json", "delete", "llm-003"])
        .success()
        .json();

    assert_eq!(
        result,
        serde_json::json!({"id": "llm-003", "deleted": true})
    );
}

#[test]
fn undelete_of_a_question_that_is_not_deleted_is_a_conflict() {
    let server = spawn_server();

    let run = admin(&server, &["undelete", "llm-003"]).failure(8);

    assert!(run.stderr.contains("FAILED_PRECONDITION"), "{}", run.stderr);
}

#[test]
fn history_lists_the_revisions_newest_first() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "stem.toml", "stem = \"Revised stem?\"\n");
    admin(
        &server,
        &["update", "llm-001", "--file", file.to_str().unwrap()],
    )
    .success();

    let table = admin(&server, &["history", "llm-001"]).success();
    let lines = admin(&server, &["--json", "history", "llm-001"]).success();

    let rows: Vec<&str> = table.stdout.lines().collect();
    assert!(rows[0].starts_with("REVISION  UPDATED"), "{}", table.stdout);
    assert!(
        rows[1].starts_with("2 ") && rows[1].ends_with("Revised stem?"),
        "{}",
        table.stdout
    );
    assert!(rows[2].starts_with("1 "), "{}", table.stdout);
    assert_eq!(rows.len(), 3);
    let revisions: Vec<serde_json::Value> = lines
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(revisions[0]["revision"], 2);
    assert_eq!(revisions[1]["revision"], 1);
    assert_eq!(
        revisions[1]["stem"],
        "哪种技术有助于减轻基于提示的学习中的偏见?"
    );
}

#[test]
fn edit_saves_what_the_editor_changed_as_the_next_revision() {
    let server = spawn_server();
    let dir = scratch();
    let editor = editor_script(
        dir.path(),
        r#"sed -i 's/^stem = .*/stem = "Edited in an editor?"/' "$1""#,
    );

    let run = server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .success();

    assert!(run.stdout.contains("revision 2"), "{}", run.stdout);
    let question = stored(&server, "llm-001");
    assert_eq!(question["stem"], "Edited in an editor?");
    assert_eq!(question["revision"], 2);
    assert_eq!(
        question["answer"]["correctChoiceKeys"],
        serde_json::json!(["C"])
    );
}

#[test]
fn edit_opens_the_translations_and_a_save_keeps_them() {
    let server = spawn_server();
    let dir = scratch();
    let opened = dir.path().join("opened.toml");
    let editor = editor_script(
        dir.path(),
        &format!(
            r#"cp "$1" "{}"; sed -i '0,/^stem = .*/s//stem = "Edited in an editor?"/' "$1""#,
            opened.display()
        ),
    );
    let before = stored(&server, "llm-001")["translations"].clone();

    server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .success();

    let file = std::fs::read_to_string(&opened).expect("the editor saw the file");
    assert!(file.contains("\n[[translations]]\n"), "{file}");
    assert!(file.contains(ENGLISH_STEM), "{file}");
    let question = stored(&server, "llm-001");
    assert_eq!(question["stem"], "Edited in an editor?");
    assert_eq!(question["revision"], 2);
    assert_eq!(question["translations"], before);
}

#[test]
fn edit_changes_a_choice_key_and_the_translations_naming_it_in_one_save() {
    let server = spawn_server();
    let dir = scratch();
    // Every `key = "D"`: the question's choice and its translation's.
    let editor = editor_script(dir.path(), r#"sed -i 's/^key = "D"$/key = "E"/' "$1""#);

    server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .success();

    let question = stored(&server, "llm-001");
    assert_eq!(question["revision"], 2);
    assert_eq!(question["choices"][3]["key"], "E");
    assert_eq!(question["translations"][0]["choices"][3]["key"], "E");
}

#[test]
fn edit_without_the_translation_tables_removes_the_translations() {
    let server = spawn_server();
    let dir = scratch();
    // The translations are written last: from the first table to the end of the file.
    let editor = editor_script(dir.path(), r#"sed -i '/^\[\[translations\]\]$/,$d' "$1""#);

    server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .success();

    let question = stored(&server, "llm-001");
    assert_eq!(question["revision"], 2);
    assert_eq!(question["availableLanguages"], serde_json::json!(["zh-CN"]));
}

#[test]
fn edit_falls_back_to_editor_and_passes_its_arguments() {
    let server = spawn_server();
    let dir = scratch();
    // `$2` is the file: `$1` is the argument given in EDITOR, as `code --wait` gives one.
    let editor = editor_script(
        dir.path(),
        r#"test "$1" = --wait; sed -i 's/^stem = .*/stem = "Via EDITOR?"/' "$2""#,
    );

    server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("EDITOR", &format!("{editor} --wait"))],
        )
        .success();

    assert_eq!(stored(&server, "llm-001")["stem"], "Via EDITOR?");
}

#[test]
fn edit_without_a_change_says_so_and_keeps_the_revision() {
    let server = spawn_server();
    let dir = scratch();
    let editor = editor_script(dir.path(), "true");

    let run = server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .success();

    assert!(run.stdout.contains("unchanged"), "{}", run.stdout);
    assert_eq!(stored(&server, "llm-001")["revision"], 1);
}

#[test]
fn edit_refuses_to_save_over_a_change_made_while_the_editor_was_open() {
    let server = spawn_server();
    let dir = scratch();
    let theirs = write(dir.path(), "theirs.toml", "stem = \"Their change?\"\n");
    let editor = editor_script(
        dir.path(),
        &format!(
            "{qbank} --addr {addr} --token {ADMIN_TOKEN} update llm-001 --file {theirs} >/dev/null\n\
             sed -i 's/^stem = .*/stem = \"My change?\"/' \"$1\"",
            qbank = env!("CARGO_BIN_EXE_qbank"),
            addr = server.addr,
            theirs = theirs.display(),
        ),
    );

    let run = server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .failure(8);

    assert!(run.stderr.contains("qbank edit llm-001"), "{}", run.stderr);
    let question = stored(&server, "llm-001");
    assert_eq!(question["stem"], "Their change?");
    assert_eq!(question["revision"], 2);
}

#[test]
fn edit_with_an_editor_that_fails_saves_nothing() {
    let server = spawn_server();
    let dir = scratch();
    let editor = editor_script(dir.path(), "echo 'stem = \"Half done?\"' >> \"$1\"\nexit 3");

    let run = server
        .qbank_with_env(
            &["--token", ADMIN_TOKEN, "edit", "llm-001"],
            &[("VISUAL", &editor)],
        )
        .failure(1);

    assert!(run.stderr.contains("editor"), "{}", run.stderr);
    assert_eq!(stored(&server, "llm-001")["revision"], 1);
}

#[test]
fn import_of_a_gift_file_with_an_error_prints_its_file_and_line() {
    let server = spawn_server();
    let dir = scratch();
    let gift = "::g1:: Is 2 even? {T}\n\n::g2:: Pick one {~a ~b}\n";
    let file = write(dir.path(), "bank.gift", gift);
    let name = file.to_str().unwrap();

    let run = admin(&server, &["import", name]).failure(4);

    assert!(
        run.stderr.contains(&format!("\n{name}:3: ")),
        "{}",
        run.stderr
    );
    admin(&server, &["get", "g1"]).failure(3);
}

#[test]
fn import_prints_the_counts_and_a_second_import_finds_everything_unchanged() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "bank.toml", NEW_BANK);
    let name = file.to_str().unwrap();

    let first = admin(&server, &["import", name]).success();
    let second = admin(&server, &["import", name]).success();

    assert_eq!(
        first.stdout,
        format!("{name}: 2 created, 0 updated, 0 unchanged, 0 skipped\n")
    );
    assert_eq!(
        second.stdout,
        format!("{name}: 0 created, 0 updated, 2 unchanged, 0 skipped\n")
    );
    server.qbank(&["get", "t-102"]).success();
}

#[test]
fn import_dry_run_counts_but_changes_nothing() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "bank.toml", NEW_BANK);

    let run = admin(&server, &["import", "--dry-run", file.to_str().unwrap()]).success();

    assert!(run.stdout.contains(": 2 created,"), "{}", run.stdout);
    assert!(run.stdout.contains("dry run"), "{}", run.stdout);
    server.qbank(&["get", "t-101"]).failure(3);
}

#[test]
fn import_of_a_file_whose_format_is_unknown_is_a_usage_error() {
    let server = spawn_server();
    let dir = scratch();
    let file = write(dir.path(), "bank.txt", NEW_BANK);

    let run = admin(&server, &["import", file.to_str().unwrap()]).failure(2);

    assert!(run.stderr.contains("--format"), "{}", run.stderr);
}

#[test]
fn an_export_imported_into_the_same_server_finds_everything_unchanged() {
    let server = spawn_server();
    let dir = scratch();

    let export = admin(&server, &["export", "--format", "toml"]).success();
    let file = write(dir.path(), "exported", &export.stdout);
    let run = admin(
        &server,
        &["import", "--format", "toml", file.to_str().unwrap()],
    )
    .success();

    assert!(
        export.stdout.contains("id = \"llm-010\""),
        "{}",
        export.stdout
    );
    assert!(
        run.stdout
            .ends_with(": 0 created, 0 updated, 10 unchanged, 0 skipped\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn export_takes_the_format_from_the_output_file_and_the_filters_of_list() {
    let server = spawn_server();
    let dir = scratch();
    let output = dir.path().join("easy.json");

    admin(
        &server,
        &[
            "export",
            "--difficulty",
            "easy",
            "--output",
            output.to_str().unwrap(),
        ],
    )
    .success();

    let bank: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).expect("the exported file"))
            .expect("the export is JSON");
    let questions = bank["questions"].as_array().expect("a list of questions");
    assert!(!questions.is_empty());
    assert!(
        questions
            .iter()
            .all(|question| question["difficulty"] == "easy")
    );
}
