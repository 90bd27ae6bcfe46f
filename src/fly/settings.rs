//! Settings of the Fly machinery. Variables keep Fly's own names.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

/// How to reach the Machines API, which routes run on the worker and how the
/// worker is made.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlySettings {
    /// Base URL of the Machines API (`FLY_API_HOSTNAME`).
    pub api_hostname: String,
    /// Machines API token (`FLY_API_TOKEN`, a secret). Without it replay is off.
    pub api_token: Option<SecretString>,
    /// The Fly app (`FLY_APP_NAME`). Without it replay is off.
    pub app_name: Option<String>,
    /// The image this machine runs (`FLY_IMAGE_REF`); workers are created from it.
    pub image_ref: Option<String>,
    /// This machine's id (`FLY_MACHINE_ID`), set by Fly.
    pub machine_id: Option<String>,
    /// This machine's region (`FLY_REGION`), set by Fly.
    pub region: Option<String>,
    /// The routes that run on the worker, by route name and methods.
    pub serverless_routes: Vec<ServerlessRoute>,
    /// A PEM file of extra CA certificates trusted for the Machines API, on
    /// top of the bundled Mozilla roots (for a local HTTPS stand-in).
    pub api_ca_file: Option<PathBuf>,
    /// Milliseconds allowed to open a connection to the API (DNS, TCP, TLS).
    pub api_connect_timeout_ms: u64,
    /// Milliseconds allowed for one API call until its answer's head arrives.
    pub api_timeout_ms: u64,
    /// Milliseconds one API call may spend retrying 408, 429 and 5xx answers.
    pub api_retry_budget_ms: u64,
    /// Milliseconds a request waits for the worker to be found or created
    /// before it is answered 503.
    pub lookup_timeout_ms: u64,
    /// Seconds after a failed find-or-create before the API is tried again;
    /// requests meanwhile get 503 with `Retry-After`.
    pub cooldown_secs: u64,
    /// Seconds between background checks of the cached worker (gone, failed,
    /// or on an old image). 0 turns the check off.
    pub refresh_interval_secs: u64,
    /// The `timeout` field of a `fly-replay` answer, in milliseconds: how long
    /// the proxy tries the target before falling back to this machine.
    pub replay_timeout_ms: u64,
    /// Largest request body that is replayed; larger ones get 413.
    pub max_replay_body_bytes: u64,
    /// Serve a serverless route on main when the worker cannot be found or
    /// created, instead of answering 503.
    pub serve_locally_on_api_failure: bool,
    /// How the worker machine is made.
    pub worker: WorkerSettings,
}

/// One serverless route: a named resource and the methods offloaded for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerlessRoute {
    /// A route name as registered with the app, e.g. `store:machines_generate_receipts`.
    pub name: String,
    /// HTTP methods, e.g. `["GET"]`. HEAD counts as GET.
    pub methods: Vec<String>,
}

/// The worker machine's name, size and services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerSettings {
    /// Machine name of the worker. Names are unique within an app, so two
    /// main machines creating the worker at once end with one.
    pub name: String,
    /// The port the app listens on inside the machine.
    pub internal_port: u16,
    /// `shared` or `performance`.
    pub cpu_kind: String,
    /// Number of CPUs.
    pub cpus: u32,
    /// Memory in MB (a multiple of 256).
    pub memory_mb: u32,
    /// What the proxy does with an idle worker: `stop` or `suspend`.
    pub autostop: String,
    /// Variables passed from this machine's environment to the worker's, by
    /// name; a name ending in `*` is a prefix. Machines created through the
    /// API get neither `fly.toml`'s `[env]` nor anything else but secrets.
    /// Names that look secret (`TOKEN`, `SECRET`, `PASSWORD`, `DATABASE_URL`)
    /// and Fly's own `FLY_*` variables are never passed.
    pub pass_env: Vec<String>,
}

impl Default for FlySettings {
    fn default() -> Self {
        FlySettings {
            api_hostname: "https://api.machines.dev".to_owned(),
            api_token: None,
            app_name: None,
            image_ref: None,
            machine_id: None,
            region: None,
            serverless_routes: [
                "store:machines_generate_receipts",
                "store:machines_generate_receipt",
            ]
            .into_iter()
            .map(|name| ServerlessRoute {
                name: name.to_owned(),
                methods: vec!["GET".to_owned()],
            })
            .collect(),
            api_ca_file: None,
            api_connect_timeout_ms: 5_000,
            api_timeout_ms: 10_000,
            api_retry_budget_ms: 5_000,
            lookup_timeout_ms: 20_000,
            cooldown_secs: 10,
            refresh_interval_secs: 60,
            replay_timeout_ms: 5_000,
            max_replay_body_bytes: 1024 * 1024,
            serve_locally_on_api_failure: false,
            worker: WorkerSettings::default(),
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            name: "serverless-worker".to_owned(),
            internal_port: 8000,
            cpu_kind: "shared".to_owned(),
            cpus: 1,
            memory_mb: 256,
            autostop: "stop".to_owned(),
            pass_env: vec![
                "RUST_LOG".to_owned(),
                "FLY_STORE_CONFIG".to_owned(),
                "FLY_STORE__*".to_owned(),
            ],
        }
    }
}

impl FlySettings {
    /// Time allowed to connect to the API.
    pub fn api_connect_timeout(&self) -> Duration {
        Duration::from_millis(self.api_connect_timeout_ms)
    }

    /// Time allowed for one API call.
    pub fn api_timeout(&self) -> Duration {
        Duration::from_millis(self.api_timeout_ms)
    }

    /// Time one API call may spend on retries.
    pub fn api_retry_budget(&self) -> Duration {
        Duration::from_millis(self.api_retry_budget_ms)
    }

    /// Time a request waits for the worker.
    pub fn lookup_timeout(&self) -> Duration {
        Duration::from_millis(self.lookup_timeout_ms)
    }

    /// Pause after a failed find-or-create.
    pub fn cooldown(&self) -> Duration {
        Duration::from_secs(self.cooldown_secs)
    }

    /// Pause between background checks of the cached worker, if any.
    pub fn refresh_interval(&self) -> Option<Duration> {
        (self.refresh_interval_secs > 0).then(|| Duration::from_secs(self.refresh_interval_secs))
    }
}
