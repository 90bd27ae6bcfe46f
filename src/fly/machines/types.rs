//! The Machine JSON of the Machines API, read leniently.
//!
//! The real API may send `config`, `env` or `metadata` missing or `null`,
//! states this code has never heard of, and fields added since. Everything
//! here is optional, unknown states are kept as text, and unknown config
//! fields are carried through an update unchanged.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A machine as the API describes it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Machine {
    /// Stable machine id, e.g. `148ed193b95389`.
    pub id: String,
    /// Machine name, unique within the app.
    #[serde(default)]
    pub name: Option<String>,
    /// Lifecycle state.
    #[serde(default)]
    pub state: MachineState,
    /// Region code.
    #[serde(default)]
    pub region: Option<String>,
    /// Version of the machine's config.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The config; absent or `null` for some machines.
    #[serde(default)]
    pub config: Option<MachineConfig>,
    /// Recent events, newest first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<MachineEvent>,
}

/// The parts of a machine's config this code reads or writes; everything
/// else is kept in `extra` so an update sends it back unchanged.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MachineConfig {
    /// The image reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Environment variables; non-string values are dropped.
    #[serde(
        default,
        deserialize_with = "string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env: BTreeMap<String, String>,
    /// Metadata tags; non-string values are dropped.
    #[serde(
        default,
        deserialize_with = "string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub metadata: BTreeMap<String, String>,
    /// Services exposed through the proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<Value>>,
    /// Destroy the machine when its process exits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_destroy: Option<bool>,
    /// Restart policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<Value>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One machine event (`launch`, `start`, `exit`, …).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MachineEvent {
    /// Event type, e.g. `exit`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Status after the event.
    #[serde(default)]
    pub status: Option<String>,
    /// Details; an exit event holds `exit_event.exit_code`.
    #[serde(default)]
    pub request: Option<Value>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub timestamp: Option<i64>,
}

/// A machine's state; anything unknown is kept as [`MachineState::Other`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MachineState {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
    Suspending,
    Suspended,
    Restarting,
    Updating,
    Replacing,
    Destroying,
    Destroyed,
    Replaced,
    Failed,
    /// A state missing, `null`, or not known to this code.
    #[default]
    Unknown,
    /// A state name this code does not know.
    Other(String),
}

impl MachineState {
    /// Parses a state name.
    pub fn parse(name: &str) -> MachineState {
        match name {
            "created" => MachineState::Created,
            "starting" => MachineState::Starting,
            "started" => MachineState::Started,
            "stopping" => MachineState::Stopping,
            "stopped" => MachineState::Stopped,
            "suspending" => MachineState::Suspending,
            "suspended" => MachineState::Suspended,
            "restarting" => MachineState::Restarting,
            "updating" => MachineState::Updating,
            "replacing" => MachineState::Replacing,
            "destroying" => MachineState::Destroying,
            "destroyed" => MachineState::Destroyed,
            "replaced" => MachineState::Replaced,
            "failed" => MachineState::Failed,
            other => MachineState::Other(other.to_owned()),
        }
    }

    /// True for a state from which the machine serves, or will serve once
    /// the proxy starts or resumes it.
    pub fn is_usable(&self) -> bool {
        matches!(
            self,
            MachineState::Created
                | MachineState::Starting
                | MachineState::Started
                | MachineState::Stopping
                | MachineState::Stopped
                | MachineState::Suspending
                | MachineState::Suspended
                | MachineState::Restarting
                | MachineState::Updating
                | MachineState::Replacing
        )
    }

    /// The state's name as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            MachineState::Created => "created",
            MachineState::Starting => "starting",
            MachineState::Started => "started",
            MachineState::Stopping => "stopping",
            MachineState::Stopped => "stopped",
            MachineState::Suspending => "suspending",
            MachineState::Suspended => "suspended",
            MachineState::Restarting => "restarting",
            MachineState::Updating => "updating",
            MachineState::Replacing => "replacing",
            MachineState::Destroying => "destroying",
            MachineState::Destroyed => "destroyed",
            MachineState::Replaced => "replaced",
            MachineState::Failed => "failed",
            MachineState::Unknown => "unknown",
            MachineState::Other(name) => name,
        }
    }
}

impl fmt::Display for MachineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MachineState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Option::<Value>::deserialize(deserializer)?;
        Ok(match value {
            Some(Value::String(name)) => MachineState::parse(&name),
            _ => MachineState::Unknown,
        })
    }
}

impl Serialize for MachineState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Machine {
    /// The config's metadata value for `key`, if any.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        let config = self.config.as_ref()?;
        config.metadata.get(key).map(String::as_str)
    }

    /// The config's env value for `key`, if any.
    pub fn env(&self, key: &str) -> Option<&str> {
        let config = self.config.as_ref()?;
        config.env.get(key).map(String::as_str)
    }

    /// The image the machine runs, if its config says.
    pub fn image(&self) -> Option<&str> {
        self.config.as_ref()?.image.as_deref()
    }

    /// The exit code of the newest `exit` event, if any.
    pub fn exit_code(&self) -> Option<i32> {
        self.events
            .iter()
            .filter(|event| event.kind.as_deref() == Some("exit"))
            .find_map(|event| event.request.as_ref().and_then(exit_code_in))
    }
}

/// Finds an exit code in an event's request or a wait answer:
/// `exit_event.exit_code` or a top-level `exit_code`.
pub fn exit_code_in(value: &Value) -> Option<i32> {
    let code = value
        .pointer("/exit_event/exit_code")
        .or_else(|| value.get("exit_code"))?;
    code.as_i64().and_then(|code| i32::try_from(code).ok())
}

/// Parses a list answer, skipping entries that are not machines (no `id`)
/// instead of failing the whole list.
pub fn parse_machine_list(body: &[u8]) -> Result<Vec<Machine>, serde_json::Error> {
    let entries: Option<Vec<Value>> = serde_json::from_slice(body)?;
    Ok(entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| match serde_json::from_value::<Machine>(entry) {
            Ok(machine) => Some(machine),
            Err(error) => {
                log::debug!("skipping an unreadable machine in a list answer: {error}");
                None
            }
        })
        .collect())
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn string_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    let Some(Value::Object(map)) = value else {
        return Ok(BTreeMap::new());
    };
    Ok(map
        .into_iter()
        .filter_map(|(key, value)| match value {
            Value::String(text) => Some((key, text)),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_config_env_and_metadata_read_as_empty() {
        let body = br#"[
            {"id":"a1","state":"started","config":null},
            {"id":"b2","state":"stopped","config":{"env":null,"metadata":null}},
            {"id":"c3","config":{"env":{"A":"1","B":null},"metadata":{"role":"worker"}}}
        ]"#;

        let machines = parse_machine_list(body).unwrap();

        assert_eq!(machines.len(), 3);
        assert!(machines[0].config.is_none());
        assert!(machines[1].config.as_ref().unwrap().env.is_empty());
        assert_eq!(machines[2].env("A"), Some("1"));
        assert_eq!(machines[2].env("B"), None);
        assert_eq!(machines[2].state, MachineState::Unknown);
    }

    #[test]
    fn unknown_states_and_extra_fields_are_kept() {
        let body = br#"[{"id":"a1","state":"hibernating","shiny":true,
            "config":{"image":"img","dns":{"skip_registration":true}}}]"#;

        let machines = parse_machine_list(body).unwrap();

        let machine = &machines[0];
        assert_eq!(machine.state, MachineState::Other("hibernating".into()));
        assert!(!machine.state.is_usable());
        let config = serde_json::to_value(machine.config.as_ref().unwrap()).unwrap();
        assert_eq!(config["dns"]["skip_registration"], true);
    }

    #[test]
    fn entries_without_an_id_are_skipped_and_null_lists_are_empty() {
        let machines = parse_machine_list(br#"[{"state":"started"},{"id":"ok"}]"#).unwrap();
        assert_eq!(machines.len(), 1);
        assert!(parse_machine_list(b"null").unwrap().is_empty());
    }

    #[test]
    fn the_exit_code_comes_from_the_newest_exit_event() {
        let machine: Machine = serde_json::from_str(
            r#"{"id":"e8","state":"destroyed","events":[
                {"type":"destroy","status":"destroyed"},
                {"type":"exit","status":"stopped","request":{"exit_event":{"exit_code":3}}},
                {"type":"exit","status":"stopped","request":{"exit_event":{"exit_code":0}}}
            ]}"#,
        )
        .unwrap();

        assert_eq!(machine.exit_code(), Some(3));
    }
}
