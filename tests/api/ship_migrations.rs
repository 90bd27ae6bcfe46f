//! Concurrent `fly-store migrate` runs on one empty database: all succeed,
//! the migrations are applied once, and the schema ends at the latest
//! version. Postgres relies on the advisory lock; SQLite on its write lock.

use std::process::Output;

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::{Connection, PgConnection};
use fly_store::store::db::connection::Manager;
use fly_store::store::db::migrations;

use crate::ship_helpers::fly_store;

const RUNS: usize = 3;

/// An empty Postgres database for one test, dropped afterwards.
struct EmptyPostgres {
    server: String,
    name: String,
    url: String,
}

impl EmptyPostgres {
    fn create(server: &str) -> EmptyPostgres {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("fly_store_ship_{}_{nanos}", std::process::id());
        let mut admin = PgConnection::establish(server).expect("TEST_DATABASE_URL answers");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("the test database is created");
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        EmptyPostgres {
            server: server.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for EmptyPostgres {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.server) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Starts [`RUNS`] `migrate` processes at once and waits for all of them.
fn migrate_concurrently(database_url: &str) -> Vec<Output> {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..RUNS)
        .map(|_| {
            fly_store(dir.path(), &["migrate"], &[("DATABASE_URL", database_url)])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("fly-store migrate starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().expect("migrate finishes"))
        .collect()
}

/// Checks that every run succeeded, exactly one applied the migrations, and
/// nothing is left pending.
fn assert_migrated_once(outputs: &[Output], database_url: &str) {
    let logs: Vec<String> = outputs
        .iter()
        .map(|output| String::from_utf8_lossy(&output.stderr).into_owned())
        .collect();
    for (output, log) in outputs.iter().zip(&logs) {
        assert!(output.status.success(), "a migrate run failed: {log}");
    }
    let appliers = logs
        .iter()
        .filter(|log| !log.contains("migrations applied=0 "))
        .count();
    assert_eq!(appliers, 1, "migrations applied by several runs: {logs:#?}");

    let mut conn = Manager::new(database_url).connect().unwrap();
    let still_pending = migrations::run_pending(&mut conn).unwrap();
    assert!(still_pending.is_empty(), "left pending: {still_pending:?}");
}

#[test]
fn three_migrate_runs_at_once_on_an_empty_postgres_database_all_succeed() {
    // Arrange
    let server = match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => server,
        _ => {
            eprintln!(
                "skipped: TEST_DATABASE_URL is unset, so there is no Postgres \
                 to race migrations on (CI sets it)"
            );
            return;
        }
    };
    let database = EmptyPostgres::create(&server);

    // Act
    let outputs = migrate_concurrently(&database.url);

    // Assert
    assert_migrated_once(&outputs, &database.url);
}

#[test]
fn three_migrate_runs_at_once_on_an_empty_sqlite_file_all_succeed() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("store.db").display().to_string();

    // Act
    let outputs = migrate_concurrently(&database);

    // Assert
    assert_migrated_once(&outputs, &database);
}
