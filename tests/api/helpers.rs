//! Test support: a real app on a loopback port with a fresh database.
//!
//! SQLite in a temporary directory by default; with `TEST_DATABASE_URL` set
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`), a fresh Postgres
//! database per test, dropped afterwards.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Once;

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::{Connection, PgConnection};
use fly_store::settings::Settings;
use fly_store::startup::Application;
use fly_store::store::db::connection::Manager;
use fly_store::store::db::{AnyConnection, migrations};
use fly_store::store::seed::{self, SeedPlan};
use std::sync::atomic::{AtomicU32, Ordering};

static LOGGING: Once = Once::new();

/// Sends test logs to the test harness's captured output.
pub fn init_logging() {
    LOGGING.call_once(|| {
        // One logger per binary: the capturing one, which also prints.
        crate::fly_helpers::capture_logs();
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A database made for one test.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh, migrated database.
    pub fn new() -> TestDatabase {
        let database = match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => TestDatabase::postgres(&server),
            _ => TestDatabase::sqlite(),
        };
        migrations::run_pending(&mut database.connect()).expect("migrations run");
        database
    }

    fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = dir.path().join("store.db").display().to_string();
        TestDatabase {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    fn postgres(server: &str) -> TestDatabase {
        let name = unique_database_name();
        let mut admin = PgConnection::establish(server).expect("TEST_DATABASE_URL answers");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database is created");
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        TestDatabase {
            url: format!("{base}/{name}"),
            _dir: None,
            postgres: Some((server.to_owned(), name)),
        }
    }

    /// True when this database is Postgres.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// A direct connection, outside the app's pool.
    pub fn connect(&self) -> AnyConnection {
        Manager::new(&self.url)
            .connect()
            .expect("the test database answers")
    }

    /// Inserts deterministic demo data.
    pub fn seed(&self, plan: SeedPlan) {
        seed::seed(&mut self.connect(), &plan).expect("seeding works");
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(server)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: TestDatabase,
    pub client: awc::Client,
}

impl TestApp {
    /// The URL of `path` on this app.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `GET path`, read as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let mut response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("the app answers");
        response.json().limit(1 << 26).await.expect("a JSON body")
    }

    /// `GET path`, read as bytes.
    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let mut response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("the app answers");
        response
            .body()
            .limit(1 << 28)
            .await
            .expect("a body")
            .to_vec()
    }
}

/// Settings for a test: defaults, the test's database, and `env` on top.
pub fn test_settings(db: &TestDatabase, env: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.entry("DATABASE_URL".into())
        .or_insert_with(|| db.url.clone());
    vars.entry("FLY_STORE__SERVER__WORKERS".into())
        .or_insert_with(|| "2".into());
    Settings::load(&vars, None).expect("test settings are valid")
}

/// Starts the app on a free loopback port with a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra settings (as environment variables).
pub async fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    init_logging();
    let db = TestDatabase::new();
    let settings = test_settings(&db, env);
    spawn_with_settings(db, &settings)
}

/// Starts the app with the given database and settings.
pub fn spawn_with_settings(db: TestDatabase, settings: &Settings) -> TestApp {
    init_logging();
    let app = Application::build(settings, "127.0.0.1:0").expect("the app starts");
    let addr = app.addr();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        addr,
        db,
        client: awc::Client::builder()
            .disable_redirects()
            .timeout(std::time::Duration::from_secs(60))
            .finish(),
    }
}

/// Reads a PDF's text with poppler's `pdftotext -layout`.
pub fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-layout", "-enc", "UTF-8"], pdf)
}

/// The page count `pdfinfo` reports.
pub fn pdf_pages(pdf: &[u8]) -> usize {
    poppler("pdfinfo", &[], pdf)
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo reports a page count")
}

fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).expect("the PDF is written");
    let mut command = std::process::Command::new(tool);
    command.args(args).arg(&input);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command.output().unwrap_or_else(|error| {
        panic!("{tool} is needed to read PDFs back (apt-get install poppler-utils): {error}")
    });
    assert!(
        output.status.success(),
        "{tool} rejected the PDF: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}

/// A database name no other test, nor another run, uses.
fn unique_database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("fly_store_test_{}_{nanos}_{n}", std::process::id())
}
