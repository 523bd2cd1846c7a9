//! The `qbank.v1.QuestionBank` service: each method converts the request,
//! checks the view, calls the bank and converts the result back.

use tonic::{Request, Response, Status, Streaming};

use super::{
    auth::{AdminToken, authorize_authoring, authorize_view},
    convert::{
        BatchGet, CreateQuestion, DeleteQuestion, Draw, ExportQuestions, GetQuestion, ImportHeader,
        ListCategories, ListQuestions, ListReports, ListRevisions, ListTags, ReportQuestion,
        ResolveReport, SubmitAnswer, UpdateQuestion, View, batch_of_cards, batch_of_questions,
        card_page_to_wire, card_to_wire, categories_to_proto, drawn_to_wire, encoded_cards,
        encoded_questions, export_to_proto, import_header, list_page_to_wire, question_to_proto,
        question_to_wire, report_to_proto, reports_to_proto, respondent_stats_request,
        revisions_to_proto, stats_request, tags_to_proto, undelete_id,
    },
    wire::{self, question_bank_server::QuestionBank},
};
use crate::{
    bank::Bank,
    domain::{language::PreferredLanguages, validation::FieldError},
    error::Error,
    pb,
};

/// The gRPC face of a [`Bank`].
#[derive(Debug, Clone)]
pub struct QuestionBankService {
    bank: Bank,
    admin_token: Option<AdminToken>,
    max_import_bytes: usize,
}

impl QuestionBankService {
    /// Serves `bank`; the FULL view and authoring need `admin_token`, or are
    /// disabled without one. An import may upload `max_import_bytes` in all.
    pub fn new(bank: Bank, admin_token: Option<AdminToken>, max_import_bytes: usize) -> Self {
        Self {
            bank,
            admin_token,
            max_import_bytes,
        }
    }
}

#[tonic::async_trait]
impl QuestionBank for QuestionBankService {
    async fn list_questions(
        &self,
        request: Request<pb::ListQuestionsRequest>,
    ) -> Result<Response<wire::ListQuestionsReply>, Status> {
        let (metadata, _, message) = request.into_parts();
        let ListQuestions {
            query,
            view,
            languages,
        } = message.try_into()?;
        authorize_view(self.admin_token.as_ref(), &metadata, view)?;
        // A card is exactly the BASIC view of its question; without cards
        // (a read-only database from another release), questions are encoded.
        let reply = if view == View::Basic && self.bank.has_cards() {
            card_page_to_wire(self.bank.list_cards(query).await?, &languages)
        } else {
            list_page_to_wire(self.bank.list(query).await?, view, &languages)
        };
        Ok(Response::new(reply))
    }

    async fn get_question(
        &self,
        request: Request<pb::GetQuestionRequest>,
    ) -> Result<Response<wire::EncodedQuestion>, Status> {
        let (metadata, _, message) = request.into_parts();
        let GetQuestion {
            id,
            view,
            revision,
            languages,
        } = message.try_into()?;
        authorize_view(self.admin_token.as_ref(), &metadata, view)?;
        if let Some(revision) = revision {
            let question = self.bank.question_at(&id, revision)?;
            return Ok(Response::new(question_to_wire(question, view, &languages)));
        }
        let card = if view == View::Basic && self.bank.has_cards() {
            self.bank.question_card(&id)?
        } else {
            None
        };
        let encoded = match card {
            Some(card) => card_to_wire(&card, &languages),
            None => question_to_wire(self.bank.question(&id)?, view, &languages),
        };
        Ok(Response::new(encoded))
    }

    async fn submit_answer(
        &self,
        request: Request<pb::SubmitAnswerRequest>,
    ) -> Result<Response<pb::SubmitAnswerResponse>, Status> {
        let SubmitAnswer {
            submission,
            languages,
        } = request.into_inner().try_into()?;
        let answered = self.bank.submit(submission, &languages).await?;
        Ok(Response::new(answered.into()))
    }

    async fn create_question(
        &self,
        request: Request<pb::CreateQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        let message = self.authoring(request)?;
        let CreateQuestion(question) = message.try_into()?;
        let created = self.bank.create(question).await?;
        Ok(Response::new(question_to_proto(
            created,
            View::Full,
            &PreferredLanguages::none(),
        )))
    }

    async fn update_question(
        &self,
        request: Request<pb::UpdateQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        let message = self.authoring(request)?;
        let UpdateQuestion {
            id,
            expected_revision,
            edit,
        } = message.try_into()?;
        let updated = self.bank.update(id, expected_revision, edit).await?;
        Ok(Response::new(question_to_proto(
            updated,
            View::Full,
            &PreferredLanguages::none(),
        )))
    }

    async fn delete_question(
        &self,
        request: Request<pb::DeleteQuestionRequest>,
    ) -> Result<Response<()>, Status> {
        let message = self.authoring(request)?;
        let DeleteQuestion {
            id,
            expected_revision,
        } = message.try_into()?;
        self.bank.delete(id, expected_revision).await?;
        Ok(Response::new(()))
    }

    async fn undelete_question(
        &self,
        request: Request<pb::UndeleteQuestionRequest>,
    ) -> Result<Response<pb::Question>, Status> {
        let id = undelete_id(self.authoring(request)?)?;
        let restored = self.bank.undelete(id).await?;
        Ok(Response::new(question_to_proto(
            restored,
            View::Full,
            &PreferredLanguages::none(),
        )))
    }

    async fn list_question_revisions(
        &self,
        request: Request<pb::ListQuestionRevisionsRequest>,
    ) -> Result<Response<pb::ListQuestionRevisionsResponse>, Status> {
        let message = self.authoring(request)?;
        let ListRevisions {
            id,
            page_size,
            page_token,
        } = message.try_into()?;
        let page = self.bank.revisions(&id, page_size, &page_token)?;
        Ok(Response::new(revisions_to_proto(page)))
    }

    async fn import_questions(
        &self,
        request: Request<Streaming<pb::ImportQuestionsRequest>>,
    ) -> Result<Response<pb::ImportQuestionsResponse>, Status> {
        let mut chunks = self.authoring(request)?;
        let first = chunks.message().await?.ok_or_else(|| {
            Error::from(FieldError::new(
                "format",
                "is required: the upload sent nothing",
            ))
        })?;
        let ImportHeader {
            format,
            dry_run,
            defaults,
        } = import_header(&first)?;
        let mut content = first.content;
        let too_large = || {
            Error::ResourceExhausted(format!(
                "the upload is larger than --max-import-bytes ({} bytes); nothing was imported",
                self.max_import_bytes
            ))
        };
        if content.len() > self.max_import_bytes {
            return Err(too_large().into());
        }
        // Later messages carry only content: the header is the first's.
        while let Some(chunk) = chunks.message().await? {
            if content.len() + chunk.content.len() > self.max_import_bytes {
                return Err(too_large().into());
            }
            content.extend_from_slice(&chunk.content);
        }
        let text = String::from_utf8(content)
            .map_err(|_| Error::from(FieldError::new("content", "is not UTF-8 text")))?;
        let counts = self.bank.import(format, &text, &defaults, dry_run).await?;
        Ok(Response::new(counts.into()))
    }

    type ExportQuestionsStream =
        futures_util::stream::Iter<std::vec::IntoIter<Result<pb::ExportQuestionsResponse, Status>>>;

    async fn export_questions(
        &self,
        request: Request<pb::ExportQuestionsRequest>,
    ) -> Result<Response<Self::ExportQuestionsStream>, Status> {
        let ExportQuestions { format, filter } = self.authoring(request)?.try_into()?;
        let exported = self.bank.export(format, filter).await?;
        let messages: Vec<_> = export_to_proto(exported).into_iter().map(Ok).collect();
        Ok(Response::new(futures_util::stream::iter(messages)))
    }

    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let ListCategories { language } = request.into_inner().try_into()?;
        let categories = self.bank.category_counts(language).await?;
        Ok(Response::new(categories_to_proto(&categories)))
    }

    async fn list_tags(
        &self,
        request: Request<pb::ListTagsRequest>,
    ) -> Result<Response<pb::ListTagsResponse>, Status> {
        let ListTags { category, language } = request.into_inner().try_into()?;
        let tags = self.bank.tag_counts(category, language).await?;
        Ok(Response::new(tags_to_proto(&tags)))
    }

    async fn batch_get_questions(
        &self,
        request: Request<pb::BatchGetQuestionsRequest>,
    ) -> Result<Response<wire::BatchGetQuestionsReply>, Status> {
        let (metadata, _, message) = request.into_parts();
        let BatchGet {
            ids,
            view,
            languages,
        } = message.try_into()?;
        authorize_view(self.admin_token.as_ref(), &metadata, view)?;
        let reply = if view == View::Basic && self.bank.has_cards() {
            batch_of_cards(&self.bank.question_cards(&ids)?, &languages)
        } else {
            batch_of_questions(self.bank.questions(&ids)?, view, &languages)
        };
        Ok(Response::new(reply))
    }

    async fn draw_questions(
        &self,
        request: Request<pb::DrawQuestionsRequest>,
    ) -> Result<Response<wire::DrawQuestionsReply>, Status> {
        let (metadata, _, message) = request.into_parts();
        let Draw {
            query,
            view,
            languages,
        } = message.try_into()?;
        authorize_view(self.admin_token.as_ref(), &metadata, view)?;
        let (encoded, drawn) = if view == View::Basic && self.bank.has_cards() {
            let (cards, drawn) = self.bank.draw(query, Bank::question_card).await?;
            (encoded_cards(&cards, &languages), drawn)
        } else {
            let (questions, drawn) = self.bank.draw(query, Bank::live_question).await?;
            (encoded_questions(questions, view, &languages), drawn)
        };
        Ok(Response::new(drawn_to_wire(encoded, &drawn)))
    }

    async fn get_question_stats(
        &self,
        request: Request<pb::GetQuestionStatsRequest>,
    ) -> Result<Response<pb::QuestionStats>, Status> {
        let (id, revision) = stats_request(self.authoring(request)?)?;
        let stats = self.bank.question_stats(id, revision).await?;
        Ok(Response::new(stats.into()))
    }

    async fn get_respondent_stats(
        &self,
        request: Request<pb::GetRespondentStatsRequest>,
    ) -> Result<Response<pb::RespondentStats>, Status> {
        let respondent_id = respondent_stats_request(request.into_inner())?;
        let stats = self.bank.respondent_stats(respondent_id).await?;
        Ok(Response::new(stats.into()))
    }

    async fn report_question(
        &self,
        request: Request<pb::ReportQuestionRequest>,
    ) -> Result<Response<pb::QuestionReport>, Status> {
        // Anonymous reports are limited per client address.
        let address = request.remote_addr().map(|addr| addr.ip());
        let ReportQuestion(report) = request.into_inner().try_into()?;
        let recorded = self.bank.report(report, address).await?;
        Ok(Response::new(report_to_proto(recorded)))
    }

    async fn list_question_reports(
        &self,
        request: Request<pb::ListQuestionReportsRequest>,
    ) -> Result<Response<pb::ListQuestionReportsResponse>, Status> {
        let ListReports {
            filter,
            page_size,
            page_token,
        } = self.authoring(request)?.try_into()?;
        let page = self.bank.reports(&filter, page_size, &page_token)?;
        Ok(Response::new(reports_to_proto(page)))
    }

    async fn resolve_question_report(
        &self,
        request: Request<pb::ResolveQuestionReportRequest>,
    ) -> Result<Response<pb::QuestionReport>, Status> {
        let ResolveReport(resolution) = self.authoring(request)?.try_into()?;
        let resolved = self.bank.resolve_report(resolution).await?;
        Ok(Response::new(report_to_proto(resolved)))
    }
}

impl QuestionBankService {
    /// The message of an authoring call, once its token is checked: before
    /// any validation or lookup.
    fn authoring<T>(&self, request: Request<T>) -> Result<T, Error> {
        let (metadata, _, message) = request.into_parts();
        authorize_authoring(self.admin_token.as_ref(), &metadata)?;
        Ok(message)
    }
}
