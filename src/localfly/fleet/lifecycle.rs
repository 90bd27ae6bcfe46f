//! The Machines API's record-level calls: create, update and destroy, the
//! lease check every mutating call makes, and the stand-in's own shutdown.

use std::time::Duration;

use serde_json::{Value, json};

use super::effects::{Effect, destroyed};
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

pub(super) fn state_error(action: &str, state: MachineState) -> FleetError {
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
