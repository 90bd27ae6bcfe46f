//! The Machines API's reading calls: get, list, wait, events, and metadata.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::machine::{Machine, MachineState};
use super::{Fleet, FleetError};

/// The longest `wait` the API allows.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// States `wait` understands.
const WAITABLE: &[&str] = &[
    "started",
    "stopped",
    "suspended",
    "destroyed",
    "failed",
    "settled",
];

/// Filters of `GET /machines`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub include_deleted: bool,
    pub region: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub states: Vec<String>,
}

impl Fleet {
    /// One machine; destroyed ones are shown during their grace time.
    pub fn get(&self, app: &str, id: &str) -> Result<Value, FleetError> {
        Ok(self.lock().machine(app, id)?.to_json())
    }

    /// The app's machines that pass `filter`.
    pub fn list(&self, app: &str, filter: &ListFilter) -> Result<Vec<Value>, FleetError> {
        let mut apps = self.lock();
        let state = apps.app(app)?;
        let keep = |machine: &Machine| {
            filter.region.as_ref().is_none_or(|r| &machine.region == r)
                && (filter.states.is_empty()
                    || filter.states.iter().any(|s| s == machine.state.as_str()))
                && filter
                    .metadata
                    .iter()
                    .all(|(key, value)| machine.config.metadata().get(key) == Some(value))
        };
        let mut listed: Vec<Value> = state
            .machines
            .values()
            .filter(|m| keep(m))
            .map(Machine::to_json)
            .collect();
        if filter.include_deleted {
            listed.extend(
                state
                    .gone
                    .iter()
                    .filter(|m| gone_matches(m, filter))
                    .cloned(),
            );
        }
        Ok(listed)
    }

    /// Waits until the machine is in one of `states` (default `started`),
    /// at most `timeout` (capped at 60 s); 408 when it runs out.
    pub async fn wait(
        &self,
        app: &str,
        id: &str,
        states: &[String],
        timeout: Duration,
    ) -> Result<Value, FleetError> {
        let states: Vec<String> = if states.is_empty() {
            vec!["started".to_owned()]
        } else {
            states.to_vec()
        };
        if let Some(bad) = states.iter().find(|s| !WAITABLE.contains(&s.as_str())) {
            return Err(FleetError::BadRequest(format!(
                "invalid state {bad:?}; expected one of {}",
                WAITABLE.join(", ")
            )));
        }
        let deadline = tokio::time::Instant::now() + timeout.min(MAX_WAIT);
        let mut changes = self.changes();
        loop {
            changes.borrow_and_update();
            if let Some(reached) = self.reached(app, id, &states)? {
                return Ok(reached);
            }
            let changed = tokio::time::timeout_at(deadline, changes.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                return Err(FleetError::Timeout(states.join(",")));
            }
        }
    }

    fn reached(&self, app: &str, id: &str, states: &[String]) -> Result<Option<Value>, FleetError> {
        let mut apps = self.lock();
        let app_state = apps.app(app)?;
        let Some(machine) = app_state.machines.get(id) else {
            let purged = app_state.gone.iter().find(|m| m["id"] == id);
            return match purged {
                Some(gone)
                    if states
                        .iter()
                        .any(|s| satisfied_by(s, MachineState::Destroyed)) =>
                {
                    let mut body = json!({"ok": true, "state": "destroyed"});
                    if let Some(code) = last_exit_code(&gone["events"]) {
                        body["exit_code"] = code;
                    }
                    Ok(Some(body))
                }
                _ => Err(FleetError::MachineNotFound),
            };
        };
        let state = machine.state;
        let matched = states.iter().any(|s| satisfied_by(s, state));
        if !matched {
            return Ok(None);
        }
        let mut body = json!({
            "ok": true,
            "state": state.as_str(),
            "event_id": machine.last_event_id(),
            "version": machine.instance_id,
        });
        let exited = matches!(state, MachineState::Stopped | MachineState::Destroyed);
        if let Some(exit) = machine.last_exit.filter(|_| exited) {
            body["exit_code"] = json!(exit.code);
        }
        Ok(Some(body))
    }

    /// The newest `limit` events (default 20, at most 50).
    pub fn events(&self, app: &str, id: &str, limit: Option<usize>) -> Result<Value, FleetError> {
        let mut apps = self.lock();
        let machine = apps.machine(app, id)?;
        let limit = limit.unwrap_or(20).clamp(1, 50);
        Ok(Value::Array(
            machine.events.iter().take(limit).cloned().collect(),
        ))
    }

    /// The machine's metadata.
    pub fn metadata(&self, app: &str, id: &str) -> Result<BTreeMap<String, String>, FleetError> {
        Ok(self.lock().machine(app, id)?.config.metadata())
    }

    /// Sets one metadata key (the version does not change).
    pub fn set_metadata(
        &self,
        app: &str,
        id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), FleetError> {
        self.edit_metadata(app, id, |metadata| {
            metadata.insert(key.to_owned(), value.to_owned());
        })
    }

    /// Deletes one metadata key.
    pub fn delete_metadata(&self, app: &str, id: &str, key: &str) -> Result<(), FleetError> {
        self.edit_metadata(app, id, |metadata| {
            metadata.remove(key);
        })
    }

    /// Cordons (`true`) or uncordons a machine: the proxy routes nothing
    /// to a cordoned machine.
    pub fn set_cordoned(&self, app: &str, id: &str, cordoned: bool) -> Result<(), FleetError> {
        {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            machine.cordoned = cordoned;
            let kind = if cordoned { "cordon" } else { "uncordon" };
            machine.record(kind, machine.state.as_str(), "user", None);
        }
        self.notify();
        Ok(())
    }

    fn edit_metadata(
        &self,
        app: &str,
        id: &str,
        edit: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Result<(), FleetError> {
        {
            let mut apps = self.lock();
            let machine = apps.machine(app, id)?;
            if machine.state == MachineState::Destroyed {
                return Err(FleetError::MachineNotFound);
            }
            let mut metadata = machine.config.metadata();
            edit(&mut metadata);
            machine.config.set_metadata(&metadata);
        }
        self.notify();
        Ok(())
    }
}

/// Whether a machine in `state` satisfies a wait for `wanted`. A destroyed
/// machine has stopped too, so a wait for `stopped` (what clients of a
/// one-off `auto_destroy` machine do) ends when it is destroyed.
fn satisfied_by(wanted: &str, state: MachineState) -> bool {
    wanted == state.as_str()
        || (wanted == "settled" && state.is_settled())
        || (wanted == "stopped" && state == MachineState::Destroyed)
}

/// The exit code of the newest `exit` event in a machine's events JSON.
fn last_exit_code(events: &Value) -> Option<Value> {
    events
        .as_array()?
        .iter()
        .find(|event| event["type"] == "exit")
        .map(|event| event["request"]["exit_event"]["exit_code"].clone())
}

fn gone_matches(machine: &Value, filter: &ListFilter) -> bool {
    filter
        .region
        .as_ref()
        .is_none_or(|r| machine["region"] == r.as_str())
        && filter
            .metadata
            .iter()
            .all(|(k, v)| machine["config"]["metadata"][k] == v.as_str())
        && (filter.states.is_empty() || filter.states.iter().any(|s| s == "destroyed"))
}
