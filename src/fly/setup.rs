//! [`Fly`]: the Fly machinery built once at start-up, and the per-thread
//! parts made from it inside the `HttpServer::new` factory.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntCounter, Registry};

use crate::fly::error::FlyError;
use crate::fly::machines::ApiConfig;
use crate::fly::metrics::FlyMetrics;
use crate::fly::replay::FlyReplay;
use crate::fly::role::Role;
use crate::fly::routes::ServerlessTable;
use crate::fly::settings::FlySettings;
use crate::fly::worker::{WorkerDirectory, WorkerSpec};
use crate::http::routing::RouteInfo;

/// The Fly machinery of one process. `Send + Clone`: build it once in
/// `Application::build`, then call [`Fly::replay`] inside the
/// `HttpServer::new` factory of every server worker thread.
#[derive(Clone)]
pub struct Fly {
    pub(crate) replay: Arc<ReplayConfig>,
    pub(crate) api: Option<ApiConfig>,
}

/// What the middleware needs, shared by all threads.
pub(crate) struct ReplayConfig {
    pub role: Role,
    pub enabled: bool,
    pub table: ServerlessTable,
    pub own_id: Option<String>,
    pub replay_timeout: Duration,
    pub max_body: u64,
    pub serve_locally_on_api_failure: bool,
    pub refresh_interval: Option<Duration>,
    pub directory: WorkerDirectory,
    pub metrics: FlyMetrics,
    pub counters: Counters,
}

/// Counters resolved once, so the hot path does no label lookups.
pub(crate) struct Counters {
    pub replay_instance: IntCounter,
    pub replay_elsewhere: IntCounter,
    pub local_home: IntCounter,
    pub local_operational: IntCounter,
    pub local_routing: IntCounter,
    pub local_replay_failed: IntCounter,
    pub local_already_replayed: IntCounter,
    pub local_api_failure: IntCounter,
    pub refused_405: IntCounter,
    pub refused_411: IntCounter,
    pub refused_413: IntCounter,
    pub refused_503: IntCounter,
}

impl Fly {
    /// Checks the serverless routes against the app's `routes`, registers
    /// the metrics with `registry`, and prepares the API client when this
    /// process runs on Fly (an app name and a token are set). Off Fly,
    /// replay is off and every machine serves every route; this is logged
    /// once, here.
    pub fn from_settings(
        settings: &FlySettings,
        role: Role,
        registry: &Registry,
        routes: &[RouteInfo],
    ) -> Result<Fly, FlyError> {
        let table = ServerlessTable::validate(&settings.serverless_routes, routes)?;
        let metrics = FlyMetrics::register(registry)?;
        let api = ApiConfig::from_settings(settings, Some(metrics.clone()))?;
        let spec = WorkerSpec::new(settings, std::env::vars());
        if api.is_some() && role == Role::Main && spec.image_ref.is_none() && !table.is_empty() {
            return Err(FlyError::Setting {
                key: "fly.image_ref",
                reason: "FLY_IMAGE_REF must be set on main when replay is on: \
                         the worker is created from it"
                    .to_owned(),
            });
        }

        let enabled = api.is_some();
        if enabled {
            log::info!(
                "fly-replay on: role={role}, serverless routes={}, machine_id={}",
                settings.serverless_routes.len(),
                spec.own_id.as_deref().unwrap_or("unknown")
            );
        } else {
            log::info!(
                "fly-replay off (FLY_APP_NAME or FLY_API_TOKEN not set): \
                 this machine serves every route itself"
            );
        }

        let directory = WorkerDirectory::new(
            spec.clone(),
            metrics.clone(),
            settings.lookup_timeout(),
            settings.cooldown(),
        );
        let replay = ReplayConfig {
            role,
            enabled,
            table,
            own_id: spec.own_id.clone(),
            replay_timeout: Duration::from_millis(settings.replay_timeout_ms),
            max_body: settings.max_replay_body_bytes,
            serve_locally_on_api_failure: settings.serve_locally_on_api_failure,
            refresh_interval: settings.refresh_interval(),
            directory,
            counters: Counters::new(&metrics),
            metrics,
        };
        Ok(Fly {
            replay: Arc::new(replay),
            api,
        })
    }

    /// The replay middleware for the current server thread, with its own
    /// Machines API client. Call it inside the `HttpServer::new` factory.
    pub fn replay(&self) -> FlyReplay {
        FlyReplay::new(
            self.replay.clone(),
            self.api.as_ref().map(ApiConfig::client),
        )
    }

    /// True when this process replays (it runs on Fly with a token).
    pub fn is_replay_on(&self) -> bool {
        self.replay.enabled
    }

    /// This process's role.
    pub fn role(&self) -> Role {
        self.replay.role
    }

    /// The metrics the machinery updates.
    pub fn metrics(&self) -> &FlyMetrics {
        &self.replay.metrics
    }

    /// The worker's id, if known. Makes no API call.
    pub fn cached_worker(&self) -> Option<String> {
        self.replay.directory.cached()
    }
}

impl Counters {
    fn new(metrics: &FlyMetrics) -> Counters {
        let local = |reason: &str| metrics.local_views.with_label_values(&[reason]);
        let refused = |status: &str| metrics.refused.with_label_values(&[status]);
        Counters {
            replay_instance: metrics.replays.with_label_values(&["instance"]),
            replay_elsewhere: metrics.replays.with_label_values(&["elsewhere"]),
            local_home: local("home"),
            local_operational: local("operational"),
            local_routing: local("routing"),
            local_replay_failed: local("replay_failed"),
            local_already_replayed: local("already_replayed"),
            local_api_failure: local("api_failure"),
            refused_405: refused("405"),
            refused_411: refused("411"),
            refused_413: refused("413"),
            refused_503: refused("503"),
        }
    }
}
