//! Storage: the only module that knows SQL.
//!
//! [`Store`] is a cheap-to-clone handle. Behind it:
//! - a pool of read connections. A primary-key read takes microseconds, so
//!   [`Store::question`] runs inline on the caller's thread; scans
//!   ([`Store::list`]) move to a blocking thread so they never stall the
//!   async workers;
//! - one writer thread that owns the only write connection. Concurrent
//!   submissions queue to it and are committed together in one transaction
//!   (group commit), so a durable `synchronous=FULL` commit is paid once per
//!   batch instead of once per call, and request-id checks never race.
//!
//! A PostgreSQL backend will implement the same methods.

mod schema;
mod sqlite;
mod writer;

use std::{path::Path, time::SystemTime};

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument as _;

use crate::domain::{
    listing::QuestionFilter,
    page_token::SIGNING_KEY_LEN,
    question::Question,
    submission::{Attempt, GradedAnswer},
};

pub use sqlite::ReaderPool;

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

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Busy(error.into()),
            Some(ErrorCode::ReadOnly) => Self::ReadOnly(error.into()),
            Some(ErrorCode::DiskFull) => Self::DiskFull(error.into()),
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

/// One page of a listing, and how many questions match in all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionPage {
    /// At most the requested number of questions, in id order.
    pub questions: Vec<Question>,
    /// Whether questions follow the last one of this page.
    pub has_more: bool,
    /// Matches in all pages.
    pub total_size: u64,
}

/// A handle to the question bank's database.
#[derive(Debug, Clone)]
pub struct Store {
    readers: ReaderPool,
    writer: mpsc::Sender<writer::Job>,
    page_token_key: [u8; SIGNING_KEY_LEN],
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies migrations,
    /// loads `initial_bank` if this database never had a bank loaded, and
    /// starts the writer thread.
    pub fn open(path: &Path, initial_bank: &[Question]) -> Result<Self, StoreError> {
        let mut connection = sqlite::open_writer(path)?;
        schema::migrate(&mut connection)?;
        sqlite::load_initial_bank(&mut connection, initial_bank)?;
        let page_token_key = sqlite::page_token_key(&mut connection)?;
        let readers = sqlite::open_readers(path)?;
        let (sender, receiver) = mpsc::channel(WRITE_QUEUE_CAPACITY);
        writer::spawn(connection, receiver)?;
        Ok(Self {
            readers,
            writer: sender,
            page_token_key,
        })
    }

    /// The key page tokens are signed with; the same across restarts.
    pub fn page_token_key(&self) -> &[u8; SIGNING_KEY_LEN] {
        &self.page_token_key
    }

    /// The question with this id. A primary-key read of a few microseconds:
    /// it runs inline, which measures faster than hopping threads.
    pub fn question(&self, id: &str) -> Result<Option<Question>, StoreError> {
        sqlite::question(&mut *self.readers.get()?, id)
    }

    /// Up to `limit` questions matching `filter` with ids after `after`.
    pub async fn list(
        &self,
        filter: QuestionFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<QuestionPage, StoreError> {
        let readers = self.readers.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            sqlite::list(&mut *readers.get()?, &filter, after.as_deref(), limit)
        })
        .await
        .map_err(|join_error| StoreError::Internal(join_error.into()))?
    }

    /// Stores a graded answer durably, unless its request id was seen before.
    /// Returns only after the commit.
    pub async fn record_attempt(&self, answer: GradedAnswer) -> Result<Recorded, StoreError> {
        let (reply, outcome) = oneshot::channel();
        let job = writer::Job::RecordAttempt {
            answer,
            reply,
            span: tracing::Span::current(),
        };
        self.writer
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        outcome
            .instrument(tracing::Span::current())
            .await
            .map_err(|_| StoreError::WriterStopped)?
    }

    /// Attempts recorded for a question, oldest first. For tests and,
    /// later, statistics.
    pub fn attempts_for_question(&self, question_id: &str) -> Result<Vec<Attempt>, StoreError> {
        sqlite::attempts_for_question(&mut *self.readers.get()?, question_id)
    }

    /// How many questions the bank holds.
    pub fn question_count(&self) -> Result<u64, StoreError> {
        sqlite::question_count(&mut *self.readers.get()?)
    }
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
