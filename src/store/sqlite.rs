//! SQLite: connections, pragmas, and every statement the service runs.

use std::{path::Path, time::Duration};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension as _, Row, TransactionBehavior, config::DbConfig,
    params, params_from_iter, types::Value,
};
use serde::{Deserialize, Serialize};

use super::{
    Changed, ImportOutcomes, Imported, Page, QuestionChange, Recorded, Reported, SearchPage,
    StoreError, from_unix_micros,
    search_index::{SearchDocument, facet_terms},
    to_unix_micros,
};
use crate::domain::{
    authoring::{ChangeRefused, QuestionEdit, check_revision},
    card::{Card, CardFormat, Rendering},
    counts::{CategoryCount, TagCount, fold_categories, sort_tags},
    listing::QuestionFilter,
    page_token::SIGNING_KEY_LEN,
    question::{AnswerKey, Choice, Difficulty, Question, QuestionType, Translation},
    report::{
        QuestionReport, ReportFilter, ReportPosition, ReportReason, ReportState, Resolution,
        ResolveRefused,
    },
    search::SearchQuery,
    statistics::{AttemptTotals, RespondentFirst},
    submission::{Attempt, GradedAnswer},
};

/// Read connections, shared by all callers.
pub(super) type ReaderPool = r2d2::Pool<SqliteConnectionManager>;

/// Read connections: one for each scan [`SCANS_IN_FLIGHT`] allows, plus one
/// for each async worker of the runtime opening the store, which holds at
/// most one at a time for an inline read. With fewer, an inline read could
/// wait for a connection while blocking its worker (a fixed eight did on
/// machines with more than four CPUs). Each holds its own page cache, so more
/// would mostly add memory.
fn reader_pool_size() -> u32 {
    let workers = tokio::runtime::Handle::try_current().map_or_else(
        |_| std::thread::available_parallelism().map_or(1, usize::from),
        |runtime| runtime.metrics().num_workers(),
    );
    u32::try_from(SCANS_IN_FLIGHT + workers).unwrap_or(u32::MAX)
}
/// Scans (listings) running at once on blocking threads. More callers wait
/// asynchronously for a turn instead of each parking a thread on the pool:
/// threads, their allocator arenas and page caches are what made peak memory
/// grow with the number of pages in flight.
pub(super) const SCANS_IN_FLIGHT: usize = 4;
/// Most page cache each read connection keeps, in KiB. SQLite's default of
/// 2 MiB could not hold the pages of even one popular filtered listing, so
/// its rows came from the kernel one `pread` at a time (17% of a page's CPU).
const READER_CACHE_KIB: i64 = 8 * 1024;
/// What all of SQLite's memory together should stay under, in bytes: past
/// it, connections recycle their cached pages instead of growing. This, not
/// pool size × [`READER_CACHE_KIB`], bounds the caches: on a machine with
/// many workers, many warm connections share it and each keeps less.
const SQLITE_SOFT_HEAP_LIMIT: i64 = 24 * 1024 * 1024;
/// Distinct statements per connection worth keeping prepared: the fixed ones
/// plus the common filter combinations of a listing.
const STATEMENT_CACHE_CAPACITY: usize = 64;

const INITIAL_BANK_LOADED: &str = "initial_bank_loaded";
const PAGE_TOKEN_KEY: &str = "page_token_key";
/// The fingerprint of the format the stored cards were rendered in.
const CARD_FORMAT: &str = "card_format";

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        // r2d2 only fails a checkout when every connection stayed busy past
        // its timeout, or a new connection could not be opened.
        Self::Busy(error.into())
    }
}

/// How the database file is opened: normally, or read-only when the file or
/// its file system cannot be written (reads keep working, writes then fail
/// with `ReadOnly` and callers get UNAVAILABLE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Access {
    /// Read-write, created if missing.
    ReadWrite,
    /// Read-only, through this SQLite URI.
    ReadOnly {
        /// `file:...?mode=ro`, or `?immutable=1` where even the WAL index
        /// cannot be created (a read-only file system, which nobody writes).
        uri: String,
    },
}

/// Opens the one connection that writes, and says how it was opened.
///
/// WAL lets readers proceed while the writer commits; `synchronous=FULL`
/// syncs the WAL on every commit, so an acknowledged attempt survives a power
/// loss, not only a process crash (see README, "Durability").
pub(super) fn open_writer(
    path: &Path,
    busy_timeout: Duration,
) -> Result<(Connection, Access), StoreError> {
    if file_is_read_only(path) {
        return open_read_only(path, busy_timeout);
    }
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(busy_timeout)?;
    let journal_mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !journal_mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Internal(
            format!("the database refused WAL mode (journal_mode is {journal_mode})").into(),
        ));
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    bound_sqlite_memory(&connection)?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    keep_statements_prepared(&connection)?;
    Ok((connection, Access::ReadWrite))
}

/// An existing file this process may not write (permissions, read-only mount).
fn file_is_read_only(path: &Path) -> bool {
    use std::io::ErrorKind;
    path.exists()
        && std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .is_err_and(|error| {
                matches!(
                    error.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
                )
            })
}

fn open_read_only(path: &Path, busy_timeout: Duration) -> Result<(Connection, Access), StoreError> {
    let file = file_uri(path);
    let mut last_error = None;
    // `mode=ro` still shares the WAL index with writers elsewhere; only when
    // that index cannot even be created is the file treated as immutable.
    for uri in [format!("{file}?mode=ro"), format!("{file}?immutable=1")] {
        let opened = Connection::open_with_flags(&uri, read_only_flags()).and_then(|connection| {
            connection.busy_timeout(busy_timeout)?;
            // Opening is lazy: a first read shows whether the file is usable.
            connection.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(connection)
        });
        match opened {
            Ok(connection) => {
                tracing::warn!(
                    path = %path.display(),
                    "the database file is read-only: serving reads, refusing writes"
                );
                bound_sqlite_memory(&connection)?;
                keep_statements_prepared(&connection)?;
                return Ok((connection, Access::ReadOnly { uri }));
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.map_or_else(
        || StoreError::Internal("cannot open the database read-only".into()),
        StoreError::from,
    ))
}

/// Sets [`SQLITE_SOFT_HEAP_LIMIT`]. The limit is process-wide: whichever
/// store opens last sets it for all (they all set the same value).
fn bound_sqlite_memory(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "soft_heap_limit", SQLITE_SOFT_HEAP_LIMIT)
}

/// Keeps each statement compiled once per connection and reused.
///
/// The query planner stability guarantee matters as much as the cache: without
/// it, SQLite marks a statement whose plan could depend on a bound value (a
/// `LIMIT ?`, a compared column) as expired whenever its bindings are cleared,
/// which rusqlite's cache does on every return, so each call recompiled the
/// statement (13% of a listing's CPU in the profile). Our plans never depend
/// on the values: the indexes decide them.
fn keep_statements_prepared(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

fn read_only_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

/// `file:` URI of `path`, escaping what a URI would misread.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for character in path.to_string_lossy().chars() {
        match character {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            other => uri.push(other),
        }
    }
    uri
}

/// Opens the read pool. Readers are `query_only`, so a bug cannot turn a read
/// path into a write that bypasses the writer.
pub(super) fn open_readers(
    path: &Path,
    access: &Access,
    busy_timeout: Duration,
) -> Result<ReaderPool, StoreError> {
    let manager = match access {
        Access::ReadWrite => SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX),
        Access::ReadOnly { uri } => {
            SqliteConnectionManager::file(uri).with_flags(read_only_flags())
        }
    }
    .with_init(move |connection| {
        connection.busy_timeout(busy_timeout)?;
        connection.pragma_update(None, "query_only", "ON")?;
        connection.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
        keep_statements_prepared(connection)?;
        Ok(())
    });
    r2d2::Pool::builder()
        .max_size(reader_pool_size())
        .min_idle(Some(2))
        .connection_timeout(busy_timeout)
        // A checkout test costs a statement per read; a broken connection
        // shows up as an error on the read itself anyway.
        .test_on_check_out(false)
        .build(manager)
        .map_err(|error| StoreError::Internal(error.into()))
}

/// Loads `bank` if no bank was ever loaded into this database and it holds
/// no questions. Runs once per database: a restart never duplicates or
/// overwrites questions, and a bank the operator emptied stays empty.
pub(super) fn load_initial_bank(
    connection: &mut Connection,
    bank: &[Question],
) -> Result<(), StoreError> {
    // Checked before any write, so a database that is already set up opens
    // even from a read-only file.
    if initial_bank_loaded(connection)? {
        return Ok(());
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Checked again under the write lock: another server may have loaded it.
    if !initial_bank_loaded(&transaction)? {
        for question in bank {
            insert_question(&transaction, question)?;
            index_question(&transaction, question)?;
        }
        transaction.execute(
            "INSERT INTO server_state (name, value) VALUES (?1, x'01')",
            [INITIAL_BANK_LOADED],
        )?;
        tracing::info!(questions = bank.len(), "loaded the initial bank");
    }
    transaction.commit()?;
    Ok(())
}

/// Whether a bank was ever loaded, or questions exist some other way.
fn initial_bank_loaded(connection: &Connection) -> Result<bool, StoreError> {
    let loaded = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM server_state WHERE name = ?1)
             OR EXISTS (SELECT 1 FROM questions)",
        [INITIAL_BANK_LOADED],
        |row| row.get(0),
    )?;
    Ok(loaded)
}

/// The page-token signing key, created on first use and kept in the database
/// so tokens stay valid across restarts.
pub(super) fn page_token_key(
    connection: &mut Connection,
) -> Result<[u8; SIGNING_KEY_LEN], StoreError> {
    if let Some(key) = stored_page_token_key(connection)? {
        return Ok(key);
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = match stored_page_token_key(&transaction)? {
        Some(key) => key,
        None => {
            let mut key = [0; SIGNING_KEY_LEN];
            getrandom::fill(&mut key).map_err(|error| {
                StoreError::Internal(format!("cannot generate a signing key: {error}").into())
            })?;
            transaction.execute(
                "INSERT INTO server_state (name, value) VALUES (?1, ?2)",
                params![PAGE_TOKEN_KEY, key.as_slice()],
            )?;
            key
        }
    };
    transaction.commit()?;
    Ok(key)
}

/// A value the server keeps about itself in `server_state`.
fn server_state(connection: &Connection, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let value = connection
        .query_row(
            "SELECT value FROM server_state WHERE name = ?1",
            [name],
            |row| row.get(0),
        )
        .optional()?;
    Ok(value)
}

fn stored_page_token_key(
    connection: &Connection,
) -> Result<Option<[u8; SIGNING_KEY_LEN]>, StoreError> {
    server_state(connection, PAGE_TOKEN_KEY)?
        .map(|bytes| {
            <[u8; SIGNING_KEY_LEN]>::try_from(bytes.as_slice())
                .map_err(|_| StoreError::Internal("the stored page-token key is damaged".into()))
        })
        .transpose()
}

/// Makes sure every question's card is stored in `format`, and says whether
/// they are. Cards of another format (another qbank release or contract), or
/// vouched for by none because questions changed (migration 0004), are
/// rendered again, all in one transaction.
///
/// Rendering needs the write lock. When the file is read-only, or the lock,
/// the disk or its permissions refuse, the server still starts: the cards are
/// left as they are and listings decode questions instead, as reads must keep
/// working while writes fail.
pub(super) fn prepare_cards(
    connection: &mut Connection,
    access: &Access,
    format: &CardFormat,
) -> Result<bool, StoreError> {
    if stored_card_format(connection)? == Some(format.fingerprint) {
        return Ok(true);
    }
    if *access != Access::ReadWrite {
        tracing::warn!(
            "the stored cards are out of date and the file is read-only: questions are encoded \
             on every call"
        );
        return Ok(false);
    }
    match render_cards(connection, format) {
        Ok(()) => Ok(true),
        Err(error) if error.is_storage_fault() => {
            tracing::warn!(
                error = %crate::error::error_chain(&error),
                "cannot render the questions' cards: questions are encoded on every call"
            );
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

fn render_cards(connection: &mut Connection, format: &CardFormat) -> Result<(), StoreError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Checked again under the write lock: another server may have rendered
    // them meanwhile.
    if stored_card_format(&transaction)? == Some(format.fingerprint) {
        return Ok(());
    }
    transaction.execute("DELETE FROM question_cards", [])?;
    let mut rendered = 0_usize;
    {
        let mut questions =
            // Deleted questions have no cards: a card is served without
            // looking at the question again.
            transaction.prepare(&format!(
                "SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.delete_time IS NULL"
            ))?;
        for question in questions.query_map([], question_from_row)? {
            write_card(&transaction, &Card::render(&question?, format))?;
            rendered += 1;
        }
    }
    transaction.execute(
        "INSERT INTO server_state (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![CARD_FORMAT, format.fingerprint.as_slice()],
    )?;
    transaction.commit()?;
    tracing::info!(questions = rendered, "rendered the questions' cards");
    Ok(())
}

fn stored_card_format(connection: &Connection) -> Result<Option<[u8; 32]>, StoreError> {
    // A value of another length is no fingerprint this code wrote: render again.
    Ok(server_state(connection, CARD_FORMAT)?
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok()))
}

#[derive(Serialize, Deserialize)]
struct StoredChoice {
    key: String,
    text: String,
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Internal(error.into()))
}

#[derive(Serialize, Deserialize)]
struct StoredTranslation {
    language: String,
    stem: String,
    choices: Vec<StoredChoice>,
    explanation: String,
}

fn stored_choices(choices: &[Choice]) -> Vec<StoredChoice> {
    choices
        .iter()
        .map(|choice| StoredChoice {
            key: choice.key.clone(),
            text: choice.text.clone(),
        })
        .collect()
}

fn domain_choices(choices: Vec<StoredChoice>) -> Vec<Choice> {
    choices
        .into_iter()
        .map(|choice| Choice {
            key: choice.key,
            text: choice.text,
        })
        .collect()
}

/// The JSON a question's choices are stored as.
fn choices_json(question: &Question) -> Result<String, StoreError> {
    to_json(&stored_choices(&question.choices))
}

/// The JSON a question's translations are stored as.
fn translations_json(question: &Question) -> Result<String, StoreError> {
    let translations: Vec<StoredTranslation> = question
        .translations
        .iter()
        .map(|translation| StoredTranslation {
            language: translation.language.clone(),
            stem: translation.stem.clone(),
            choices: stored_choices(&translation.choices),
            explanation: translation.explanation.clone(),
        })
        .collect();
    to_json(&translations)
}

/// Stores a new question: its current row, its first revision and its tags.
/// Its card follows when the store opens ([`prepare_cards`]), or from the
/// writer's change, which writes it in the same transaction.
pub(super) fn insert_question(
    connection: &Connection,
    question: &Question,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO questions (id, type, stem, choices, correct_choice_keys, explanation,
                 difficulty, category, tags, language, revision, create_time, update_time,
                 translations)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            question.id,
            question.question_type.as_str(),
            question.stem,
            choices_json(question)?,
            to_json(&question.answer.correct_choice_keys)?,
            question.answer.explanation,
            question.difficulty.as_str(),
            question.category,
            to_json(&question.tags)?,
            question.language,
            question.revision,
            to_unix_micros(question.create_time),
            to_unix_micros(question.update_time),
            translations_json(question)?,
        ])?;
    insert_revision(connection, question)?;
    insert_tags(connection, question)
}

/// Writes `question` as its current row (whose id exists) and its new
/// revision, and replaces its tags.
pub(super) fn update_question(
    connection: &Connection,
    question: &Question,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "UPDATE questions SET type = ?2, stem = ?3, choices = ?4, correct_choice_keys = ?5,
                 explanation = ?6, difficulty = ?7, category = ?8, tags = ?9, language = ?10,
                 revision = ?11, update_time = ?12, translations = ?13
             WHERE id = ?1",
        )?
        .execute(params![
            question.id,
            question.question_type.as_str(),
            question.stem,
            choices_json(question)?,
            to_json(&question.answer.correct_choice_keys)?,
            question.answer.explanation,
            question.difficulty.as_str(),
            question.category,
            to_json(&question.tags)?,
            question.language,
            question.revision,
            to_unix_micros(question.update_time),
            translations_json(question)?,
        ])?;
    insert_revision(connection, question)?;
    delete_tags(connection, &question.id)?;
    insert_tags(connection, question)
}

/// Makes `change` inside the writer's transaction; the checks come before
/// any write, so a refused change writes nothing. A change that writes the
/// question writes its card too (when there is a card format).
pub(super) fn change_question(
    connection: &Connection,
    change: QuestionChange,
    card_format: Option<CardFormat>,
) -> Result<Result<Changed, ChangeRefused>, StoreError> {
    // Everything derived from the question follows it in this transaction:
    // its search row always, its cards when there is a card format.
    let write_card_of = |question: &Question| {
        index_question(connection, question)?;
        match card_format {
            Some(format) => write_card(connection, &Card::render(question, &format)),
            None => Ok(()),
        }
    };
    let stored = stored_question(connection, change.question_id())?;
    let changed = match (change, stored) {
        (QuestionChange::Create(question), Stored::Absent) => {
            insert_question(connection, &question)?;
            write_card_of(&question)?;
            Changed::Written(question)
        }
        (QuestionChange::Create(question), _) => {
            return Ok(Err(ChangeRefused::AlreadyExists(question.id)));
        }
        (
            QuestionChange::Update {
                id,
                expected_revision,
                edit,
                now,
            },
            Stored::Live(current),
        ) => {
            if let Err(refused) = check_revision(&id, expected_revision, current.revision) {
                return Ok(Err(refused));
            }
            match edit.apply(&current, now) {
                Err(invalid) => return Ok(Err(ChangeRefused::Invalid(invalid))),
                Ok(None) => Changed::Unchanged(current),
                Ok(Some(edited)) => {
                    update_question(connection, &edited)?;
                    write_card_of(&edited)?;
                    Changed::Written(edited)
                }
            }
        }
        (
            QuestionChange::Delete {
                id,
                expected_revision,
                now,
            },
            Stored::Live(current),
        ) => {
            if let Err(refused) = check_revision(&id, expected_revision, current.revision) {
                return Ok(Err(refused));
            }
            mark_deleted(connection, &id, now)?;
            Changed::Deleted
        }
        (QuestionChange::Undelete { .. }, Stored::Deleted(question)) => {
            mark_undeleted(connection, &question)?;
            write_card_of(&question)?;
            Changed::Written(question)
        }
        (QuestionChange::Undelete { id }, Stored::Live(_)) => {
            return Ok(Err(ChangeRefused::NotDeleted(id)));
        }
        (change, _) => {
            return Ok(Err(ChangeRefused::NotFound(
                change.question_id().to_owned(),
            )));
        }
    };
    Ok(Ok(changed))
}

/// Imports `questions` inside the writer's transaction: new ones are
/// created, changed ones move to their next revision, the same ones stay,
/// deleted ones stay deleted. Each outcome comes back in file order. Unless
/// `replace_translations`, a question keeps its stored translations, and
/// the first whose new content they no longer fit refuses the import.
pub(super) fn import_questions(
    connection: &Connection,
    questions: &[Question],
    replace_translations: bool,
    card_format: Option<CardFormat>,
    now: std::time::SystemTime,
) -> Result<ImportOutcomes, StoreError> {
    let mut outcomes = Vec::with_capacity(questions.len());
    for question in questions {
        let change = match stored_question(connection, &question.id)? {
            Stored::Absent => QuestionChange::Create(question.clone()),
            Stored::Deleted(current) => {
                outcomes.push((Imported::Skipped, current));
                continue;
            }
            Stored::Live(_) => {
                let mut edit = QuestionEdit::replacing(question.clone());
                if !replace_translations {
                    edit.translations = None;
                }
                QuestionChange::Update {
                    id: question.id.clone(),
                    expected_revision: 0,
                    edit,
                    now,
                }
            }
        };
        let created = matches!(change, QuestionChange::Create(_));
        let outcome = match change_question(connection, change, card_format)? {
            Ok(Changed::Written(written)) if created => (Imported::Created, written),
            Ok(Changed::Written(written)) => (Imported::Updated, written),
            Ok(Changed::Unchanged(current)) => (Imported::Unchanged, current),
            Err(refused) => return Ok(Err((question.id.clone(), refused))),
            // Neither a create nor an update answers that it deleted.
            Ok(Changed::Deleted) => {
                return Err(StoreError::Internal(
                    format!("importing question {:?} deleted it", question.id).into(),
                ));
            }
        };
        outcomes.push(outcome);
    }
    Ok(Ok(outcomes))
}

/// How often the bank's questions changed, by any process (migration 0006).
pub(super) fn bank_generation(connection: &Connection) -> Result<i64, StoreError> {
    let generation = connection
        .prepare_cached("SELECT generation FROM bank_generation")?
        .query_row([], |row| row.get(0))?;
    Ok(generation)
}

/// SQLite's count of commits by other connections, as this one sees it.
pub(super) fn data_version(connection: &Connection) -> Result<i64, StoreError> {
    Ok(connection.pragma_query_value(None, "data_version", |row| row.get(0))?)
}

/// The monitor's own read connection: `data_version` counts commits by
/// other connections as one connection sees them, so it needs one of its
/// own. Opened read-write (but `query_only`, like the readers) because the
/// last connection to close checkpoints the WAL and removes it; a read-only
/// one closing last would leave the whole WAL for the next start to replay.
pub(super) fn open_watcher(path: &Path, access: &Access) -> Result<Connection, StoreError> {
    let connection = match access {
        Access::ReadWrite => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?,
        Access::ReadOnly { uri } => Connection::open_with_flags(uri, read_only_flags())?,
    };
    connection.pragma_update(None, "query_only", "ON")?;
    Ok(connection)
}

/// Hides a question (soft delete): its tag rows and card go, so no listing
/// walks it; its row, revisions and attempts stay.
pub(super) fn mark_deleted(
    connection: &Connection,
    question_id: &str,
    delete_time: std::time::SystemTime,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE questions SET delete_time = ?2 WHERE id = ?1")?
        .execute(params![question_id, to_unix_micros(delete_time)])?;
    delete_tags(connection, question_id)?;
    delete_card(connection, question_id)?;
    unindex_question(connection, question_id)
}

/// Makes the search row of a live question match it (migration 0007).
fn index_question(connection: &Connection, question: &Question) -> Result<(), StoreError> {
    let document = SearchDocument::of(question);
    let search_rowid: i64 = connection
        .prepare_cached(
            "INSERT INTO question_search_rows (question_id) VALUES (?1)
             ON CONFLICT (question_id) DO UPDATE SET question_id = excluded.question_id
             RETURNING search_rowid",
        )?
        .query_row([&question.id], |row| row.get(0))?;
    connection
        .prepare_cached("DELETE FROM question_search WHERE rowid = ?1")?
        .execute([search_rowid])?;
    connection
        .prepare_cached(
            "INSERT INTO question_search (rowid, facets, shown, explained)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            search_rowid,
            document.facets,
            document.shown,
            document.explained
        ])?;
    connection
        .prepare_cached("DELETE FROM question_search_pending WHERE question_id = ?1")?
        .execute([&question.id])?;
    Ok(())
}

/// Takes a question out of the search index (it was deleted).
fn unindex_question(connection: &Connection, question_id: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "DELETE FROM question_search WHERE rowid IN
                 (SELECT search_rowid FROM question_search_rows WHERE question_id = ?1)",
        )?
        .execute([question_id])?;
    connection
        .prepare_cached("DELETE FROM question_search_pending WHERE question_id = ?1")?
        .execute([question_id])?;
    Ok(())
}

/// Indexes the questions whose search rows may not match them: all of them
/// after migration 0007 or the initial bank's load, else those something
/// other than a server changed. Like the cards, this needs the write lock:
/// when it cannot be had, the server still starts and those questions are
/// found by their old text (or not at all) until a writable start.
pub(super) fn index_pending(
    connection: &mut Connection,
    access: &Access,
) -> Result<(), StoreError> {
    if *access != Access::ReadWrite {
        return Ok(());
    }
    let has_pending: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM question_search_pending)",
        [],
        |row| row.get(0),
    )?;
    if !has_pending {
        return Ok(());
    }
    let indexed = (|| {
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let pending: Vec<String> = transaction
            .prepare("SELECT question_id FROM question_search_pending")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for question_id in &pending {
            match stored_question(&transaction, question_id) {
                Ok(Stored::Live(question)) => index_question(&transaction, &question)?,
                Ok(Stored::Deleted(_) | Stored::Absent) => {
                    unindex_question(&transaction, question_id)?;
                }
                // Served as damaged (DATA_LOSS) by id; left pending, so it
                // is indexed once repaired.
                Err(StoreError::DataLoss(cause)) => tracing::warn!(
                    question_id,
                    error = %cause,
                    "cannot index a damaged question for search"
                ),
                Err(error) => return Err(error),
            }
        }
        // Another server on this file may have ranked searches on the old
        // rows: the move makes it forget them.
        transaction.execute("UPDATE bank_generation SET generation = generation + 1", [])?;
        transaction.commit()?;
        Ok::<_, StoreError>(pending.len())
    })();
    match indexed {
        Ok(questions) => {
            tracing::info!(questions, "indexed questions for search");
            Ok(())
        }
        Err(error) if error.is_storage_fault() => {
            tracing::warn!(
                error = %crate::error::error_chain(&error),
                "cannot index changed questions for search: they are found by their old text"
            );
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Shows a deleted question again, as it was.
pub(super) fn mark_undeleted(
    connection: &Connection,
    question: &Question,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE questions SET delete_time = NULL WHERE id = ?1")?
        .execute([&question.id])?;
    insert_tags(connection, question)
}

fn insert_revision(connection: &Connection, question: &Question) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO question_revisions (question_id, revision, type, stem, choices,
                 correct_choice_keys, explanation, difficulty, category, tags, language,
                 create_time, update_time, translations)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            question.id,
            question.revision,
            question.question_type.as_str(),
            question.stem,
            choices_json(question)?,
            to_json(&question.answer.correct_choice_keys)?,
            question.answer.explanation,
            question.difficulty.as_str(),
            question.category,
            to_json(&question.tags)?,
            question.language,
            to_unix_micros(question.create_time),
            to_unix_micros(question.update_time),
            translations_json(question)?,
        ])?;
    Ok(())
}

fn insert_tags(connection: &Connection, question: &Question) -> Result<(), StoreError> {
    let mut insert_tag = connection.prepare_cached(
        "INSERT INTO question_tags (tag, question_id, category) VALUES (?1, ?2, ?3)",
    )?;
    for tag in &question.tags {
        insert_tag.execute(params![tag, question.id, question.category])?;
    }
    Ok(())
}

fn delete_tags(connection: &Connection, question_id: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM question_tags WHERE question_id = ?1")?
        .execute([question_id])?;
    Ok(())
}

fn delete_card(connection: &Connection, question_id: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM question_cards WHERE question_id = ?1")?
        .execute([question_id])?;
    Ok(())
}

/// Stores `card` as the cards of its question, replacing any others.
pub(super) fn write_card(connection: &Connection, card: &Card) -> Result<(), StoreError> {
    delete_card(connection, &card.question_id)?;
    let mut insert = connection.prepare_cached(
        "INSERT INTO question_cards (question_id, position, language, card)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, rendering) in card.renderings.iter().enumerate() {
        insert.execute(params![
            card.question_id,
            i64::try_from(position).unwrap_or(i64::MAX),
            &*rendering.language,
            rendering.rendered.as_ref()
        ])?;
    }
    Ok(())
}

const QUESTION_COLUMNS: &str = "q.id, q.type, q.stem, q.choices, q.correct_choice_keys, \
     q.explanation, q.difficulty, q.category, q.tags, q.language, q.revision, q.create_time, \
     q.update_time, q.translations";
/// How many columns [`QUESTION_COLUMNS`] selects.
const QUESTION_COLUMN_COUNT: usize = 14;
/// A revision's columns, in the order of [`QUESTION_COLUMNS`], so
/// [`question_from_row`] reads both.
const REVISION_COLUMNS: &str = "r.question_id, r.type, r.stem, r.choices, \
     r.correct_choice_keys, r.explanation, r.difficulty, r.category, r.tags, r.language, \
     r.revision, r.create_time, r.update_time, r.translations";

/// Reads a JSON column. A value that does not decode means the row was not
/// written by this code: report it as a conversion failure, not a panic.
fn json_column<T: for<'de> Deserialize<'de>>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    // Parsed straight from SQLite's buffer: no copy of the text first.
    let text = row.get_ref(index)?.as_str()?;
    serde_json::from_str(text).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
    })
}

fn enum_column<T>(
    row: &Row<'_>,
    index: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let name = row.get_ref(index)?.as_str()?;
    parse(name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown value {name:?}").into(),
        )
    })
}

fn question_from_row(row: &Row<'_>) -> rusqlite::Result<Question> {
    let translations: Vec<StoredTranslation> = json_column(row, 13)?;
    Ok(Question {
        id: row.get(0)?,
        question_type: enum_column(row, 1, QuestionType::parse)?,
        stem: row.get(2)?,
        choices: domain_choices(json_column(row, 3)?),
        answer: AnswerKey {
            correct_choice_keys: json_column(row, 4)?,
            explanation: row.get(5)?,
        },
        difficulty: enum_column(row, 6, Difficulty::parse)?,
        category: row.get(7)?,
        tags: json_column(row, 8)?,
        language: row.get(9)?,
        revision: row.get(10)?,
        create_time: from_unix_micros(row.get(11)?),
        update_time: from_unix_micros(row.get(12)?),
        translations: translations
            .into_iter()
            .map(|translation| Translation {
                language: translation.language,
                stem: translation.stem,
                choices: domain_choices(translation.choices),
                explanation: translation.explanation,
            })
            .collect(),
    })
}

pub(super) fn question(
    connection: &mut Connection,
    id: &str,
) -> Result<Option<Question>, StoreError> {
    let question = connection
        .prepare_cached(&format!(
            "SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.id = ?1 AND q.delete_time IS NULL"
        ))?
        .query_row([id], question_from_row)
        .optional()?;
    Ok(question)
}

/// What the store holds of a question id, deleted questions included.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Stored {
    /// Never created.
    Absent,
    /// Created, and live.
    Live(Question),
    /// Created, then deleted.
    Deleted(Question),
}

/// The question with this id, live or deleted.
pub(super) fn stored_question(connection: &Connection, id: &str) -> Result<Stored, StoreError> {
    let found = connection
        .prepare_cached(&format!(
            "SELECT {QUESTION_COLUMNS}, q.delete_time IS NOT NULL FROM questions q WHERE q.id = ?1"
        ))?
        .query_row([id], |row| {
            Ok((
                question_from_row(row)?,
                row.get::<_, bool>(QUESTION_COLUMN_COUNT)?,
            ))
        })
        .optional()?;
    Ok(match found {
        None => Stored::Absent,
        Some((question, false)) => Stored::Live(question),
        Some((question, true)) => Stored::Deleted(question),
    })
}

/// One revision of a question, deleted or not.
pub(super) fn revision(
    connection: &Connection,
    question_id: &str,
    revision: i64,
) -> Result<Option<Question>, StoreError> {
    let question = connection
        .prepare_cached(&format!(
            "SELECT {REVISION_COLUMNS} FROM question_revisions r
             WHERE r.question_id = ?1 AND r.revision = ?2"
        ))?
        .query_row(params![question_id, revision], question_from_row)
        .optional()?;
    Ok(question)
}

/// Up to `limit` revisions of a question, newest first, below `before`.
pub(super) fn revisions(
    connection: &Connection,
    question_id: &str,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<Question>, StoreError> {
    let revisions = connection
        .prepare_cached(&format!(
            "SELECT {REVISION_COLUMNS} FROM question_revisions r
             WHERE r.question_id = ?1 AND r.revision < ?2
             ORDER BY r.revision DESC LIMIT ?3"
        ))?
        .query_map(
            params![
                question_id,
                before.unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            question_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(revisions)
}

/// What a listing reads for each matching question.
pub(super) struct Entries<T> {
    /// The selected columns, from `q` (questions), the question's id first;
    /// `None` selects only the id the listing is ordered by.
    columns: Option<&'static str>,
    /// Whether the columns come from `questions`, which a tagged listing
    /// otherwise only joins for filters its index does not cover.
    reads_questions: bool,
    from_row: fn(&Row<'_>) -> rusqlite::Result<T>,
}

// Derived, these would require `T: Clone`; only the function pointer is copied.
impl<T> Clone for Entries<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Entries<T> {}

/// Whole questions, decoded from their columns.
pub(super) const QUESTIONS: Entries<Question> = Entries {
    columns: Some(QUESTION_COLUMNS),
    reads_questions: true,
    from_row: question_from_row,
};

/// Only the questions' ids: for a filter that one index range serves, a
/// walk of that index alone.
pub(super) const QUESTION_IDS: Entries<String> = Entries {
    columns: None,
    reads_questions: false,
    from_row: |row| row.get(0),
};

/// The cards of the question with this id, with whether each is intact;
/// `None` when it has none stored.
pub(super) fn card(
    connection: &mut Connection,
    question_id: &str,
    format: &CardFormat,
) -> Result<Option<(Card, bool)>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT language, card FROM question_cards WHERE question_id = ?1 ORDER BY position",
    )?;
    let mut rows = statement.query([question_id])?;
    let mut renderings = Vec::new();
    let mut intact = true;
    while let Some(row) = rows.next()? {
        let rendered = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        intact &= (format.is_intact)(rendered, question_id);
        renderings.push(Rendering {
            language: row
                .get_ref(0)?
                .as_str()
                .map_err(rusqlite::Error::from)?
                .into(),
            rendered: bytes::Bytes::copy_from_slice(rendered),
        });
    }
    if renderings.is_empty() {
        return Ok(None);
    }
    let card = Card {
        question_id: question_id.to_owned(),
        renderings: renderings.into(),
    };
    Ok(Some((card, intact)))
}

/// The rows a listing walks, and how: the `FROM` and `WHERE` clauses for a
/// filter, its bound values, and the column its pages are ordered and keyed
/// by. Values are always bound, never spliced into the SQL text.
struct ListingQuery {
    from: &'static str,
    conditions: Vec<String>,
    values: Vec<Value>,
    order_key: &'static str,
}

impl ListingQuery {
    /// The walk for `filter`, joining `questions` only where `with_questions`
    /// or the filter needs its columns.
    fn new(filter: &QuestionFilter, with_questions: bool) -> Self {
        let mut query = match filter.tags.split_first() {
            // A tag is usually the narrowest filter, so a tagged listing walks
            // that tag's rows in id order (with the category when one is
            // given: the (tag, category, question_id) index) and joins each to
            // its question when needed. CROSS JOIN fixes that order for the
            // planner.
            Some((first_tag, other_tags)) => {
                let mut query = Self {
                    from: if with_questions || filters_question_columns(filter) {
                        "question_tags t CROSS JOIN questions q ON q.id = t.question_id"
                    } else {
                        "question_tags t"
                    },
                    conditions: Vec::new(),
                    values: Vec::new(),
                    order_key: "t.question_id",
                };
                query.equals("t.tag", first_tag);
                if let Some(category) = &filter.category {
                    query.equals("t.category", category);
                }
                for tag in other_tags {
                    let parameter = query.bind(Value::Text(tag.clone()));
                    query.conditions.push(format!(
                        "EXISTS (SELECT 1 FROM question_tags o \
                         WHERE o.tag = {parameter} AND o.question_id = t.question_id)"
                    ));
                }
                query
            }
            None => {
                let mut query = Self {
                    from: "questions q",
                    // A tag listing needs no such check: a deleted question
                    // has no tag rows.
                    conditions: vec!["q.delete_time IS NULL".to_owned()],
                    values: Vec::new(),
                    order_key: "q.id",
                };
                if let Some(category) = &filter.category {
                    query.equals("q.category", category);
                }
                query
            }
        };
        query.filter_question_columns(filter);
        query
    }

    /// The conditions on columns only `questions` has.
    fn filter_question_columns(&mut self, filter: &QuestionFilter) {
        if let Some(difficulty) = filter.difficulty {
            self.equals("q.difficulty", difficulty.as_str());
        }
        if let Some(question_type) = filter.question_type {
            self.equals("q.type", question_type.as_str());
        }
        if let Some(language) = &filter.language {
            self.available_in(language);
        }
    }

    /// Only questions available in `language`: their original language or
    /// a translation's, ignoring case (the column's NOCASE collation, and
    /// the same for translations).
    fn available_in(&mut self, language: &str) {
        let parameter = self.bind(Value::Text(language.to_owned()));
        self.conditions.push(format!(
            "(q.language = {parameter} OR (q.translations <> '[]' \
             AND json_valid(q.translations) AND EXISTS \
             (SELECT 1 FROM json_each(q.translations) j \
              WHERE j.value ->> 'language' = {parameter} COLLATE NOCASE)))"
        ));
    }

    /// Binds `value` and returns its parameter.
    fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("?{}", self.values.len())
    }

    fn equals(&mut self, column: &str, value: &str) {
        let parameter = self.bind(Value::Text(value.to_owned()));
        self.conditions.push(format!("{column} = {parameter}"));
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

/// Whether `filter` checks columns only `questions` has.
fn filters_question_columns(filter: &QuestionFilter) -> bool {
    filter.difficulty.is_some() || filter.question_type.is_some() || filter.language.is_some()
}

/// Whether every row a page of `filter` walks is a match: the filter is at
/// most a category and one tag, which [`ListingQuery`] serves from one index
/// range. Other filters are checked row by row, so a page may walk far past
/// its `limit` rows.
pub(super) fn is_index_range(filter: &QuestionFilter) -> bool {
    filter.tags.len() <= 1 && !filters_question_columns(filter)
}

/// A question whose stored row could not be read, and why.
pub(super) type Damaged = (String, super::BoxError);

/// One keyset page of `entries`: an index seek past `after`, then at most
/// `limit + 1` rows (the extra row only tells whether another page follows).
/// The count runs in the same read transaction, so page and total agree.
/// Rows that do not decode are left out of the page and returned beside it.
pub(super) fn list<T>(
    connection: &mut Connection,
    filter: &QuestionFilter,
    after: Option<&str>,
    limit: usize,
    known_total_size: Option<u64>,
    entries: Entries<T>,
) -> Result<(Page<T>, Vec<Damaged>), StoreError> {
    // A count and its page read one snapshot. A page alone needs no explicit
    // transaction (its one statement is one), which saves a BEGIN and COMMIT.
    let transaction;
    let reader: &Connection = if known_total_size.is_none() {
        transaction = connection.transaction()?;
        &transaction
    } else {
        connection
    };
    let mut query = ListingQuery::new(filter, entries.reads_questions);
    // Counting visits every match, so a known count is not recounted.
    let total_size = match known_total_size {
        Some(total_size) => total_size,
        None => reader
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM {} {}",
                query.from,
                query.where_clause()
            ))?
            .query_row(params_from_iter(&query.values), |row| row.get::<_, i64>(0))?
            .unsigned_abs(),
    };

    if let Some(after) = after {
        let parameter = query.bind(Value::Text(after.to_owned()));
        query
            .conditions
            .push(format!("{} > {parameter}", query.order_key));
    }
    let limit_parameter = query.bind(Value::Integer(i64::try_from(limit + 1).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {} FROM {} {} ORDER BY {} LIMIT {limit_parameter}",
        entries.columns.unwrap_or(query.order_key),
        query.from,
        query.where_clause(),
        query.order_key,
    );
    let mut page = Vec::with_capacity(limit);
    let mut damaged = Vec::new();
    // The id of the last row walked, kept in one buffer: the next page
    // starts after it, whether or not its entry could be read.
    let mut last_id = String::new();
    let mut has_more = false;
    let mut statement = reader.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(&query.values))?;
    let mut walked = 0;
    while let Some(row) = rows.next()? {
        if walked == limit {
            has_more = true;
            break;
        }
        walked += 1;
        let id = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        last_id.clear();
        last_id.push_str(id);
        match (entries.from_row)(row).map_err(StoreError::from) {
            Ok(entry) => page.push(entry),
            // One damaged question must not fail the page for everyone.
            Err(StoreError::DataLoss(cause)) => damaged.push((last_id.clone(), cause)),
            Err(error) => return Err(error),
        }
    }
    drop(rows);
    drop(statement);
    let page = Page {
        entries: page,
        next_after: has_more.then_some(last_id),
        total_size,
    };
    Ok((page, damaged))
}

/// The FTS5 query for `query` under `filter`: every facet term of the
/// filter, and every phrase of the query in the stems and choices (and the
/// explanations when `explanations`). `None` when the query has no terms,
/// which matches nothing. Terms are letters, digits and CJK characters only
/// (`domain::search`), so nothing in them is FTS5 syntax; quotes are
/// doubled all the same.
fn search_expression(
    filter: &QuestionFilter,
    query: &SearchQuery,
    explanations: bool,
) -> Option<String> {
    if query.phrases().is_empty() {
        return None;
    }
    let quoted = |terms: &str| format!("\"{}\"", terms.replace('"', "\"\""));
    let text_columns = if explanations {
        "{shown explained}"
    } else {
        "shown"
    };
    let conditions: Vec<String> = facet_terms(filter)
        .iter()
        .map(|term| format!("facets : {}", quoted(term)))
        .chain(
            query
                .phrases()
                .iter()
                .map(|phrase| format!("{text_columns} : {}", quoted(&phrase.join(" ")))),
        )
        .collect();
    Some(conditions.join(" AND "))
}

/// One page of a search: the ids of up to `limit` matches of `query` under
/// `filter`, best first (BM25 over the text columns, ties in id order),
/// after skipping `offset`; with the count of all matches from the same
/// statement (a window over the matches, which the ranking visits anyway).
/// The whole search runs in the index: the filter is in its facets, and
/// only live questions are indexed.
pub(super) fn search(
    connection: &Connection,
    filter: &QuestionFilter,
    query: &SearchQuery,
    explanations: bool,
    offset: usize,
    limit: usize,
) -> Result<SearchPage<String>, StoreError> {
    let Some(expression) = search_expression(filter, query, explanations) else {
        return Ok(SearchPage::default());
    };
    // FTS5 ranks only in a plain query, not under a window: the count and
    // the order by id go outside. Facets weigh nothing in the rank.
    let mut statement = connection.prepare_cached(
        "SELECT k.question_id, count(*) OVER () FROM
             (SELECT rowid AS search_rowid, bm25(question_search, 0.0, 1.0, 1.0) AS search_rank
              FROM question_search WHERE question_search MATCH ?1) m
         CROSS JOIN question_search_rows k ON k.search_rowid = m.search_rowid
         ORDER BY m.search_rank, k.question_id LIMIT ?2 OFFSET ?3",
    )?;
    let mut rows = statement.query(params![
        expression,
        i64::try_from(limit + 1).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    ])?;
    let mut page = SearchPage::default();
    while let Some(row) = rows.next()? {
        page.total_size = row.get::<_, i64>(1)?.unsigned_abs();
        if page.entries.len() == limit {
            page.has_more = true;
            break;
        }
        page.entries.push(row.get(0)?);
    }
    drop(rows);
    if page.total_size == 0 && offset > 0 {
        // Past the last match no row carries the count: count on its own.
        page.total_size = connection
            .prepare_cached("SELECT count(*) FROM question_search WHERE question_search MATCH ?1")?
            .query_row([&expression], |row| row.get::<_, i64>(0))?
            .unsigned_abs();
    }
    Ok(page)
}

/// Live questions per category, by difficulty and type; only those
/// available in `language` when it is given.
pub(super) fn category_counts(
    connection: &Connection,
    language: Option<&str>,
) -> Result<Vec<CategoryCount>, StoreError> {
    let query = ListingQuery::new(
        &QuestionFilter {
            language: language.map(str::to_owned),
            ..QuestionFilter::default()
        },
        true,
    );
    let mut statement = connection.prepare_cached(&format!(
        "SELECT q.category, q.difficulty, q.type, count(*) FROM {} {} GROUP BY 1, 2, 3",
        query.from,
        query.where_clause()
    ))?;
    let groups = statement
        .query_map(params_from_iter(&query.values), |row| {
            Ok((
                row.get::<_, String>(0)?,
                enum_column(row, 1, Difficulty::parse)?,
                enum_column(row, 2, QuestionType::parse)?,
                row.get::<_, i64>(3)?.unsigned_abs(),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(fold_categories(groups))
}

/// Live questions per tag, most used first; only those of `category` and
/// available in `language` when they are given.
pub(super) fn tag_counts(
    connection: &Connection,
    category: Option<&str>,
    language: Option<&str>,
) -> Result<Vec<TagCount>, StoreError> {
    let mut query = ListingQuery {
        from: if language.is_some() {
            "question_tags t CROSS JOIN questions q ON q.id = t.question_id"
        } else {
            "question_tags t"
        },
        conditions: Vec::new(),
        values: Vec::new(),
        order_key: "t.tag",
    };
    if let Some(category) = category {
        query.equals("t.category", category);
    }
    if let Some(language) = language {
        query.available_in(language);
    }
    let mut tags = connection
        .prepare_cached(&format!(
            "SELECT t.tag, count(*) FROM {} {} GROUP BY t.tag",
            query.from,
            query.where_clause()
        ))?
        .query_map(params_from_iter(&query.values), |row| {
            Ok(TagCount {
                tag: row.get(0)?,
                question_count: row.get::<_, i64>(1)?.unsigned_abs(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    sort_tags(&mut tags);
    Ok(tags)
}

/// An attempt with the answer key and explanation of the revision it was
/// graded against.
const ATTEMPT_COLUMNS: &str = "a.id, a.question_id, a.question_revision, a.choice_keys, \
     a.correct, a.score, r.correct_choice_keys, r.explanation, a.respondent_id, a.request_id, \
     a.submit_time, a.public_id";
const ATTEMPTS_WITH_REVISIONS: &str = "attempts a JOIN question_revisions r \
     ON r.question_id = a.question_id AND r.revision = a.question_revision";

/// An attempt's id as clients see it: its UUIDv7, or for attempts recorded
/// before migration 0005, the decimal row id they were given then.
fn attempt_id(row_id: i64, public_id: Option<&[u8]>) -> rusqlite::Result<String> {
    match public_id {
        None => Ok(row_id.to_string()),
        Some(bytes) => uuid::Uuid::from_slice(bytes)
            .map(|id| id.hyphenated().to_string())
            .map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(
                    11,
                    rusqlite::types::Type::Blob,
                    error.into(),
                )
            }),
    }
}

fn attempt_from_row(row: &Row<'_>) -> rusqlite::Result<Attempt> {
    Ok(Attempt {
        id: attempt_id(row.get(0)?, row.get_ref(11)?.as_blob_or_null()?)?,
        answer: GradedAnswer {
            question_id: row.get(1)?,
            question_revision: row.get(2)?,
            choice_keys: json_column(row, 3)?,
            correct: row.get(4)?,
            score: row.get(5)?,
            correct_choice_keys: json_column(row, 6)?,
            explanation: row.get(7)?,
            respondent_id: row.get(8)?,
            request_id: row.get(9)?,
            submit_time: from_unix_micros(row.get(10)?),
        },
    })
}

pub(super) fn attempts_for_question(
    connection: &mut Connection,
    question_id: &str,
) -> Result<Vec<Attempt>, StoreError> {
    let attempts = connection
        .prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM {ATTEMPTS_WITH_REVISIONS}
             WHERE a.question_id = ?1 ORDER BY a.id"
        ))?
        .query_map([question_id], attempt_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(attempts)
}

pub(super) fn attempt_by_request_id(
    connection: &Connection,
    request_id: &str,
) -> Result<Option<Attempt>, StoreError> {
    let attempt = connection
        .prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM {ATTEMPTS_WITH_REVISIONS} WHERE a.request_id = ?1"
        ))?
        .query_row([request_id], attempt_from_row)
        .optional()?;
    Ok(attempt)
}

/// Records `answer` unless an attempt with its request id exists. Runs inside
/// the writer's transaction, so the check and the insert cannot interleave
/// with another submission's.
pub(super) fn record_attempt(
    connection: &Connection,
    mut answer: GradedAnswer,
) -> Result<Recorded, StoreError> {
    // Stored at microsecond precision: return exactly what a retry will read.
    answer.submit_time = from_unix_micros(to_unix_micros(answer.submit_time));
    // One statement decides between "new" and "seen before": the insert
    // does nothing on a repeated request_id, and only then is the original
    // read back. (NULL request ids never conflict.)
    let public_id = uuid::Uuid::now_v7();
    let inserted: Option<i64> = connection
        .prepare_cached(
            "INSERT INTO attempts (question_id, question_revision, choice_keys, correct, score,
                 respondent_id, request_id, submit_time, public_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (request_id) DO NOTHING
             RETURNING id",
        )?
        .query_row(
            params![
                answer.question_id,
                answer.question_revision,
                to_json(&answer.choice_keys)?,
                answer.correct,
                answer.score,
                answer.respondent_id,
                answer.request_id,
                to_unix_micros(answer.submit_time),
                public_id.as_bytes().as_slice(),
            ],
            |row| row.get(0),
        )
        .optional()?;
    if inserted.is_none() {
        let existing = answer
            .request_id
            .as_deref()
            .map(|request_id| attempt_by_request_id(connection, request_id))
            .transpose()?
            .flatten()
            .ok_or_else(|| {
                StoreError::Internal("an attempt conflicted, but none has its request id".into())
            })?;
        return Ok(Recorded::Existing(existing));
    }
    Ok(Recorded::New(Attempt {
        id: public_id.hyphenated().to_string(),
        answer,
    }))
}

/// The id of the newest attempt, 0 when there is none.
pub(super) fn newest_attempt(connection: &Connection) -> Result<i64, StoreError> {
    Ok(connection
        .prepare_cached("SELECT coalesce(max(id), 0) FROM attempts")?
        .query_row([], |row| row.get(0))?)
}

/// How far the attempts are derived (migration 0008).
pub(super) fn derived_through(connection: &Connection) -> Result<i64, StoreError> {
    Ok(connection
        .prepare_cached("SELECT derived_through FROM attempt_derivation")?
        .query_row([], |row| row.get(0))?)
}

/// One attempt as derivation reads it.
struct DerivedAttempt {
    id: i64,
    question_id: String,
    revision: i64,
    choice_keys: Vec<String>,
    correct: bool,
    score: f64,
    respondent_id: Option<String>,
}

/// Whether the connection's commits are synced (`synchronous=FULL`, for
/// every acknowledged write) or not (`NORMAL`, for derivation).
pub(super) fn set_synced_commits(connection: &Connection, synced: bool) -> Result<(), StoreError> {
    connection.pragma_update(None, "synchronous", if synced { "FULL" } else { "NORMAL" })?;
    Ok(())
}

/// Derives the statistics of up to `limit` attempts after the last derived
/// one, in one transaction that also moves the mark. Returns the new mark
/// and how many attempts it read. An attempt whose stored keys do not
/// decode is counted without them (and logged), so one damaged row never
/// stops derivation.
///
/// Its commit need not be synced (see [`set_synced_commits`]): what a crash
/// loses of it is derived again from the attempts. It runs on the writer's
/// own connection, because a second writing connection turns a failing
/// disk into reports of a damaged database (it must re-read the WAL index
/// the other wrote).
pub(super) fn derive_attempts(
    connection: &mut Connection,
    limit: usize,
) -> Result<(i64, usize), StoreError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut through = derived_through(&transaction)?;
    let attempts: Vec<DerivedAttempt> = transaction
        .prepare_cached(
            "SELECT id, question_id, question_revision, choice_keys, correct, score,
                 respondent_id
             FROM attempts WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?
        .query_map(
            params![through, i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                let id = row.get(0)?;
                let choice_keys = json_column(row, 3).unwrap_or_else(|error| {
                    tracing::warn!(attempt = id, %error, "an attempt's chosen keys do not decode");
                    Vec::new()
                });
                Ok(DerivedAttempt {
                    id,
                    question_id: row.get(1)?,
                    revision: row.get(2)?,
                    choice_keys,
                    correct: row.get(4)?,
                    score: row.get(5)?,
                    respondent_id: row.get(6)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    for attempt in &attempts {
        derive_attempt(&transaction, attempt)?;
        through = attempt.id;
    }
    transaction
        .prepare_cached("UPDATE attempt_derivation SET derived_through = ?1")?
        .execute([through])?;
    transaction.commit()?;
    Ok((through, attempts.len()))
}

/// Adds one attempt to every statistic it counts in.
fn derive_attempt(connection: &Connection, attempt: &DerivedAttempt) -> Result<(), StoreError> {
    let question = attempt.question_id.as_str();
    let score = attempt.score;
    // Whether the attempt is a first one: for its revision, and on any.
    let (first_in_revision, first_at_all) = match &attempt.respondent_id {
        // Every anonymous attempt is a first attempt.
        None => (true, true),
        Some(respondent) => {
            let mut insert_first = connection.prepare_cached(
                "INSERT INTO first_attempts (question_id, revision, respondent_id, score, correct)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?;
            let in_revision = insert_first.execute(params![
                question,
                attempt.revision,
                respondent,
                score,
                attempt.correct
            ])? == 1;
            let at_all =
                insert_first.execute(params![question, 0, respondent, score, attempt.correct])?
                    == 1;
            (in_revision, at_all)
        }
    };
    let identified = attempt.respondent_id.is_some();
    let mut add_stats = connection.prepare_cached(
        "INSERT INTO question_attempt_stats (question_id, revision, attempts, score_sum,
             first_attempts, first_score_sum, respondents)
         VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)
         ON CONFLICT (question_id, revision) DO UPDATE SET
             attempts = attempts + 1,
             score_sum = score_sum + excluded.score_sum,
             first_attempts = first_attempts + excluded.first_attempts,
             first_score_sum = first_score_sum + excluded.first_score_sum,
             respondents = respondents + excluded.respondents",
    )?;
    for (revision, first) in [(attempt.revision, first_in_revision), (0, first_at_all)] {
        add_stats.execute(params![
            question,
            revision,
            score,
            i64::from(first),
            if first { score } else { 0.0 },
            i64::from(first && identified),
        ])?;
    }
    let mut add_choice = connection.prepare_cached(
        "INSERT INTO question_choice_counts (question_id, revision, choice_key, chosen)
         VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (question_id, revision, choice_key) DO UPDATE SET chosen = chosen + 1",
    )?;
    for key in &attempt.choice_keys {
        add_choice.execute(params![question, attempt.revision, key])?;
    }
    if let Some(respondent) = &attempt.respondent_id {
        connection
            .prepare_cached(
                "INSERT INTO respondent_questions (respondent_id, question_id, first_score,
                     first_correct, attempts)
                 VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (respondent_id, question_id) DO UPDATE SET attempts = attempts + 1",
            )?
            .execute(params![respondent, question, score, attempt.correct])?;
        connection
            .prepare_cached(
                "INSERT INTO respondent_totals (respondent_id, questions_answered, attempts,
                     first_score_sum, first_correct)
                 VALUES (?1, ?2, 1, ?3, ?4)
                 ON CONFLICT (respondent_id) DO UPDATE SET
                     questions_answered = questions_answered + excluded.questions_answered,
                     attempts = attempts + 1,
                     first_score_sum = first_score_sum + excluded.first_score_sum,
                     first_correct = first_correct + excluded.first_correct",
            )?
            .execute(params![
                respondent,
                i64::from(first_at_all),
                if first_at_all { score } else { 0.0 },
                i64::from(first_at_all && attempt.correct),
            ])?;
    }
    Ok(())
}

/// The derived statistics of a question's attempts at `revision` (0: all),
/// before the choices and discrimination are added; `None` when it has
/// no attempts counted there.
pub(super) fn question_attempt_stats(
    connection: &Connection,
    question_id: &str,
    revision: i64,
) -> Result<Option<AttemptTotals>, StoreError> {
    let totals = connection
        .prepare_cached(
            "SELECT attempts, score_sum, first_attempts, first_score_sum, respondents
             FROM question_attempt_stats WHERE question_id = ?1 AND revision = ?2",
        )?
        .query_row(params![question_id, revision], |row| {
            Ok(AttemptTotals {
                attempts: row.get::<_, i64>(0)?.unsigned_abs(),
                score_sum: row.get(1)?,
                first_attempts: row.get::<_, i64>(2)?.unsigned_abs(),
                first_score_sum: row.get(3)?,
                respondents: row.get::<_, i64>(4)?.unsigned_abs(),
            })
        })
        .optional()?;
    Ok(totals)
}

/// How often each key was chosen at `revision` (0: all revisions).
pub(super) fn choice_counts(
    connection: &Connection,
    question_id: &str,
    revision: i64,
) -> Result<Vec<(String, u64)>, StoreError> {
    let counts = connection
        .prepare_cached(
            "SELECT choice_key, sum(chosen) FROM question_choice_counts
             WHERE question_id = ?1 AND (?2 = 0 OR revision = ?2)
             GROUP BY choice_key",
        )?
        .query_map(params![question_id, revision], |row| {
            Ok((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs()))
        })?
        .collect::<Result<_, _>>()?;
    Ok(counts)
}

/// For discrimination: each respondent with a first attempt on the question
/// at `revision` (0: any) and on another question, as (that first score,
/// the mean of their first scores on their other questions).
pub(super) fn discrimination_pairs(
    connection: &Connection,
    question_id: &str,
    revision: i64,
) -> Result<Vec<(f64, f64)>, StoreError> {
    let pairs = connection
        .prepare_cached(
            "SELECT f.score,
                 (t.first_score_sum - q.first_score) / (t.questions_answered - 1)
             FROM first_attempts f
             JOIN respondent_totals t ON t.respondent_id = f.respondent_id
             JOIN respondent_questions q
                 ON q.respondent_id = f.respondent_id AND q.question_id = f.question_id
             WHERE f.question_id = ?1 AND f.revision = ?2 AND t.questions_answered >= 2",
        )?
        .query_map(params![question_id, revision], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(pairs)
}

/// A respondent's first attempts, each with its question's current
/// category and tags (deleted questions included), and their attempt count.
pub(super) fn respondent_first_attempts(
    connection: &Connection,
    respondent_id: &str,
) -> Result<Vec<RespondentFirst>, StoreError> {
    let firsts = connection
        .prepare_cached(
            "SELECT r.question_id, r.first_score, r.first_correct, r.attempts, q.category, q.tags
             FROM respondent_questions r JOIN questions q ON q.id = r.question_id
             WHERE r.respondent_id = ?1",
        )?
        .query_map([respondent_id], |row| {
            Ok(RespondentFirst {
                question_id: row.get(0)?,
                score: row.get(1)?,
                correct: row.get(2)?,
                attempts: row.get::<_, i64>(3)?.unsigned_abs(),
                category: row.get(4)?,
                tags: json_column(row, 5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(firsts)
}

/// The questions a respondent has an attempt on (as derived).
pub(super) fn answered_questions(
    connection: &Connection,
    respondent_id: &str,
) -> Result<Vec<String>, StoreError> {
    let answered = connection
        .prepare_cached("SELECT question_id FROM respondent_questions WHERE respondent_id = ?1")?
        .query_map([respondent_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(answered)
}

/// Every live question's id that `filter` matches, in id order: the pool a
/// draw picks from.
pub(super) fn matching_ids(
    connection: &Connection,
    filter: &QuestionFilter,
) -> Result<Vec<String>, StoreError> {
    let query = ListingQuery::new(filter, false);
    let ids = connection
        .prepare_cached(&format!(
            "SELECT {key} FROM {} {} ORDER BY {key}",
            query.from,
            query.where_clause(),
            key = query.order_key,
        ))?
        .query_map(params_from_iter(&query.values), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// A report's columns, in the order [`report_from_row`] reads them.
const REPORT_COLUMNS: &str = "id, question_id, question_revision, reason, comment, \
     respondent_id, request_id, state, create_time, resolution_note";

fn report_from_row(row: &Row<'_>) -> rusqlite::Result<QuestionReport> {
    Ok(QuestionReport {
        id: row.get(0)?,
        question_id: row.get(1)?,
        question_revision: row.get(2)?,
        reason: enum_column(row, 3, ReportReason::parse)?,
        comment: row.get(4)?,
        respondent_id: row.get(5)?,
        request_id: row.get(6)?,
        state: enum_column(row, 7, ReportState::parse)?,
        create_time: from_unix_micros(row.get(8)?),
        resolution_note: row.get(9)?,
    })
}

pub(super) fn report_by_request_id(
    connection: &Connection,
    request_id: &str,
) -> Result<Option<QuestionReport>, StoreError> {
    let report = connection
        .prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM question_reports WHERE request_id = ?1"
        ))?
        .query_row([request_id], report_from_row)
        .optional()?;
    Ok(report)
}

/// Records `report` unless a report with its request id exists, which is
/// then returned instead. Runs inside the writer's transaction, as
/// [`record_attempt`] does, so retries that race cannot both record.
pub(super) fn record_report(
    connection: &Connection,
    mut report: QuestionReport,
) -> Result<Reported, StoreError> {
    // Stored at microsecond precision: return exactly what a retry will read.
    report.create_time = from_unix_micros(to_unix_micros(report.create_time));
    let inserted = connection
        .prepare_cached(
            "INSERT INTO question_reports (id, question_id, question_revision, reason, comment,
                 respondent_id, request_id, state, create_time, resolution_note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (request_id) DO NOTHING
             RETURNING 1",
        )?
        .query_row(
            params![
                report.id,
                report.question_id,
                report.question_revision,
                report.reason.as_str(),
                report.comment,
                report.respondent_id,
                report.request_id,
                report.state.as_str(),
                to_unix_micros(report.create_time),
                report.resolution_note,
            ],
            |_| Ok(()),
        )
        .optional()?;
    if inserted.is_some() {
        return Ok(Reported::New(report));
    }
    report
        .request_id
        .as_deref()
        .map(|request_id| report_by_request_id(connection, request_id))
        .transpose()?
        .flatten()
        .map(Reported::Existing)
        .ok_or_else(|| {
            StoreError::Internal("a report conflicted, but none has its request id".into())
        })
}

/// Resolves an open report inside the writer's transaction; a report that
/// does not exist or is resolved already is refused and nothing changes.
pub(super) fn resolve_report(
    connection: &Connection,
    resolution: &Resolution,
    resolve_time: std::time::SystemTime,
) -> Result<Result<QuestionReport, ResolveRefused>, StoreError> {
    // The state check is part of the update, so two resolutions of one
    // report cannot both succeed.
    let resolved = connection
        .prepare_cached(&format!(
            "UPDATE question_reports
             SET state = 'resolved', resolution_note = ?2, resolve_time = ?3
             WHERE id = ?1 AND state = 'open'
             RETURNING {REPORT_COLUMNS}"
        ))?
        .query_row(
            params![
                resolution.report_id,
                resolution.note,
                to_unix_micros(resolve_time)
            ],
            report_from_row,
        )
        .optional()?;
    if let Some(report) = resolved {
        return Ok(Ok(report));
    }
    let exists: bool = connection
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM question_reports WHERE id = ?1)")?
        .query_row([&resolution.report_id], |row| row.get(0))?;
    let id = resolution.report_id.clone();
    Ok(Err(if exists {
        ResolveRefused::AlreadyResolved(id)
    } else {
        ResolveRefused::NotFound(id)
    }))
}

/// Up to `limit` reports matching `filter`, newest first (create time, then
/// id), after `before` in that order.
pub(super) fn reports(
    connection: &Connection,
    filter: &ReportFilter,
    before: Option<&ReportPosition>,
    limit: usize,
) -> Result<Vec<QuestionReport>, StoreError> {
    let (sql, values) = reports_query(filter, before, limit);
    let reports = connection
        .prepare_cached(&sql)?
        .query_map(params_from_iter(&values), report_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(reports)
}

/// The statement of a page of [`reports`] and its bound values. Built from
/// fixed fragments, so each filter combination is one cached statement; and
/// each is one range of an index of migration 0009, walked backwards, so a
/// page reads only its own rows at any depth.
fn reports_query(
    filter: &ReportFilter,
    before: Option<&ReportPosition>,
    limit: usize,
) -> (String, Vec<Value>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(question_id) = &filter.question_id {
        values.push(Value::Text(question_id.clone()));
        conditions.push(format!("question_id = ?{}", values.len()));
    }
    if let Some(state) = filter.state {
        values.push(Value::Text(state.as_str().to_owned()));
        conditions.push(format!("state = ?{}", values.len()));
    }
    if let Some(before) = before {
        values.push(Value::Integer(to_unix_micros(before.create_time)));
        values.push(Value::Text(before.id.clone()));
        conditions.push(format!(
            "(create_time, id) < (?{}, ?{})",
            values.len() - 1,
            values.len()
        ));
    }
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM question_reports {where_clause}
         ORDER BY create_time DESC, id DESC LIMIT ?{}",
        values.len()
    );
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_listing_is_one_index_range_in_its_order() {
        let mut connection = Connection::open_in_memory().expect("in-memory database");
        super::super::schema::migrate(&mut connection).expect("migrate");
        let before = ReportPosition {
            create_time: std::time::SystemTime::UNIX_EPOCH,
            id: String::new(),
        };
        let question = || Some("llm-001".to_owned());
        let open = Some(ReportState::Open);
        for (question_id, state, index) in [
            (None, None, "question_reports_newest"),
            (None, open, "question_reports_by_state"),
            (question(), None, "question_reports_by_question"),
            (question(), open, "question_reports_by_question_and_state"),
        ] {
            let filter = ReportFilter { question_id, state };
            for before in [None, Some(&before)] {
                let (sql, values) = reports_query(&filter, before, 10);
                let plan: Vec<String> = connection
                    .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .expect("prepare")
                    .query_map(params_from_iter(&values), |row| row.get(3))
                    .expect("plan")
                    .collect::<Result<_, _>>()
                    .expect("plan rows");
                let plan = plan.join("; ");
                // One step, a range of the index (the keyset's too), with
                // no sort after it.
                assert!(
                    plan.split_whitespace().any(|word| word == index)
                        && (before.is_none() || plan.contains("(create_time,id)<(?,?)"))
                        && !plan.contains(';')
                        && !plan.contains("TEMP B-TREE"),
                    "{filter:?} after {before:?}: {plan}"
                );
            }
        }
    }
}
