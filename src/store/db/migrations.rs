//! Migrations, embedded in the binary, one tree per backend.
//!
//! Both trees hold the same versions; a test checks that they do.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::AnyConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An error from running migrations.
pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let source = source_for(conn);
    let applied = conn.run_pending_migrations(source)?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration, newest first.
pub fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let source = source_for(conn);
    let reverted = conn.revert_all_migrations(source)?;
    Ok(reverted.iter().map(ToString::to_string).collect())
}

fn source_for(conn: &AnyConnection) -> EmbeddedMigrations {
    match conn {
        AnyConnection::Postgresql(_) => POSTGRES,
        AnyConnection::Sqlite(_) => SQLITE,
    }
}

#[cfg(test)]
mod tests {
    use diesel::migration::MigrationSource;

    use super::*;
    use diesel::backend::Backend;

    fn versions<DB: Backend>(source: &EmbeddedMigrations) -> Vec<String>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        MigrationSource::<DB>::migrations(source)
            .unwrap()
            .iter()
            .map(|m| m.name().version().to_string())
            .collect()
    }

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let postgres = versions::<diesel::pg::Pg>(&POSTGRES);
        let sqlite = versions::<diesel::sqlite::Sqlite>(&SQLITE);

        assert!(!postgres.is_empty());
        assert_eq!(postgres, sqlite);
    }
}
