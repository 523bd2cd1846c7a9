//! Schema migrations: numbered `.sql` files under `migrations/`, embedded in
//! the binary and applied at startup. The applied count is kept in SQLite's
//! `user_version`, so a database from a newer binary is recognised and refused.

use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

use super::StoreError;

/// Every migration, in order. Released files are never edited: add a new one.
const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../../migrations/0001_init.sql"))];

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
