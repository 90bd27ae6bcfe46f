//! The fleet: every app's machines and the rules by which their states move.
//!
//! One lock guards all records; anything slow (launching, signalling,
//! waiting for an exit) runs after the lock is released, on its own thread,
//! and reports back through the same methods. Every change bumps a watch
//! counter that `wait` and the proxy listen to.

mod effects;
mod leases;
mod lifecycle;
mod machine;
mod queries;
mod reports;
mod routing;
mod running;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::localfly::config::ConfigError;
use crate::localfly::launcher::Launcher;

pub use lifecycle::{CreateRequest, UpdateRequest};
pub use machine::{Lease, Machine, MachineState};
pub use queries::ListFilter;
pub use routing::{Route, WakeError};
pub use running::StopRequest;

/// Timings and defaults of the fleet.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Region of machines created without one.
    pub region: String,
    /// How long a new machine stays `created` before it boots.
    pub create_delay: Duration,
    /// How long a destroyed machine is still shown before GET answers 404.
    pub destroyed_grace: Duration,
    /// How long a stop waits after its signal before killing.
    pub stop_timeout: Duration,
    /// Pause before a restart-policy restart.
    pub restart_backoff: Duration,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            region: "dev".to_owned(),
            create_delay: Duration::from_millis(100),
            destroyed_grace: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(10),
            restart_backoff: Duration::from_millis(500),
        }
    }
}

/// Why a fleet operation was refused; each maps to one API status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// 404: the app does not exist.
    #[error("app not found")]
    AppNotFound,
    /// 404: no such machine (or destroyed long enough ago).
    #[error("machine not found")]
    MachineNotFound,
    /// 404: the machine holds no lease.
    #[error("lease not found")]
    LeaseNotFound,
    /// 412: the machine's state does not allow it.
    #[error("failed_precondition: {0}")]
    Precondition(String),
    /// 409: a lease is held by someone else, or a name is taken.
    #[error("{0}")]
    Conflict(String),
    /// 422: the config is unusable.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// 400: a parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 408: `wait` ran out of time.
    #[error("deadline_exceeded: timeout waiting for machine to be {0}")]
    Timeout(String),
}

/// The machines of every app, shared by the API, the proxy and `dev`.
#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<Apps>,
    launcher: Arc<dyn Launcher>,
    options: FleetOptions,
    changes: watch::Sender<u64>,
}

#[derive(Default)]
struct Apps {
    apps: BTreeMap<String, AppState>,
    closing: bool,
}

struct AppState {
    secrets: BTreeMap<String, String>,
    machines: BTreeMap<String, Machine>,
    /// Destroyed machines past their grace time, for `include_deleted`.
    gone: Vec<Value>,
}

impl Fleet {
    /// An empty fleet that runs machines with `launcher`.
    pub fn new(launcher: Arc<dyn Launcher>, options: FleetOptions) -> Fleet {
        Fleet {
            inner: Arc::new(Inner {
                state: Mutex::new(Apps::default()),
                launcher,
                options,
                changes: watch::Sender::new(0),
            }),
        }
    }

    /// Adds an app whose machines all receive `secrets` in their env.
    pub fn add_app(&self, name: &str, secrets: BTreeMap<String, String>) {
        self.lock().apps.insert(
            name.to_owned(),
            AppState {
                secrets,
                machines: BTreeMap::new(),
                gone: Vec::new(),
            },
        );
    }

    /// Whether `name` is an app of this fleet.
    pub fn has_app(&self, name: &str) -> bool {
        self.lock().apps.contains_key(name)
    }

    /// The fleet's options.
    pub fn options(&self) -> &FleetOptions {
        &self.inner.options
    }

    fn lock(&self) -> MutexGuard<'_, Apps> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify(&self) {
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every change of any machine.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }
}

impl Apps {
    fn app(&mut self, app: &str) -> Result<&mut AppState, FleetError> {
        self.apps.get_mut(app).ok_or(FleetError::AppNotFound)
    }

    fn machine(&mut self, app: &str, id: &str) -> Result<&mut Machine, FleetError> {
        self.app(app)?
            .machines
            .get_mut(id)
            .ok_or(FleetError::MachineNotFound)
    }
}
