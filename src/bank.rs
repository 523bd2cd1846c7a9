//! The question bank's use cases: look up, list, answer, author and report
//! questions, import and export banks. Each validates what storage cannot,
//! calls storage, and applies the domain rules. The layer between the
//! transport and the domain: the domain knows nothing of storage, storage
//! nothing of the use cases.

use std::{collections::HashSet, net::IpAddr, num::NonZeroU32, sync::Arc, time::SystemTime};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};

use crate::domain::{
    authoring::{ChangeRefused, QuestionEdit},
    bank_formats::{BankFormat, Exported, ImportDefaults, LineError},
    card::Card,
    counts::{CategoryCount, TagCount},
    draw::{DrawQuery, Drawn, draw},
    grading::{grade, resolve_choice_keys},
    language::PreferredLanguages,
    listing::QuestionFilter,
    page_token::{PageTokenCodec, PageTokenError},
    question::Question,
    report::{NewReport, QuestionReport, ReportFilter, ReportPosition, Resolution, ResolveRefused},
    search::{SearchQuery, search_key},
    statistics::{QuestionStats, RespondentStats},
    submission::{Attempt, GradedAnswer, Submission},
    validation::FieldError,
};
use crate::{
    error::Error,
    store::{
        Changed, Imported, Page, QuestionChange, Recorded, Reported, SearchPage, Store, StoreError,
    },
};

/// A ListQuestions request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Which questions.
    pub filter: QuestionFilter,
    /// A full-text search among them, best match first; `None` lists them
    /// in id order.
    pub search: Option<Search>,
    /// How many at most (already clamped to the page size rules).
    pub page_size: usize,
    /// The previous page's token; empty for the first page.
    pub page_token: String,
}

/// A full-text search, and what it may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// What to look for.
    pub query: SearchQuery,
    /// Whether explanations may match: only for callers who may read them.
    pub explanations: bool,
}

/// A graded and recorded answer, with its explanation in the language the
/// caller is served.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    /// The attempt; its explanation is in `explanation_language`.
    pub attempt: Attempt,
    /// The language of the explanation.
    pub explanation_language: String,
}

/// What an import did (or, dry, would do), question by question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Questions that did not exist.
    pub created: u32,
    /// Questions whose content changed.
    pub updated: u32,
    /// Questions the file holds as they are.
    pub unchanged: u32,
    /// Deleted questions the file holds, left deleted.
    pub skipped: u32,
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
    /// `None`: reports are not limited.
    report_limit: Option<Arc<ReportLimit>>,
}

impl Bank {
    /// A bank over `store`, signing page tokens with the store's key.
    /// Reports are not limited: see [`Bank::with_report_limit`].
    pub fn new(store: Store) -> Self {
        let page_tokens = PageTokenCodec::new(store.page_token_key());
        Self {
            store,
            page_tokens,
            report_limit: None,
        }
    }

    /// The question with this id, or `NotFound` naming it; `DataLoss`
    /// naming it when its stored row is damaged (other questions serve).
    pub fn question(&self, id: &str) -> Result<Question, Error> {
        self.store
            .question(id)
            .map_err(|error| naming_damage(id, error))?
            .ok_or_else(|| Error::NotFound(format!("question {id:?} does not exist")))
    }

    /// The card of the question with this id; `None` when there is no such
    /// question (ask [`Bank::question`] for the NOT_FOUND that names it).
    pub fn question_card(&self, id: &str) -> Result<Option<Card>, Error> {
        self.store
            .card(id)
            .map_err(|error| naming_damage(id, error))
    }

    /// The cards of these questions, in order (a repeated id repeated), or
    /// `NotFound` naming the first that does not exist or is deleted.
    pub fn question_cards(&self, ids: &[String]) -> Result<Vec<Card>, Error> {
        ids.iter()
            .map(|id| {
                self.question_card(id)?
                    .ok_or_else(|| Error::NotFound(format!("question {id:?} does not exist")))
            })
            .collect()
    }

    /// These questions, in order, or `NotFound` naming the first that does
    /// not exist or is deleted.
    pub fn questions(&self, ids: &[String]) -> Result<Vec<Question>, Error> {
        ids.iter().map(|id| self.question(id)).collect()
    }

    /// The question with this id, or `None` when it does not exist or is
    /// deleted (with [`Bank::question_card`], what [`Bank::draw`] reads).
    pub fn live_question(&self, id: &str) -> Result<Option<Question>, Error> {
        match self.question(id) {
            Ok(question) => Ok(Some(question)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Draws questions at random from those the query's filter matches,
    /// leaving out what its respondent answered (their attempts recorded
    /// here so far included), and reads each drawn one with `read` (its
    /// card, or the whole question). A question deleted between the read of
    /// the pool and its own (the deletion renews the pool) draws again, once,
    /// so that a draw never holds fewer than it says are available.
    pub async fn draw<T>(
        &self,
        query: DrawQuery,
        read: impl Fn(&Self, &str) -> Result<Option<T>, Error>,
    ) -> Result<(Vec<T>, Drawn), Error> {
        let mut again = true;
        loop {
            let drawn = self.draw_ids(&query).await?;
            let mut read_ones = Vec::with_capacity(drawn.question_ids.len());
            for id in &drawn.question_ids {
                read_ones.extend(read(self, id)?);
            }
            if read_ones.len() == drawn.question_ids.len() || !again {
                return Ok((read_ones, drawn));
            }
            again = false;
        }
    }

    async fn draw_ids(&self, query: &DrawQuery) -> Result<Drawn, Error> {
        let pool = self.store.matching_ids(query.filter.clone()).await?;
        let excluded: HashSet<String> = match &query.excluding_answers_of {
            Some(respondent_id) => self
                .store
                .answered_questions(respondent_id.clone())
                .await?
                .into_iter()
                .collect(),
            None => HashSet::new(),
        };
        Ok(draw(&pool, &excluded, query.count, query.seed.as_deref()))
    }

    /// How a question's attempts went at `revision` (0: all revisions),
    /// deleted questions included; `NotFound` for an id that never existed
    /// or a revision it never had.
    pub async fn question_stats(&self, id: String, revision: i64) -> Result<QuestionStats, Error> {
        let question = self
            .store
            .question_any_state(&id)
            .map_err(|error| naming_damage(&id, error))?
            .ok_or_else(|| Error::NotFound(format!("question {id:?} does not exist")))?;
        if revision > question.revision {
            return Err(Error::NotFound(format!(
                "question {id:?} has no revision {revision}"
            )));
        }
        let statistics = self.store.question_statistics(id.clone(), revision).await?;
        let keys: Vec<String> = question
            .choices
            .into_iter()
            .map(|choice| choice.key)
            .collect();
        Ok(QuestionStats::new(
            id,
            revision,
            statistics.totals,
            &keys,
            &statistics.choices,
            &statistics.discrimination_pairs,
        ))
    }

    /// How a respondent is doing; zeros for one with no attempts.
    pub async fn respondent_stats(&self, respondent_id: String) -> Result<RespondentStats, Error> {
        let firsts = self
            .store
            .respondent_first_attempts(respondent_id.clone())
            .await?;
        Ok(RespondentStats::new(respondent_id, &firsts))
    }

    /// One page of the questions matching the query's filter (and search).
    pub async fn list(&self, query: ListQuery) -> Result<ListPage<Question>, Error> {
        if let Some(search) = &query.search {
            let offset = self.search_offset(&query, search)?;
            let page = self
                .store
                .search(
                    query.filter.clone(),
                    search.query.clone(),
                    search.explanations,
                    offset,
                    query.page_size,
                )
                .await?;
            return Ok(self.finish_search_page(&query, search, offset, page));
        }
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
        if let Some(search) = &query.search {
            let offset = self.search_offset(&query, search)?;
            let page = self
                .store
                .search_cards(
                    query.filter.clone(),
                    search.query.clone(),
                    offset,
                    query.page_size,
                )
                .await?;
            return Ok(self.finish_search_page(&query, search, offset, page));
        }
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

    /// How many matches of a search the query's page skips: its token's
    /// position, signed for the same filter, search and view.
    fn search_offset(&self, query: &ListQuery, search: &Search) -> Result<usize, Error> {
        if query.page_token.is_empty() {
            return Ok(0);
        }
        let position = self
            .page_tokens
            .decode_in(&search_scope(&query.filter, search), &query.page_token)
            .map_err(|error| FieldError::new("page_token", error.to_string()))?;
        Ok(position
            .parse()
            .map_err(|_| FieldError::new("page_token", PageTokenError::Invalid.to_string()))?)
    }

    /// A search's page with the token for the next one.
    fn finish_search_page<T>(
        &self,
        query: &ListQuery,
        search: &Search,
        offset: usize,
        page: SearchPage<T>,
    ) -> ListPage<T> {
        let next_page_token = page.has_more.then(|| {
            self.page_tokens.encode_in(
                &search_scope(&query.filter, search),
                &(offset + query.page_size).to_string(),
            )
        });
        ListPage {
            entries: page.entries,
            next_page_token,
            total_size: page.total_size,
        }
    }

    /// The live questions of each category available in `language`.
    pub async fn category_counts(
        &self,
        language: Option<String>,
    ) -> Result<Arc<[CategoryCount]>, Error> {
        Ok(self.store.category_counts(language).await?)
    }

    /// The live questions carrying each tag, of `category` and available
    /// in `language` where given.
    pub async fn tag_counts(
        &self,
        category: Option<String>,
        language: Option<String>,
    ) -> Result<Arc<[TagCount]>, Error> {
        Ok(self.store.tag_counts(category, language).await?)
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

    /// An earlier (or the current) revision of a live question, or
    /// `NotFound` naming both.
    pub fn question_at(&self, id: &str, revision: i64) -> Result<Question, Error> {
        self.store
            .revision(id, revision)
            .map_err(|error| naming_damage(id, error))?
            .ok_or_else(|| Error::NotFound(format!("question {id:?} has no revision {revision}")))
    }

    /// Adds `question` (at revision 1) to the bank.
    pub async fn create(&self, question: Question) -> Result<Question, Error> {
        let created = self
            .change("CreateQuestion", QuestionChange::Create(question))
            .await?;
        written(created)
    }

    /// Applies `edit` to a live question; `expected_revision` 0 means any.
    /// An edit that changes nothing returns the question as it is.
    pub async fn update(
        &self,
        id: String,
        expected_revision: i64,
        edit: QuestionEdit,
    ) -> Result<Question, Error> {
        let change = QuestionChange::Update {
            id,
            expected_revision,
            edit,
            now: SystemTime::now(),
        };
        written(self.change("UpdateQuestion", change).await?)
    }

    /// Hides a live question; its revisions and attempts stay.
    pub async fn delete(&self, id: String, expected_revision: i64) -> Result<(), Error> {
        let change = QuestionChange::Delete {
            id,
            expected_revision,
            now: SystemTime::now(),
        };
        self.change("DeleteQuestion", change).await.map(drop)
    }

    /// Shows a deleted question again, as it was.
    pub async fn undelete(&self, id: String) -> Result<Question, Error> {
        let change = QuestionChange::Undelete { id };
        written(self.change("UndeleteQuestion", change).await?)
    }

    /// One page of a question's revisions, newest first; deleted questions
    /// have them too.
    pub fn revisions(
        &self,
        id: &str,
        page_size: usize,
        page_token: &str,
    ) -> Result<ListPage<Question>, Error> {
        let scope = revisions_scope(id);
        let before =
            if page_token.is_empty() {
                None
            } else {
                let position = self
                    .page_tokens
                    .decode_in(&scope, page_token)
                    .map_err(|error| FieldError::new("page_token", error.to_string()))?;
                Some(position.parse::<i64>().map_err(|_| {
                    FieldError::new("page_token", PageTokenError::Invalid.to_string())
                })?)
            };
        // One more than the page tells whether another follows.
        let mut revisions = self
            .store
            .revisions(id, before, page_size + 1)
            .map_err(|error| naming_damage(id, error))?
            .ok_or_else(|| Error::NotFound(format!("question {id:?} does not exist")))?;
        let more = revisions.len() > page_size;
        revisions.truncate(page_size);
        let next_page_token = match revisions.last() {
            Some(last) if more => Some(
                self.page_tokens
                    .encode_in(&scope, &last.revision.to_string()),
            ),
            _ => None,
        };
        Ok(ListPage {
            total_size: revisions.len() as u64,
            entries: revisions,
            next_page_token,
        })
    }

    /// Imports a file, all or nothing. A dry run counts what would change
    /// and changes nothing.
    pub async fn import(
        &self,
        format: BankFormat,
        text: &str,
        defaults: &ImportDefaults,
        dry_run: bool,
    ) -> Result<ImportCounts, Error> {
        let parsed = format
            .parse(text, defaults, SystemTime::now())
            .map_err(Error::InvalidFile)?;
        let lines: Vec<(String, usize)> = parsed
            .iter()
            .map(|parsed| (parsed.question.id.clone(), parsed.line))
            .collect();
        let questions = parsed.into_iter().map(|parsed| parsed.question).collect();
        let outcomes = self
            .store
            .import(questions, format.carries_translations(), dry_run)
            .await?
            .map_err(|(question_id, refused)| {
                let line = lines
                    .iter()
                    .find(|(id, _)| *id == question_id)
                    .map_or(1, |(_, line)| *line);
                Error::InvalidFile(vec![LineError {
                    line,
                    reason: format!(
                        "question {question_id:?}: {refused}; its stored translations stay, as \
                         this format has none: import it as TOML or JSON with translations \
                         that fit, or change them first"
                    ),
                }])
            })?;
        let mut counts = ImportCounts::default();
        for (imported, question) in &outcomes {
            let count = match imported {
                Imported::Created => &mut counts.created,
                Imported::Updated => &mut counts.updated,
                Imported::Unchanged => &mut counts.unchanged,
                Imported::Skipped => &mut counts.skipped,
            };
            *count += 1;
            if !dry_run && matches!(imported, Imported::Created | Imported::Updated) {
                tracing::info!(
                    method = "ImportQuestions",
                    question_id = question.id,
                    revision = question.revision,
                    "audit: question written"
                );
            }
        }
        Ok(counts)
    }

    /// Every live question matching `filter` as a file of `format`.
    pub async fn export(
        &self,
        format: BankFormat,
        filter: QuestionFilter,
    ) -> Result<Exported, Error> {
        let questions = self.store.all_questions(filter).await?;
        Ok(format.export(&questions))
    }

    /// Makes a change through the store's one write path, and writes the
    /// audit line for it.
    async fn change(&self, method: &'static str, change: QuestionChange) -> Result<Changed, Error> {
        let question_id = change.question_id().to_owned();
        let changed = self.store.change_question(change).await?.map_err(refused)?;
        match &changed {
            Changed::Written(question) => tracing::info!(
                method,
                question_id,
                revision = question.revision,
                "audit: question written"
            ),
            Changed::Unchanged(question) => tracing::info!(
                method,
                question_id,
                revision = question.revision,
                "audit: question unchanged"
            ),
            Changed::Deleted => tracing::info!(method, question_id, "audit: question deleted"),
        }
        Ok(changed)
    }

    /// Grades `submission` and records the attempt durably, explained in
    /// the first of `languages` the question has. A retry with the same
    /// request id returns the attempt recorded the first time.
    pub async fn submit(
        &self,
        submission: Submission,
        languages: &PreferredLanguages,
    ) -> Result<Answered, Error> {
        let (question, answer) = match self.grade(&submission) {
            Ok(graded) => graded,
            // The question may have been deleted, or changed so the keys no
            // longer fit, since a request with this id was recorded: a
            // retry still gets the original response. Looked for only
            // here, so a new answer pays no extra read.
            Err(error) => {
                return match self.recorded(&submission)? {
                    Some(attempt) => self.explained_as_recorded(attempt, languages),
                    None => Err(error),
                };
            }
        };
        match self.store.record_attempt(answer).await? {
            Recorded::New(attempt) => Ok(explained(attempt, &question, languages)),
            Recorded::Existing(attempt) => {
                let attempt = same_request(&submission, attempt)?;
                if attempt.answer.question_revision == question.revision {
                    Ok(explained(attempt, &question, languages))
                } else {
                    self.explained_as_recorded(attempt, languages)
                }
            }
        }
    }

    /// `attempt` explained in the language of `languages` that the revision
    /// it was graded against has.
    fn explained_as_recorded(
        &self,
        attempt: Attempt,
        languages: &PreferredLanguages,
    ) -> Result<Answered, Error> {
        let answer = &attempt.answer;
        let revision = self
            .store
            .any_revision(&answer.question_id, answer.question_revision)
            .map_err(|error| naming_damage(&answer.question_id, error))?
            .ok_or_else(|| {
                StoreError::Internal(
                    format!(
                        "attempt {} was graded against revision {} of question {:?}, which is \
                         not stored",
                        attempt.id, answer.question_revision, answer.question_id
                    )
                    .into(),
                )
            })?;
        Ok(explained(attempt, &revision, languages))
    }

    /// Grades `submission` against the question's current revision.
    fn grade(&self, submission: &Submission) -> Result<(Question, GradedAnswer), Error> {
        let question = self.question(&submission.question_id)?;
        let choice_keys = resolve_choice_keys(&question, &submission.choice_keys)
            .map_err(|error| FieldError::new("choice_keys", error.to_string()))?;
        let grade = grade(&question, &choice_keys);
        let answer = GradedAnswer {
            question_id: question.id.clone(),
            question_revision: question.revision,
            choice_keys,
            correct: grade.correct,
            score: grade.score,
            correct_choice_keys: question.answer.correct_choice_keys.clone(),
            explanation: question.answer.explanation.clone(),
            respondent_id: submission.respondent_id.clone(),
            request_id: submission.request_id.clone(),
            submit_time: SystemTime::now(),
        };
        Ok((question, answer))
    }

    /// The attempt recorded earlier for the submission's request id, if any.
    fn recorded(&self, submission: &Submission) -> Result<Option<Attempt>, Error> {
        let Some(request_id) = &submission.request_id else {
            return Ok(None);
        };
        match self.store.attempt_by_request_id(request_id)? {
            Some(attempt) => same_request(submission, attempt).map(Some),
            None => Ok(None),
        }
    }

    /// This bank, accepting at most `per_hour` new reports an hour from one
    /// reporter (see [`Bank::report`]); 0 leaves reports unlimited.
    pub fn with_report_limit(self, per_hour: u32) -> Self {
        Self {
            report_limit: NonZeroU32::new(per_hour)
                .map(|per_hour| Arc::new(ReportLimit::new(per_hour))),
            ..self
        }
    }

    /// Records a report about a live question's current revision, from
    /// `address` (the client's, when known). A retry with the same request
    /// id returns the report recorded the first time, even if its question
    /// was deleted since or its reporter is over the limit now.
    pub async fn report(
        &self,
        report: NewReport,
        address: Option<IpAddr>,
    ) -> Result<QuestionReport, Error> {
        // Looked up first, so a retry is answered even after its question
        // was deleted, and never counted against the limit: only a report
        // recorded now is. (Two retries that race both miss here and are
        // both counted, one without cause; the writer records only one.)
        if let Some(recorded) = self.reported(&report)? {
            return Ok(recorded);
        }
        let question = self.question(&report.question_id)?;
        if let Some(limit) = &self.report_limit {
            limit.admit(&report, address)?;
        }
        let filed = report.filed(new_report_id(), question.revision, SystemTime::now());
        match self.store.record_report(filed).await? {
            Reported::New(recorded) => {
                tracing::info!(
                    method = "ReportQuestion",
                    report_id = recorded.id,
                    question_id = recorded.question_id,
                    revision = recorded.question_revision,
                    reason = recorded.reason.as_str(),
                    "audit: question reported"
                );
                Ok(recorded)
            }
            Reported::Existing(recorded) => same_report(&report, recorded),
        }
    }

    /// The report recorded earlier for the report's request id, if any.
    fn reported(&self, report: &NewReport) -> Result<Option<QuestionReport>, Error> {
        let Some(request_id) = &report.request_id else {
            return Ok(None);
        };
        match self.store.report_by_request_id(request_id)? {
            Some(recorded) => same_report(report, recorded).map(Some),
            None => Ok(None),
        }
    }

    /// One page of the reports matching `filter`, newest first.
    pub fn reports(
        &self,
        filter: &ReportFilter,
        page_size: usize,
        page_token: &str,
    ) -> Result<ListPage<QuestionReport>, Error> {
        let scope = reports_scope(filter);
        let before = if page_token.is_empty() {
            None
        } else {
            let position = self
                .page_tokens
                .decode_in(&scope, page_token)
                .map_err(|error| FieldError::new("page_token", error.to_string()))?;
            Some(ReportPosition::decode(&position).ok_or_else(|| {
                FieldError::new("page_token", PageTokenError::Invalid.to_string())
            })?)
        };
        // One more than the page tells whether another follows.
        let mut reports = self.store.reports(filter, before.as_ref(), page_size + 1)?;
        let more = reports.len() > page_size;
        reports.truncate(page_size);
        let next_page_token = match reports.last() {
            Some(last) if more => Some(
                self.page_tokens
                    .encode_in(&scope, &last.position().encode()),
            ),
            _ => None,
        };
        Ok(ListPage {
            total_size: reports.len() as u64,
            entries: reports,
            next_page_token,
        })
    }

    /// Resolves an open report with its note, and returns it as it now is.
    pub async fn resolve_report(&self, resolution: Resolution) -> Result<QuestionReport, Error> {
        let resolved = self
            .store
            .resolve_report(resolution, SystemTime::now())
            .await?
            .map_err(|refused| {
                let message = refused.to_string();
                match refused {
                    ResolveRefused::NotFound(_) => Error::NotFound(message),
                    ResolveRefused::AlreadyResolved(_) => Error::FailedPrecondition(message),
                }
            })?;
        tracing::info!(
            method = "ResolveQuestionReport",
            report_id = resolved.id,
            question_id = resolved.question_id,
            "audit: report resolved"
        );
        Ok(resolved)
    }
}

/// How many new reports one reporter may file: a quota per hour for each
/// respondent, or for each client address when the report is anonymous.
/// Kept in this process's memory: each server counts on its own.
#[derive(Debug)]
struct ReportLimit {
    per_hour: NonZeroU32,
    reporters: DefaultKeyedRateLimiter<Reporter>,
}

/// Who a report counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Reporter {
    Respondent(String),
    Address(IpAddr),
    /// Anonymous over a transport without addresses: all such share one
    /// quota rather than escape it.
    Unknown,
}

/// Above this many tracked reporters, forget those whose quota has refilled.
/// Each was tracked for a report it filed, so they number no more than the
/// reports recorded in the last hour.
const REPORTERS_BEFORE_CLEANUP: usize = 10_000;

impl ReportLimit {
    fn new(per_hour: NonZeroU32) -> Self {
        Self {
            per_hour,
            // The whole hour's quota may be used at once; then one report
            // more each hour / `per_hour`.
            reporters: RateLimiter::keyed(Quota::per_hour(per_hour)),
        }
    }

    /// Counts `report` against its reporter's quota, or refuses it when
    /// that is used up.
    fn admit(&self, report: &NewReport, address: Option<IpAddr>) -> Result<(), Error> {
        let reporter = match (&report.respondent_id, address) {
            (Some(respondent_id), _) => Reporter::Respondent(respondent_id.clone()),
            (None, Some(address)) => Reporter::Address(address),
            (None, None) => Reporter::Unknown,
        };
        if self.reporters.len() > REPORTERS_BEFORE_CLEANUP {
            self.reporters.retain_recent();
        }
        self.reporters.check_key(&reporter).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.reporters.clock().now());
            Error::ResourceExhausted(format!(
                "at most {} reports an hour are accepted from one respondent (or one client \
                 address, for anonymous reports); nothing was recorded, retry in {} minute(s)",
                self.per_hour,
                wait.as_secs().div_ceil(60).max(1)
            ))
        })
    }
}

/// A report's id: a UUIDv7, opaque and unique beyond one database, like an
/// attempt's. Its time order is the listing's for reports filed apart.
fn new_report_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// The report recorded for a request id, if `report` is that request.
fn same_report(report: &NewReport, recorded: QuestionReport) -> Result<QuestionReport, Error> {
    if report.matches(&recorded) {
        Ok(recorded)
    } else {
        Err(FieldError::new(
            "request_id",
            "was already used for a different report; send a new request_id for each new report",
        )
        .into())
    }
}

/// What a report listing's page tokens are signed for: its filter.
fn reports_scope(filter: &ReportFilter) -> Vec<u8> {
    let mut scope = b"reports\0".to_vec();
    scope.extend_from_slice(&filter.canonical_bytes());
    scope
}

/// `attempt`, graded against `revision`, with the explanation in the first
/// of `languages` that revision has.
fn explained(
    mut attempt: Attempt,
    revision: &Question,
    languages: &PreferredLanguages,
) -> Answered {
    let position = languages.pick(revision.languages());
    let (language, explanation) = revision.explanation(position);
    // The attempt carries the original's already.
    if position != 0 {
        explanation.clone_into(&mut attempt.answer.explanation);
    }
    Answered {
        attempt,
        explanation_language: language.to_owned(),
    }
}

/// The attempt recorded for a request id, if `submission` is that request.
fn same_request(submission: &Submission, attempt: Attempt) -> Result<Attempt, Error> {
    if submission.matches(&attempt.answer) {
        Ok(attempt)
    } else {
        Err(FieldError::new(
            "request_id",
            "was already used for a different answer; send a new request_id for each new answer",
        )
        .into())
    }
}

/// A store error about question `id`, naming the question when its stored
/// row is damaged (other questions still serve).
fn naming_damage(id: &str, error: StoreError) -> Error {
    match error {
        StoreError::DataLoss(_) => Error::DataLoss(format!(
            "question {id:?} is damaged in storage; other questions are not affected"
        )),
        error => error.into(),
    }
}

/// The question a create, update or undelete left behind.
fn written(changed: Changed) -> Result<Question, Error> {
    match changed {
        Changed::Written(question) | Changed::Unchanged(question) => Ok(question),
        // Only a deletion answers this: a bug in the store if another does.
        Changed::Deleted => Err(StoreError::Internal(
            "a change other than a deletion answered that it deleted".into(),
        )
        .into()),
    }
}

/// A refused change as the caller's error: what to do about it.
fn refused(refused: ChangeRefused) -> Error {
    let message = refused.to_string();
    match refused {
        ChangeRefused::NotFound(_) => Error::NotFound(message),
        ChangeRefused::AlreadyExists(_) => Error::AlreadyExists(message),
        ChangeRefused::RevisionMismatch { .. } => Error::Aborted(message),
        ChangeRefused::NotDeleted(_) => Error::FailedPrecondition(message),
        ChangeRefused::Invalid(FieldError { field, reason }) => {
            FieldError::new(format!("question.{field}"), reason).into()
        }
    }
}

/// What a search's page tokens are signed for: its filter, its query, and
/// whether explanations match (which changes the matches).
fn search_scope(filter: &QuestionFilter, search: &Search) -> Vec<u8> {
    let mut scope = b"search\0".to_vec();
    scope.extend_from_slice(&search_key(filter, &search.query, search.explanations));
    scope
}

/// What a revision history's page tokens are signed for: its question.
fn revisions_scope(id: &str) -> Vec<u8> {
    let mut scope = b"revisions\0".to_vec();
    scope.extend_from_slice(id.as_bytes());
    scope
}
