//! `spawn_app`: the real server on an ephemeral port with a temporary
//! database, plus helpers to call it the way other services do.

use std::{path::PathBuf, sync::Arc, time::Duration};

use qbank::{
    config::Config,
    pb::{self, question_bank_client::QuestionBankClient},
    server::{ServeError, serve},
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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            admin_token: Some(ADMIN_TOKEN.into()),
            initial_bank: None,
        }
    }
}

/// A running server and a client connected to it.
pub(crate) struct TestApp {
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
        ..Config::with_defaults(&db_path)
    };
    // Bound before serving: connections queue in the kernel until the server
    // accepts them, so no test needs to wait for startup.
    let listener = TcpListener::bind(config.listen)
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(config, listener, async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to the test server");
    TestApp {
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
