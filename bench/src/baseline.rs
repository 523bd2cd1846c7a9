//! The baseline: a bare tonic server implementing `qbank.v1.QuestionBank` that
//! answers every call with a constant response captured from qbank itself, so
//! both servers put the same bytes on the wire and differ only in the work
//! behind them. Its rate is the limit of this stack.

use std::path::Path;

use prost::Message as _;
use qbank::pb::{
    self,
    question_bank_client::QuestionBankClient,
    question_bank_server::{QuestionBank, QuestionBankServer},
};
use tokio::net::TcpListener;
use tonic::{
    Request, Response, Status,
    transport::{Channel, Server, server::TcpIncoming},
};

use crate::{
    BenchResult,
    args::ServeBaselineArgs,
    process::{LOOPBACK, announce, stdin_closed},
    workload::Workload,
};

const QUESTION_FILE: &str = "question.pb";
const PAGE_FILE: &str = "page.pb";
const SUBMITTED_FILE: &str = "submitted.pb";
const BATCH_FILE: &str = "batch.pb";
const DRAWN_FILE: &str = "drawn.pb";

/// One real response of each RPC, answered to every call.
#[derive(Debug, Clone)]
pub(crate) struct Responses {
    question: pb::Question,
    page: pb::ListQuestionsResponse,
    submitted: pb::SubmitAnswerResponse,
    batch: pb::BatchGetQuestionsResponse,
    drawn: pb::DrawQuestionsResponse,
}

impl Responses {
    /// Asks the real server once for each RPC, with requests like those of
    /// the load: a random question, the first filtered page of 20, an answer.
    pub(crate) async fn capture(
        client: &mut QuestionBankClient<Channel>,
        workload: &Workload,
    ) -> BenchResult<Self> {
        let mut rng = fastrand::Rng::with_seed(1);
        let question = client
            .get_question(workload.get_request(&mut rng))
            .await?
            .into_inner();
        let page = client
            .list_questions(workload.filtered_page_request(String::new()))
            .await?
            .into_inner();
        let submitted = client
            .submit_answer(workload.submit_request(&mut rng))
            .await?
            .into_inner();
        let batch = client
            .batch_get_questions(workload.batch_get_request(&mut rng))
            .await?
            .into_inner();
        let drawn = client
            .draw_questions(crate::workload::draw_request())
            .await?
            .into_inner();
        Ok(Self {
            question,
            page,
            submitted,
            batch,
            drawn,
        })
    }

    /// Writes the responses into `dir` for the baseline child.
    pub(crate) fn save(&self, dir: &Path) -> BenchResult<()> {
        std::fs::write(dir.join(QUESTION_FILE), self.question.encode_to_vec())?;
        std::fs::write(dir.join(PAGE_FILE), self.page.encode_to_vec())?;
        std::fs::write(dir.join(SUBMITTED_FILE), self.submitted.encode_to_vec())?;
        std::fs::write(dir.join(BATCH_FILE), self.batch.encode_to_vec())?;
        std::fs::write(dir.join(DRAWN_FILE), self.drawn.encode_to_vec())?;
        Ok(())
    }

    fn load(dir: &Path) -> BenchResult<Self> {
        Ok(Self {
            question: pb::Question::decode(std::fs::read(dir.join(QUESTION_FILE))?.as_slice())?,
            page: pb::ListQuestionsResponse::decode(
                std::fs::read(dir.join(PAGE_FILE))?.as_slice(),
            )?,
            submitted: pb::SubmitAnswerResponse::decode(
                std::fs::read(dir.join(SUBMITTED_FILE))?.as_slice(),
            )?,
            batch: pb::BatchGetQuestionsResponse::decode(
                std::fs::read(dir.join(BATCH_FILE))?.as_slice(),
            )?,
            drawn: pb::DrawQuestionsResponse::decode(
                std::fs::read(dir.join(DRAWN_FILE))?.as_slice(),
            )?,
        })
    }
}

// Each handler clones its response: tonic takes ownership of what it encodes,
// and a real handler builds its message too.
#[tonic::async_trait]
impl QuestionBank for Responses {
    async fn list_questions(
        &self,
        _request: Request<pb::ListQuestionsRequest>,
    ) -> Result<Response<pb::ListQuestionsResponse>, Status> {
        Ok(Response::new(self.page.clone()))
    }

    async fn get_question(
        &self,
        _request: Request<pb::GetQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        Ok(Response::new(self.question.clone()))
    }

    async fn submit_answer(
        &self,
        _request: Request<pb::SubmitAnswerRequest>,
    ) -> Result<Response<pb::SubmitAnswerResponse>, Status> {
        Ok(Response::new(self.submitted.clone()))
    }

    // Authoring is not measured: the baseline only says it is not there.
    async fn create_question(
        &self,
        _request: Request<pb::CreateQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn update_question(
        &self,
        _request: Request<pb::UpdateQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn delete_question(
        &self,
        _request: Request<pb::DeleteQuestionRequest>,
    ) -> Result<Response<()>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn undelete_question(
        &self,
        _request: Request<pb::UndeleteQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn list_question_revisions(
        &self,
        _request: Request<pb::ListQuestionRevisionsRequest>,
    ) -> Result<Response<pb::ListQuestionRevisionsResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn import_questions(
        &self,
        _request: Request<tonic::Streaming<pb::ImportQuestionsRequest>>,
    ) -> Result<Response<pb::ImportQuestionsResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    type ExportQuestionsStream =
        tonic::codegen::tokio_stream::Empty<Result<pb::ExportQuestionsResponse, Status>>;

    async fn export_questions(
        &self,
        _request: Request<pb::ExportQuestionsRequest>,
    ) -> Result<Response<Self::ExportQuestionsStream>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn list_categories(
        &self,
        _request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn list_tags(
        &self,
        _request: Request<pb::ListTagsRequest>,
    ) -> Result<Response<pb::ListTagsResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn batch_get_questions(
        &self,
        _request: Request<pb::BatchGetQuestionsRequest>,
    ) -> Result<Response<pb::BatchGetQuestionsResponse>, Status> {
        Ok(Response::new(self.batch.clone()))
    }

    async fn draw_questions(
        &self,
        _request: Request<pb::DrawQuestionsRequest>,
    ) -> Result<Response<pb::DrawQuestionsResponse>, Status> {
        Ok(Response::new(self.drawn.clone()))
    }

    async fn get_question_stats(
        &self,
        _request: Request<pb::GetQuestionStatsRequest>,
    ) -> Result<Response<pb::QuestionStats>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn get_respondent_stats(
        &self,
        _request: Request<pb::GetRespondentStatsRequest>,
    ) -> Result<Response<pb::RespondentStats>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn report_question(
        &self,
        _request: Request<pb::ReportQuestionRequest>,
    ) -> Result<Response<pb::QuestionReport>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn list_question_reports(
        &self,
        _request: Request<pb::ListQuestionReportsRequest>,
    ) -> Result<Response<pb::ListQuestionReportsResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn resolve_question_report(
        &self,
        _request: Request<pb::ResolveQuestionReportRequest>,
    ) -> Result<Response<pb::QuestionReport>, Status> {
        Err(Status::unimplemented("not measured"))
    }
}

/// Serves the responses saved in `args.responses` until standard input closes.
pub(crate) fn run(args: &ServeBaselineArgs) -> BenchResult<()> {
    let responses = Responses::load(&args.responses)?;
    // The same runtime as the real server's, so only the handlers differ.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(LOOPBACK).await?;
        announce(listener.local_addr()?)?;
        // No delay, as the real server sets: small responses go out at once.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        Server::builder()
            .add_service(QuestionBankServer::new(responses))
            .serve_with_incoming_shutdown(incoming, stdin_closed())
            .await?;
        Ok(())
    })
}
