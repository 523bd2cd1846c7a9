//! The connection to a qbank server: every call carries the bearer token and the `--timeout`
//! deadline, failures become [`Error`]s that know the address, and the calls that carry a
//! request id (submitting an answer, reporting a question) are retried safely when the server
//! is briefly unavailable.

use std::future::Future;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::pb;
use crate::pb::question_bank_client::QuestionBankClient;

/// Waits between attempts of a call that carries a request id (`SubmitAnswer`,
/// `ReportQuestion`) while the server is UNAVAILABLE or refuses the connection: three retries,
/// backing off, so a server restart of under a second goes unnoticed.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
];

/// The generated QuestionBank client, with the metadata every call carries.
type QuestionBank = QuestionBankClient<InterceptedService<Channel, CallMetadata>>;

/// A connected qbank client.
#[derive(Debug)]
pub(crate) struct Client {
    questions: QuestionBank,
    health: HealthClient<InterceptedService<Channel, CallMetadata>>,
    addr: String,
    timeout: Duration,
}

/// When a [`Client`] opens its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Connect {
    /// Before the first call, so an unreachable server fails with its address named, before
    /// any output is printed.
    Now,
    /// At each call that finds none open, so a refused connection is an UNAVAILABLE call
    /// that `submit_answer` and `report_question` retry like any other.
    OnFirstCall,
}

impl Client {
    /// Connects to `addr` (a missing scheme means `http://`), giving up after `timeout`.
    pub(crate) async fn connect(
        addr: &str,
        token: Option<&str>,
        timeout: Duration,
        when: Connect,
    ) -> Result<Self, Error> {
        let addr = if addr.contains("://") {
            addr.to_owned()
        } else {
            format!("http://{addr}")
        };
        let invalid = |reason: String| Error::InvalidAddress {
            addr: addr.clone(),
            reason,
        };
        let endpoint = Endpoint::from_shared(addr.clone())
            .map_err(|error| invalid(error_chain(&error)))?
            .connect_timeout(timeout);
        let endpoint = match endpoint.uri().scheme_str() {
            Some("http") => endpoint,
            // TLS checked against the system's CAs, so the token never travels in plaintext.
            Some("https") => endpoint
                .tls_config(ClientTlsConfig::new().with_native_roots())
                .map_err(|error| invalid(error_chain(&error)))?,
            _ => return Err(invalid("the scheme must be http:// or https://".to_owned())),
        };
        let authorization = token
            .map(|token| {
                MetadataValue::try_from(format!("Bearer {token}")).map_err(|_| Error::InvalidToken)
            })
            .transpose()?;
        let channel = match when {
            Connect::Now => endpoint
                .connect()
                .await
                .map_err(|error| Error::Unavailable {
                    addr: addr.clone(),
                    reason: error_chain(&error),
                })?,
            Connect::OnFirstCall => endpoint.connect_lazy(),
        };
        let metadata = CallMetadata {
            authorization,
            timeout,
        };
        Ok(Self {
            questions: QuestionBankClient::with_interceptor(channel.clone(), metadata.clone()),
            health: HealthClient::with_interceptor(channel, metadata),
            addr,
            timeout,
        })
    }

    /// One page of questions.
    pub(crate) async fn list_questions(
        &mut self,
        request: pb::ListQuestionsRequest,
    ) -> Result<pb::ListQuestionsResponse, Error> {
        let result = self.questions.list_questions(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// One question, with its answer key when `view` is FULL, in the first of `languages`
    /// it has (else in its original language).
    pub(crate) async fn get_question(
        &mut self,
        id: &str,
        view: pb::QuestionView,
        languages: &PreferredLanguages,
    ) -> Result<pb::Question, Error> {
        self.get_question_at(id, 0, view, languages).await
    }

    /// One question as it was at `revision` (0: as it is), as [`Client::get_question`].
    pub(crate) async fn get_question_at(
        &mut self,
        id: &str,
        revision: i64,
        view: pb::QuestionView,
        languages: &PreferredLanguages,
    ) -> Result<pb::Question, Error> {
        let request = pb::GetQuestionRequest {
            id: id.to_owned(),
            view: view.into(),
            revision,
            preferred_languages: languages.tags().to_vec(),
        };
        let result = self.questions.get_question(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// Questions drawn at random from those that match the request's filters.
    pub(crate) async fn draw_questions(
        &mut self,
        request: pb::DrawQuestionsRequest,
    ) -> Result<pb::DrawQuestionsResponse, Error> {
        let result = self.questions.draw_questions(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// How the attempts at a question went, at `revision` or, for 0, at every revision.
    pub(crate) async fn get_question_stats(
        &mut self,
        id: &str,
        revision: i64,
    ) -> Result<pb::QuestionStats, Error> {
        let request = pb::GetQuestionStatsRequest {
            id: id.to_owned(),
            revision,
        };
        let result = self.questions.get_question_stats(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// How `respondent` is doing, overall and by category and tag.
    pub(crate) async fn get_respondent_stats(
        &mut self,
        respondent: &str,
    ) -> Result<pb::RespondentStats, Error> {
        let request = pb::GetRespondentStatsRequest {
            respondent_id: respondent.to_owned(),
        };
        let result = self.questions.get_respondent_stats(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// One page of reports, newest first.
    pub(crate) async fn list_question_reports(
        &mut self,
        request: pb::ListQuestionReportsRequest,
    ) -> Result<pb::ListQuestionReportsResponse, Error> {
        let result = self.questions.list_question_reports(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// Marks a report resolved, with what was done about it.
    pub(crate) async fn resolve_question_report(
        &mut self,
        id: &str,
        note: &str,
    ) -> Result<pb::QuestionReport, Error> {
        let request = pb::ResolveQuestionReportRequest {
            id: id.to_owned(),
            resolution_note: note.to_owned(),
        };
        let result = self.questions.resolve_question_report(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// How many live questions each category has, by difficulty and type.
    pub(crate) async fn list_categories(
        &mut self,
        request: pb::ListCategoriesRequest,
    ) -> Result<pb::ListCategoriesResponse, Error> {
        let result = self.questions.list_categories(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// How many live questions carry each tag, most used first.
    pub(crate) async fn list_tags(
        &mut self,
        request: pb::ListTagsRequest,
    ) -> Result<pb::ListTagsResponse, Error> {
        let result = self.questions.list_tags(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// Adds a question at revision 1; with an empty id the server picks one.
    pub(crate) async fn create_question(
        &mut self,
        question: pb::Question,
    ) -> Result<pb::Question, Error> {
        let request = pb::CreateQuestionRequest {
            question: Some(question),
            question_id: String::new(),
        };
        let result = self.questions.create_question(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// Replaces the fields `paths` name of the question `question.id` names; refused with
    /// ABORTED unless it is at `expected_revision` (0: at any).
    pub(crate) async fn update_question(
        &mut self,
        question: pb::Question,
        paths: Vec<String>,
        expected_revision: i64,
    ) -> Result<pb::Question, Error> {
        let request = pb::UpdateQuestionRequest {
            question: Some(question),
            update_mask: Some(prost_types::FieldMask { paths }),
            expected_revision,
        };
        let result = self.questions.update_question(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// Deletes a question, unless it is no longer at `expected_revision` (0: at any).
    pub(crate) async fn delete_question(
        &mut self,
        id: &str,
        expected_revision: i64,
    ) -> Result<(), Error> {
        let request = pb::DeleteQuestionRequest {
            id: id.to_owned(),
            expected_revision,
        };
        let result = self.questions.delete_question(request).await;
        result.map(drop).map_err(|status| self.failure(status))
    }

    /// Restores a deleted question and returns it.
    pub(crate) async fn undelete_question(&mut self, id: &str) -> Result<pb::Question, Error> {
        let request = pb::UndeleteQuestionRequest { id: id.to_owned() };
        let result = self.questions.undelete_question(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// One page of a question's revisions, newest first.
    pub(crate) async fn list_question_revisions(
        &mut self,
        id: &str,
        page_token: String,
    ) -> Result<pb::ListQuestionRevisionsResponse, Error> {
        let request = pb::ListQuestionRevisionsRequest {
            id: id.to_owned(),
            page_size: 0,
            page_token,
        };
        let result = self.questions.list_question_revisions(request).await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// Uploads one bank file as `chunks`, the first of which carries the import's options.
    pub(crate) async fn import_questions(
        &mut self,
        chunks: Vec<pb::ImportQuestionsRequest>,
    ) -> Result<pb::ImportQuestionsResponse, Error> {
        let result = self
            .questions
            .import_questions(tokio_stream::iter(chunks))
            .await;
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| self.failure(status))
    }

    /// The exported bank file, put together from its chunks, and what it left out.
    pub(crate) async fn export_questions(
        &mut self,
        request: pb::ExportQuestionsRequest,
    ) -> Result<Export, Error> {
        let result = self.questions.export_questions(request).await;
        let mut chunks = result.map_err(|status| self.failure(status))?.into_inner();
        let mut export = Export::default();
        // A stream that breaks off is an error, not a shorter file: the caller never writes a
        // bank that silently lacks its last questions.
        while let Some(chunk) = chunks
            .message()
            .await
            .map_err(|status| self.failure(status))?
        {
            export.content.extend_from_slice(&chunk.content);
            export.omitted.extend(chunk.omitted);
        }
        Ok(export)
    }

    /// Submits an answer and returns its grade, explained in the first of `languages` the
    /// question has.
    ///
    /// Each call sends a fresh request id and keeps it across retries: the server records an
    /// attempt once per request id, so a retry after a lost response never records twice.
    pub(crate) async fn submit_answer(
        &mut self,
        question_id: &str,
        choice_keys: Vec<String>,
        respondent: Option<&str>,
        languages: &PreferredLanguages,
    ) -> Result<pb::SubmitAnswerResponse, Error> {
        let request = pb::SubmitAnswerRequest {
            question_id: question_id.to_owned(),
            choice_keys,
            respondent_id: respondent.unwrap_or_default().to_owned(),
            request_id: new_request_id(),
            preferred_languages: languages.tags().to_vec(),
        };
        self.send_with_retries(request, |mut questions, request| async move {
            questions.submit_answer(request).await
        })
        .await
    }

    /// Reports a problem with a question and returns the report, retried as
    /// [`Client::submit_answer`] is: the server files one report per request id.
    pub(crate) async fn report_question(
        &mut self,
        question_id: &str,
        reason: pb::ReportReason,
        comment: Option<&str>,
        respondent: Option<&str>,
    ) -> Result<pb::QuestionReport, Error> {
        let request = pb::ReportQuestionRequest {
            question_id: question_id.to_owned(),
            reason: reason.into(),
            comment: comment.unwrap_or_default().to_owned(),
            respondent_id: respondent.unwrap_or_default().to_owned(),
            request_id: new_request_id(),
        };
        self.send_with_retries(request, |mut questions, request| async move {
            questions.report_question(request).await
        })
        .await
    }

    /// Sends `request` with `send`, again after each of [`RETRY_DELAYS`] while the server is
    /// UNAVAILABLE. Only for requests with a request id, which make a repeat harmless: the
    /// first attempt may have been carried out with only its response lost.
    async fn send_with_retries<R, T, F, Fut>(&mut self, request: R, send: F) -> Result<T, Error>
    where
        R: Clone,
        F: Fn(QuestionBank, R) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let mut delays = RETRY_DELAYS.iter();
        loop {
            // A clone of the generated client shares its channel: it costs a few reference
            // counts, and lets each attempt own what it sends.
            let status = match send(self.questions.clone(), request.clone()).await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) => status,
            };
            match delays.next() {
                Some(delay) if status.code() == Code::Unavailable => {
                    tokio::time::sleep(*delay).await
                }
                _ => return Err(self.failure(status)),
            }
        }
    }

    /// The serving status of `service` ("" for the whole server).
    pub(crate) async fn check_health(&mut self, service: &str) -> Result<ServingStatus, Error> {
        let request = HealthCheckRequest {
            service: service.to_owned(),
        };
        let result = self.health.check(request).await;
        let response = result.map_err(|status| self.failure(status))?.into_inner();
        Ok(ServingStatus::try_from(response.status).unwrap_or(ServingStatus::Unknown))
    }

    /// Turns a failed call into an [`Error`] that names what the user can act on.
    fn failure(&self, status: Status) -> Error {
        match status.code() {
            // tonic makes a status of its own, with the transport error as its source, when
            // it cannot reach the server; one the server sent has no source.
            Code::Unavailable => match std::error::Error::source(&status) {
                Some(cause) => Error::Unavailable {
                    addr: self.addr.clone(),
                    reason: error_chain(cause),
                },
                None => Error::ServerUnavailable(status),
            },
            // tonic enforces the deadline on the client too, and reports it as CANCELLED;
            // the CLI never cancels a call itself, so CANCELLED means the deadline passed.
            Code::DeadlineExceeded | Code::Cancelled => Error::DeadlineExceeded {
                timeout: self.timeout,
            },
            _ => Error::Rejected(status),
        }
    }
}

/// An exported bank file.
#[derive(Debug, Default)]
pub(crate) struct Export {
    /// The file's bytes.
    pub(crate) content: Vec<u8>,
    /// What the format could not express, one line each: `QUESTION_ID: what was left out`.
    pub(crate) omitted: Vec<String>,
}

/// What every call carries: the deadline (as `grpc-timeout`, so the server stops working on
/// a call nobody waits for) and, with `--token`, the `authorization` header.
#[derive(Clone, Debug)]
struct CallMetadata {
    authorization: Option<MetadataValue<Ascii>>,
    timeout: Duration,
}

impl Interceptor for CallMetadata {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.set_timeout(self.timeout);
        if let Some(authorization) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", authorization.clone());
        }
        Ok(request)
    }
}

/// A fresh idempotency key: random, so that no two clients ever send the same one.
fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An error and its causes on one line: tonic's top-level message ("transport error") alone
/// does not say that the connection was refused.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut messages = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !messages.iter().any(|seen| seen.contains(&message)) {
            messages.push(message);
        }
        source = cause.source();
    }
    messages.join(": ")
}
