//! Schema migrations: numbered `.sql` files under `migrations/`, embedded in
//! the binary and applied at startup. The applied count is kept in SQLite's
//! `user_version`, so a database from a newer binary is recognised and refused.

use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

use super::StoreError;

/// Every migration, in order. Released files are never edited: add a new one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_init.sql")),
    M::up(include_str!("../../migrations/0002_tag_listing_index.sql")),
    M::up(include_str!("../../migrations/0003_question_cards.sql")),
    M::up(include_str!(
        "../../migrations/0004_cards_follow_questions.sql"
    )),
    M::up(include_str!("../../migrations/0005_opaque_attempt_ids.sql")),
    M::up(include_str!(
        "../../migrations/0006_revisions_and_soft_delete.sql"
    )),
    M::up(include_str!(
        "../../migrations/0007_translations_and_search.sql"
    )),
    M::up(include_str!("../../migrations/0008_attempt_statistics.sql")),
    M::up(include_str!("../../migrations/0009_question_reports.sql")),
];

/// Brings the schema up to date in one transaction.
pub(super) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    Migrations::from_slice(MIGRATIONS)
        .to_latest(connection)
        .map_err(|error| match error {
            rusqlite_migration::Error::MigrationDefinition(
                MigrationDefinitionError::DatabaseTooFarAhead,
            ) => StoreError::SchemaTooNew {
                known: MIGRATIONS.len(),
            },
            rusqlite_migration::Error::RusqliteError { err, .. } => err.into(),
            other => StoreError::Internal(other.into()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert_eq!(Migrations::from_slice(MIGRATIONS).validate(), Ok(()));
    }

    #[test]
    fn tag_rows_carry_their_question_s_category_from_0002_on() {
        let mut connection = Connection::open_in_memory().expect("in-memory database");
        Migrations::from_slice(&MIGRATIONS[..1])
            .to_latest(&mut connection)
            .expect("schema 0001");
        connection
            .execute_batch(
                "INSERT INTO questions (id, type, stem, choices, correct_choice_keys, explanation,
                     difficulty, category, tags, language, revision, create_time, update_time)
                 VALUES ('q1', 'true_false', 'Stem?', '[]', '[]', '', 'easy', 'llm',
                     '[\"rag\",\"rlhf\"]', 'en', 1, 0, 0);
                 INSERT INTO question_tags (tag, question_id) VALUES ('rag', 'q1'), ('rlhf', 'q1');",
            )
            .expect("a question under 0001");
        let categories = |connection: &Connection| -> Vec<(String, String)> {
            connection
                .prepare("SELECT tag, category FROM question_tags ORDER BY tag")
                .and_then(|mut statement| {
                    statement
                        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                        .collect()
                })
                .expect("tag rows")
        };

        migrate(&mut connection).expect("migrate to the latest schema");
        let migrated = categories(&connection);
        connection
            .execute("UPDATE questions SET category = 'nlp' WHERE id = 'q1'", [])
            .expect("move the question");
        let moved = categories(&connection);

        let pairs = |category: &str| {
            vec![
                ("rag".to_owned(), category.to_owned()),
                ("rlhf".to_owned(), category.to_owned()),
            ]
        };
        assert_eq!(migrated, pairs("llm"));
        assert_eq!(moved, pairs("nlp"));
    }

    #[test]
    fn a_database_from_a_newer_schema_is_refused() {
        let mut connection = Connection::open_in_memory().expect("in-memory database");
        connection
            .pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1)
            .expect("set user_version");
        assert!(matches!(
            migrate(&mut connection),
            Err(StoreError::SchemaTooNew { known }) if known == MIGRATIONS.len()
        ));
    }
}
