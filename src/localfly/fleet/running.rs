//! Moving a running machine: start (or resume), stop, suspend, restart,
//! and signals.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::effects::{Effect, launch, secrets_of};
use super::lifecycle::{check_lease, state_error};
use super::machine::{Machine, MachineState};
use super::{Fleet, FleetError};
use crate::localfly::launcher::StopSignal;

/// The body of `POST /machines/{id}/stop`.
#[derive(Debug, Clone, Default)]
pub struct StopRequest {
    pub signal: Option<StopSignal>,
    pub timeout: Option<Duration>,
}

impl Fleet {
    /// Starts a stopped machine or resumes a suspended one; 412 otherwise.
    pub fn start(&self, app: &str, id: &str, nonce: Option<&str>) -> Result<Value, FleetError> {
        let mut apps = self.lock();
        let state = apps.app(app)?;
        let secrets = secrets_of(state);
        let machine = state
            .machines
            .get_mut(id)
            .ok_or(FleetError::MachineNotFound)?;
        check_lease(machine, nonce)?;
        let previous = machine.state;
        let effects = start_effects(app, machine, &secrets)?;
        drop(apps);
        self.run(effects);
        Ok(json!({
            "previous_state": previous.as_str(),
            "migrated": false,
            "new_host": "",
        }))
    }

    /// Stops a machine: its stop signal, then a kill after the timeout.
    pub fn stop(
        &self,
        app: &str,
        id: &str,
        nonce: Option<&str>,
        request: StopRequest,
    ) -> Result<(), FleetError> {
        let effects = {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            check_lease(machine, nonce)?;
            self.stop_effects(machine, request)?
        };
        self.run(effects);
        Ok(())
    }

    /// Restarts a started machine: stop signal, then the same config again.
    pub fn restart(
        &self,
        app: &str,
        id: &str,
        nonce: Option<&str>,
        signal: Option<StopSignal>,
        timeout: Option<Duration>,
    ) -> Result<(), FleetError> {
        let stop_timeout = timeout.unwrap_or(self.inner.options.stop_timeout);
        let effects = {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            check_lease(machine, nonce)?;
            let Some(runtime) = machine
                .runtime
                .as_ref()
                .filter(|_| machine.state == MachineState::Started)
            else {
                return Err(state_error("restart", machine.state));
            };
            let control = runtime.control.clone();
            machine.relaunch = true;
            machine.set_state(MachineState::Replacing);
            machine.record("restart", "restarting", "user", None);
            vec![Effect::Stop {
                control,
                signal: signal.unwrap_or(StopSignal::Term),
                timeout: stop_timeout,
            }]
        };
        self.run(effects);
        Ok(())
    }

    /// Sends `signal` to a started machine's process; what follows depends
    /// on how (and whether) it exits.
    pub fn signal(
        &self,
        app: &str,
        id: &str,
        nonce: Option<&str>,
        signal: StopSignal,
    ) -> Result<(), FleetError> {
        let control = {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            check_lease(machine, nonce)?;
            match &machine.runtime {
                Some(runtime) if machine.state == MachineState::Started => runtime.control.clone(),
                _ => return Err(state_error("signal", machine.state)),
            }
        };
        control.signal(signal);
        Ok(())
    }

    /// Suspends a started machine (its process is frozen).
    pub fn suspend(&self, app: &str, id: &str, nonce: Option<&str>) -> Result<(), FleetError> {
        let effects = {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            check_lease(machine, nonce)?;
            suspend_effects(app, machine)?
        };
        self.run(effects);
        Ok(())
    }

    pub(super) fn stop_effects(
        &self,
        machine: &mut Machine,
        request: StopRequest,
    ) -> Result<Vec<Effect>, FleetError> {
        let config = machine.config.to_value();
        let signal = request
            .signal
            .or_else(|| {
                config
                    .pointer("/stop_config/signal")
                    .and_then(Value::as_str)
                    .and_then(StopSignal::parse)
            })
            .unwrap_or(StopSignal::Int);
        let timeout = request
            .timeout
            .or_else(|| {
                config
                    .pointer("/stop_config/timeout")
                    .and_then(Value::as_str)
                    .and_then(crate::localfly::api::params::duration)
            })
            .unwrap_or(self.inner.options.stop_timeout);
        match machine.state {
            MachineState::Stopped => Ok(Vec::new()),
            MachineState::Started
            | MachineState::Starting
            | MachineState::Suspended
            | MachineState::Suspending => {
                machine.set_state(MachineState::Stopping);
                machine.record("stop", "stopping", "user", None);
                Ok(machine
                    .runtime
                    .as_ref()
                    .map(|runtime| Effect::Stop {
                        control: runtime.control.clone(),
                        signal,
                        timeout,
                    })
                    .into_iter()
                    .collect())
            }
            state => Err(state_error("stop", state)),
        }
    }
}

/// Starts or resumes `machine` if its state allows it.
pub(super) fn start_effects(
    app: &str,
    machine: &mut Machine,
    secrets: &BTreeMap<String, String>,
) -> Result<Vec<Effect>, FleetError> {
    match (machine.state, &machine.runtime) {
        (MachineState::Suspended, Some(runtime)) => {
            let control = runtime.control.clone();
            machine.set_state(MachineState::Started);
            machine.last_active = std::time::Instant::now();
            machine.record("start", "started", "user", Some(json!({"resumed": true})));
            Ok(vec![Effect::Resume(control)])
        }
        (MachineState::Stopped | MachineState::Suspended, _) => {
            machine.retries = 0;
            Ok(vec![launch(app, machine, secrets, Duration::ZERO)])
        }
        (state, _) => Err(state_error("start", state)),
    }
}

/// Suspends `machine` if it is started.
pub(super) fn suspend_effects(app: &str, machine: &mut Machine) -> Result<Vec<Effect>, FleetError> {
    match (machine.state, &machine.runtime) {
        (MachineState::Suspended, _) => Ok(Vec::new()),
        (MachineState::Started, Some(runtime)) => {
            let control = runtime.control.clone();
            machine.set_state(MachineState::Suspending);
            machine.record("suspend", "suspending", "user", None);
            Ok(vec![Effect::Pause {
                app: app.to_owned(),
                id: machine.id.clone(),
                control,
            }])
        }
        (state, _) => Err(state_error("suspend", state)),
    }
}
