//! The Machines API's mutating calls: create, update, start, stop, suspend,
//! destroy, and the stand-in's own shutdown.

use std::time::Duration;

use serde_json::{Value, json};

use super::effects::{Effect, destroyed, launch, secrets_of};
use super::machine::{Machine, MachineState};
use super::{Fleet, FleetError};
use crate::localfly::config::MachineConfig;
use crate::localfly::ids;
use crate::localfly::launcher::StopSignal;

/// The body of `POST /machines`.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub config: Option<Value>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub skip_launch: bool,
    pub lease_ttl: Option<u64>,
}

/// The body of `POST /machines/{id}`.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub config: Option<Value>,
    pub name: Option<String>,
    pub region: Option<String>,
}

/// The body of `POST /machines/{id}/stop`.
#[derive(Debug, Clone, Default)]
pub struct StopRequest {
    pub signal: Option<StopSignal>,
    pub timeout: Option<Duration>,
}

impl Fleet {
    /// Creates a machine; it boots after the create delay unless `skip_launch`.
    pub fn create(&self, app: &str, request: CreateRequest) -> Result<Value, FleetError> {
        let config = MachineConfig::parse(request.config.as_ref())?;
        let region = request
            .region
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| self.inner.options.region.clone());
        let mut apps = self.lock();
        let state = apps.app(app)?;
        let name = match request.name.filter(|n| !n.is_empty()) {
            Some(name) => {
                check_name(&name)?;
                let taken = state
                    .machines
                    .values()
                    .any(|m| m.name == name && m.state != MachineState::Destroyed);
                if taken {
                    return Err(FleetError::Conflict(format!(
                        "already_exists: a machine named {name:?} exists in this app"
                    )));
                }
                name
            }
            None => ids::machine_name(),
        };
        let mut machine = Machine::new(name, region, config, request.skip_launch);
        let mut body = Value::Null;
        if let Some(ttl) = request.lease_ttl.filter(|ttl| *ttl > 0) {
            let lease = super::leases::new_lease(ttl, String::new());
            let nonce = lease.nonce.clone();
            machine.lease = Some(lease);
            body = json!(nonce);
        }
        let mut json = machine.to_json();
        if !body.is_null() {
            json["nonce"] = body;
        }
        let id = machine.id.clone();
        log::info!(
            "machine created app={app} machine_id={id} name={} image={}",
            machine.name,
            machine.config.image()
        );
        state.machines.insert(id.clone(), machine);
        drop(apps);
        self.run(vec![Effect::FinishCreate {
            app: app.to_owned(),
            id,
        }]);
        Ok(json)
    }

    /// Replaces a machine's config; a running machine restarts with it, a
    /// stopped one stays stopped.
    pub fn update(
        &self,
        app: &str,
        id: &str,
        nonce: Option<&str>,
        request: UpdateRequest,
    ) -> Result<Value, FleetError> {
        let config = MachineConfig::parse(request.config.as_ref())?;
        let stop_timeout = self.inner.options.stop_timeout;
        let mut apps = self.lock();
        let machine = apps.machine(app, id)?;
        check_lease(machine, nonce)?;
        if request
            .name
            .is_some_and(|n| !n.is_empty() && n != machine.name)
        {
            return Err(FleetError::BadRequest(
                "a machine's name cannot change".into(),
            ));
        }
        if request
            .region
            .is_some_and(|r| !r.is_empty() && r != machine.region)
        {
            return Err(FleetError::BadRequest(
                "a machine's region cannot change".into(),
            ));
        }
        if matches!(
            machine.state,
            MachineState::Destroying | MachineState::Destroyed
        ) {
            return Err(state_error("update", machine.state));
        }

        machine.config = config;
        machine.instance_id = ids::ulid();
        machine.retries = 0;
        machine.record("update", "replacing", "user", None);
        let mut effects = Vec::new();
        match machine.state {
            MachineState::Started | MachineState::Starting | MachineState::Suspended => {
                machine.relaunch = machine.state != MachineState::Suspended;
                machine.set_state(MachineState::Replacing);
                if let Some(runtime) = &machine.runtime {
                    effects.push(Effect::Stop {
                        control: runtime.control.clone(),
                        signal: StopSignal::Term,
                        timeout: stop_timeout,
                    });
                }
            }
            _ => machine.set_state(machine.state),
        }
        let json = machine.to_json();
        log::info!(
            "machine updated app={app} machine_id={id} image={}",
            machine.config.image()
        );
        drop(apps);
        self.run(effects);
        Ok(json)
    }

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

    /// Destroys a machine; a running one only with `force`.
    pub fn destroy(
        &self,
        app: &str,
        id: &str,
        nonce: Option<&str>,
        force: bool,
    ) -> Result<(), FleetError> {
        let effects = {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            check_lease(machine, nonce)?;
            match machine.state {
                MachineState::Destroying | MachineState::Destroyed => {
                    return Err(FleetError::Precondition(
                        "machine is already destroyed".to_owned(),
                    ));
                }
                MachineState::Created
                | MachineState::Stopped
                | MachineState::Failed
                | MachineState::Suspended => {}
                _ if force => {}
                state => {
                    return Err(FleetError::Precondition(format!(
                        "unable to destroy machine, not currently stopped, suspended, or \
                         failed (state '{}'); pass force=true",
                        state.as_str()
                    )));
                }
            }
            log::info!("machine destroying app={app} machine_id={id}");
            match &machine.runtime {
                Some(runtime) => {
                    let control = runtime.control.clone();
                    machine.set_state(MachineState::Destroying);
                    machine.record("destroy", "destroying", "user", None);
                    vec![Effect::Stop {
                        control,
                        signal: StopSignal::Kill,
                        timeout: Duration::from_secs(1),
                    }]
                }
                None if machine.state == MachineState::Starting => {
                    machine.set_state(MachineState::Destroying);
                    Vec::new()
                }
                None => vec![destroyed(app, machine)],
            }
        };
        self.run(effects);
        Ok(())
    }

    /// Stops every machine (signal, then kill after `grace`) and launches
    /// nothing more. Blocks until all have exited or been killed.
    pub fn shutdown(&self, grace: Duration) {
        let controls: Vec<_> = {
            let mut apps = self.lock();
            apps.closing = true;
            apps.apps
                .values_mut()
                .flat_map(|app| app.machines.values_mut())
                .filter_map(|machine| {
                    let runtime = machine.runtime.as_ref()?;
                    let control = runtime.control.clone();
                    machine.set_state(MachineState::Stopping);
                    Some(control)
                })
                .collect()
        };
        if !controls.is_empty() {
            log::info!("stopping machines count={}", controls.len());
        }
        for control in &controls {
            control.signal(StopSignal::Term);
        }
        for control in &controls {
            if !control.wait_exit(grace) {
                control.kill();
                control.wait_exit(Duration::from_secs(2));
            }
        }
        self.notify();
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
    secrets: &std::collections::BTreeMap<String, String>,
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

/// 409 unless the lease (if any) is held by the caller.
pub(super) fn check_lease(machine: &Machine, nonce: Option<&str>) -> Result<(), FleetError> {
    match machine.active_lease() {
        Some(lease) if nonce != Some(lease.nonce.as_str()) => Err(FleetError::Conflict(format!(
            "machine {} is leased by {} until {}; send its fly-machine-lease-nonce header",
            machine.id,
            lease.owner,
            super::leases::rfc3339(lease.expires_at),
        ))),
        _ => Ok(()),
    }
}

fn state_error(action: &str, state: MachineState) -> FleetError {
    FleetError::Precondition(format!(
        "unable to {action} machine from current state: '{}'",
        state.as_str()
    ))
}

fn check_name(name: &str) -> Result<(), FleetError> {
    let valid = name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(FleetError::Invalid(crate::localfly::config::ConfigError(
            "`name` must be under 63 characters of lowercase letters, digits and dashes".to_owned(),
        )))
    }
}
