//! Storage: the only module that knows SQL.
//!
//! [`Store`] is a cheap-to-clone handle. Behind it:
//! - a pool of read connections. A primary-key read takes microseconds, so
//!   [`Store::question`] runs inline on the caller's thread, and so does a
//!   listing page that one index range serves; anything that may scan (a
//!   first count, a filter checked row by row) moves to a blocking thread so
//!   no scan stalls the async workers. (An inline read can still wait up to
//!   the busy timeout for a lock or a free connection, as any read can.)
//! - one writer thread that owns the only write connection. Concurrent
//!   submissions queue to it and are committed together in one transaction
//!   (group commit), so a durable `synchronous=FULL` commit is paid once per
//!   batch instead of once per call, and request-id checks never race.
//!   Question changes (authoring) go through it too, one transaction each
//!   with the question's row, revision, tags, search row and cards; and
//!   reports, whose request-id checks need the same one writer. Between
//!   batches it derives the attempts' statistics (migration 0008) in
//!   transactions of their own, so an attempt's commit stays the attempt;
//!   reads of those statistics wait for their caller's attempts.
//! - the cards served most, in memory and bounded by size, the count of
//!   each filter listed, category and tag counts, recent searches' best
//!   matches and draws' pools (`caches`): forgotten by the writer when a
//!   change commits, and by the monitor within a second of another
//!   process's change, so they never stay stale.
//!
//! A PostgreSQL backend will implement the same methods.

mod caches;
mod card_cache;
mod damage;
mod monitor;
mod schema;
mod search_index;
mod sqlite;
mod writer;

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, SystemTime},
};

use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument as _;

use crate::domain::{
    authoring::{ChangeRefused, QuestionEdit},
    card::{Card, CardFormat},
    counts::{CategoryCount, TagCount},
    listing::QuestionFilter,
    page_token::SIGNING_KEY_LEN,
    question::Question,
    report::{QuestionReport, ReportFilter, ReportPosition, Resolution, ResolveRefused},
    search::{SearchQuery, search_key},
    statistics::{AttemptTotals, RespondentFirst},
    submission::{Attempt, GradedAnswer},
};

use sqlite::ReaderPool;

/// How many writes may wait for the writer before callers wait to enqueue.
const WRITE_QUEUE_CAPACITY: usize = 1024;

/// What went wrong in storage, grouped by what the caller should do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Locked by another connection past the busy timeout, or the pool is
    /// exhausted: worth retrying later.
    #[error("the database is busy")]
    Busy(#[source] BoxError),
    /// The file or its directory cannot be written.
    #[error("the database is read-only")]
    ReadOnly(#[source] BoxError),
    /// No space left for the write; nothing was written.
    #[error("the disk is full")]
    DiskFull(#[source] BoxError),
    /// The disk failed a read, write or sync (EIO): nothing was written.
    #[error("the disk failed an I/O operation")]
    Io(#[source] BoxError),
    /// The file at the database's path is no longer the one this store
    /// opened (deleted, or replaced): a write now would be lost with it.
    #[error("the database file {path} was deleted or replaced while open")]
    Replaced {
        /// The database's path.
        path: String,
    },
    /// A stored value does not decode: the file was damaged, or written by
    /// something that broke the schema's rules.
    #[error("stored data is damaged")]
    DataLoss(#[source] BoxError),
    /// The file was written by a newer qbank: refusing to touch it.
    #[error(
        "the database schema is newer than this qbank-server knows (it applies {known} \
         migrations); run a newer qbank-server or restore a backup"
    )]
    SchemaTooNew {
        /// Migrations this binary knows.
        known: usize,
    },
    /// The writer thread is gone (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
    /// Anything else: a bug or a damaged database.
    #[error("database error")]
    Internal(#[source] BoxError),
}

/// The cause of a [`StoreError`], kept for the logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl StoreError {
    /// A fault of the storage itself (lock, permissions, space), as opposed to
    /// a bug or damage: the kind an operator fixes and the server outlives.
    pub fn is_storage_fault(&self) -> bool {
        matches!(
            self,
            Self::Busy(_)
                | Self::ReadOnly(_)
                | Self::DiskFull(_)
                | Self::Io(_)
                | Self::Replaced { .. }
        )
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::{Error, ErrorCode};
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Busy(error.into()),
            Some(ErrorCode::ReadOnly) => Self::ReadOnly(error.into()),
            Some(ErrorCode::DiskFull) => Self::DiskFull(error.into()),
            Some(ErrorCode::SystemIoFailure) => Self::Io(error.into()),
            Some(ErrorCode::DatabaseCorrupt) => Self::DataLoss(error.into()),
            // A column whose value this code did not write.
            None if matches!(
                error,
                Error::FromSqlConversionFailure(..)
                    | Error::InvalidColumnType(..)
                    | Error::Utf8Error(..)
                    | Error::IntegralValueOutOfRange(..)
            ) =>
            {
                Self::DataLoss(error.into())
            }
            _ => Self::Internal(error.into()),
        }
    }
}

/// The outcome of recording an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Stored now.
    New(Attempt),
    /// An attempt with the same request id was stored before; nothing new was
    /// written. The caller decides whether it is the same request.
    Existing(Attempt),
}

/// The outcome of recording a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// Stored now.
    New(QuestionReport),
    /// A report with the same request id was stored before; nothing new was
    /// written. The caller decides whether it is the same request.
    Existing(QuestionReport),
}

/// One page of a listing (of questions, or of their cards), and how many
/// questions match in all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// At most the requested number of entries, in question id order. Fewer
    /// does not mean the last page: a question that vanished between the
    /// walk and the read of its entry is left out.
    pub entries: Vec<T>,
    /// The id of the last question this page walked, when more follow: the
    /// next page starts after it. `None` on the last page.
    pub next_after: Option<String>,
    /// Matches in all pages.
    pub total_size: u64,
}

/// What a question's statistics are computed from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuestionStatistics {
    /// The attempt totals.
    pub totals: AttemptTotals,
    /// How often each key was chosen, in no order.
    pub choices: Vec<(String, u64)>,
    /// (first score here, mean first score on other questions), per
    /// respondent who has both.
    pub discrimination_pairs: Vec<(f64, f64)>,
}

/// One page of a search, best match first.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage<T> {
    /// At most the requested number of entries. Fewer does not mean the
    /// last page: a damaged question is left out.
    pub entries: Vec<T>,
    /// Whether more matches follow this page.
    pub has_more: bool,
    /// Matches in all pages.
    pub total_size: u64,
}

// Derived, this would require `T: Default`.
impl<T> Default for SearchPage<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            has_more: false,
            total_size: 0,
        }
    }
}

/// A change to one question.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionChange {
    /// Add this question, at its revision (1).
    Create(Question),
    /// Apply `edit` to a live question at `expected_revision` (0: any).
    Update {
        /// The question.
        id: String,
        /// The revision the edit is based on; 0 means any.
        expected_revision: i64,
        /// What changes.
        edit: QuestionEdit,
        /// The update time of a new revision.
        now: SystemTime,
    },
    /// Hide a live question at `expected_revision` (0: any).
    Delete {
        /// The question.
        id: String,
        /// The revision the deletion is based on; 0 means any.
        expected_revision: i64,
        /// When it was deleted.
        now: SystemTime,
    },
    /// Show a deleted question again, as it was.
    Undelete {
        /// The question.
        id: String,
    },
}

impl QuestionChange {
    /// The question the change is about.
    pub fn question_id(&self) -> &str {
        match self {
            Self::Create(question) => &question.id,
            Self::Update { id, .. } | Self::Delete { id, .. } | Self::Undelete { id } => id,
        }
    }
}

/// What a change did.
#[derive(Debug, Clone, PartialEq)]
pub enum Changed {
    /// The question as it is now (created, updated or undeleted).
    Written(Question),
    /// The edit changed nothing: the question as it was, same revision.
    Unchanged(Question),
    /// The question is hidden now.
    Deleted,
}

/// What an import did with one question of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// It did not exist: created at revision 1.
    Created,
    /// Its content changed: moved to its next revision.
    Updated,
    /// The file holds it as it is.
    Unchanged,
    /// It is deleted, and stays so.
    Skipped,
}

/// What an import did: each question's outcome with the question as it now
/// is, in file order; or the question whose change was refused, and why
/// (nothing is imported then).
pub type ImportOutcomes = Result<Vec<(Imported, Question)>, (String, ChangeRefused)>;

/// Whether a question id is taken, and by a live or a deleted question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuestionState {
    Absent,
    Live,
    Deleted,
}

/// Whether writes currently succeed. Reads may work while writes fail (a
/// read-only file, a full disk, a lock held elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteHealth {
    /// The last write committed (or none was tried yet).
    Healthy,
    /// The last write failed for a storage reason; the next success clears it.
    Failing,
}

/// How the store treats the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// How long an operation waits for a lock held elsewhere before `Busy`.
    pub busy_timeout: Duration,
    /// How to render each question's card, so listings can serve
    /// [`Store::list_cards`]. `None` keeps whatever cards are stored unused.
    pub card_format: Option<CardFormat>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            card_format: None,
        }
    }
}

/// A handle to the question bank's database.
#[derive(Debug, Clone)]
pub struct Store {
    readers: ReaderPool,
    writer: mpsc::Sender<writer::Request>,
    write_health: watch::Receiver<WriteHealth>,
    page_token_key: [u8; SIGNING_KEY_LEN],
    scan_turns: std::sync::Arc<tokio::sync::Semaphore>,
    /// The format of the stored cards, when they can serve (see
    /// [`Store::has_cards`]).
    card_format: Option<CardFormat>,
    caches: std::sync::Arc<caches::Caches>,
    derivation: std::sync::Arc<writer::Derivation>,
    damage: std::sync::Arc<damage::DamageReports>,
    /// Runs while any handle lives.
    _monitor: std::sync::Arc<monitor::Monitor>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies migrations,
    /// loads `initial_bank` if this database never had a bank loaded, and
    /// starts the writer thread.
    pub fn open(path: &Path, initial_bank: &[Question]) -> Result<Self, StoreError> {
        Self::open_with(path, initial_bank, &StoreSettings::default())
    }

    /// [`Store::open`] with explicit settings.
    pub fn open_with(
        path: &Path,
        initial_bank: &[Question],
        settings: &StoreSettings,
    ) -> Result<Self, StoreError> {
        let (mut connection, access) = sqlite::open_writer(path, settings.busy_timeout)?;
        schema::migrate(&mut connection)?;
        sqlite::load_initial_bank(&mut connection, initial_bank)?;
        sqlite::index_pending(&mut connection, &access)?;
        let card_format = match settings.card_format {
            Some(format) if sqlite::prepare_cards(&mut connection, &access, &format)? => {
                Some(format)
            }
            _ => None,
        };
        let page_token_key = sqlite::page_token_key(&mut connection)?;
        let readers = sqlite::open_readers(path, &access, settings.busy_timeout)?;
        let (sender, receiver) = mpsc::channel(WRITE_QUEUE_CAPACITY);
        let (health_sender, write_health) = watch::channel(WriteHealth::Healthy);
        let health_sender = std::sync::Arc::new(health_sender);
        let file = monitor::DatabaseFile::opened(path)?;
        let caches = std::sync::Arc::new(caches::Caches::new());
        let monitor = monitor::spawn(
            file.clone(),
            sqlite::open_watcher(path, &access)?,
            caches.clone(),
            health_sender.clone(),
        )?;
        let derivation = std::sync::Arc::new(writer::Derivation::default());
        writer::spawn(writer::Writer {
            connection,
            file,
            card_format,
            caches: caches.clone(),
            jobs: receiver,
            health: health_sender,
            derivation: derivation.clone(),
            writable: access == sqlite::Access::ReadWrite,
            waiting: Vec::new(),
            synced_commits: true,
            derivation_failed: None,
        })?;
        Ok(Self {
            readers,
            writer: sender,
            write_health,
            page_token_key,
            scan_turns: std::sync::Arc::new(tokio::sync::Semaphore::new(sqlite::SCANS_IN_FLIGHT)),
            card_format,
            caches,
            derivation,
            damage: std::sync::Arc::default(),
            _monitor: std::sync::Arc::new(monitor),
        })
    }

    /// Follows whether writes succeed, for the health service.
    pub fn write_health(&self) -> watch::Receiver<WriteHealth> {
        self.write_health.clone()
    }

    /// The key page tokens are signed with; the same across restarts.
    pub fn page_token_key(&self) -> &[u8; SIGNING_KEY_LEN] {
        &self.page_token_key
    }

    /// The question with this id. A primary-key read of a few microseconds:
    /// it runs inline, which measures faster than hopping threads.
    /// A question whose row is damaged is `DataLoss`, and logged once.
    pub fn question(&self, id: &str) -> Result<Option<Question>, StoreError> {
        read_question(&mut *self.readers.get()?, &self.damage, id)
    }

    /// Up to `limit` questions matching `filter` with ids after `after`.
    pub async fn list(
        &self,
        filter: QuestionFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<Page<Question>, StoreError> {
        self.page(filter, after, limit, sqlite::QUESTIONS, |_, page| Ok(page))
            .await
    }

    /// Whether, when this store opened, the stored cards were vouched for in
    /// its format (rendered then, or before; see `prepare_cards`), so
    /// [`Store::list_cards`] and [`Store::card`] can serve. Not when they
    /// were out of date and could not be rendered, or no format was given.
    pub fn has_cards(&self) -> bool {
        self.card_format.is_some()
    }

    /// The card of the question with this id: [`Store::question`] for
    /// callers that may only see what a card shows, without decoding it.
    /// From memory when the card cache holds it.
    /// A question whose stored card is missing (changed outside the server)
    /// or not intact (logged once) gets one rendered from its columns.
    /// `None` when the question does not exist or is deleted; `DataLoss`
    /// when its row is damaged too.
    pub fn card(&self, question_id: &str) -> Result<Option<Card>, StoreError> {
        let format = self.require_cards()?;
        card_of(
            &mut *self.readers.get()?,
            &self.caches,
            format,
            &self.damage,
            question_id,
        )
    }

    fn require_cards(&self) -> Result<CardFormat, StoreError> {
        self.card_format.ok_or_else(|| {
            StoreError::Internal(
                "cards were asked for, but they are not rendered in this database".into(),
            )
        })
    }

    /// [`Store::list`], but the questions' cards: a page shares the stored
    /// encodings instead of decoding each question.
    ///
    /// The page walks only the questions' ids; each card then comes from the
    /// card cache, or from the database by its id (and is cached), on the
    /// same connection and thread as the walk.
    pub async fn list_cards(
        &self,
        filter: QuestionFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<Page<Card>, StoreError> {
        let format = self.require_cards()?;
        let cache = self.caches.clone();
        let damage = self.damage.clone();
        self.page(
            filter,
            after,
            limit,
            sqlite::QUESTION_IDS,
            move |reader, question_ids| {
                Ok(Page {
                    entries: fill_cards(reader, &cache, format, &damage, question_ids.entries)?,
                    next_after: question_ids.next_after,
                    total_size: question_ids.total_size,
                })
            },
        )
        .await
    }

    /// One page of `entries`, which `finish` then completes on the same
    /// connection.
    ///
    /// A page whose every row is a match (an index range, see
    /// [`sqlite::is_index_range`]) of an already counted filter reads at most
    /// `limit + 1` rows, and `finish` at most a few reads by id per row, like
    /// a few primary-key reads: it runs inline, which measured 10–20%
    /// cheaper than the hop to a blocking thread. Anything
    /// that may scan (a first count, a filter checked row by row) takes a
    /// turn on a blocking thread so it never stalls the async workers.
    async fn page<T: Send + 'static, U: Send + 'static>(
        &self,
        filter: QuestionFilter,
        after: Option<String>,
        limit: usize,
        entries: sqlite::Entries<T>,
        finish: impl FnOnce(&mut rusqlite::Connection, Page<T>) -> Result<Page<U>, StoreError>
        + Send
        + 'static,
    ) -> Result<Page<U>, StoreError> {
        let filter_key = filter.canonical_bytes();
        let known = self.caches.total_size(&filter_key);
        let read_at = self.caches.epoch();
        let inline = known.is_some() && sqlite::is_index_range(&filter);
        let damage = self.damage.clone();
        let read_page = move |reader: &mut rusqlite::Connection| {
            let (page, damaged) =
                sqlite::list(reader, &filter, after.as_deref(), limit, known, entries)?;
            for (question_id, cause) in damaged {
                damage.report_row(&question_id, &*cause);
            }
            finish(reader, page)
        };
        if inline {
            return read_page(&mut *self.readers.get()?);
        }
        let caches = self.caches.clone();
        self.off_thread(move |reader| {
            let page = read_page(reader)?;
            if known.is_none() {
                caches.remember_total_size(read_at, filter_key, page.total_size);
            }
            Ok(page)
        })
        .await
    }

    /// Runs `read` on a blocking thread with a read connection, once a scan
    /// turn is free: for reads that may visit many rows.
    async fn off_thread<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = self.readers.clone();
        let span = tracing::Span::current();
        let turn = self
            .scan_turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|closed| StoreError::Internal(closed.into()))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let _entered = span.enter();
            read(&mut *readers.get()?)
        })
        .await
        .map_err(|join_error| StoreError::Internal(join_error.into()))?
    }

    /// One page of the live questions matching `query` under `filter`,
    /// best match first, after the first `offset`. Explanations match only
    /// when `explanations` says the caller may see them.
    pub async fn search(
        &self,
        filter: QuestionFilter,
        query: SearchQuery,
        explanations: bool,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage<Question>, StoreError> {
        let page = self
            .ranked_matches(filter, query, explanations, offset, limit)
            .await?;
        let reader = &mut *self.readers.get()?;
        let mut questions = Vec::with_capacity(page.entries.len());
        for question_id in &page.entries {
            match read_question(reader, &self.damage, question_id) {
                Ok(Some(question)) => questions.push(question),
                // Deleted or damaged since it was indexed (outside the
                // server): left out, as a listing leaves it out.
                Ok(None) | Err(StoreError::DataLoss(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(SearchPage {
            entries: questions,
            has_more: page.has_more,
            total_size: page.total_size,
        })
    }

    /// [`Store::search`] for callers that may only see what a card shows:
    /// explanations never match, and the page holds the questions' cards.
    pub async fn search_cards(
        &self,
        filter: QuestionFilter,
        query: SearchQuery,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage<Card>, StoreError> {
        let format = self.require_cards()?;
        let page = self
            .ranked_matches(filter, query, false, offset, limit)
            .await?;
        let cards = fill_cards(
            &mut *self.readers.get()?,
            &self.caches,
            format,
            &self.damage,
            page.entries,
        )?;
        Ok(SearchPage {
            entries: cards,
            has_more: page.has_more,
            total_size: page.total_size,
        })
    }

    /// The ids of one page of a search's matches. Ranking visits every
    /// match, so the first [`caches::RANKED_MATCHES_KEPT`] of a search are
    /// kept (forgotten with the counts on any change) and its pages among
    /// them come from memory; a page further down ranks again. Then the
    /// page's questions or cards are a few reads by id, which run inline
    /// like a listing page's.
    async fn ranked_matches(
        &self,
        filter: QuestionFilter,
        query: SearchQuery,
        explanations: bool,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage<String>, StoreError> {
        let key = search_key(&filter, &query, explanations);
        let page_of = |ranked: &caches::RankedMatches| {
            let end = (offset + limit).min(ranked.ids.len());
            SearchPage {
                entries: ranked.ids.get(offset..end).unwrap_or_default().to_vec(),
                has_more: (offset + limit)
                    < usize::try_from(ranked.total_size).unwrap_or(usize::MAX),
                total_size: ranked.total_size,
            }
        };
        if let Some(ranked) = self.caches.ranked_matches(&key)
            && ranked.covers(offset + limit)
        {
            return Ok(page_of(&ranked));
        }
        if offset + limit > caches::RANKED_MATCHES_KEPT {
            return self
                .off_thread(move |reader| {
                    sqlite::search(reader, &filter, &query, explanations, offset, limit)
                })
                .await;
        }
        let read_at = self.caches.epoch();
        let caches = self.caches.clone();
        let ranked = self
            .off_thread(move |reader| {
                let top = sqlite::search(
                    reader,
                    &filter,
                    &query,
                    explanations,
                    0,
                    caches::RANKED_MATCHES_KEPT,
                )?;
                let ranked = Arc::new(caches::RankedMatches {
                    ids: top.entries.into(),
                    total_size: top.total_size,
                });
                caches.remember_ranked_matches(read_at, key, ranked.clone());
                Ok(ranked)
            })
            .await?;
        Ok(page_of(&ranked))
    }

    /// The live questions of each category available in `language` (any
    /// when `None`), by difficulty and type; sorted by category.
    pub async fn category_counts(
        &self,
        language: Option<String>,
    ) -> Result<Arc<[CategoryCount]>, StoreError> {
        let key = QuestionFilter {
            language: language.clone(),
            ..QuestionFilter::default()
        }
        .canonical_bytes();
        if let Some(counts) = self.caches.category_counts(&key) {
            return Ok(counts);
        }
        let read_at = self.caches.epoch();
        let caches = self.caches.clone();
        self.off_thread(move |reader| {
            let counts: Arc<[CategoryCount]> =
                sqlite::category_counts(reader, language.as_deref())?.into();
            caches.remember_category_counts(read_at, key, counts.clone());
            Ok(counts)
        })
        .await
    }

    /// The live questions carrying each tag, of `category` and available in
    /// `language` where given; most used first, ties by name.
    pub async fn tag_counts(
        &self,
        category: Option<String>,
        language: Option<String>,
    ) -> Result<Arc<[TagCount]>, StoreError> {
        let key = QuestionFilter {
            category: category.clone(),
            language: language.clone(),
            ..QuestionFilter::default()
        }
        .canonical_bytes();
        if let Some(counts) = self.caches.tag_counts(&key) {
            return Ok(counts);
        }
        let read_at = self.caches.epoch();
        let caches = self.caches.clone();
        self.off_thread(move |reader| {
            let counts: Arc<[TagCount]> =
                sqlite::tag_counts(reader, category.as_deref(), language.as_deref())?.into();
            caches.remember_tag_counts(read_at, key, counts.clone());
            Ok(counts)
        })
        .await
    }

    /// Stores a graded answer durably, unless its request id was seen before.
    /// Returns only after the commit.
    pub async fn record_attempt(&self, answer: GradedAnswer) -> Result<Recorded, StoreError> {
        self.ask_writer(|reply, span| writer::Job::RecordAttempt {
            answer,
            reply,
            span,
        })
        .await
    }

    /// Makes `change` in one transaction of the writer (the question's row,
    /// revision, tags and card), and forgets what it made stale before it
    /// returns, so every later call reads it.
    pub async fn change_question(
        &self,
        change: QuestionChange,
    ) -> Result<Result<Changed, ChangeRefused>, StoreError> {
        self.ask_writer(|reply, span| writer::Job::ChangeQuestion {
            change,
            reply,
            span,
        })
        .await
    }

    /// Imports `questions` in one transaction, all or nothing: each is
    /// created, updated to its next revision, left as it is, or (deleted)
    /// skipped. A dry run answers the same and writes nothing. Returns each
    /// question's outcome, in order, with the question as it now is; or the
    /// first question whose change was refused, and nothing changes. Unless
    /// `replace_translations`, stored questions keep their translations.
    pub async fn import(
        &self,
        questions: Vec<Question>,
        replace_translations: bool,
        dry_run: bool,
    ) -> Result<ImportOutcomes, StoreError> {
        self.ask_writer(|reply, span| writer::Job::Import {
            questions,
            replace_translations,
            dry_run,
            now: SystemTime::now(),
            reply,
            span,
        })
        .await
    }

    /// Every live question matching `filter`, whole, in id order: a walk of
    /// the listing's pages, for an export.
    pub async fn all_questions(&self, filter: QuestionFilter) -> Result<Vec<Question>, StoreError> {
        const PAGE: usize = 500;
        let mut questions = Vec::new();
        let mut after = None;
        loop {
            let page = self.list(filter.clone(), after, PAGE).await?;
            questions.extend(page.entries);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(questions),
            }
        }
    }

    /// A revision of a live question; `None` if either does not exist.
    pub fn revision(&self, id: &str, revision: i64) -> Result<Option<Question>, StoreError> {
        let reader = &mut *self.readers.get()?;
        if self.question_state(reader, id)? != QuestionState::Live {
            return Ok(None);
        }
        sqlite::revision(reader, id, revision)
    }

    /// The question with this id as it is now, live or deleted.
    pub fn question_any_state(&self, id: &str) -> Result<Option<Question>, StoreError> {
        Ok(match sqlite::stored_question(&*self.readers.get()?, id)? {
            sqlite::Stored::Absent => None,
            sqlite::Stored::Live(question) | sqlite::Stored::Deleted(question) => Some(question),
        })
    }

    /// A revision of a question, live or deleted: what an attempt was graded
    /// against.
    pub fn any_revision(&self, id: &str, revision: i64) -> Result<Option<Question>, StoreError> {
        sqlite::revision(&*self.readers.get()?, id, revision)
    }

    /// Up to `limit` revisions of a question, live or deleted, newest first,
    /// older than `before`; `None` if no question has this id.
    pub fn revisions(
        &self,
        id: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Option<Vec<Question>>, StoreError> {
        let reader = &mut *self.readers.get()?;
        if self.question_state(reader, id)? == QuestionState::Absent {
            return Ok(None);
        }
        sqlite::revisions(reader, id, before, limit).map(Some)
    }

    fn question_state(
        &self,
        reader: &mut rusqlite::Connection,
        id: &str,
    ) -> Result<QuestionState, StoreError> {
        Ok(match sqlite::stored_question(reader, id)? {
            sqlite::Stored::Absent => QuestionState::Absent,
            sqlite::Stored::Live(_) => QuestionState::Live,
            sqlite::Stored::Deleted(_) => QuestionState::Deleted,
        })
    }

    /// The attempt recorded for this request id, with the answer key of the
    /// revision it was graded against.
    pub fn attempt_by_request_id(&self, request_id: &str) -> Result<Option<Attempt>, StoreError> {
        sqlite::attempt_by_request_id(&*self.readers.get()?, request_id)
    }

    /// Attempts recorded for a question, oldest first. For tests and,
    /// later, statistics.
    pub fn attempts_for_question(&self, question_id: &str) -> Result<Vec<Attempt>, StoreError> {
        sqlite::attempts_for_question(&mut *self.readers.get()?, question_id)
    }

    /// Sends the request `request` makes (with the reply channel and the
    /// caller's span) to the writer, and waits for its answer.
    async fn ask_writer<T, R: Into<writer::Request>>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T, StoreError>>, tracing::Span) -> R,
    ) -> Result<T, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.writer
            .send(request(reply, tracing::Span::current()).into())
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        outcome
            .instrument(tracing::Span::current())
            .await
            .map_err(|_| StoreError::WriterStopped)?
    }

    /// Waits until every attempt this process recorded is in the derived
    /// statistics (migration 0008): at once when it already is.
    async fn derived(&self) -> Result<(), StoreError> {
        if !self.derivation.behind() {
            return Ok(());
        }
        let target = self.derivation.recorded();
        self.ask_writer(|reply, _| writer::Request::Derive { target, reply })
            .await
    }

    /// A question's attempt totals at `revision` (0: all revisions), how
    /// often each key was chosen there, and the pairs discrimination is
    /// computed from; including every attempt this process recorded.
    pub async fn question_statistics(
        &self,
        question_id: String,
        revision: i64,
    ) -> Result<QuestionStatistics, StoreError> {
        self.derived().await?;
        self.off_thread(move |reader| {
            let transaction = reader.transaction()?;
            Ok(QuestionStatistics {
                totals: sqlite::question_attempt_stats(&transaction, &question_id, revision)?
                    .unwrap_or_default(),
                choices: sqlite::choice_counts(&transaction, &question_id, revision)?,
                discrimination_pairs: sqlite::discrimination_pairs(
                    &transaction,
                    &question_id,
                    revision,
                )?,
            })
        })
        .await
    }

    /// A respondent's first attempt on each question, including every
    /// attempt this process recorded.
    pub async fn respondent_first_attempts(
        &self,
        respondent_id: String,
    ) -> Result<Vec<RespondentFirst>, StoreError> {
        self.derived().await?;
        self.off_thread(move |reader| sqlite::respondent_first_attempts(reader, &respondent_id))
            .await
    }

    /// The questions a respondent has an attempt on, including every
    /// attempt this process recorded.
    pub async fn answered_questions(
        &self,
        respondent_id: String,
    ) -> Result<Vec<String>, StoreError> {
        self.derived().await?;
        sqlite::answered_questions(&*self.readers.get()?, &respondent_id)
    }

    /// The ids of every live question `filter` matches, in id order: read
    /// once per filter, then from memory until a question changes.
    pub async fn matching_ids(&self, filter: QuestionFilter) -> Result<Arc<[String]>, StoreError> {
        let key = filter.canonical_bytes();
        if let Some(ids) = self.caches.matching_ids(&key) {
            return Ok(ids);
        }
        let read_at = self.caches.epoch();
        let caches = self.caches.clone();
        self.off_thread(move |reader| {
            let ids: Arc<[String]> = sqlite::matching_ids(reader, &filter)?.into();
            caches.remember_matching_ids(read_at, key, ids.clone());
            Ok(ids)
        })
        .await
    }

    /// Stores a report durably, unless its request id was seen before.
    /// Returns only after the commit.
    pub async fn record_report(&self, report: QuestionReport) -> Result<Reported, StoreError> {
        self.ask_writer(|reply, span| writer::Job::RecordReport {
            report,
            reply,
            span,
        })
        .await
    }

    /// Resolves an open report at `resolve_time`, through the writer, and
    /// returns it as it now is; refused (and nothing changed) when it does
    /// not exist or is resolved already.
    pub async fn resolve_report(
        &self,
        resolution: Resolution,
        resolve_time: SystemTime,
    ) -> Result<Result<QuestionReport, ResolveRefused>, StoreError> {
        self.ask_writer(|reply, span| writer::Job::ResolveReport {
            resolution,
            resolve_time,
            reply,
            span,
        })
        .await
    }

    /// The report recorded for this request id.
    pub fn report_by_request_id(
        &self,
        request_id: &str,
    ) -> Result<Option<QuestionReport>, StoreError> {
        sqlite::report_by_request_id(&*self.readers.get()?, request_id)
    }

    /// Up to `limit` reports matching `filter`, newest first, after
    /// `before`. One index range of at most `limit` rows: it runs inline,
    /// like a primary-key read.
    pub fn reports(
        &self,
        filter: &ReportFilter,
        before: Option<&ReportPosition>,
        limit: usize,
    ) -> Result<Vec<QuestionReport>, StoreError> {
        sqlite::reports(&*self.readers.get()?, filter, before, limit)
    }

    /// How busy the read pool and the write queue are right now, for metrics.
    pub fn usage(&self) -> StoreUsage {
        let pool = self.readers.state();
        StoreUsage {
            read_connections: pool.connections,
            idle_read_connections: pool.idle_connections,
            max_read_connections: self.readers.max_size(),
            // Free permits are the queue's capacity minus its waiting jobs.
            queued_writes: self.writer.max_capacity() - self.writer.capacity(),
            write_queue_capacity: self.writer.max_capacity(),
        }
    }
}

/// The cards of a page of question ids: from `cache`, or read by id (at
/// most one primary-key read per entry, as a join of the cards would do) and
/// cached. A question left out does not end the listing: its page keeps
/// where it walked to.
fn fill_cards(
    reader: &mut rusqlite::Connection,
    cache: &caches::Caches,
    format: CardFormat,
    damage: &damage::DamageReports,
    question_ids: Vec<String>,
) -> Result<Vec<Card>, StoreError> {
    let mut cards = Vec::with_capacity(question_ids.len());
    for question_id in question_ids {
        match card_of(reader, cache, format, damage, &question_id) {
            Ok(Some(card)) => cards.push(card),
            // Deleted outside the server, with its tags left behind.
            Ok(None) => {}
            // Left out (and logged): one damaged question must not fail
            // every listing that holds it.
            Err(StoreError::DataLoss(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(cards)
}

/// The card of a question: from `cache`, or its stored card read by id.
/// Without an intact stored card (the question changed outside the server,
/// which dropped it, or the card is damaged) it is rendered from the
/// question as it is now. Either is then cached: a later change of the
/// question, here or in another process, forgets it.
fn card_of(
    reader: &mut rusqlite::Connection,
    cache: &caches::Caches,
    format: CardFormat,
    damage: &damage::DamageReports,
    question_id: &str,
) -> Result<Option<Card>, StoreError> {
    cache.card_or_read(question_id, || {
        if let Some(card) = read_card(reader, format, damage, question_id)? {
            return Ok(Some(card));
        }
        Ok(read_question(reader, damage, question_id)?
            .map(|question| Card::render(&question, &format)))
    })
}

/// The stored card of a question, if it is intact: a damaged one is logged
/// once and read as missing.
fn read_card(
    reader: &mut rusqlite::Connection,
    format: CardFormat,
    damage: &damage::DamageReports,
    question_id: &str,
) -> Result<Option<Card>, StoreError> {
    Ok(
        sqlite::card(reader, question_id, &format)?.and_then(|(card, intact)| {
            if !intact {
                damage.report(question_id, "card", &"it does not decode as this question");
            }
            intact.then_some(card)
        }),
    )
}

/// A question read by id; a damaged row is logged once and `DataLoss`.
fn read_question(
    reader: &mut rusqlite::Connection,
    damage: &damage::DamageReports,
    question_id: &str,
) -> Result<Option<Question>, StoreError> {
    sqlite::question(reader, question_id).inspect_err(|error| {
        if let StoreError::DataLoss(cause) = error {
            damage.report_row(question_id, &**cause);
        }
    })
}

/// A snapshot of [`Store::usage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreUsage {
    /// Read connections open in the pool, idle or in use.
    pub read_connections: u32,
    /// Of those, the idle ones.
    pub idle_read_connections: u32,
    /// The most read connections the pool opens.
    pub max_read_connections: u32,
    /// Writes waiting for the writer thread.
    pub queued_writes: usize,
    /// How many writes may wait before callers wait to enqueue.
    pub write_queue_capacity: usize,
}

/// Storage keeps times as Unix microseconds.
fn to_unix_micros(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_micros()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

fn from_unix_micros(micros: i64) -> SystemTime {
    let magnitude = std::time::Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::domain::bank_file::{BUNDLED_BANK, parse};

    fn render_a(question: &Question, _position: usize) -> Vec<u8> {
        format!("a:{}", question.id).into_bytes()
    }

    fn render_b(question: &Question, _position: usize) -> Vec<u8> {
        format!("b:{}", question.id).into_bytes()
    }

    fn settings(render: fn(&Question, usize) -> Vec<u8>, fingerprint: u8) -> StoreSettings {
        StoreSettings {
            card_format: Some(CardFormat {
                fingerprint: [fingerprint; 32],
                render,
                is_intact: |_, _| true,
            }),
            ..StoreSettings::default()
        }
    }

    async fn all_cards(store: &Store) -> Vec<String> {
        let page = store
            .list_cards(QuestionFilter::default(), None, 100)
            .await
            .expect("list cards");
        page.entries
            .into_iter()
            .map(|card| {
                String::from_utf8(card.renderings[0].rendered.to_vec())
                    .expect("test cards are text")
            })
            .collect()
    }

    #[tokio::test]
    async fn cards_of_another_format_are_rendered_again_unless_the_file_is_read_only() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("qbank.db");
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank");
        let expected = |prefix: &str| -> Vec<String> {
            let mut ids: Vec<&str> = bank.iter().map(|question| question.id.as_str()).collect();
            ids.sort_unstable();
            ids.iter().map(|id| format!("{prefix}:{id}")).collect()
        };

        let first = Store::open_with(&path, &bank, &settings(render_a, 1)).expect("open");
        let rendered_first = all_cards(&first).await;
        drop(first);
        let second = Store::open_with(&path, &[], &settings(render_b, 2)).expect("reopen");
        let rendered_again = all_cards(&second).await;
        drop(second);
        // Only the access decides here: the connection itself could write.
        let (mut connection, _) =
            sqlite::open_writer(&path, Duration::from_secs(1)).expect("a connection");
        let read_only = sqlite::Access::ReadOnly { uri: String::new() };
        let format_a = settings(render_a, 1).card_format.expect("a format");
        let current_when_read_only =
            sqlite::prepare_cards(&mut connection, &read_only, &format_a).expect("check the cards");
        let (stored_format, first_card): (Vec<u8>, Vec<u8>) = connection
            .query_row(
                "SELECT (SELECT value FROM server_state WHERE name = 'card_format'),
                        (SELECT card FROM question_cards ORDER BY question_id LIMIT 1)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("what is stored");

        assert_eq!(rendered_first, expected("a"));
        assert_eq!(rendered_again, expected("b"));
        assert!(!current_when_read_only);
        assert_eq!(stored_format, [2; 32]);
        assert_eq!(String::from_utf8_lossy(&first_card), expected("b")[0]);
    }

    #[tokio::test]
    async fn a_question_changed_behind_the_server_s_back_loses_its_card_and_is_served_as_it_is_now()
    {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("qbank.db");
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank");
        drop(Store::open_with(&path, &bank, &settings(render_a, 1)).expect("open"));
        let render_stem = |question: &Question, _| question.stem.clone().into_bytes();

        let shell = rusqlite::Connection::open(&path).expect("a connection of its own");
        shell
            .execute(
                "UPDATE questions SET stem = 'changed' WHERE id = 'llm-001'",
                [],
            )
            .expect("change a question");
        let left_behind: (bool, bool) = shell
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM question_cards WHERE question_id = 'llm-001'),
                        EXISTS (SELECT 1 FROM server_state WHERE name = 'card_format')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("what is left");
        drop(shell);
        let reopened = Store::open_with(&path, &[], &settings(render_stem, 1)).expect("reopen");
        let card = reopened.card("llm-001").expect("read").expect("a card");

        // The card is gone, while the stored cards of the others still vouch.
        assert_eq!(left_behind, (false, true));
        assert!(reopened.has_cards());
        assert_eq!(card.renderings[0].rendered, &b"changed"[..]);
    }

    #[tokio::test]
    async fn a_question_changed_behind_the_server_s_back_is_listed_as_it_is_now() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("qbank.db");
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank");
        let render_stem = |question: &Question, _| question.stem.clone().into_bytes();
        let store = Store::open_with(&path, &bank, &settings(render_stem, 1)).expect("open");

        let shell = rusqlite::Connection::open(&path).expect("a connection of its own");
        shell
            .execute(
                "UPDATE questions SET stem = 'changed' WHERE id = 'llm-001'",
                [],
            )
            .expect("change a question");
        shell
            .execute("DELETE FROM questions WHERE id = 'llm-002'", [])
            .expect("delete a question");
        drop(shell);
        let listed = store
            .list_cards(QuestionFilter::default(), None, 3)
            .await
            .expect("list cards");

        let ids: Vec<&str> = listed
            .entries
            .iter()
            .map(|card| card.question_id.as_str())
            .collect();
        assert_eq!(ids, ["llm-001", "llm-003", "llm-004"]);
        assert_eq!(listed.entries[0].renderings[0].rendered, &b"changed"[..]);
    }

    #[tokio::test]
    async fn a_page_whose_questions_vanished_still_leads_to_the_next_page() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("qbank.db");
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank");
        let store = Store::open_with(&path, &bank, &settings(render_a, 1)).expect("open");
        // The sqlite3 shell's default (not rusqlite's): no foreign keys, so
        // deleting a question leaves its tags behind for the tag's listing.
        let shell = rusqlite::Connection::open(&path).expect("a connection of its own");
        shell
            .pragma_update(None, "foreign_keys", false)
            .expect("foreign keys off");
        let (tag, tagged): (String, Vec<String>) = {
            let tag: String = shell
                .query_row(
                    "SELECT tag FROM question_tags GROUP BY tag HAVING count(*) >= 2
                     ORDER BY tag LIMIT 1",
                    [],
                    |row| row.get(0),
                )
                .expect("a tag on two questions");
            let mut statement = shell
                .prepare(
                    "SELECT question_id FROM question_tags WHERE tag = ?1 ORDER BY question_id",
                )
                .expect("prepare");
            let tagged = statement
                .query_map([&tag], |row| row.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("ids");
            (tag, tagged)
        };
        shell
            .execute("DELETE FROM questions WHERE id = ?1", [&tagged[0]])
            .expect("delete the tag's first question");
        drop(shell);
        let filter = QuestionFilter {
            tags: vec![tag],
            ..QuestionFilter::default()
        };

        let first = store
            .list_cards(filter.clone(), None, 1)
            .await
            .expect("first page");
        let second = store
            .list_cards(filter, first.next_after.clone(), 1)
            .await
            .expect("second page");

        assert!(first.entries.is_empty());
        assert_eq!(first.next_after.as_ref(), Some(&tagged[0]));
        assert_eq!(second.entries[0].question_id, tagged[1]);
    }

    #[tokio::test]
    async fn a_store_opened_without_a_card_format_has_no_cards() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let bank = parse(BUNDLED_BANK, SystemTime::UNIX_EPOCH).expect("bundled bank");

        let store = Store::open(&dir.path().join("qbank.db"), &bank).expect("open");

        assert!(!store.has_cards());
        assert!(
            store
                .list_cards(QuestionFilter::default(), None, 10)
                .await
                .is_err()
        );
    }
}
