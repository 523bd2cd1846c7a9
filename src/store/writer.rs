//! The writer thread: the one connection that writes, with group commit.
//!
//! Each wake-up takes every job already queued (up to [`MAX_BATCH`]) and runs
//! them in one `BEGIN IMMEDIATE` transaction, each inside its own savepoint so
//! one failing job cannot undo the others. Replies go out only after the
//! commit returns, so every acknowledged attempt is durable. Before each
//! batch it checks that the database file is still the one it opened (see
//! `monitor`): a write into a deleted file would be acknowledged and lost.
//!
//! Between batches it derives the statistics of the attempts committed
//! (migration 0008), in transactions of their own, so an attempt's commit
//! stays as cheap as the attempt alone.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, watch};

use super::{
    BoxError, Changed, ImportOutcomes, Imported, QuestionChange, Recorded, Reported, StoreError,
    WriteHealth, caches::Caches, monitor::DatabaseFile, sqlite,
};
use crate::{
    domain::{
        authoring::ChangeRefused,
        card::CardFormat,
        question::Question,
        report::{QuestionReport, Resolution, ResolveRefused},
        submission::GradedAnswer,
    },
    error::error_chain,
};

/// Bounds the latency one commit adds to the first job of a batch.
const MAX_BATCH: usize = 256;
/// Attempts derived in one transaction while the writer is otherwise idle.
const DERIVE_CHUNK: usize = 2_048;
/// Attempts derived after each batch while writes wait: more than a batch
/// records, so derivation keeps pace under load, and few enough that the
/// next batch waits for it only a little (a big chunk at once showed as
/// tens of milliseconds at SubmitAnswer's p99).
const DERIVE_STEP: usize = 256;
/// How long the writer, idle but behind, sleeps between looks for jobs
/// while derivation backs off.
const DERIVE_POLL: Duration = Duration::from_millis(10);
/// The first back-off after derivation failed, doubling from there.
const DERIVE_BACKOFF_MIN: Duration = Duration::from_millis(50);
/// The longest back-off.
const DERIVE_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How far attempts are recorded and derived (migration 0008), shared by
/// the writer (which moves both) and the store's readers.
#[derive(Debug, Default)]
pub(super) struct Derivation {
    /// The newest attempt this process's writer committed, or found at start.
    recorded_through: AtomicI64,
    /// The newest attempt whose statistics are derived.
    derived_through: AtomicI64,
}

impl Derivation {
    /// The newest attempt known to be recorded.
    pub(super) fn recorded(&self) -> i64 {
        self.recorded_through.load(Ordering::Acquire)
    }

    /// Whether attempts this process recorded are not derived yet.
    pub(super) fn behind(&self) -> bool {
        self.derived_through.load(Ordering::Acquire) < self.recorded_through.load(Ordering::Acquire)
    }
}

/// What a question change answers.
pub(super) type ChangeOutcome = Result<Result<Changed, ChangeRefused>, StoreError>;

/// Work for the writer.
#[derive(Debug)]
pub(super) enum Job {
    /// Record a graded answer (see [`sqlite::record_attempt`]).
    RecordAttempt {
        answer: GradedAnswer,
        reply: oneshot::Sender<Result<Recorded, StoreError>>,
        /// The caller's span, so the writer's log lines name the call.
        span: tracing::Span,
    },
    /// Change a question (see [`sqlite::change_question`]).
    ChangeQuestion {
        change: QuestionChange,
        reply: oneshot::Sender<ChangeOutcome>,
        span: tracing::Span,
    },
    /// Import questions, all or nothing (see [`sqlite::import_questions`]).
    Import {
        questions: Vec<Question>,
        /// Whether the questions' translations replace the stored ones
        /// (else the stored ones stay).
        replace_translations: bool,
        dry_run: bool,
        now: SystemTime,
        reply: oneshot::Sender<ImportOutcome>,
        span: tracing::Span,
    },
    /// Record a report (see [`sqlite::record_report`]).
    RecordReport {
        report: QuestionReport,
        reply: oneshot::Sender<Result<Reported, StoreError>>,
        span: tracing::Span,
    },
    /// Resolve a report (see [`sqlite::resolve_report`]).
    ResolveReport {
        resolution: Resolution,
        resolve_time: SystemTime,
        reply: oneshot::Sender<ResolveOutcome>,
        span: tracing::Span,
    },
}

/// What an import answers: each question's outcome, or the first question
/// whose change was refused (and nothing imported).
pub(super) type ImportOutcome = Result<ImportOutcomes, StoreError>;

/// What a resolution answers: the report resolved, or why not.
pub(super) type ResolveOutcome = Result<Result<QuestionReport, ResolveRefused>, StoreError>;

impl Job {
    fn span(&self) -> &tracing::Span {
        match self {
            Self::RecordAttempt { span, .. }
            | Self::ChangeQuestion { span, .. }
            | Self::Import { span, .. }
            | Self::RecordReport { span, .. }
            | Self::ResolveReport { span, .. } => span,
        }
    }
}

/// What the writer is asked: a write, or to wait for derivation.
// Nearly every request is a write: boxing it would allocate on
// SubmitAnswer's path to save bytes on the rare wait.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Request {
    /// A write, batched with the others queued.
    Write(Job),
    /// Answer once every attempt up to `target` is derived (for reads that
    /// must see their caller's attempts in the statistics). No write: it
    /// takes no transaction and says nothing of write health.
    Derive {
        /// The newest attempt the caller must see derived.
        target: i64,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

impl From<Job> for Request {
    fn from(job: Job) -> Self {
        Self::Write(job)
    }
}

/// A job's outcome, before its caller is answered.
enum Done {
    Recorded(Result<Recorded, StoreError>),
    /// With the bank generation before and after, for the caches.
    Changed(ChangeOutcome, (i64, i64)),
    /// The same, for an import.
    Imported(ImportOutcome, (i64, i64)),
    Reported(Result<Reported, StoreError>),
    Resolved(ResolveOutcome),
}

impl Done {
    fn failed(&self) -> Option<&StoreError> {
        match self {
            Self::Recorded(Err(error))
            | Self::Changed(Err(error), _)
            | Self::Imported(Err(error), _)
            | Self::Reported(Err(error))
            | Self::Resolved(Err(error)) => Some(error),
            _ => None,
        }
    }
}

/// What the writer thread owns.
pub(super) struct Writer {
    pub(super) connection: Connection,
    pub(super) file: DatabaseFile,
    /// How to render the card a change writes; `None` writes no cards.
    pub(super) card_format: Option<CardFormat>,
    pub(super) caches: Arc<Caches>,
    pub(super) jobs: mpsc::Receiver<Request>,
    pub(super) health: Arc<watch::Sender<WriteHealth>>,
    pub(super) derivation: Arc<Derivation>,
    /// Whether the file can be written: derivation cannot on a read-only
    /// one.
    pub(super) writable: bool,
    /// Callers of [`Request::Derive`], each with the attempt it waits for.
    pub(super) waiting: Vec<(i64, oneshot::Sender<Result<(), StoreError>>)>,
    /// Whether the connection syncs its commits, as it must for every
    /// acknowledged write (derivation turns it off for its own).
    pub(super) synced_commits: bool,
    /// When derivation last failed, and the back-off before the next try.
    pub(super) derivation_failed: Option<(Instant, Duration)>,
}

/// Starts the writer thread. It stops when every [`super::Store`] handle is gone.
pub(super) fn spawn(writer: Writer) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name("qbank-writer".into())
        .spawn(move || writer.run())
        .map(drop)
        .map_err(|error| StoreError::Internal(error.into()))
}

impl Writer {
    fn run(mut self) {
        if let Err(error) = self.start_derivation() {
            tracing::warn!(error = %error_chain(&error), "cannot read how far attempts are derived");
        }
        let mut writes = Vec::with_capacity(MAX_BATCH);
        loop {
            // Behind, the writer derives between jobs instead of sleeping;
            // after a failure it waits a little before it tries again.
            let first = if self.derivation.behind() {
                match self.jobs.try_recv() {
                    Ok(job) => job,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        if self.derivation_may_retry() {
                            self.derive_chunk(DERIVE_CHUNK);
                        } else {
                            std::thread::sleep(DERIVE_POLL);
                        }
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                }
            } else {
                match self.jobs.blocking_recv() {
                    Some(job) => job,
                    None => break,
                }
            };
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Write(job) => writes.push(job),
                    Request::Derive { target, reply } => self.waiting.push((target, reply)),
                }
                if writes.len() < MAX_BATCH {
                    next = self.jobs.try_recv().ok();
                }
            }
            if !writes.is_empty() {
                let outcome = self.commit_batch(&mut writes);
                self.health.send_if_modified(|current| {
                    let changed = *current != outcome;
                    *current = outcome;
                    changed
                });
            }
            if self.derivation.behind() && self.derivation_may_retry() {
                self.derive_chunk(DERIVE_STEP);
            }
            self.answer_waiting(None);
        }
        // Every store handle is gone. Folding the WAL into the database now
        // spares the next start from replaying it (a large import leaves
        // tens of megabytes of it): SQLite only does this itself when the
        // last connection closes, and which of the store's connections
        // closes last is left to chance.
        if let Err(error) = self
            .connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::debug!(%error, "could not checkpoint the WAL on close");
        }
    }

    /// Reads where the attempts and their derivation stand, at start.
    fn start_derivation(&mut self) -> Result<(), StoreError> {
        let recorded = sqlite::newest_attempt(&self.connection)?;
        let derived = sqlite::derived_through(&self.connection)?;
        self.derivation
            .recorded_through
            .fetch_max(recorded, Ordering::AcqRel);
        self.derivation
            .derived_through
            .store(derived, Ordering::Release);
        Ok(())
    }

    /// Whether derivation may run now: not within the back-off after a
    /// failure.
    fn derivation_may_retry(&self) -> bool {
        self.derivation_failed
            .is_none_or(|(at, backoff)| at.elapsed() >= backoff)
    }

    /// Derives up to `attempts` more. A failure (a lock held elsewhere, a
    /// full disk, a read-only file) is logged, answers whoever waits for
    /// derivation with it, and is retried after a back-off that doubles up
    /// to [`DERIVE_BACKOFF_MAX`]: statistics lag, nothing acknowledged is at
    /// stake.
    fn derive_chunk(&mut self, attempts: usize) {
        let target = self.derivation.recorded_through.load(Ordering::Acquire);
        if !self.writable {
            self.answer_waiting(Some(StoreError::ReadOnly(
                "the database is read-only: attempts cannot be derived".into(),
            )));
            self.derivation_failed = Some((Instant::now(), DERIVE_BACKOFF_MAX));
            return;
        }
        let derived = sqlite::set_synced_commits(&self.connection, false).and_then(|()| {
            self.synced_commits = false;
            sqlite::derive_attempts(&mut self.connection, attempts)
        });
        // Restored now if it can be; else before the next acknowledged write.
        if !self.synced_commits && sqlite::set_synced_commits(&self.connection, true).is_ok() {
            self.synced_commits = true;
        }
        match derived {
            Ok((through, derived)) => {
                self.derivation_failed = None;
                // Fewer than asked means every attempt there is is derived,
                // even when the newest were deleted behind the server's back.
                let caught_up = if derived < attempts {
                    through.max(target)
                } else {
                    through
                };
                self.derivation
                    .derived_through
                    .store(caught_up, Ordering::Release);
                // Another process's attempts are derived here too.
                self.derivation
                    .recorded_through
                    .fetch_max(caught_up, Ordering::AcqRel);
            }
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "cannot derive attempt statistics");
                let backoff = self
                    .derivation_failed
                    .map_or(DERIVE_BACKOFF_MIN, |(_, last)| {
                        (last * 2).min(DERIVE_BACKOFF_MAX)
                    });
                self.derivation_failed = Some((Instant::now(), backoff));
                self.answer_waiting(Some(error));
            }
        }
    }

    /// Answers those waiting for derivation: with `failure` all of them,
    /// else those whose attempts are now derived.
    fn answer_waiting(&mut self, failure: Option<StoreError>) {
        if let Some(failure) = failure {
            let shared = Arc::new(failure);
            for (_, reply) in self.waiting.drain(..) {
                let _ = reply.send(Err(for_each_caller(&shared)));
            }
            return;
        }
        let derived = self.derivation.derived_through.load(Ordering::Acquire);
        let (done, waiting): (Vec<_>, Vec<_>) = self
            .waiting
            .drain(..)
            .partition(|(target, _)| *target <= derived);
        self.waiting = waiting;
        for (_, reply) in done {
            let _ = reply.send(Ok(()));
        }
    }

    /// Makes the connection sync its commits again if derivation could not:
    /// nothing is acknowledged unless its commit is synced.
    fn sync_commits(&mut self) -> Result<(), StoreError> {
        if !self.synced_commits {
            sqlite::set_synced_commits(&self.connection, true)?;
            self.synced_commits = true;
        }
        Ok(())
    }

    /// Runs and answers one batch, returning whether storage let it write.
    fn commit_batch(&mut self, batch: &mut Vec<Job>) -> WriteHealth {
        let outcomes = match self
            .file
            .check()
            .and_then(|()| self.sync_commits())
            .and_then(|()| self.run_batch(batch))
        {
            Ok(outcomes) => outcomes,
            Err(error) => {
                // Nothing of the batch is stored: every caller gets the error.
                tracing::error!(error = %error_chain(&error), jobs = batch.len(), "write batch failed");
                let shared = Arc::new(error);
                batch
                    .iter()
                    .map(|job| match job {
                        Job::RecordAttempt { .. } => Done::Recorded(Err(for_each_caller(&shared))),
                        Job::ChangeQuestion { .. } => {
                            Done::Changed(Err(for_each_caller(&shared)), (0, 0))
                        }
                        Job::Import { .. } => Done::Imported(Err(for_each_caller(&shared)), (0, 0)),
                        Job::RecordReport { .. } => Done::Reported(Err(for_each_caller(&shared))),
                        Job::ResolveReport { .. } => Done::Resolved(Err(for_each_caller(&shared))),
                    })
                    .collect()
            }
        };
        let storage_failed = outcomes
            .iter()
            .any(|outcome| outcome.failed().is_some_and(StoreError::is_storage_fault));
        // Before any caller hears of its attempt, so that a read it makes
        // next waits for the attempt's statistics.
        if outcomes
            .iter()
            .any(|outcome| matches!(outcome, Done::Recorded(Ok(Recorded::New(_)))))
        {
            match sqlite::newest_attempt(&self.connection) {
                Ok(newest) => {
                    self.derivation
                        .recorded_through
                        .fetch_max(newest, Ordering::AcqRel);
                }
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "cannot read the newest attempt");
                }
            }
        }
        for (job, outcome) in batch.drain(..).zip(outcomes) {
            // The caller may have gone (deadline, cancelled): what was
            // written stays, and a retry finds it.
            match (job, outcome) {
                (Job::RecordAttempt { reply, .. }, Done::Recorded(outcome)) => {
                    let _ = reply.send(outcome);
                }
                (Job::ChangeQuestion { change, reply, .. }, Done::Changed(outcome, generation)) => {
                    // Committed: what it made stale is forgotten before the
                    // caller hears of it, so its next read sees the change.
                    if matches!(outcome, Ok(Ok(Changed::Written(_) | Changed::Deleted))) {
                        self.caches
                            .forget_changed(&[change.question_id().to_owned()], generation);
                    }
                    let _ = reply.send(outcome);
                }
                (Job::Import { dry_run, reply, .. }, Done::Imported(outcome, generation)) => {
                    if let (Ok(Ok(outcomes)), false) = (&outcome, dry_run) {
                        let changed: Vec<String> = outcomes
                            .iter()
                            .filter(|(imported, _)| {
                                matches!(imported, Imported::Created | Imported::Updated)
                            })
                            .map(|(_, question)| question.id.clone())
                            .collect();
                        if !changed.is_empty() {
                            self.caches.forget_changed(&changed, generation);
                        }
                    }
                    let _ = reply.send(outcome);
                }
                // Reports touch nothing the caches hold.
                (Job::RecordReport { reply, .. }, Done::Reported(outcome)) => {
                    let _ = reply.send(outcome);
                }
                (Job::ResolveReport { reply, .. }, Done::Resolved(outcome)) => {
                    let _ = reply.send(outcome);
                }
                // Outcomes are made job by job, in order; a mismatch would be
                // a bug, and its caller then hears that the writer stopped.
                _ => tracing::error!("a write's outcome does not match its job"),
            }
        }
        if storage_failed {
            WriteHealth::Failing
        } else {
            WriteHealth::Healthy
        }
    }

    /// Runs the batch in one transaction. `Err` means the transaction did not
    /// commit; `Ok` holds each job's own outcome.
    fn run_batch(&mut self, batch: &[Job]) -> Result<Vec<Done>, StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for job in batch {
            let _entered = job.span().enter();
            // A savepoint per job, so one failing job leaves the others intact.
            // Cached statements: rusqlite's savepoint() would re-parse its SQL
            // for every job.
            transaction.prepare_cached("SAVEPOINT job")?.execute([])?;
            let done = match job {
                Job::RecordAttempt { answer, .. } => {
                    Done::Recorded(sqlite::record_attempt(&transaction, answer.clone()))
                }
                Job::ChangeQuestion { change, .. } => {
                    let before = sqlite::bank_generation(&transaction)?;
                    let outcome =
                        sqlite::change_question(&transaction, change.clone(), self.card_format);
                    let after = sqlite::bank_generation(&transaction)?;
                    Done::Changed(outcome, (before, after))
                }
                Job::Import {
                    questions,
                    replace_translations,
                    now,
                    ..
                } => {
                    let before = sqlite::bank_generation(&transaction)?;
                    let outcome = sqlite::import_questions(
                        &transaction,
                        questions,
                        *replace_translations,
                        self.card_format,
                        *now,
                    );
                    let after = sqlite::bank_generation(&transaction)?;
                    Done::Imported(outcome, (before, after))
                }
                Job::RecordReport { report, .. } => {
                    Done::Reported(sqlite::record_report(&transaction, report.clone()))
                }
                Job::ResolveReport {
                    resolution,
                    resolve_time,
                    ..
                } => Done::Resolved(sqlite::resolve_report(
                    &transaction,
                    resolution,
                    *resolve_time,
                )),
            };
            // A refused change, and any dry run, leave nothing behind.
            let refused = matches!(
                done,
                Done::Changed(Ok(Err(_)), _) | Done::Imported(Ok(Err(_)), _)
            ) || matches!(job, Job::Import { dry_run: true, .. });
            if let Some(error) = done.failed() {
                tracing::error!(error = %error_chain(error), "a write failed");
            }
            if refused || done.failed().is_some() {
                transaction.prepare_cached("ROLLBACK TO job")?.execute([])?;
            }
            transaction.prepare_cached("RELEASE job")?.execute([])?;
            outcomes.push(done);
        }
        transaction.commit()?;
        Ok(outcomes)
    }
}

/// A copy of the batch's error for one caller, of the same kind, so each
/// caller is told the same thing (busy, disk full, ...).
fn for_each_caller(error: &Arc<StoreError>) -> StoreError {
    let source: BoxError = Box::new(SharedError(error.clone()));
    match **error {
        StoreError::Busy(_) => StoreError::Busy(source),
        StoreError::ReadOnly(_) => StoreError::ReadOnly(source),
        StoreError::DiskFull(_) => StoreError::DiskFull(source),
        StoreError::Io(_) => StoreError::Io(source),
        StoreError::Replaced { ref path } => StoreError::Replaced { path: path.clone() },
        StoreError::WriterStopped => StoreError::WriterStopped,
        StoreError::DataLoss(_) => StoreError::DataLoss(source),
        StoreError::SchemaTooNew { .. } | StoreError::Internal(_) => StoreError::Internal(source),
    }
}

/// One error shared by every job of a failed batch.
#[derive(Debug)]
struct SharedError(Arc<StoreError>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", error_chain(&*self.0))
    }
}

impl std::error::Error for SharedError {}
