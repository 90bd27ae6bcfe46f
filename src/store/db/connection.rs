//! One connection type for Postgres and SQLite, and the pool that hands it out.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

/// A connection to whichever database `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The pool of [`AnyConnection`]s.
pub type Pool = r2d2::Pool<Manager>;

/// A connection checked out of the [`Pool`].
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Opens connections by the URL's scheme, so that a failed connect reports
/// the database's own message (diesel's `MultiConnection` would try both
/// backends and report neither).
#[derive(Debug)]
pub struct Manager {
    url: String,
    postgres: bool,
}

impl Manager {
    /// A manager for `url`: `postgres://`/`postgresql://` or an SQLite path.
    pub fn new(url: &str) -> Manager {
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let url = url.strip_prefix("sqlite://").unwrap_or(url).to_owned();
        Manager { url, postgres }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        let connection = if self.postgres {
            PgConnection::establish(&self.url).map(AnyConnection::Postgresql)
        } else {
            SqliteConnection::establish(&self.url).and_then(|mut conn| {
                // WAL lets readers run beside a writer; the busy timeout makes
                // a writer wait for the lock instead of failing at once.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            })
        };
        connection.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Logs connection failures once each, without the URL (it may hold a password).
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<r2d2::Error> for LogErrors {
    fn handle_error(&self, error: r2d2::Error) {
        log::warn!("database connection failed: {error}");
    }
}

/// Builds the pool without connecting: the app starts while the database
/// is down, answers 503 meanwhile, and recovers when it is back.
///
/// Every checkout pings the connection first, so connections broken by a
/// database restart are replaced instead of failing a request.
pub fn build_pool(url: &str, size: u32, checkout_timeout: Duration) -> Pool {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(checkout_timeout)
        .test_on_check_out(true)
        .error_handler(Box::new(LogErrors))
        .build_unchecked(Manager::new(url))
}
