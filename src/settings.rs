//! Layered settings: built-in defaults, then an optional `fly-store.toml`,
//! then environment variables.
//!
//! Nested keys come from `FLY_STORE__<SECTION>__<KEY>` (e.g.
//! `FLY_STORE__DATABASE__POOL_SIZE=4`). The variables that Fly and Postgres
//! users already know keep their usual names: `DATABASE_URL`, `FLY_API_TOKEN`,
//! `FLY_API_HOSTNAME`, `FLY_APP_NAME`, `FLY_IMAGE_REF`, `FLY_MACHINE_ID`,
//! `FLY_REGION`, and `IS_FLY_MACHINE_SERVERLESS` for the role. Unknown keys
//! are rejected; secrets are wrapped so that they never print.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::fly::role::{InvalidRole, ROLE_VARIABLE};
use crate::fly::{FlySettings, Role};
use crate::store::receipts::Paper;

/// The file read when `FLY_STORE_CONFIG` does not name another one.
pub const DEFAULT_CONFIG_FILE: &str = "fly-store.toml";

/// Everything the binary can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub store: StoreSettings,
    pub fly: FlySettings,
    /// From `IS_FLY_MACHINE_SERVERLESS`; not settable from the file.
    #[serde(skip)]
    pub role: Role,
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address `serve` listens on (`--bind` overrides it).
    pub bind: String,
    /// Server worker threads; the number of cores when unset.
    pub workers: Option<usize>,
    /// Seconds a graceful stop waits for requests in flight.
    pub shutdown_timeout_secs: u64,
}

/// The database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `postgres://…` for Postgres; anything else is an SQLite file path
    /// (`DATABASE_URL`, a secret: it may hold a password).
    pub url: SecretString,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Milliseconds to wait for a pooled connection before answering 503.
    pub checkout_timeout_ms: u64,
}

/// The store itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// Printed on receipts and shown on the storefront.
    pub name: String,
    /// Receipt paper: `A4` or `Letter`.
    pub paper: Paper,
    /// Purchases read per query when rendering all receipts.
    pub receipt_batch_size: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: "0.0.0.0:8000".to_owned(),
            workers: None,
            shutdown_timeout_secs: 25,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: SecretString::from("fly-store.db"),
            pool_size: 8,
            checkout_timeout_ms: 3_000,
        }
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            name: "Fly Store".to_owned(),
            paper: Paper::A4,
            receipt_batch_size: 500,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            store: StoreSettings::default(),
            fly: FlySettings::default(),
            role: Role::Main,
        }
    }
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A source could not be read or a value has the wrong shape.
    #[error("invalid settings: {0}")]
    Invalid(#[from] config::ConfigError),
    /// The role marker is neither true nor false.
    #[error(transparent)]
    Role(#[from] InvalidRole),
    /// A value is well-formed but unusable.
    #[error("invalid setting `{key}`: {reason}")]
    Value { key: &'static str, reason: String },
}

/// Variables with their own, conventional names, and the key each sets.
const PLAIN_VARIABLES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("FLY_API_HOSTNAME", "fly.api_hostname"),
    ("FLY_API_TOKEN", "fly.api_token"),
    ("FLY_APP_NAME", "fly.app_name"),
    ("FLY_IMAGE_REF", "fly.image_ref"),
    ("FLY_MACHINE_ID", "fly.machine_id"),
    ("FLY_REGION", "fly.region"),
];

impl Settings {
    /// Reads the settings from the process environment and the config file.
    pub fn from_process_env() -> Result<Settings, SettingsError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        // A file named on purpose must exist; the default one may not.
        if let Some(named) = env.get("FLY_STORE_CONFIG").filter(|path| !path.is_empty()) {
            let named = PathBuf::from(named);
            if !named.is_file() {
                return Err(SettingsError::Value {
                    key: "FLY_STORE_CONFIG",
                    reason: format!("{} is not a readable file", named.display()),
                });
            }
            return Settings::load(&env, Some(&named));
        }
        Settings::load(&env, Some(Path::new(DEFAULT_CONFIG_FILE)))
    }

    /// Reads the settings from `env` and, if it exists, the TOML `file`.
    pub fn load(
        env: &HashMap<String, String>,
        file: Option<&Path>,
    ) -> Result<Settings, SettingsError> {
        let mut builder = Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(File::from(file).format(FileFormat::Toml).required(false));
        }
        builder = builder.add_source(
            Environment::with_prefix("FLY_STORE")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(env.clone())),
        );
        for (variable, key) in PLAIN_VARIABLES {
            let value = env.get(*variable).filter(|value| !value.is_empty());
            builder = builder.set_override_option(*key, value.cloned())?;
        }

        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.role = Role::from_marker(env.get(ROLE_VARIABLE).map(String::as_str))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        DatabaseKind::of(self.database.url.expose_secret())?;
        if self.database.pool_size == 0 {
            return Err(SettingsError::Value {
                key: "database.pool_size",
                reason: "must be at least 1".to_owned(),
            });
        }
        if self.server.workers == Some(0) {
            return Err(SettingsError::Value {
                key: "server.workers",
                reason: "must be at least 1".to_owned(),
            });
        }
        if self.store.receipt_batch_size == 0 {
            return Err(SettingsError::Value {
                key: "store.receipt_batch_size",
                reason: "must be at least 1".to_owned(),
            });
        }
        Ok(())
    }
}

impl DatabaseSettings {
    /// How long a request waits for a pooled connection.
    pub fn checkout_timeout(&self) -> Duration {
        Duration::from_millis(self.checkout_timeout_ms)
    }
}

/// The two databases the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
}

impl DatabaseKind {
    /// Postgres for `postgres://` and `postgresql://` URLs, SQLite for a path
    /// or an `sqlite://` URL; any other scheme is an error rather than a
    /// file name.
    pub fn of(url: &str) -> Result<DatabaseKind, SettingsError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseKind::Postgres);
        }
        if url.starts_with("sqlite://") || url.starts_with("file:") || !url.contains("://") {
            if url.trim().is_empty() {
                return Err(SettingsError::Value {
                    key: "database.url",
                    reason: "is empty".to_owned(),
                });
            }
            return Ok(DatabaseKind::Sqlite);
        }
        let scheme = url.split("://").next().unwrap_or_default();
        Err(SettingsError::Value {
            key: "database.url",
            reason: format!("unsupported scheme `{scheme}://` (use postgres:// or an SQLite path)"),
        })
    }
}

/// A database URL with its credentials removed, fit for a log line.
pub fn redacted_database_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
            let without_query = host_and_path.split('?').next().unwrap_or_default();
            format!("{scheme}://{without_query}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_environment_at_all() {
        let settings = Settings::load(&env(&[]), None).unwrap();

        assert_eq!(settings.server.bind, "0.0.0.0:8000");
        assert_eq!(settings.database.url.expose_secret(), "fly-store.db");
        assert!(settings.database.checkout_timeout().as_secs() <= 5);
        assert_eq!(settings.role, Role::Main);
        assert_eq!(settings.fly.serverless_routes.len(), 2);
    }

    #[test]
    fn conventional_variables_and_prefixed_keys_override_defaults() {
        let settings = Settings::load(
            &env(&[
                ("DATABASE_URL", "postgres://u:pw@db/app"),
                ("FLY_APP_NAME", "receipts-app"),
                ("FLY_STORE__DATABASE__POOL_SIZE", "3"),
                ("FLY_STORE__STORE__PAPER", "Letter"),
                ("IS_FLY_MACHINE_SERVERLESS", "TRUE"),
            ]),
            None,
        )
        .unwrap();

        assert_eq!(settings.database.pool_size, 3);
        assert_eq!(settings.store.paper, Paper::Letter);
        assert_eq!(settings.fly.app_name.as_deref(), Some("receipts-app"));
        assert_eq!(settings.role, Role::Worker);
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins_over_it() {
        let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        writeln!(
            file,
            "[store]\nname = \"From file\"\n[database]\npool_size = 2"
        )
        .unwrap();

        let settings = Settings::load(
            &env(&[("FLY_STORE__DATABASE__POOL_SIZE", "5")]),
            Some(file.path()),
        )
        .unwrap();

        assert_eq!(settings.store.name, "From file");
        assert_eq!(settings.database.pool_size, 5);
    }

    #[test]
    fn zero_server_workers_is_an_error_not_a_panic() {
        let error = Settings::load(&env(&[("FLY_STORE__SERVER__WORKERS", "0")]), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("server.workers"), "{error}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let error = Settings::load(&env(&[("FLY_STORE__DATABASE__POOLSIZE", "3")]), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("poolsize"), "{error}");
    }

    #[test]
    fn a_bad_role_marker_stops_loading_and_names_the_variable() {
        let error = Settings::load(&env(&[("IS_FLY_MACHINE_SERVERLESS", "maybe")]), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("IS_FLY_MACHINE_SERVERLESS"), "{error}");
    }

    #[test]
    fn an_unknown_database_scheme_is_not_taken_for_a_file_name() {
        let error = Settings::load(&env(&[("DATABASE_URL", "mysql://x/y")]), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("mysql"), "{error}");
    }

    #[test]
    fn secrets_never_reach_debug_output_or_redacted_urls() {
        let settings = Settings::load(
            &env(&[
                (
                    "DATABASE_URL",
                    "postgres://user:hunter2@db:5432/app?sslmode=require",
                ),
                ("FLY_API_TOKEN", "FlyV1 fm2_sekrit"),
            ]),
            None,
        )
        .unwrap();

        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("sekrit"),
            "{debug}"
        );
        let shown = redacted_database_url(settings.database.url.expose_secret());
        assert_eq!(shown, "postgres://db:5432/app");
    }
}
