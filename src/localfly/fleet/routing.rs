//! What the proxy asks of the fleet: which machines can take a request on a
//! public port, waking one up, and stopping idle ones.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::effects::secrets_of;
use super::machine::MachineState;
use super::running::{StopRequest, start_effects, suspend_effects};
use super::{Fleet, FleetError};
use crate::localfly::config::{Autostop, Service};

/// A machine with a service on the proxy's public port.
#[derive(Debug, Clone)]
pub struct Route {
    pub id: String,
    pub region: String,
    pub state: MachineState,
    /// Where its service listens, while it runs.
    pub addr: Option<SocketAddr>,
    pub generation: u64,
    /// Whether the proxy has reached it since it started.
    pub ready: bool,
    pub service: Service,
    pub leased: bool,
    pub idle_for: Duration,
}

/// Why a machine could not be made to take a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WakeError {
    /// No such machine in the app (PR02).
    #[error("machine {0} not found")]
    NotFound(String),
    /// It has no service on this port (PR01).
    #[error("machine {0} has no http service on this port")]
    NoService(String),
    /// It is stopped and its service does not allow autostart.
    #[error("machine {0} is {1} and its service does not autostart")]
    AutostartOff(String, &'static str),
    /// Its state cannot become started (PM08).
    #[error("machine {0} is {1} and cannot be started")]
    NotStartable(String, &'static str),
    /// It did not come up in time (PM03).
    #[error("machine {0} did not start in time")]
    Timeout(String),
}

impl Fleet {
    /// Machines of `app` with an `http` service on `port`, not destroyed
    /// and not cordoned.
    pub fn routes(&self, app: &str, port: u16) -> Result<Vec<Route>, FleetError> {
        let mut apps = self.lock();
        let state = apps.app(app)?;
        Ok(state
            .machines
            .values()
            .filter(|m| !m.cordoned && !matches!(m.state, MachineState::Destroyed))
            .filter_map(|m| {
                let service = m
                    .config
                    .services()
                    .into_iter()
                    .find(|s| s.serves_http_on(port))?;
                let runtime = m.runtime.as_ref();
                Some(Route {
                    id: m.id.clone(),
                    region: m.region.clone(),
                    state: m.state,
                    addr: runtime.and_then(|r| r.ports.get(&service.internal_port).copied()),
                    generation: m.generation,
                    ready: runtime.is_some_and(|r| r.ready),
                    service,
                    leased: m.active_lease().is_some(),
                    idle_for: m.last_active.elapsed(),
                })
            })
            .collect())
    }

    /// The region of a machine of `app`, if it exists.
    pub fn region_of(&self, app: &str, id: &str) -> Option<String> {
        self.lock().machine(app, id).ok().map(|m| m.region.clone())
    }

    /// Makes machine `id` take requests on `port`: returns its address once
    /// started, starting it first if it is stopped and may autostart.
    pub async fn wake(
        &self,
        app: &str,
        id: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Route, WakeError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.changes();
        let mut asked = false;
        loop {
            changes.borrow_and_update();
            let route = self
                .routes(app, port)
                .ok()
                .and_then(|routes| routes.into_iter().find(|r| r.id == id));
            let Some(route) = route else {
                return Err(if self.lock().machine(app, id).is_ok() {
                    WakeError::NoService(id.to_owned())
                } else {
                    WakeError::NotFound(id.to_owned())
                });
            };
            match route.state {
                MachineState::Started if route.addr.is_some() => return Ok(route),
                MachineState::Stopped | MachineState::Suspended if !asked => {
                    if !route.service.autostart {
                        return Err(WakeError::AutostartOff(id.to_owned(), route.state.as_str()));
                    }
                    self.autostart(app, id);
                    asked = true;
                }
                // Booting, or on its way down: wait, then start it again.
                MachineState::Created
                | MachineState::Starting
                | MachineState::Started
                | MachineState::Replacing
                | MachineState::Stopping
                | MachineState::Suspending
                | MachineState::Stopped
                | MachineState::Suspended => {}
                state => return Err(WakeError::NotStartable(id.to_owned(), state.as_str())),
            }
            let changed = tokio::time::timeout_at(deadline, changes.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                return Err(WakeError::Timeout(id.to_owned()));
            }
        }
    }

    fn autostart(&self, app: &str, id: &str) {
        let effects = {
            let mut apps = self.lock();
            let Ok(state) = apps.app(app) else { return };
            let secrets = secrets_of(state);
            let Some(machine) = state.machines.get_mut(id) else {
                return;
            };
            log::info!("proxy autostarting app={app} machine_id={id}");
            start_effects(app, machine, &secrets).unwrap_or_default()
        };
        self.run(effects);
    }

    /// Notes that the proxy reached the machine's current instance.
    pub fn mark_ready(&self, app: &str, id: &str, generation: u64) {
        if let Ok(machine) = self.lock().machine(app, id)
            && let Some(runtime) = machine
                .runtime
                .as_mut()
                .filter(|r| r.generation == generation)
        {
            runtime.ready = true;
        }
    }

    /// Notes that the machine just served a request.
    pub fn touch(&self, app: &str, id: &str) {
        if let Ok(machine) = self.lock().machine(app, id) {
            machine.last_active = Instant::now();
        }
    }

    /// Stops or suspends an idle machine on the proxy's behalf.
    pub fn autostop(&self, app: &str, id: &str, how: Autostop) {
        let effects = {
            let mut apps = self.lock();
            let Ok(machine) = apps.machine(app, id) else {
                return;
            };
            if machine.state != MachineState::Started {
                return;
            }
            log::info!(
                "proxy autostopping app={app} machine_id={id} idle_ms={} how={how:?}",
                machine.last_active.elapsed().as_millis()
            );
            match how {
                Autostop::Off => Ok(Vec::new()),
                Autostop::Suspend => suspend_effects(app, machine),
                Autostop::Stop => self.stop_effects(machine, StopRequest::default()),
            }
            .unwrap_or_default()
        };
        self.run(effects);
    }
}
