//! The writer thread: the one connection that writes, with group commit.
//!
//! Each wake-up takes every job already queued (up to [`MAX_BATCH`]) and runs
//! them in one `BEGIN IMMEDIATE` transaction, each inside its own savepoint so
//! one failing job cannot undo the others. Replies go out only after the
//! commit returns, so every acknowledged attempt is durable. Before each
//! batch it checks that the database file is still the one it opened (see
//! `monitor`): a write into a deleted file would be acknowledged and lost.

use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, watch};

use super::{BoxError, Recorded, StoreError, WriteHealth, monitor::DatabaseFile, sqlite};
use crate::{domain::submission::GradedAnswer, error::error_chain};

/// Bounds the latency one commit adds to the first job of a batch.
const MAX_BATCH: usize = 256;

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
}

/// Starts the writer thread. It stops when every [`super::Store`] handle is gone.
pub(super) fn spawn(
    connection: Connection,
    file: DatabaseFile,
    jobs: mpsc::Receiver<Job>,
    health: Arc<watch::Sender<WriteHealth>>,
) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name("qbank-writer".into())
        .spawn(move || run(connection, &file, jobs, &health))
        .map(drop)
        .map_err(|error| StoreError::Internal(error.into()))
}

fn run(
    mut connection: Connection,
    file: &DatabaseFile,
    mut jobs: mpsc::Receiver<Job>,
    health: &watch::Sender<WriteHealth>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit_batch(&mut connection, file, &mut batch);
        health.send_if_modified(|current| {
            let changed = *current != outcome;
            *current = outcome;
            changed
        });
    }
}

/// Runs and answers one batch, returning whether storage let it write.
fn commit_batch(
    connection: &mut Connection,
    file: &DatabaseFile,
    batch: &mut Vec<Job>,
) -> WriteHealth {
    let outcomes = match file.check().and_then(|()| run_batch(connection, batch)) {
        Ok(outcomes) => outcomes,
        Err(error) => {
            // Nothing of the batch is stored: every caller gets the error.
            tracing::error!(error = %error_chain(&error), jobs = batch.len(), "write batch failed");
            let shared = Arc::new(error);
            batch
                .iter()
                .map(|_| Err(for_each_caller(&shared)))
                .collect()
        }
    };
    let storage_failed = outcomes
        .iter()
        .any(|outcome| outcome.as_ref().is_err_and(StoreError::is_storage_fault));
    for (job, outcome) in batch.drain(..).zip(outcomes) {
        let Job::RecordAttempt { reply, .. } = job;
        // The caller may have gone (deadline, cancelled): the attempt is
        // stored regardless, and a retry with its request id finds it.
        let _ = reply.send(outcome);
    }
    if storage_failed {
        WriteHealth::Failing
    } else {
        WriteHealth::Healthy
    }
}

/// Runs the batch in one transaction. `Err` means the transaction did not
/// commit; `Ok` holds each job's own outcome.
fn run_batch(
    connection: &mut Connection,
    batch: &[Job],
) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let Job::RecordAttempt { answer, span, .. } = job;
        let _entered = span.enter();
        // A savepoint per job, so one failing job leaves the others intact.
        // Cached statements: rusqlite's savepoint() would re-parse its SQL
        // for every job.
        transaction.prepare_cached("SAVEPOINT job")?.execute([])?;
        let outcome = sqlite::record_attempt(&transaction, answer.clone());
        if let Err(error) = &outcome {
            tracing::error!(error = %error_chain(error), "recording an attempt failed");
            transaction.prepare_cached("ROLLBACK TO job")?.execute([])?;
        }
        transaction.prepare_cached("RELEASE job")?.execute([])?;
        outcomes.push(outcome);
    }
    transaction.commit()?;
    Ok(outcomes)
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
