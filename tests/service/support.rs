//! `spawn_app`: the real server on an ephemeral port with a temporary
//! database, plus helpers to call it the way other services do.

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
};
use std::{path::PathBuf, sync::Arc, time::Duration};

use qbank::{
    config::{Config, Limits},
    pb::{self, question_bank_client::QuestionBankClient},
    server::{ServeError, serve_with_metrics},
    store::Store,
};
use tempfile::TempDir;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{Code, Request, Status, transport::Channel};
use tonic_types::StatusExt as _;

/// The admin token test servers start with, unless a test says otherwise.
pub(crate) const ADMIN_TOKEN: &str = "test-admin-token";

/// How a test server is started.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) admin_token: Option<String>,
    /// Bank-file text loaded instead of the bundled bank.
    pub(crate) initial_bank: Option<String>,
    pub(crate) limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            admin_token: Some(ADMIN_TOKEN.into()),
            initial_bank: None,
            limits: Limits::default(),
        }
    }
}

/// The default options with these limits.
pub(crate) fn with_limits(limits: Limits) -> Options {
    Options {
        limits,
        ..Options::default()
    }
}

/// A running server and a client connected to it.
pub(crate) struct TestApp {
    pub(crate) addr: std::net::SocketAddr,
    /// The Prometheus endpoint's address; every test server has one.
    pub(crate) metrics_addr: std::net::SocketAddr,
    pub(crate) client: QuestionBankClient<Channel>,
    pub(crate) channel: Channel,
    pub(crate) db_path: PathBuf,
    options: Options,
    dir: Arc<TempDir>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

/// Starts a server with the bundled bank and the test admin token.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts a server as `options` say, on a fresh database.
pub(crate) async fn spawn_app_with(options: Options) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
    start(options, dir).await
}

/// Starts a server as `options` say, with its database in `dir` (which may
/// already hold one, or be a special file system).
pub(crate) async fn spawn_app_in(options: Options, dir: Arc<TempDir>) -> TestApp {
    start(options, dir).await
}

async fn start(options: Options, dir: Arc<TempDir>) -> TestApp {
    let initial_bank = options.initial_bank.as_ref().map(|text| {
        let path = dir.path().join("bank.toml");
        std::fs::write(&path, text).expect("write the test bank file");
        path
    });
    let db_path = dir.path().join("qbank.db");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        initial_bank,
        admin_token: options.admin_token.clone(),
        shutdown_timeout: Duration::from_secs(5),
        limits: options.limits.clone(),
        ..Config::with_defaults(&db_path)
    };
    // Bound before serving: connections queue in the kernel until the server
    // accepts them, so no test needs to wait for startup.
    let listener = TcpListener::bind(config.listen)
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let metrics_listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0 for metrics");
    let metrics_addr = metrics_listener.local_addr().expect("local address");
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = serve_with_metrics(config, listener, Some(metrics_listener), async {
        let _ = stopped.await;
    });
    let server = tokio::spawn(async move {
        let result = serving.await;
        // A server that fails to start shows up in the test as a reset
        // connection: say why here.
        if let Err(error) = &result {
            eprintln!(
                "the test server stopped: {}",
                qbank::error::error_chain(error)
            );
        }
        result
    });
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to the test server");
    // The kernel accepts connections before the server has opened its
    // database; a health check is answered only once it serves, so tests
    // never race the startup (e.g. by locking the database too early).
    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("the test server starts");
    assert_eq!(
        health.into_inner().status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    TestApp {
        addr,
        metrics_addr,
        client: QuestionBankClient::new(channel.clone()),
        channel,
        db_path,
        options,
        dir,
        stop,
        server,
    }
}

impl TestApp {
    /// Stops the server gracefully and waits until it has.
    pub(crate) async fn stop(self) -> (Options, Arc<TempDir>) {
        let _ = self.stop.send(());
        self.server
            .await
            .expect("server task")
            .expect("server stopped cleanly");
        (self.options, self.dir)
    }

    /// Stops the server and starts a new one on the same database file.
    pub(crate) async fn restart(self) -> TestApp {
        let (options, dir) = self.stop().await;
        start(options, dir).await
    }

    /// A second handle on the database, to check what is (or is not) stored.
    pub(crate) fn store(&self) -> Store {
        Store::open(&self.db_path, &[]).expect("open the test database")
    }

    /// How many attempts are stored for `question_id`.
    pub(crate) fn attempts_stored(&self, question_id: &str) -> usize {
        self.store()
            .attempts_for_question(question_id)
            .expect("read attempts")
            .len()
    }

    pub(crate) async fn get(&self, id: &str) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .get_question(pb::GetQuestionRequest {
                id: id.into(),
                view: pb::QuestionView::Basic.into(),
                revision: 0,
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// GetQuestion in the FULL view with the test admin token.
    pub(crate) async fn get_full(&self, id: &str) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .get_question(with_token(
                pb::GetQuestionRequest {
                    id: id.into(),
                    view: pb::QuestionView::Full.into(),
                    revision: 0,
                    ..Default::default()
                },
                ADMIN_TOKEN,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn list(
        &self,
        request: pb::ListQuestionsRequest,
    ) -> Result<pb::ListQuestionsResponse, Status> {
        self.client
            .clone()
            .list_questions(request)
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn submit(
        &self,
        request: pb::SubmitAnswerRequest,
    ) -> Result<pb::SubmitAnswerResponse, Status> {
        self.client
            .clone()
            .submit_answer(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// Submits `keys` for `question_id` with no respondent or request id.
    pub(crate) async fn answer(
        &self,
        question_id: &str,
        keys: &[&str],
    ) -> Result<pb::SubmitAnswerResponse, Status> {
        self.submit(submission(question_id, keys)).await
    }
}

/// A SubmitAnswer request with no respondent or request id.
pub(crate) fn submission(question_id: &str, keys: &[&str]) -> pb::SubmitAnswerRequest {
    pb::SubmitAnswerRequest {
        question_id: question_id.into(),
        choice_keys: keys.iter().map(|key| (*key).into()).collect(),
        ..Default::default()
    }
}

/// `message` with `authorization: Bearer <token>`.
pub(crate) fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    request
}

/// Asserts `result` failed with `code`, and returns the status.
#[track_caller]
pub(crate) fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Ok(value) => panic!("expected {code:?}, got a response: {value:?}"),
        Err(status) => {
            assert_eq!(status.code(), code, "unexpected status: {status:?}");
            status
        }
    }
}

/// Asserts `result` is INVALID_ARGUMENT with a BadRequest detail naming `field`.
#[track_caller]
pub(crate) fn expect_invalid_field<T: std::fmt::Debug>(
    result: Result<T, Status>,
    field: &str,
) -> Status {
    let status = expect_code(result, Code::InvalidArgument);
    let bad_request = status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("no BadRequest detail in {status:?}"));
    let fields: Vec<&str> = bad_request
        .field_violations
        .iter()
        .map(|violation| violation.field.as_str())
        .collect();
    assert_eq!(fields, [field], "BadRequest of {status:?}");
    status
}

/// A generated bank of `count` questions: ids `q-0001`.., cycling through
/// categories, difficulties, types, languages and tags so filters have
/// something to select. Question `n` carries tag `every-<k>` when k divides n.
pub(crate) fn generated_bank(count: usize) -> String {
    let mut text = String::new();
    for n in 1..=count {
        let category = ["math", "history", "llm"][n % 3];
        let difficulty = ["easy", "medium", "hard"][(n / 3) % 3];
        let language = if n % 2 == 0 { "en" } else { "zh-CN" };
        let tags: Vec<String> = [2, 3, 5]
            .iter()
            .filter(|k| n % **k == 0)
            .map(|k| format!("\"every-{k}\""))
            .collect();
        let (question_type, choices, answer) = if n % 4 == 0 {
            (
                "multiple_choice",
                r#"[{ key = "A", text = "a" }, { key = "B", text = "b" }, { key = "C", text = "c" }, { key = "D", text = "d" }]"#,
                r#"["A", "C"]"#,
            )
        } else if n % 4 == 1 {
            (
                "true_false",
                r#"[{ key = "true", text = "对" }, { key = "false", text = "错" }]"#,
                r#"["true"]"#,
            )
        } else {
            (
                "single_choice",
                r#"[{ key = "A", text = "a" }, { key = "B", text = "b" }, { key = "C", text = "c" }]"#,
                r#"["B"]"#,
            )
        };
        text.push_str(&format!(
            "[[questions]]\nid = \"q-{n:04}\"\ntype = \"{question_type}\"\ndifficulty = \"{difficulty}\"\n\
             category = \"{category}\"\ntags = [{tags}]\nlanguage = \"{language}\"\n\
             stem = \"Question {n}?\"\nchoices = {choices}\nanswer = {answer}\n\
             explanation = \"Because {n}.\"\n\n",
            tags = tags.join(", "),
        ));
    }
    text
}

/// Starts a server whose bank is `generated_bank(count)`.
pub(crate) async fn spawn_app_with_generated_bank(count: usize) -> TestApp {
    spawn_app_with(Options {
        initial_bank: Some(generated_bank(count)),
        ..Options::default()
    })
    .await
}

/// A call that stays in progress until the returned sender is dropped: a
/// reflection stream whose request side stays open. It has received its
/// first response when this returns, so the server is handling it.
pub(crate) async fn open_endless_call(
    channel: Channel,
) -> (
    tokio::sync::mpsc::Sender<tonic_reflection::pb::v1::ServerReflectionRequest>,
    tonic::Streaming<tonic_reflection::pb::v1::ServerReflectionResponse>,
) {
    use tokio_stream::StreamExt as _;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest,
    };
    let (requests, request_stream) = tokio::sync::mpsc::channel(1);
    requests
        .send(ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        })
        .await
        .expect("queue a request");
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::wrappers::ReceiverStream::new(request_stream))
        .await
        .expect("open the stream")
        .into_inner();
    responses
        .next()
        .await
        .expect("a first response")
        .expect("not an error");
    (requests, responses)
}

/// Waits until GetQuestion is served again (a slot given back when a stream
/// ends is given back once its connection's task sees the end).
pub(crate) async fn wait_until_served(app: &TestApp) {
    for _ in 0..100 {
        if app.get("llm-001").await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("GetQuestion was never served again");
}

/// A new connection to `app`'s server, separate from `app.channel`.
pub(crate) async fn connect(app: &TestApp) -> Channel {
    Channel::from_shared(format!("http://{}", app.addr))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to the test server")
}

/// Starts the real binary on an ephemeral port and returns it with the
/// address it logged and a channel of its further log lines.
pub(crate) fn start_binary(
    db: &std::path::Path,
    extra_args: &[&str],
) -> (Child, String, mpsc::Receiver<String>) {
    start_binary_with_env(db, extra_args, &[])
}

/// [`start_binary`] with extra environment variables. The caller's own
/// `QBANK_*` variables are not passed on.
pub(crate) fn start_binary_with_env(
    db: &std::path::Path,
    extra_args: &[&str],
    env: &[(&str, &str)],
) -> (Child, String, mpsc::Receiver<String>) {
    start_binary_under(&[], db, extra_args, env)
}

/// [`start_binary_with_env`], run by `wrapper` (e.g. `prlimit --nofile=…`,
/// which executes the server in its own process).
pub(crate) fn start_binary_under(
    wrapper: &[&str],
    db: &std::path::Path,
    extra_args: &[&str],
    env: &[(&str, &str)],
) -> (Child, String, mpsc::Receiver<String>) {
    let server = env!("CARGO_BIN_EXE_qbank-server");
    let mut command = match wrapper.split_first() {
        None => Command::new(server),
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(server);
            command
        }
    };
    command
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(extra_args)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("QBANK_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("start qbank-server");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines_in, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_in.send(line).is_err() {
                break;
            }
        }
    });
    let serving = wait_for_line(&lines, "serving qbank.v1.QuestionBank");
    let addr = serving
        .split("addr=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the serving line names the address")
        .to_owned();
    (child, addr, lines)
}

pub(crate) fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no log line containing {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

pub(crate) fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..300 {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("qbank-server did not exit within 30 s");
}

pub(crate) fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}
