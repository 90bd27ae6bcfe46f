//! Migrations, embedded in the binary, one tree per backend.
//!
//! Both trees hold the same versions; a test checks that they do.
//!
//! On Postgres, running and reverting hold a session advisory lock, so that
//! several `migrate` runs started at once (a release command racing a
//! manual run, two deploys) apply each migration exactly once: the first
//! applies them, the others wait and then find nothing pending. SQLite needs
//! no lock: a write transaction already excludes other writers.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::AnyConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An error from running migrations.
pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Key of the Postgres advisory lock held while migrating: the bytes of
/// `flystore`, so that it reads back in `pg_locks` (`objid` holds its low
/// half).
pub const MIGRATION_LOCK_KEY: i64 = 0x666c_7973_746f_7265;

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let source = source_for(conn);
    with_migration_lock(conn, |conn| {
        let applied = conn.run_pending_migrations(source)?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
}

/// Reverts every applied migration, newest first.
pub fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let source = source_for(conn);
    with_migration_lock(conn, |conn| {
        let reverted = conn.revert_all_migrations(source)?;
        Ok(reverted.iter().map(ToString::to_string).collect())
    })
}

/// Runs `work` holding the migration lock on Postgres (waiting for it if
/// another session holds it), and as is on SQLite.
///
/// The lock is session-level, not transaction-level, because diesel runs
/// each migration in its own transaction; it is released when `work` ends,
/// and by Postgres itself if this process dies first. It needs a direct
/// session: a pooler in transaction mode (PgBouncer) does not keep one.
fn with_migration_lock<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, MigrationError>,
) -> Result<T, MigrationError> {
    if matches!(conn, AnyConnection::Sqlite(_)) {
        return work(conn);
    }
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
    let outcome = work(conn);
    let unlocked = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
    let result = outcome?;
    unlocked?;
    Ok(result)
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
