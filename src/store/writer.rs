//! The writer thread: the one connection that writes, with group commit.
//!
//! Each wake-up takes every job already queued (up to [`MAX_BATCH`]) and runs
//! them in one `BEGIN IMMEDIATE` transaction, each inside its own savepoint so
//! one failing job cannot undo the others. Replies go out only after the
//! commit returns, so every acknowledged attempt is durable. Before each
//! batch it checks that the database file is still the one it opened (see
//! `monitor`): a write into a deleted file would be acknowledged and lost.

use std::{sync::Arc, time::SystemTime};

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
    pub(super) jobs: mpsc::Receiver<Job>,
    pub(super) health: Arc<watch::Sender<WriteHealth>>,
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
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = self.jobs.blocking_recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match self.jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let outcome = self.commit_batch(&mut batch);
            self.health.send_if_modified(|current| {
                let changed = *current != outcome;
                *current = outcome;
                changed
            });
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

    /// Runs and answers one batch, returning whether storage let it write.
    fn commit_batch(&mut self, batch: &mut Vec<Job>) -> WriteHealth {
        let outcomes = match self.file.check().and_then(|()| self.run_batch(batch)) {
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
