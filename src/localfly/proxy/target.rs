//! Choosing the machine for a request: least loaded among started ones,
//! else one that is booting, else one that may autostart.

use std::time::Duration;

use actix_web::http::StatusCode;

use super::Proxy;
use super::failure::Failure;
use crate::localfly::fleet::{MachineState, Route, WakeError};

/// Why no machine could take a replayed request (the `reason` of
/// `fly-replay-failed`).
#[derive(Debug, Clone)]
pub struct Missed {
    pub reason: &'static str,
    pub failure: Failure,
}

impl Proxy {
    /// A machine of `app` passing `keep`, started if it has to be.
    pub async fn pick(
        &self,
        app: &str,
        keep: impl Fn(&Route) -> bool,
        timeout: Duration,
    ) -> Result<Route, Missed> {
        let port = self.options.public_port;
        let routes = self.fleet.routes(app, port).map_err(|_| app_missing(app))?;
        let candidates: Vec<&Route> = routes.iter().filter(|r| keep(r)).collect();
        if let Some(route) = self.loads.least_loaded(candidates.iter().copied()) {
            return Ok(route.clone());
        }
        let booting = candidates.iter().find(|r| {
            matches!(
                r.state,
                MachineState::Created | MachineState::Starting | MachineState::Replacing
            )
        });
        let sleeping = candidates.iter().find(|r| {
            matches!(
                r.state,
                MachineState::Stopped
                    | MachineState::Suspended
                    | MachineState::Stopping
                    | MachineState::Suspending
            ) && r.service.autostart
        });
        match booting.or(sleeping) {
            Some(route) => self.wake(app, &route.id, timeout).await,
            None => Err(Missed {
                reason: "no_candidate",
                failure: Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "PR01",
                    format!("no machine of app {app} can take requests on port {port}"),
                ),
            }),
        }
    }

    /// Machine `id` of `app`, started if it has to be.
    pub async fn wake(&self, app: &str, id: &str, timeout: Duration) -> Result<Route, Missed> {
        let port = self.options.public_port;
        self.fleet
            .wake(app, id, port, timeout)
            .await
            .map_err(|error| {
                let (status, code, reason) = match &error {
                    WakeError::NotFound(_) => (StatusCode::BAD_GATEWAY, "PR02", "no_candidate"),
                    WakeError::NoService(_) => (StatusCode::BAD_GATEWAY, "PR01", "no_candidate"),
                    WakeError::AutostartOff(..) | WakeError::NotStartable(..) => {
                        (StatusCode::SERVICE_UNAVAILABLE, "PM08", "no_candidate")
                    }
                    WakeError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "PM03", "timeout"),
                };
                Missed {
                    reason,
                    failure: Failure::new(status, code, error.to_string()),
                }
            })
    }
}

fn app_missing(app: &str) -> Missed {
    Missed {
        reason: "no_candidate",
        failure: Failure::new(
            StatusCode::BAD_GATEWAY,
            "PA04",
            format!("replay target app {app} not found"),
        ),
    }
}
