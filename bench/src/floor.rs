//! What SQLite alone costs per call on the bank's database: the floor under
//! qbank's figures.
//!
//! Any server that reads each call's data from this schema does at least this
//! much work per call on top of what the constant baseline does, so the
//! baseline's CPU per call plus the floor bounds the ratio such a server
//! could reach, with no logging, no validation and no conversion at all.
//! Only data held in memory instead escapes it (qbank caches cards; a write
//! cannot escape it). Each operation runs alone on one
//! thread, as directly as rusqlite allows, on the connection settings the
//! server uses; the cost is the thread's CPU time, kernel time included,
//! which is what the server's CPU per call counts too.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use rusqlite::{Connection, OpenFlags, TransactionBehavior, config::DbConfig, params};

use crate::{BenchResult, bank, workload};

/// Page cache of a qbank read connection (`READER_CACHE_KIB` in the server).
const READER_CACHE_KIB: i64 = 8 * 1024;
/// Distinct questions the attempts are drawn from, generated before timing
/// starts so generating them is not counted.
const ANSWERED_QUESTIONS: usize = 4_096;
/// Questions on a ListQuestions page of the benchmark.
const PAGE_SIZE: usize = workload::PAGE_SIZE as usize;

/// CPU per operation of the storage work under each RPC.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StorageFloor {
    /// A random question's stored card: all GetQuestion needs from storage.
    pub(crate) card_read: Duration,
    /// The cards of a random page of the bench's category+tag listing, and
    /// the row after it that says another page follows: ListQuestions' read.
    pub(crate) page_read: Duration,
    /// The columns a random question is graded with: SubmitAnswer's read.
    pub(crate) grading_read: Duration,
    /// One attempt inserted, its commit shared by `batch` attempts and synced
    /// (`synchronous=FULL`): SubmitAnswer's write under group commit.
    pub(crate) durable_attempt: Duration,
    /// Attempts per commit: every call in flight, the most any batch holds.
    pub(crate) batch: usize,
}

/// Measures each operation for `duration` after `warmup`, on the bank of
/// `bank` questions at `db`. Records attempts in the bank: run it last.
pub(crate) fn measure(
    db: &Path,
    bank: usize,
    batch: usize,
    warmup: Duration,
    duration: Duration,
) -> BenchResult<StorageFloor> {
    let mut rng = fastrand::Rng::new();
    let reader = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    keep_statements_prepared(&reader)?;
    reader.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    let card_read = per_operation(warmup, duration, || {
        let id = bank::question_id(rng.usize(..bank));
        let card: Vec<u8> = reader
            .prepare_cached("SELECT card FROM question_cards WHERE question_id = ?1")?
            .query_row([id], |row| row.get(0))?;
        Ok(card.len() as u64)
    })?;
    let page_starts = page_starts(&reader)?;
    let page_read = per_operation(warmup, duration, || {
        let after = &page_starts[rng.usize(..page_starts.len())];
        let mut statement = reader.prepare_cached(
            "SELECT c.card FROM question_tags t
             CROSS JOIN question_cards c ON c.question_id = t.question_id
             WHERE t.tag = ?1 AND t.category = ?2 AND t.question_id > ?3
             ORDER BY t.question_id LIMIT ?4",
        )?;
        let mut rows = statement.query(params![
            bank::LIST_TAG,
            bank::LIST_CATEGORY,
            after,
            workload::PAGE_SIZE + 1
        ])?;
        let mut page: Vec<Vec<u8>> = Vec::with_capacity(PAGE_SIZE + 1);
        while let Some(row) = rows.next()? {
            page.push(row.get(0)?);
        }
        Ok(page.len() as u64)
    })?;
    let grading_read = per_operation(warmup, duration, || {
        let id = bank::question_id(rng.usize(..bank));
        let columns: (String, String, String, String, i64) = reader
            .prepare_cached(
                "SELECT type, choices, correct_choice_keys, explanation, revision
                 FROM questions WHERE id = ?1",
            )?
            .query_row([id], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })?;
        Ok(columns.3.len() as u64 + columns.4 as u64)
    })?;

    let mut writer = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    keep_statements_prepared(&writer)?;
    writer.pragma_update(None, "synchronous", "FULL")?;
    writer.pragma_update(None, "foreign_keys", "ON")?;
    // Since migration 0006 an attempt refers to its revision instead of
    // copying the answer key and explanation.
    let answered: Vec<String> = (0..ANSWERED_QUESTIONS)
        .map(|_| bank::question(rng.usize(..bank)).id)
        .collect();
    let requests = fastrand::u64(..);
    let mut sequence = 0_u64;
    let per_commit = per_operation(warmup, duration, || {
        let transaction = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for _ in 0..batch {
            sequence += 1;
            let id = &answered[rng.usize(..answered.len())];
            transaction
                .prepare_cached(
                    "INSERT INTO attempts (question_id, question_revision, choice_keys, correct,
                         score, respondent_id, request_id, submit_time, public_id)
                     VALUES (?1, 1, '[\"A\"]', 1, 1.0, ?2, ?3, ?4, ?5)
                     ON CONFLICT (request_id) DO NOTHING
                     RETURNING id",
                )?
                .query_row(
                    params![
                        id,
                        format!("bench-{}", sequence % 1_000),
                        format!("floor-{requests:016x}-{sequence}"),
                        1_767_225_600_000_000_i64 + sequence as i64,
                        // The server's UUIDv7, as 16 bytes (migration 0005).
                        fastrand::u128(..).to_be_bytes().as_slice(),
                    ],
                    |row| row.get::<_, i64>(0),
                )?;
        }
        transaction.commit()?;
        Ok(sequence)
    })?;
    Ok(StorageFloor {
        card_read,
        page_read,
        grading_read,
        durable_attempt: per_commit / u32::try_from(batch)?,
        batch,
    })
}

/// As the server's connections do: without the query planner stability
/// guarantee, the page's `LIMIT ?` statement is compiled anew on every call
/// (see `keep_statements_prepared` in the server).
fn keep_statements_prepared(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Where each page of the bench's category+tag listing starts: after the
/// last id of the page before it (the first page: after the empty string).
fn page_starts(reader: &Connection) -> BenchResult<Vec<String>> {
    let ids = reader
        .prepare(
            "SELECT question_id FROM question_tags WHERE tag = ?1 AND category = ?2
             ORDER BY question_id",
        )?
        .query_map([bank::LIST_TAG, bank::LIST_CATEGORY], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let last = ids.last().cloned();
    let mut starts = vec![String::new()];
    starts.extend(ids.into_iter().skip(PAGE_SIZE - 1).step_by(PAGE_SIZE));
    // A listing of a multiple of the page size has no page after its last id.
    if starts.last() == last.as_ref() {
        starts.pop();
    }
    Ok(starts)
}

/// Runs `operation` for `warmup`, then for `duration`, and returns this
/// thread's CPU time per operation in the second part. The operation returns
/// something derived from its result, so none of its work can be optimised
/// away.
fn per_operation(
    warmup: Duration,
    duration: Duration,
    mut operation: impl FnMut() -> BenchResult<u64>,
) -> BenchResult<Duration> {
    let mut sink = 0_u64;
    let mut run = |length: Duration| -> BenchResult<u32> {
        let mut operations = 0_u32;
        let started = Instant::now();
        while started.elapsed() < length {
            sink = sink.wrapping_add(operation()?);
            operations += 1;
        }
        Ok(operations)
    };
    run(warmup)?;
    let cpu_before = thread_cpu_time()?;
    let operations = run(duration)?;
    let cpu = thread_cpu_time()? - cpu_before;
    std::hint::black_box(sink);
    Ok(cpu / operations.max(1))
}

/// CPU time this thread has used, user and kernel, at nanosecond resolution
/// (`/proc/<pid>/stat` counts in ticks of 10 ms).
fn thread_cpu_time() -> BenchResult<Duration> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let nanos = schedstat
        .split_whitespace()
        .next()
        .ok_or("empty /proc/thread-self/schedstat")?
        .parse()?;
    Ok(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_does_each_operation_on_the_bank_and_records_the_attempts() -> BenchResult<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("bank.db");
        bank::build(&db, 50, 0)?;
        let short = Duration::from_millis(20);

        let floor = measure(&db, 50, 8, short, short)?;

        assert!(floor.card_read > Duration::ZERO, "{floor:?}");
        assert!(floor.page_read > Duration::ZERO, "{floor:?}");
        assert!(floor.grading_read > Duration::ZERO, "{floor:?}");
        assert!(floor.durable_attempt > Duration::ZERO, "{floor:?}");
        let recorded: i64 =
            Connection::open(&db)?
                .query_row("SELECT count(*) FROM attempts", [], |row| row.get(0))?;
        assert!(recorded > 0 && recorded % 8 == 0, "{recorded} attempts");
        Ok(())
    }
}
