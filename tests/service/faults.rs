//! Storage faults: each gets a clear startup error or a specific status,
//! never a panic or a hang, and health shows when writes fail.
//!
//! Read-only and full file systems are made with mounts, which need root; CI
//! runs as root. Elsewhere those tests print why they skip.

use std::{path::Path, process::Command, sync::Arc, time::Duration};

use qbank::{
    config::{Config, Limits},
    server::{ServeError, serve},
};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::support::{Options, expect_code, spawn_app, spawn_app_in, spawn_app_with};

async fn question_bank_health(channel: tonic::transport::Channel) -> ServingStatus {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "qbank.v1.QuestionBank".into(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status()
}

/// Health follows writes through a background task: give it a moment.
async fn wait_for_health(channel: &tonic::transport::Channel, wanted: ServingStatus) {
    for _ in 0..100 {
        if question_bank_health(channel.clone()).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("health never became {wanted:?}");
}

async fn start_on(db_path: &Path) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..Config::with_defaults(db_path)
    };
    // The server either fails at startup or would serve until stopped.
    tokio::time::timeout(Duration::from_secs(10), serve(config, listener, async {}))
        .await
        .expect("startup does not hang")
}

/// Options whose writes give up on a lock after 200 ms.
fn short_busy_timeout() -> Options {
    Options {
        limits: Limits {
            db_busy_timeout: Duration::from_millis(200),
            ..Limits::default()
        },
        ..Options::default()
    }
}

/// Takes the database's write lock from a connection of its own, as another
/// process would; it is held until the connection rolls back or drops.
fn hold_write_lock(db_path: &Path) -> rusqlite::Connection {
    let other_process = rusqlite::Connection::open(db_path).expect("open");
    other_process
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    other_process
}

#[tokio::test]
async fn a_corrupt_database_refuses_to_start_and_is_left_untouched() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let garbage: Vec<u8> = (0..64 * 1024u32).map(|n| (n * 7919 % 251) as u8).collect();
    std::fs::write(&db, &garbage).expect("write garbage");

    let error = start_on(&db)
        .await
        .expect_err("a corrupt file must not be served");

    assert!(matches!(error, ServeError::Database { .. }), "{error:?}");
    assert_eq!(std::fs::read(&db).expect("read back"), garbage);
    assert!(!dir.path().join("qbank.db-wal").exists());
}

#[tokio::test]
async fn a_database_locked_elsewhere_answers_unavailable_after_the_busy_timeout() {
    let app = spawn_app_with(short_busy_timeout()).await;
    let other_process = hold_write_lock(&app.db_path);

    let status = expect_code(app.answer("llm-001", &["C"]).await, Code::Unavailable);

    assert!(!status.message().contains("SQL"), "{}", status.message());
    app.get("llm-001").await.expect("reads keep working");
    wait_for_health(&app.channel, ServingStatus::NotServing).await;
    other_process.execute_batch("ROLLBACK").expect("release");
    app.answer("llm-001", &["C"])
        .await
        .expect("writes work again");
    wait_for_health(&app.channel, ServingStatus::Serving).await;
    assert_eq!(app.attempts_stored("llm-001"), 1);
}

/// Marks the stored cards out of date and empties them, as an older release's
/// cards would be: a server that used them would send empty questions.
fn spoil_cards(db_path: &Path) {
    rusqlite::Connection::open(db_path)
        .expect("open")
        .execute_batch(
            "UPDATE server_state SET value = x'00' WHERE name = 'card_format';
             UPDATE question_cards SET card = x'';",
        )
        .expect("spoil the cards");
}

/// GetQuestion and ListQuestions give each question whole, in the BASIC view.
async fn serves_whole_questions(app: &crate::support::TestApp) {
    let page = app
        .list(qbank::pb::ListQuestionsRequest::default())
        .await
        .expect("list");
    assert_eq!(page.questions.len(), 10);
    for question in page.questions {
        let mut full = app.get_full(&question.id).await.expect("full view");
        full.answer = None;
        full.translations.clear();
        assert_eq!(question, full);
        assert_eq!(app.get(&question.id).await.expect("basic view"), full);
    }
}

#[tokio::test]
async fn a_database_locked_at_startup_is_served_even_when_its_cards_are_out_of_date() {
    let app = spawn_app_with(short_busy_timeout()).await;
    let db_path = app.db_path.clone();
    let (options, dir) = app.stop().await;
    spoil_cards(&db_path);
    let other_process = hold_write_lock(&db_path);

    let app = spawn_app_in(options, dir).await;

    serves_whole_questions(&app).await;
    other_process.execute_batch("ROLLBACK").expect("release");
}

/// Whether this process may mount file systems (root in CI).
fn can_mount() -> bool {
    let probe = tempfile::tempdir().expect("temporary directory");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(probe.path())
        .status()
        .is_ok_and(|status| status.success());
    if mounted {
        unmount(probe.path());
    } else {
        eprintln!("SKIPPED: mounting needs root; this test runs in CI, which runs as root");
    }
    mounted
}

fn mount(args: &[&str], target: &Path) {
    let status = Command::new("mount")
        .args(args)
        .arg(target)
        .status()
        .expect("run mount");
    assert!(status.success(), "mount {args:?} failed");
}

/// Remounts read-only, retrying while the stopped server's last database
/// handles close (the kernel refuses with "busy" until then).
fn remount_read_only(target: &Path) {
    for _ in 0..100 {
        let remounted = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(target)
            .status()
            .is_ok_and(|status| status.success());
        if remounted {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("could not remount {} read-only", target.display());
}

fn unmount(target: &Path) {
    let _ = Command::new("umount").arg("-l").arg(target).status();
}

/// A tmpfs mounted over a new temporary directory. Unmounts on drop, so a
/// failing test does not leave mounts behind.
struct Tmpfs {
    dir: Arc<tempfile::TempDir>,
}

/// Mounts a tmpfs with these `-o` options, e.g. `size=8m`.
fn mount_tmpfs(options: &str) -> Tmpfs {
    let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
    mount(&["-t", "tmpfs", "-o", options, "tmpfs"], dir.path());
    Tmpfs { dir }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        unmount(self.dir.path());
    }
}

#[tokio::test]
async fn a_read_only_database_serves_reads_and_answers_writes_with_unavailable() {
    if !can_mount() {
        return;
    }
    let tmpfs = mount_tmpfs("size=8m");
    let dir = tmpfs.dir.clone();
    let app = spawn_app_in(Options::default(), dir.clone()).await;
    app.answer("llm-001", &["C"]).await.expect("a write before");
    app.stop().await;
    remount_read_only(dir.path());

    let app = spawn_app_in(Options::default(), dir.clone()).await;

    app.get("llm-001").await.expect("reads work");
    expect_code(app.answer("llm-001", &["C"]).await, Code::Unavailable);
    wait_for_health(&app.channel, ServingStatus::NotServing).await;
    assert_eq!(app.attempts_stored("llm-001"), 1);
}

#[tokio::test]
async fn a_read_only_database_with_out_of_date_cards_serves_whole_questions() {
    if !can_mount() {
        return;
    }
    let tmpfs = mount_tmpfs("size=8m");
    let dir = tmpfs.dir.clone();
    let app = spawn_app_in(Options::default(), dir.clone()).await;
    let db_path = app.db_path.clone();
    app.stop().await;
    spoil_cards(&db_path);
    remount_read_only(dir.path());

    let app = spawn_app_in(Options::default(), dir.clone()).await;

    serves_whole_questions(&app).await;
}

#[tokio::test]
async fn a_full_disk_answers_resource_exhausted_and_recovers_when_space_returns() {
    if !can_mount() {
        return;
    }
    let tmpfs = mount_tmpfs("size=2m");
    let dir = tmpfs.dir.clone();
    let app = spawn_app_in(Options::default(), dir.clone()).await;
    let filler = dir.path().join("filler");
    fill_disk(&filler);

    let mut refused = 0;
    for _ in 0..20 {
        // Some space may remain in the WAL's last page: keep writing until
        // the disk is truly out of room.
        match app.answer("llm-001", &["C"]).await {
            Ok(_) => {}
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "the disk never filled up");
    let stored_while_full = app.attempts_stored("llm-001");
    assert_eq!(
        stored_while_full,
        20 - refused,
        "a refused answer was stored"
    );
    wait_for_health(&app.channel, ServingStatus::NotServing).await;

    std::fs::remove_file(&filler).expect("free the space");
    app.answer("llm-001", &["C"])
        .await
        .expect("writes work again");

    assert_eq!(app.attempts_stored("llm-001"), stored_while_full + 1);
    wait_for_health(&app.channel, ServingStatus::Serving).await;
}

fn fill_disk(path: &Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).expect("create the filler");
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
}

#[tokio::test]
async fn health_reports_serving_while_writes_succeed() {
    let app = spawn_app().await;

    app.answer("llm-002", &["false"]).await.expect("a write");

    wait_for_health(&app.channel, ServingStatus::Serving).await;
}

#[tokio::test]
async fn a_database_in_an_unwritable_directory_is_a_clear_startup_error() {
    if !can_mount() {
        return;
    }
    let tmpfs = mount_tmpfs("size=64k,ro");
    let db = tmpfs.dir.path().join("qbank.db");

    let error = start_on(&db)
        .await
        .expect_err("nothing can be created there");

    let message = qbank::error::error_chain(&error);
    assert!(message.starts_with("cannot open the database"), "{message}");
    assert!(message.contains(&*db.display().to_string()), "{message}");
}

/// Writes to the database file from a connection of its own, bypassing the
/// server, as damage (or a careless sqlite3 session) would.
fn damage(db_path: &Path, sql: &str) {
    rusqlite::Connection::open(db_path)
        .expect("open")
        .execute_batch(sql)
        .expect("damage the database");
}

#[tokio::test]
async fn a_damaged_card_is_served_from_the_question_s_columns() {
    let app = spawn_app().await;
    let mut expected = app.get_full("llm-001").await.expect("full view");
    expected.answer = None;
    expected.translations.clear();
    damage(
        &app.db_path,
        "UPDATE question_cards SET card = x'0a02ff0012' WHERE question_id = 'llm-001';",
    );

    let got = app.get("llm-001").await.expect("served");
    let page = app
        .list(qbank::pb::ListQuestionsRequest::default())
        .await
        .expect("every listing still works");

    assert_eq!(got, expected);
    assert_eq!(page.questions.len(), 10);
    assert_eq!(page.questions[0], expected);
}

#[tokio::test]
async fn a_damaged_question_answers_data_loss_alone_and_listings_leave_it_out() {
    let app = spawn_app().await;
    damage(
        &app.db_path,
        "UPDATE questions SET choices = 'not json' WHERE id = 'llm-002';",
    );

    let get = expect_code(app.get("llm-002").await, Code::DataLoss);
    let full = expect_code(app.get_full("llm-002").await, Code::DataLoss);
    let submit = expect_code(app.answer("llm-002", &["false"]).await, Code::DataLoss);
    let page = app
        .list(qbank::pb::ListQuestionsRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .expect("the listing still works");
    let full_page = app
        .client
        .clone()
        .list_questions(crate::support::with_token(
            qbank::pb::ListQuestionsRequest {
                page_size: 2,
                view: qbank::pb::QuestionView::Full.into(),
                ..Default::default()
            },
            crate::support::ADMIN_TOKEN,
        ))
        .await
        .expect("the FULL listing still works")
        .into_inner();
    let next = app
        .list(qbank::pb::ListQuestionsRequest {
            page_size: 2,
            page_token: page.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect("the next page");

    for status in [&get, &full, &submit] {
        assert!(status.message().contains("llm-002"), "{status:?}");
    }
    let ids = |page: &qbank::pb::ListQuestionsResponse| -> Vec<String> {
        page.questions.iter().map(|q| q.id.clone()).collect()
    };
    assert_eq!(ids(&page), ["llm-001"]);
    assert_eq!(ids(&full_page), ["llm-001"]);
    assert_eq!(ids(&next), ["llm-003", "llm-004"]);
    app.get("llm-003").await.expect("other questions serve");
    assert_eq!(app.attempts_stored("llm-002"), 0);
}

#[test]
fn damage_is_logged_once_per_question_however_often_it_is_met() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let (mut child, addr, lines) = crate::support::start_binary(&db, &[]);
    damage(
        &db,
        "UPDATE question_cards SET card = x'00' WHERE question_id = 'llm-001';",
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut client =
            qbank::pb::question_bank_client::QuestionBankClient::connect(format!("http://{addr}"))
                .await
                .expect("connect");
        for _ in 0..3 {
            client
                .get_question(qbank::pb::GetQuestionRequest {
                    id: "llm-001".into(),
                    view: 0,
                    revision: 0,
                    ..Default::default()
                })
                .await
                .expect("served from the columns");
        }
    });

    crate::support::send_signal(&child, "-TERM");
    crate::support::wait_for_exit(&mut child);
    let logged: Vec<String> = lines
        .try_iter()
        .filter(|line| line.contains("damaged"))
        .collect();

    assert_eq!(logged.len(), 1, "{logged:#?}");
    assert!(logged[0].contains("llm-001"), "{logged:#?}");
}

#[tokio::test]
async fn a_database_deleted_under_the_server_refuses_writes_and_reports_not_serving() {
    let app = spawn_app().await;
    app.answer("llm-001", &["C"]).await.expect("a write before");
    let dir = app.db_path.parent().expect("a directory").to_owned();

    std::fs::remove_dir_all(&dir).expect("delete the database's directory");

    let status = expect_code(app.answer("llm-001", &["C"]).await, Code::Unavailable);
    assert!(
        status.message().contains("nothing was recorded"),
        "{status:?}"
    );
    wait_for_health(&app.channel, ServingStatus::NotServing).await;
    app.get("llm-001").await.expect("reads keep working");
}

#[tokio::test]
async fn a_database_deleted_under_an_idle_server_reports_not_serving() {
    let app = spawn_app().await;
    let dir = app.db_path.parent().expect("a directory").to_owned();

    std::fs::remove_dir_all(&dir).expect("delete the database's directory");

    wait_for_health(&app.channel, ServingStatus::NotServing).await;
}

/// An ext4 file system in a file, mounted over a new temporary directory
/// through a loop device. Unmounts on drop.
struct LoopExt4 {
    dir: Arc<tempfile::TempDir>,
    _image: tempfile::NamedTempFile,
}

impl LoopExt4 {
    /// `None`, saying why, where mkfs.ext4 or loop devices are missing.
    fn mount() -> Option<Self> {
        let image = tempfile::NamedTempFile::new().expect("an image file");
        image.as_file().set_len(32 << 20).expect("size the image");
        let made = Command::new("mkfs.ext4")
            .args(["-q", "-F"])
            .arg(image.path())
            .status()
            .is_ok_and(|status| status.success());
        let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
        let mounted = made
            && Command::new("mount")
                .args(["-o", "loop"])
                .arg(image.path())
                .arg(dir.path())
                .status()
                .is_ok_and(|status| status.success());
        if !mounted {
            eprintln!("SKIPPED: needs mkfs.ext4 and a loop device");
            return None;
        }
        Some(Self { dir, _image: image })
    }

    /// Shuts the file system down (FS_IOC_SHUTDOWN, as `xfs_io -c shutdown`
    /// does, without flushing): every later read, write and fsync on it
    /// fails with EIO, as on a failing disk. Done by Python, since this
    /// crate's tests write no unsafe code; `false` when Python is missing.
    fn fail_every_io(&self) -> bool {
        const FS_IOC_SHUTDOWN_NOLOGFLUSH: &str = "import fcntl, os, struct, sys; \
            fd = os.open(sys.argv[1], os.O_RDONLY); \
            fcntl.ioctl(fd, 0x8004587D, struct.pack('I', 2))";
        Command::new("python3")
            .args(["-c", FS_IOC_SHUTDOWN_NOLOGFLUSH])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for LoopExt4 {
    fn drop(&mut self) {
        unmount(self.dir.path());
    }
}

#[tokio::test]
async fn a_disk_failing_with_io_errors_answers_unavailable_and_reports_not_serving() {
    if !can_mount() {
        return;
    }
    let Some(disk) = LoopExt4::mount() else {
        return;
    };
    let app = spawn_app_in(Options::default(), disk.dir.clone()).await;
    app.answer("llm-001", &["C"]).await.expect("a write before");
    // Its statistics are derived in a commit of their own, after the
    // answer: waited for here, so that no commit follows the reads below.
    app.client
        .clone()
        .get_respondent_stats(qbank::pb::GetRespondentStatsRequest {
            respondent_id: "anyone".into(),
        })
        .await
        .expect("derived");
    // Read after those writes, so the question is in the read connections'
    // page caches: the grading read then does not need the disk, and the
    // write is what meets the failure.
    for _ in 0..3 {
        app.get_full("llm-001").await.expect("a read before");
    }
    if !disk.fail_every_io() {
        eprintln!("SKIPPED: python3 is needed to make the disk fail");
        return;
    }

    let status = expect_code(app.answer("llm-001", &["C"]).await, Code::Unavailable);

    assert!(
        status.message().contains("nothing was recorded"),
        "{status:?}"
    );
    wait_for_health(&app.channel, ServingStatus::NotServing).await;
}
