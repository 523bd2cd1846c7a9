//! The `qbank.v1.QuestionBank` service: each method converts the request,
//! checks the view, calls the bank and converts the result back.

use tonic::{Request, Response, Status};

use super::{
    auth::{AdminToken, authorize_view},
    convert::{
        GetQuestion, ListQuestions, View, card_page_to_wire, card_to_wire, list_page_to_wire,
        question_to_wire,
    },
    wire::{self, question_bank_server::QuestionBank},
};
use crate::{
    domain::{bank::Bank, submission::Submission},
    pb,
};

/// The gRPC face of a [`Bank`].
#[derive(Debug, Clone)]
pub struct QuestionBankService {
    bank: Bank,
    admin_token: Option<AdminToken>,
}

impl QuestionBankService {
    /// Serves `bank`; the FULL view needs `admin_token`, or is disabled
    /// without one.
    pub fn new(bank: Bank, admin_token: Option<AdminToken>) -> Self {
        Self { bank, admin_token }
    }
}

#[tonic::async_trait]
impl QuestionBank for QuestionBankService {
    async fn list_questions(
        &self,
        request: Request<pb::ListQuestionsRequest>,
    ) -> Result<Response<wire::ListQuestionsReply>, Status> {
        let (metadata, _, message) = request.into_parts();
        let ListQuestions { query, view } = message.try_into()?;
        authorize_view(self.admin_token.as_ref(), &metadata, view)?;
        // A card is exactly the BASIC view of its question; without cards
        // (a read-only database from another release), questions are encoded.
        let reply = if view == View::Basic && self.bank.has_cards() {
            card_page_to_wire(self.bank.list_cards(query).await?)
        } else {
            list_page_to_wire(self.bank.list(query).await?, view)
        };
        Ok(Response::new(reply))
    }

    async fn get_question(
        &self,
        request: Request<pb::GetQuestionRequest>,
    ) -> Result<Response<wire::EncodedQuestion>, Status> {
        let (metadata, _, message) = request.into_parts();
        let GetQuestion { id, view } = message.try_into()?;
        authorize_view(self.admin_token.as_ref(), &metadata, view)?;
        let card = if view == View::Basic && self.bank.has_cards() {
            self.bank.question_card(&id)?
        } else {
            None
        };
        let encoded = match card {
            Some(card) => card_to_wire(card),
            None => question_to_wire(self.bank.question(&id)?, view),
        };
        Ok(Response::new(encoded))
    }

    async fn submit_answer(
        &self,
        request: Request<pb::SubmitAnswerRequest>,
    ) -> Result<Response<pb::SubmitAnswerResponse>, Status> {
        let submission: Submission = request.into_inner().try_into()?;
        let attempt = self.bank.submit(submission).await?;
        Ok(Response::new(attempt.into()))
    }
}
