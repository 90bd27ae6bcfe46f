//! Migrations, embedded in the binary, one tree per backend.
//!
//! Both trees hold the same versions; a test checks that they do.
//!
//! Several runs started at once (a release command racing a manual
//! `migrate`, two deploys) must apply each migration exactly once: diesel
//! reads which versions are pending before it applies them, so two runs
//! would both apply the same one and the second would fail. On Postgres a
//! session advisory lock makes the runs take turns; on SQLite one
//! `BEGIN IMMEDIATE` transaction around the whole run does, its write lock
//! making the others wait (`busy_timeout`) until it commits.

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationVersion;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::AnyConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Key of the Postgres advisory lock held while migrating: the bytes of
/// `flystore`, easy to spot in `pg_locks`.
pub const MIGRATION_LOCK_KEY: i64 = 0x666c_7973_746f_7265;

/// An error from running migrations.
pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            with_advisory_lock(pg, |pg| Ok(names(pg.run_pending_migrations(POSTGRES)?)))
        }
        AnyConnection::Sqlite(sqlite) => {
            sqlite.immediate_transaction(|sqlite| Ok(names(sqlite.run_pending_migrations(SQLITE)?)))
        }
    }
}

/// Reverts every applied migration, newest first.
pub fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            with_advisory_lock(pg, |pg| Ok(names(pg.revert_all_migrations(POSTGRES)?)))
        }
        AnyConnection::Sqlite(sqlite) => {
            sqlite.immediate_transaction(|sqlite| Ok(names(sqlite.revert_all_migrations(SQLITE)?)))
        }
    }
}

/// Runs `work` holding the migration lock, waiting for it while another
/// session holds it.
///
/// The lock is session-level, not transaction-level, because diesel runs
/// each migration in its own transaction; it is released when `work` ends,
/// and by Postgres itself if this process dies first. It needs a real
/// session: a pooler in transaction mode (PgBouncer) does not keep one.
fn with_advisory_lock<T>(
    pg: &mut PgConnection,
    work: impl FnOnce(&mut PgConnection) -> Result<T, MigrationError>,
) -> Result<T, MigrationError> {
    pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
    let outcome = work(pg);
    let unlocked = pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
    let result = outcome?;
    unlocked?;
    Ok(result)
}

fn names(versions: Vec<MigrationVersion<'_>>) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
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
