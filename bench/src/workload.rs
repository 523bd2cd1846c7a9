//! The calls each measurement makes: random questions, filtered pages at
//! random depths, answers with distinct request ids, and the first and a deep
//! unfiltered page. Page tokens are signed by the server, so the positions are
//! found by paging through it before the load starts.

use std::sync::atomic::{AtomicU64, Ordering};

use qbank::pb::{self, question_bank_client::QuestionBankClient};
use tonic::{Status, transport::Channel};

use crate::{BenchResult, bank, client::DiscardingClient};

const GET_QUESTION: &str = "/qbank.v1.QuestionBank/GetQuestion";
const LIST_QUESTIONS: &str = "/qbank.v1.QuestionBank/ListQuestions";
const SUBMIT_ANSWER: &str = "/qbank.v1.QuestionBank/SubmitAnswer";
const BATCH_GET: &str = "/qbank.v1.QuestionBank/BatchGetQuestions";
const DRAW: &str = "/qbank.v1.QuestionBank/DrawQuestions";
const QUESTION_STATS: &str = "/qbank.v1.QuestionBank/GetQuestionStats";

/// Questions in each measured batch get and draw.
pub(crate) const BATCH_SIZE: usize = 20;

/// The page size of every measured listing.
pub(crate) const PAGE_SIZE: i32 = 20;
/// Where the deep page starts, in a bank large enough.
pub(crate) const DEEP_PAGE_DEPTH: usize = 50_000;
/// The largest page the server serves: the fastest way to walk deep.
const WALK_PAGE_SIZE: usize = 100;

/// One kind of call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rpc {
    /// GetQuestion of a random id, BASIC view.
    GetQuestion,
    /// ListQuestions with a category and a tag, at a random page.
    ListQuestions,
    /// SubmitAnswer of a random valid answer with a new request id.
    SubmitAnswer,
    /// The first page of 20 of the unfiltered listing.
    FirstPage,
    /// The page of 20 at [`DEEP_PAGE_DEPTH`] of the unfiltered listing.
    DeepPage,
    /// The first page of 20 of a two-term search within a category.
    Search,
    /// BatchGetQuestions of 20 random ids, BASIC view.
    BatchGet,
    /// DrawQuestions of 20 within a category, unseeded.
    Draw,
    /// GetQuestionStats of the question with the bank's attempts.
    Stats,
}

impl Rpc {
    /// The name the report shows.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::GetQuestion => "GetQuestion",
            Self::ListQuestions => "ListQuestions",
            Self::SubmitAnswer => "SubmitAnswer",
            Self::FirstPage => "first page",
            Self::DeepPage => "deep page",
            Self::Search => "search",
            Self::BatchGet => "BatchGetQuestions",
            Self::Draw => "DrawQuestions",
            Self::Stats => "GetQuestionStats",
        }
    }

    /// The key of this RPC in the JSON report.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::GetQuestion => "get",
            Self::ListQuestions => "list",
            Self::SubmitAnswer => "submit",
            Self::FirstPage => "first_page",
            Self::DeepPage => "deep_page",
            Self::Search => "search",
            Self::BatchGet => "batch_get",
            Self::Draw => "draw",
            Self::Stats => "stats",
        }
    }
}

/// What the calls need to know about the bank and the server's page tokens.
#[derive(Debug)]
pub(crate) struct Workload {
    bank_size: usize,
    /// A token for every page of the filtered listing; `""` is the first.
    filtered_page_tokens: Vec<String>,
    deep_page_token: String,
    /// Where the deep page starts.
    deep_page_depth: usize,
    /// Keeps request ids distinct from those of any other run.
    run_id: u64,
    requests_sent: AtomicU64,
}

impl Workload {
    /// Pages through the server to find the page tokens the load will use.
    /// `filtered` and `deep` say whether those listings will be measured.
    pub(crate) async fn prepare(
        client: &mut QuestionBankClient<Channel>,
        bank_size: usize,
        filtered: bool,
        deep: bool,
    ) -> BenchResult<Self> {
        if bank_size == 0 {
            return Err("the bank needs at least one question".into());
        }
        let mut workload = Self {
            bank_size,
            filtered_page_tokens: vec![String::new()],
            deep_page_token: String::new(),
            deep_page_depth: DEEP_PAGE_DEPTH.min(bank_size / 2),
            run_id: fastrand::u64(..),
            requests_sent: AtomicU64::new(0),
        };
        if filtered {
            loop {
                let token = workload
                    .filtered_page_tokens
                    .last()
                    .cloned()
                    .unwrap_or_default();
                let page = client
                    .list_questions(workload.filtered_page_request(token))
                    .await?
                    .into_inner();
                if page.next_page_token.is_empty() {
                    break;
                }
                workload.filtered_page_tokens.push(page.next_page_token);
            }
        }
        if deep {
            workload.deep_page_token = deep_page_token(client, workload.deep_page_depth).await?;
        }
        Ok(workload)
    }

    /// Where the deep page starts.
    pub(crate) fn deep_page_depth(&self) -> usize {
        self.deep_page_depth
    }

    /// Pages in the filtered listing.
    pub(crate) fn filtered_pages(&self) -> usize {
        self.filtered_page_tokens.len()
    }

    /// Makes one call of kind `rpc`, drawing its arguments from `rng`;
    /// returns the size of the response message.
    pub(crate) async fn call(
        &self,
        client: &mut DiscardingClient,
        rpc: Rpc,
        rng: &mut fastrand::Rng,
    ) -> Result<usize, Status> {
        match rpc {
            Rpc::GetQuestion => client.call(GET_QUESTION, self.get_request(rng)).await,
            Rpc::ListQuestions => {
                let pages = &self.filtered_page_tokens;
                let token = pages[rng.usize(..pages.len())].clone();
                let request = self.filtered_page_request(token);
                client.call(LIST_QUESTIONS, request).await
            }
            Rpc::SubmitAnswer => client.call(SUBMIT_ANSWER, self.submit_request(rng)).await,
            Rpc::FirstPage => {
                let request = unfiltered_page_request(String::new(), PAGE_SIZE);
                client.call(LIST_QUESTIONS, request).await
            }
            Rpc::DeepPage => {
                let request = unfiltered_page_request(self.deep_page_token.clone(), PAGE_SIZE);
                client.call(LIST_QUESTIONS, request).await
            }
            Rpc::Search => client.call(LIST_QUESTIONS, search_request()).await,
            Rpc::BatchGet => client.call(BATCH_GET, self.batch_get_request(rng)).await,
            Rpc::Draw => client.call(DRAW, draw_request()).await,
            Rpc::Stats => client.call_as_admin(QUESTION_STATS, stats_request()).await,
        }
    }

    /// A BatchGetQuestions of [`BATCH_SIZE`] random questions.
    pub(crate) fn batch_get_request(
        &self,
        rng: &mut fastrand::Rng,
    ) -> pb::BatchGetQuestionsRequest {
        pb::BatchGetQuestionsRequest {
            ids: (0..BATCH_SIZE)
                .map(|_| bank::question_id(rng.usize(..self.bank_size)))
                .collect(),
            ..pb::BatchGetQuestionsRequest::default()
        }
    }

    /// A GetQuestion of a random question.
    pub(crate) fn get_request(&self, rng: &mut fastrand::Rng) -> pb::GetQuestionRequest {
        pb::GetQuestionRequest {
            id: bank::question_id(rng.usize(..self.bank_size)),
            view: pb::QuestionView::Basic.into(),
            ..pb::GetQuestionRequest::default()
        }
    }

    /// A page of 20 of the filtered listing, after `page_token`.
    pub(crate) fn filtered_page_request(&self, page_token: String) -> pb::ListQuestionsRequest {
        pb::ListQuestionsRequest {
            page_size: PAGE_SIZE,
            page_token,
            category: bank::LIST_CATEGORY.to_owned(),
            tags: vec![bank::LIST_TAG.to_owned()],
            ..pb::ListQuestionsRequest::default()
        }
    }

    /// A valid answer to a random question, with a request id never sent
    /// before: each call records a new attempt.
    pub(crate) fn submit_request(&self, rng: &mut fastrand::Rng) -> pb::SubmitAnswerRequest {
        let index = rng.usize(..self.bank_size);
        let (keys, most) = bank::answerable_keys(index);
        let mut choice_keys: Vec<String> = Vec::with_capacity(most);
        for _ in 0..rng.usize(1..=most) {
            let key = keys[rng.usize(..keys.len())];
            if !choice_keys.iter().any(|chosen| chosen == key) {
                choice_keys.push(key.to_owned());
            }
        }
        let sequence = self.requests_sent.fetch_add(1, Ordering::Relaxed);
        pb::SubmitAnswerRequest {
            question_id: bank::question_id(index),
            choice_keys,
            respondent_id: format!("bench-{}", sequence % 1_000),
            request_id: format!("bench-{:016x}-{sequence}", self.run_id),
            ..pb::SubmitAnswerRequest::default()
        }
    }
}

/// The measured search: two terms that appear together in some English
/// choices, within the filtered listing's category.
pub(crate) fn search_request() -> pb::ListQuestionsRequest {
    pb::ListQuestionsRequest {
        page_size: PAGE_SIZE,
        category: bank::LIST_CATEGORY.to_owned(),
        query: SEARCH_QUERY.to_owned(),
        ..pb::ListQuestionsRequest::default()
    }
}

/// A draw of [`BATCH_SIZE`] in the filtered listing's category.
pub(crate) fn draw_request() -> pb::DrawQuestionsRequest {
    pb::DrawQuestionsRequest {
        count: i32::try_from(BATCH_SIZE).unwrap_or(i32::MAX),
        category: bank::LIST_CATEGORY.to_owned(),
        ..pb::DrawQuestionsRequest::default()
    }
}

/// The statistics of the question the bank's attempts are on.
pub(crate) fn stats_request() -> pb::GetQuestionStatsRequest {
    pb::GetQuestionStatsRequest {
        id: bank::question_id(bank::ATTEMPTED_QUESTION),
        revision: 0,
    }
}

/// The measured search's query.
pub(crate) const SEARCH_QUERY: &str = "reward model";

/// Two-term searches the bank's texts answer, each sent once to time a
/// search that no earlier call ranked (the server keeps the best matches of
/// recent searches).
const FIRST_TIME_QUERIES: [&str; 12] = [
    "model weights",
    "training distribution",
    "memory inference",
    "low rank",
    "few shot",
    "mixed language",
    "accuracy latency",
    "separate outputs",
    "奖励 模型",
    "推理 显存",
    "训练 数据",
    "模型 权重",
];

/// The median latency of a search sent for the first time: each of
/// [`FIRST_TIME_QUERIES`] once, one at a time, in the measured search's
/// category.
pub(crate) async fn first_time_search_latency(
    client: &mut QuestionBankClient<Channel>,
) -> BenchResult<std::time::Duration> {
    let mut latencies = Vec::with_capacity(FIRST_TIME_QUERIES.len());
    for query in FIRST_TIME_QUERIES {
        let request = pb::ListQuestionsRequest {
            query: query.to_owned(),
            ..search_request()
        };
        let started = std::time::Instant::now();
        client.list_questions(request).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort_unstable();
    Ok(latencies[latencies.len() / 2])
}

fn unfiltered_page_request(page_token: String, page_size: i32) -> pb::ListQuestionsRequest {
    pb::ListQuestionsRequest {
        page_size,
        page_token,
        ..pb::ListQuestionsRequest::default()
    }
}

/// The token of the unfiltered page starting at `depth`, found by walking
/// there in the largest pages the server serves (tokens do not carry a size).
async fn deep_page_token(
    client: &mut QuestionBankClient<Channel>,
    depth: usize,
) -> BenchResult<String> {
    let mut token = String::new();
    let mut walked = 0;
    while walked < depth {
        let size = WALK_PAGE_SIZE.min(depth - walked);
        let page = client
            .list_questions(unfiltered_page_request(token, i32::try_from(size)?))
            .await?
            .into_inner();
        if page.next_page_token.is_empty() {
            return Err(format!("the listing ended before depth {depth}").into());
        }
        walked += page.questions.len();
        token = page.next_page_token;
    }
    Ok(token)
}
