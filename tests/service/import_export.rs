//! ImportQuestions and ExportQuestions: bank files in and out, in TOML,
//! JSON, GIFT and Aiken; all or nothing, and idempotent.

use qbank::{config::Limits, pb};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::support::{
    ADMIN_TOKEN, Options, TestApp, expect_code, spawn_app, spawn_app_with, with_token,
};

/// A server whose bank starts empty.
async fn spawn_empty_app() -> TestApp {
    spawn_app_with(Options {
        initial_bank: Some("questions = []\n".into()),
        ..Options::default()
    })
    .await
}

/// Uploads `content` in chunks of `chunk` bytes.
async fn import_in_chunks(
    app: &TestApp,
    format: pb::BankFormat,
    content: &str,
    dry_run: bool,
    chunk: usize,
) -> Result<pb::ImportQuestionsResponse, Status> {
    let mut messages: Vec<pb::ImportQuestionsRequest> = content
        .as_bytes()
        .chunks(chunk.max(1))
        .map(|bytes| pb::ImportQuestionsRequest {
            content: bytes.to_vec(),
            ..Default::default()
        })
        .collect();
    if messages.is_empty() {
        messages.push(pb::ImportQuestionsRequest::default());
    }
    messages[0].format = format.into();
    messages[0].dry_run = dry_run;
    messages[0].default_language = "zh-CN".into();
    app.client
        .clone()
        .import_questions(with_token(tokio_stream::iter(messages), ADMIN_TOKEN))
        .await
        .map(tonic::Response::into_inner)
}

async fn import(
    app: &TestApp,
    format: pb::BankFormat,
    content: &str,
) -> Result<pb::ImportQuestionsResponse, Status> {
    import_in_chunks(app, format, content, false, 16 * 1024).await
}

/// The exported file, and what it left out.
async fn export(app: &TestApp, format: pb::BankFormat) -> (String, Vec<String>) {
    use tokio_stream::StreamExt as _;
    let mut stream = app
        .client
        .clone()
        .export_questions(with_token(
            pb::ExportQuestionsRequest {
                format: format.into(),
                ..Default::default()
            },
            ADMIN_TOKEN,
        ))
        .await
        .expect("export")
        .into_inner();
    let mut content = Vec::new();
    let mut omitted = Vec::new();
    while let Some(message) = stream.next().await {
        let message = message.expect("a chunk");
        content.extend_from_slice(&message.content);
        omitted.extend(message.omitted);
    }
    (String::from_utf8(content).expect("UTF-8"), omitted)
}

fn counts(created: i32, updated: i32, unchanged: i32, skipped: i32) -> pb::ImportQuestionsResponse {
    pb::ImportQuestionsResponse {
        created,
        updated,
        unchanged,
        skipped,
    }
}

/// The `line N: …` violations of a refused import.
fn violations(status: &Status) -> Vec<String> {
    let bad_request = status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("no BadRequest in {status:?}"));
    bad_request
        .field_violations
        .iter()
        .map(|violation| {
            assert_eq!(violation.field, "content");
            violation.description.clone()
        })
        .collect()
}

#[tokio::test]
async fn toml_and_json_exports_import_into_an_empty_bank_and_export_the_same_bytes() {
    let source = spawn_app().await;
    for format in [pb::BankFormat::Toml, pb::BankFormat::Json] {
        let (exported, omitted) = export(&source, format).await;
        let target = spawn_empty_app().await;

        let imported = import(&target, format, &exported).await.expect("imported");
        let (again, _) = export(&target, format).await;

        assert_eq!(imported, counts(10, 0, 0, 0), "{format:?}");
        assert!(omitted.is_empty(), "{format:?}: {omitted:?}");
        assert_eq!(again, exported, "{format:?}");
    }
}

#[tokio::test]
async fn re_importing_a_file_changes_nothing_and_an_edited_one_only_what_changed() {
    let app = spawn_app().await;
    let (exported, _) = export(&app, pb::BankFormat::Toml).await;
    let edited = exported.replacen("category = \"llm\"", "category = \"prompting\"", 1);

    let again = import(&app, pb::BankFormat::Toml, &exported)
        .await
        .expect("re-import");
    let changed = import(&app, pb::BankFormat::Toml, &edited)
        .await
        .expect("edited");

    assert_eq!(again, counts(0, 0, 10, 0));
    assert_eq!(changed, counts(0, 1, 9, 0));
    let first = app.get("llm-001").await.expect("served");
    assert_eq!((first.category.as_str(), first.revision), ("prompting", 2));
    assert_eq!(app.get("llm-002").await.expect("served").revision, 1);
}

#[tokio::test]
async fn an_import_never_deletes_and_leaves_deleted_questions_deleted() {
    let app = spawn_app().await;
    let (exported, _) = export(&app, pb::BankFormat::Toml).await;
    app.client
        .clone()
        .delete_question(with_token(
            pb::DeleteQuestionRequest {
                id: "llm-003".into(),
                expected_revision: 0,
            },
            ADMIN_TOKEN,
        ))
        .await
        .expect("deleted");
    let only_first = exported
        .split("[[questions]]")
        .take(2)
        .collect::<Vec<_>>()
        .join("[[questions]]");

    let full = import(&app, pb::BankFormat::Toml, &exported)
        .await
        .expect("imported");
    let partial = import(&app, pb::BankFormat::Toml, &only_first)
        .await
        .expect("imported");

    assert_eq!(full, counts(0, 0, 9, 1));
    assert_eq!(partial, counts(0, 0, 1, 0));
    expect_code(app.get("llm-003").await, Code::NotFound);
    app.get("llm-010")
        .await
        .expect("a question missing from the file stays");
}

#[tokio::test]
async fn a_file_with_errors_imports_nothing_and_names_every_error_s_line() {
    let cases = [
        (
            pb::BankFormat::Toml,
            "[[questions]]\nid = \"t-1\"\ntype = \"essay\"\ndifficulty = \"easy\"\n\
             category = \"c\"\nlanguage = \"en\"\nstem = \"S?\"\n\
             choices = [{ key = \"A\", text = \"a\" }, { key = \"B\", text = \"b\" }]\n\
             answer = [\"A\"]\nexplanation = \"e\"\n",
            "line 1:",
        ),
        (
            pb::BankFormat::Json,
            "{\"questions\": [\n  {\"id\": \n",
            "line 3:",
        ),
        (
            pb::BankFormat::Gift,
            "Good?{=yes ~no}\n\nHow many?{#3}\n",
            "line 3:",
        ),
        (
            pb::BankFormat::Aiken,
            "Fine?\nA. yes\nB. no\nANSWER: A\n\nWhich?\nA. one\nB. two\nANSWER: C\n",
            // An Aiken error is on the line its question starts.
            "line 6:",
        ),
    ];
    for (format, content, line) in cases {
        let app = spawn_empty_app().await;

        let status = expect_code(import(&app, format, content).await, Code::InvalidArgument);

        let errors = violations(&status);
        assert!(
            errors.iter().any(|error| error.starts_with(line)),
            "{format:?}: {errors:?}"
        );
        let page = app
            .list(pb::ListQuestionsRequest::default())
            .await
            .expect("list");
        assert_eq!(page.total_size, 0, "{format:?}: nothing was imported");
    }
}

#[tokio::test]
async fn gift_and_aiken_files_import_with_the_upload_s_defaults() {
    let app = spawn_empty_app().await;
    let gift = "$CATEGORY: $course$/top/Large models\n\n\
                ::gift-1::Which reduces prompt bias?{=Prompt calibration ~Dropout ####Because.}\n\n\
                Is a vector store always needed?{F}\n";
    let aiken = "哪一项是对齐技术?\nA． RLHF\nB、 Dropout\nANSWER：A\n";

    let from_gift = import(&app, pb::BankFormat::Gift, gift)
        .await
        .expect("GIFT");
    let from_aiken = import(&app, pb::BankFormat::Aiken, aiken)
        .await
        .expect("Aiken");
    let again = import(&app, pb::BankFormat::Gift, gift)
        .await
        .expect("again");

    assert_eq!(from_gift, counts(2, 0, 0, 0));
    assert_eq!(from_aiken, counts(1, 0, 0, 0));
    assert_eq!(again, counts(0, 0, 2, 0), "content-derived ids are stable");
    let first = app.get_full("gift-1").await.expect("titled question");
    assert_eq!(first.category, "Large-models");
    assert_eq!(first.language, "zh-CN");
    assert_eq!(first.answer.expect("FULL").correct_choice_keys, ["A"]);
}

#[tokio::test]
async fn a_gift_export_of_the_bundled_bank_imports_back_with_its_stems_and_keys() {
    let source = spawn_app().await;
    let (exported, omitted) = export(&source, pb::BankFormat::Gift).await;
    let target = spawn_empty_app().await;

    import(&target, pb::BankFormat::Gift, &exported)
        .await
        .expect("imported");

    assert!(!omitted.is_empty(), "tags are not in GIFT, and say so");
    for n in 1..=10 {
        let id = format!("llm-{n:03}");
        let original = source.get_full(&id).await.expect("original");
        let imported = target.get_full(&id).await.expect("imported");
        assert_eq!(imported.stem, original.stem, "{id}");
        assert_eq!(imported.answer, original.answer, "{id}");
        assert_eq!(imported.choices.len(), original.choices.len(), "{id}");
    }
}

#[tokio::test]
async fn a_dry_run_counts_and_changes_nothing() {
    let source = spawn_app().await;
    let (exported, _) = export(&source, pb::BankFormat::Toml).await;
    let target = spawn_empty_app().await;

    let counted = import_in_chunks(&target, pb::BankFormat::Toml, &exported, true, 1000)
        .await
        .expect("dry run");

    assert_eq!(counted, counts(10, 0, 0, 0));
    expect_code(target.get("llm-001").await, Code::NotFound);
}

#[tokio::test]
async fn an_upload_over_the_import_limit_is_resource_exhausted_and_imports_nothing() {
    let source = spawn_app().await;
    let (exported, _) = export(&source, pb::BankFormat::Toml).await;
    let target = spawn_app_with(Options {
        initial_bank: Some("questions = []\n".into()),
        limits: Limits {
            max_import_bytes: 4096,
            ..Limits::default()
        },
        ..Options::default()
    })
    .await;

    let status = expect_code(
        import_in_chunks(&target, pb::BankFormat::Toml, &exported, false, 1000).await,
        Code::ResourceExhausted,
    );

    assert!(
        status.message().contains("--max-import-bytes"),
        "{status:?}"
    );
    expect_code(target.get("llm-001").await, Code::NotFound);
}

#[tokio::test]
async fn import_and_export_need_the_admin_token() {
    let app = spawn_app().await;
    let mut client = app.client.clone();

    let import = client
        .import_questions(tokio_stream::iter(vec![
            pb::ImportQuestionsRequest::default(),
        ]))
        .await;
    let export = client
        .export_questions(pb::ExportQuestionsRequest::default())
        .await;

    expect_code(import, Code::Unauthenticated);
    expect_code(export.map(drop), Code::Unauthenticated);
}

#[tokio::test]
async fn an_import_without_a_format_is_invalid_argument() {
    let app = spawn_empty_app().await;

    let status = expect_code(
        import(&app, pb::BankFormat::Unspecified, "questions = []").await,
        Code::InvalidArgument,
    );

    assert!(status.message().starts_with("format"), "{status:?}");
}

/// Runs `qbank-server ARGS…` to completion.
fn server_tool(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qbank-server"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("QBANK_")) {
        command.env_remove(name);
    }
    command.args(args).output().expect("run qbank-server")
}

#[test]
fn qbank_server_import_reports_file_and_line_and_imports_nothing_from_a_bad_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let bad = dir.path().join("bank.gift");
    std::fs::write(&bad, "Good?{=yes ~no}\n\nHow many?{#3}\n").expect("write");

    let output = server_tool(&[
        "import".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        bad.as_os_str(),
    ]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3: numerical", bad.display())),
        "{stderr}"
    );
    assert!(!db.exists(), "nothing was opened, let alone imported");
}

#[test]
fn qbank_server_import_creates_a_database_that_holds_only_the_imported_questions() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let file = dir.path().join("bank.aiken");
    std::fs::write(&file, "Which?\nA. one\nB. two\nANSWER: B\n").expect("write");

    let output = server_tool(&[
        "import".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        file.as_os_str(),
    ]);
    let (mut server, addr, _lines) = crate::support::start_binary(&db, &[]);
    // A runtime of its own, dropped (closing its connection) before the
    // server is asked to stop, so the server need not wait for it.
    let listed = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            pb::question_bank_client::QuestionBankClient::connect(format!("http://{addr}"))
                .await
                .expect("connect")
                .list_questions(pb::ListQuestionsRequest::default())
                .await
                .expect("list")
                .into_inner()
        });
    crate::support::send_signal(&server, "-TERM");
    crate::support::wait_for_exit(&mut server);

    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 created"),
        "{output:?}"
    );
    assert_eq!(listed.total_size, 1, "no bundled bank was added");
}

#[tokio::test]
async fn qbank_server_import_beside_a_running_server_is_seen_within_a_second() {
    let app = spawn_app().await;
    let file = app.db_path.with_file_name("more.toml");
    let (exported, _) = export(&app, pb::BankFormat::Toml).await;
    std::fs::write(
        &file,
        exported.replace("id = \"llm-001\"", "id = \"copy-001\""),
    )
    .expect("write");

    let output = server_tool(&[
        "import".as_ref(),
        "--db".as_ref(),
        app.db_path.as_os_str(),
        file.as_os_str(),
    ]);

    assert!(output.status.success(), "{output:?}");
    // The question, and the count the server had cached before the import.
    let started = std::time::Instant::now();
    while app.get("copy-001").await.is_err() || app.total_size_of_all().await != 11 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "not seen within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn qbank_server_export_writes_the_format_its_output_names() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let (mut server, _, _) = crate::support::start_binary(&db, &[]);
    crate::support::send_signal(&server, "-TERM");
    crate::support::wait_for_exit(&mut server);
    let output_file = dir.path().join("bank.json");

    let output = server_tool(&[
        "export".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "--output".as_ref(),
        output_file.as_os_str(),
    ]);

    assert!(output.status.success(), "{output:?}");
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output_file).expect("read")).expect("JSON");
    assert_eq!(exported["questions"].as_array().map(Vec::len), Some(10));
}

impl TestApp {
    async fn total_size_of_all(&self) -> i32 {
        self.list(pb::ListQuestionsRequest::default())
            .await
            .expect("list")
            .total_size
    }
}

#[tokio::test]
async fn a_gift_import_over_translated_questions_keeps_their_translations() {
    let app = spawn_app().await;
    let (exported, _) = export(&app, pb::BankFormat::Gift).await;

    import(&app, pb::BankFormat::Gift, &exported)
        .await
        .expect("imported");

    for n in 1..=10 {
        let id = format!("llm-{n:03}");
        let question = app.get_full(&id).await.expect("full view");
        assert_eq!(question.available_languages, ["zh-CN", "en"], "{id}");
    }
}

#[tokio::test]
async fn a_gift_import_whose_choices_no_longer_fit_the_translations_imports_nothing() {
    let app = spawn_app().await;
    let before = app.get_full("llm-001").await.expect("full view");
    // llm-001 with a fifth choice, which its English translation lacks.
    let gift = "::llm-001::哪种技术有助于减轻基于提示的学习中的偏见?{\n\
                ~微调 Fine-tuning\n~数据增强 Data augmentation\n=提示校准 Prompt calibration\n\
                ~梯度裁剪 Gradient clipping\n~以上都不是\n}\n";

    let status = import(&app, pb::BankFormat::Gift, gift)
        .await
        .expect_err("refused");

    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let violations = violations(&status);
    assert!(violations[0].starts_with("line 1:"), "{violations:?}");
    assert!(violations[0].contains("translations"), "{violations:?}");
    assert_eq!(app.get_full("llm-001").await.expect("unchanged"), before);
}
