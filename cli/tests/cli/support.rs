//! The harness: a real qbank server on 127.0.0.1:0 with a fresh database, and a way to run
//! the real `qbank` binary against it and capture what it prints and how it exits.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use qbank::config::Config;
use tokio::sync::oneshot;

/// The admin token the test server accepts.
pub(crate) const ADMIN_TOKEN: &str = "test-admin-token";

/// Every environment variable the CLI reads: cleared in each child, so a developer's own
/// settings cannot leak into a test.
const CLI_ENVIRONMENT: &[&str] = &[
    "QBANK_ADDR",
    "QBANK_TOKEN",
    "QBANK_TIMEOUT",
    "QBANK_JSON",
    "QBANK_RESPONDENT",
    "QBANK_LANG",
    "LANGUAGE",
    "LC_ALL",
    "LANG",
    "COLUMNS",
    "VISUAL",
    "EDITOR",
];

/// A running server with the bundled bank (llm-001 … llm-010); stopped when dropped.
pub(crate) struct TestServer {
    /// `http://127.0.0.1:<port>`, as passed to `--addr`.
    pub(crate) addr: String,
    db_path: std::path::PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _database_dir: tempfile::TempDir,
}

/// Starts a server with the bundled bank on a free port. The listener is bound before this
/// returns, so the CLI's connections queue until the server accepts them: no sleeping, no
/// polling.
pub(crate) fn spawn_server() -> TestServer {
    start_server(None, None)
}

/// Starts a server with the bundled bank on `127.0.0.1:port`, a port the caller found free.
pub(crate) fn spawn_server_on_port(port: u16) -> TestServer {
    start_server_on(&format!("127.0.0.1:{port}"), None, None)
}

/// Starts a server whose new database is filled from `bank`, a bank file (see the README).
pub(crate) fn spawn_server_with_bank(bank: &str) -> TestServer {
    start_server(Some(bank), None)
}

/// Starts a server whose writes give up after `busy_timeout` when the database is locked
/// elsewhere, answering UNAVAILABLE: how tests make the server briefly unavailable.
pub(crate) fn spawn_server_with_db_busy_timeout(busy_timeout: Duration) -> TestServer {
    start_server(None, Some(busy_timeout))
}

fn start_server(bank: Option<&str>, db_busy_timeout: Option<Duration>) -> TestServer {
    start_server_on("127.0.0.1:0", bank, db_busy_timeout)
}

fn start_server_on(
    listen: &str,
    bank: Option<&str>,
    db_busy_timeout: Option<Duration>,
) -> TestServer {
    let database_dir = tempfile::tempdir().expect("create a temporary directory");
    let initial_bank = bank.map(|bank| {
        let path = database_dir.path().join("bank.toml");
        std::fs::write(&path, bank).expect("write the bank file");
        path
    });
    let listener = std::net::TcpListener::bind(listen).expect("bind the test server's address");
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking for tokio");
    let local_addr: SocketAddr = listener.local_addr().expect("the bound address");
    let db_path = database_dir.path().join("qbank.db");
    let mut config = Config {
        listen: local_addr,
        initial_bank,
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        shutdown_timeout: Duration::from_secs(1),
        ..Config::with_defaults(&db_path)
    };
    if let Some(busy_timeout) = db_busy_timeout {
        config.limits.db_busy_timeout = busy_timeout;
    }
    let (shutdown, shutdown_signal) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build the server's runtime");
        runtime.block_on(async move {
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("hand the listener to tokio");
            let stopped = async {
                // A dropped sender (a panicking test) stops the server as well.
                let _ = shutdown_signal.await;
            };
            qbank::server::serve(config, listener, stopped)
                .await
                .expect("the test server runs");
        });
    });
    TestServer {
        addr: format!("http://{local_addr}"),
        db_path,
        shutdown: Some(shutdown),
        thread: Some(thread),
        _database_dir: database_dir,
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A server that failed has already failed its test through the panic message;
            // panicking again in drop would only hide it.
            let _ = thread.join();
        }
    }
}

impl TestServer {
    /// Runs `qbank --addr <this server> ARGS…` with empty standard input.
    pub(crate) fn qbank(&self, args: &[&str]) -> Run {
        self.qbank_with_input(args, "")
    }

    /// Takes the database's write lock as another process would; writes wait for it until
    /// the returned connection rolls back or is dropped. Call once the server serves (after
    /// any successful command), so its own start-up is not the one kept waiting.
    pub(crate) fn lock_database(&self) -> rusqlite::Connection {
        let other_process = rusqlite::Connection::open(&self.db_path).expect("open the database");
        other_process
            .execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        other_process
    }

    /// How many attempts the server has stored for `question_id`.
    pub(crate) fn attempts_stored(&self, question_id: &str) -> usize {
        qbank::store::Store::open(&self.db_path, &[])
            .expect("open the database")
            .attempts_for_question(question_id)
            .expect("read the attempts")
            .len()
    }

    /// Runs `qbank --addr <this server> ARGS…` with `environment` set, e.g. `VISUAL`.
    pub(crate) fn qbank_with_env(&self, args: &[&str], environment: &[(&str, &str)]) -> Run {
        let mut command = qbank_command();
        command.arg("--addr").arg(&self.addr).args(args);
        command.envs(environment.iter().copied());
        run(command, "")
    }

    /// Runs `qbank --addr <this server> ARGS…`, feeding `input` on standard input.
    pub(crate) fn qbank_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut command = qbank_command();
        command.arg("--addr").arg(&self.addr).args(args);
        run(command, input)
    }
}

/// The `qbank` binary under test, with the CLI's environment variables cleared.
pub(crate) fn qbank_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qbank"));
    for variable in CLI_ENVIRONMENT {
        command.env_remove(variable);
    }
    command
}

/// Runs `command` to completion with `input` on its standard input.
pub(crate) fn run(mut command: Command, input: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the qbank binary");
    let mut stdin = child.stdin.take().expect("a piped standard input");
    // The CLI may exit before reading everything (e.g. on an error), closing the pipe.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    Run::from(child.wait_with_output().expect("wait for the qbank binary"))
}

/// How a run of `qbank` ended.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code (`-1` if a signal ended the process).
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("standard output is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("standard error is UTF-8"),
        }
    }
}

impl Run {
    /// Asserts a successful run and returns it.
    #[track_caller]
    pub(crate) fn success(self) -> Self {
        assert_eq!(self.code, 0, "qbank failed: {self:#?}");
        self
    }

    /// Asserts the run failed with `code`, printing exactly one `error:` line, and returns it.
    #[track_caller]
    pub(crate) fn failure(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        let error_lines = self
            .stderr
            .lines()
            .filter(|line| line.starts_with("error: "))
            .count();
        assert_eq!(error_lines, 1, "the error is printed once: {self:#?}");
        self
    }

    /// Standard output parsed as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not one JSON document ({error}): {self:#?}"))
    }
}

/// The display width of `text`: two columns for a CJK character, one for ASCII. Written out
/// here rather than borrowed from the CLI, so the test checks the CLI's arithmetic
/// independently; the bank only holds ASCII, CJK and full-width punctuation.
pub(crate) fn display_width(text: &str) -> usize {
    text.chars()
        .map(|character| match u32::from(character) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}
