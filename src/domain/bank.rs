//! The question bank's use cases: look up, list and answer questions. Each
//! validates what storage cannot, calls storage, and applies the domain rules.

use std::time::SystemTime;

use super::{
    card::Card,
    grading::{grade, resolve_choice_keys},
    listing::QuestionFilter,
    page_token::PageTokenCodec,
    question::Question,
    submission::{Attempt, GradedAnswer, Submission},
    validation::FieldError,
};
use crate::{
    error::Error,
    store::{Page, Recorded, Store, StoreError},
};

/// A ListQuestions request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Which questions.
    pub filter: QuestionFilter,
    /// How many at most (already clamped to the page size rules).
    pub page_size: usize,
    /// The previous page's token; empty for the first page.
    pub page_token: String,
}

/// One page of questions, or of their cards.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T> {
    /// The questions (or their cards), in question id order.
    pub entries: Vec<T>,
    /// The token for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// Matches in all pages.
    pub total_size: u64,
}

/// The question bank: storage plus the rules on top of it.
#[derive(Debug, Clone)]
pub struct Bank {
    store: Store,
    page_tokens: PageTokenCodec,
}

impl Bank {
    /// A bank over `store`, signing page tokens with the store's key.
    pub fn new(store: Store) -> Self {
        let page_tokens = PageTokenCodec::new(store.page_token_key());
        Self { store, page_tokens }
    }

    /// The question with this id, or `NotFound` naming it; `DataLoss`
    /// naming it when its stored row is damaged (other questions serve).
    pub fn question(&self, id: &str) -> Result<Question, Error> {
        match self.store.question(id) {
            Ok(Some(question)) => Ok(question),
            Ok(None) => Err(Error::NotFound(format!("question {id:?} does not exist"))),
            Err(StoreError::DataLoss(_)) => Err(Error::DataLoss(format!(
                "question {id:?} is damaged in storage; other questions are not affected"
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// The card of the question with this id. `None` when it has none: the
    /// question does not exist, or changed outside the server after the
    /// cards were rendered (ask [`Bank::question`], which tells those apart).
    /// A card the server holds in memory is still served after such a
    /// change, until a restart.
    pub fn question_card(&self, id: &str) -> Result<Option<Card>, Error> {
        Ok(self.store.card(id)?)
    }

    /// One page of the questions matching the query's filter.
    pub async fn list(&self, query: ListQuery) -> Result<ListPage<Question>, Error> {
        let (filter, after) = self.page_start(&query)?;
        let page = self
            .store
            .list(filter.clone(), after, query.page_size)
            .await?;
        Ok(self.finish_page(&filter, page))
    }

    /// Whether [`Bank::question_card`] and [`Bank::list_cards`] can serve:
    /// every question's card is stored in the server's card format.
    pub fn has_cards(&self) -> bool {
        self.store.has_cards()
    }

    /// [`Bank::list`], but the questions' cards: the same page, the same
    /// tokens, for callers that may only see what a card shows.
    pub async fn list_cards(&self, query: ListQuery) -> Result<ListPage<Card>, Error> {
        let (filter, after) = self.page_start(&query)?;
        let page = self
            .store
            .list_cards(filter.clone(), after, query.page_size)
            .await?;
        Ok(self.finish_page(&filter, page))
    }

    /// The query's filter, and the id its page starts after.
    fn page_start(&self, query: &ListQuery) -> Result<(QuestionFilter, Option<String>), Error> {
        let after = if query.page_token.is_empty() {
            None
        } else {
            let last_id = self
                .page_tokens
                .decode(&query.filter, &query.page_token)
                .map_err(|error| FieldError::new("page_token", error.to_string()))?;
            Some(last_id)
        };
        Ok((query.filter.clone(), after))
    }

    /// The page with the token for the next one, signed for `filter`.
    fn finish_page<T>(&self, filter: &QuestionFilter, page: Page<T>) -> ListPage<T> {
        let next_page_token = page
            .next_after
            .map(|last_id| self.page_tokens.encode(filter, &last_id));
        ListPage {
            entries: page.entries,
            next_page_token,
            total_size: page.total_size,
        }
    }

    /// Grades `submission` and records the attempt durably. A retry with the
    /// same request id returns the attempt recorded the first time.
    pub async fn submit(&self, submission: Submission) -> Result<Attempt, Error> {
        let question = self.question(&submission.question_id)?;
        let choice_keys = resolve_choice_keys(&question, &submission.choice_keys)
            .map_err(|error| FieldError::new("choice_keys", error.to_string()))?;
        let grade = grade(&question, &choice_keys);
        let answer = GradedAnswer {
            question_id: question.id,
            question_revision: question.revision,
            choice_keys,
            correct: grade.correct,
            score: grade.score,
            correct_choice_keys: question.answer.correct_choice_keys,
            explanation: question.answer.explanation,
            respondent_id: submission.respondent_id.clone(),
            request_id: submission.request_id.clone(),
            submit_time: SystemTime::now(),
        };
        match self.store.record_attempt(answer).await? {
            Recorded::New(attempt) => Ok(attempt),
            Recorded::Existing(attempt) if submission.matches(&attempt.answer) => Ok(attempt),
            Recorded::Existing(_) => Err(FieldError::new(
                "request_id",
                "was already used for a different answer; send a new request_id for each new answer",
            )
            .into()),
        }
    }
}
