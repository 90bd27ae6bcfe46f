//! One machine's record: its state, config, events and lease, and the JSON
//! the Machines API shows for it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::localfly::config::MachineConfig;
use crate::localfly::ids;
use crate::localfly::launcher::{Control, Exit};

/// Events kept per machine, newest first (the API's `limit` maximum).
const EVENTS_KEPT: usize = 50;

/// The states a machine moves through, with Fly's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineState {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
    Suspending,
    Suspended,
    Replacing,
    Destroying,
    Destroyed,
    Failed,
}

impl MachineState {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineState::Created => "created",
            MachineState::Starting => "starting",
            MachineState::Started => "started",
            MachineState::Stopping => "stopping",
            MachineState::Stopped => "stopped",
            MachineState::Suspending => "suspending",
            MachineState::Suspended => "suspended",
            MachineState::Replacing => "replacing",
            MachineState::Destroying => "destroying",
            MachineState::Destroyed => "destroyed",
            MachineState::Failed => "failed",
        }
    }

    /// Whether the state is one a machine rests in (what `settled` waits for).
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            MachineState::Started
                | MachineState::Stopped
                | MachineState::Suspended
                | MachineState::Failed
                | MachineState::Destroyed
        )
    }
}

/// A lease on a machine.
#[derive(Debug, Clone)]
pub struct Lease {
    pub nonce: String,
    pub owner: String,
    pub description: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub version: String,
}

impl Lease {
    /// Whether the lease still holds at `now` (Unix seconds).
    pub fn is_active(&self, now: i64) -> bool {
        self.expires_at > now
    }

    /// The `data` object of lease responses.
    pub fn to_json(&self) -> Value {
        json!({
            "nonce": self.nonce,
            "expires_at": self.expires_at,
            "owner": self.owner,
            "description": self.description,
            "version": self.version,
        })
    }
}

/// A running instance of a machine.
#[derive(Clone)]
pub struct Runtime {
    pub ports: BTreeMap<u16, SocketAddr>,
    pub control: Arc<dyn Control>,
    pub generation: u64,
    /// Set once the proxy has connected to it.
    pub ready: bool,
}

/// Everything the stand-in knows about a machine.
#[derive(Clone)]
pub struct Machine {
    pub id: String,
    pub name: String,
    pub region: String,
    pub state: MachineState,
    pub instance_id: String,
    pub private_ip: String,
    pub config: MachineConfig,
    pub created_at: String,
    pub updated_at: String,
    pub events: Vec<Value>,
    pub lease: Option<Lease>,
    pub cordoned: bool,
    pub skip_launch: bool,
    pub runtime: Option<Runtime>,
    /// Bumped on every launch; exits of older launches are ignored.
    pub generation: u64,
    pub retries: u32,
    /// During `replacing`: start again once the old instance is down.
    pub relaunch: bool,
    pub last_exit: Option<Exit>,
    pub destroyed_at: Option<Instant>,
    /// When the proxy last finished a request on it (or it started).
    pub last_active: Instant,
}

impl Machine {
    /// A new machine in the `created` state.
    pub fn new(name: String, region: String, config: MachineConfig, skip_launch: bool) -> Machine {
        let now = timestamp();
        let mut machine = Machine {
            id: ids::machine_id(),
            name,
            region,
            state: MachineState::Created,
            instance_id: ids::ulid(),
            private_ip: ids::private_ip(),
            config,
            created_at: now.clone(),
            updated_at: now,
            events: Vec::new(),
            lease: None,
            cordoned: false,
            skip_launch,
            runtime: None,
            generation: 0,
            retries: 0,
            relaunch: false,
            last_exit: None,
            destroyed_at: None,
            last_active: Instant::now(),
        };
        machine.record("launch", "created", "user", None);
        machine
    }

    /// Moves to `state`, stamping `updated_at`.
    pub fn set_state(&mut self, state: MachineState) {
        self.state = state;
        self.updated_at = timestamp();
    }

    /// Adds an event (newest first) and returns its id.
    pub fn record(&mut self, kind: &str, status: &str, source: &str, request: Option<Value>) {
        let mut event = json!({
            "id": ids::ulid(),
            "type": kind,
            "status": status,
            "source": source,
            "timestamp": ids::millis_now(),
        });
        if let Some(request) = request {
            event["request"] = request;
        }
        self.events.insert(0, event);
        self.events.truncate(EVENTS_KEPT);
    }

    /// The id of the newest event.
    pub fn last_event_id(&self) -> Value {
        self.events
            .first()
            .and_then(|event| event.get("id").cloned())
            .unwrap_or(Value::Null)
    }

    /// The lease if it still holds.
    pub fn active_lease(&self) -> Option<&Lease> {
        self.lease
            .as_ref()
            .filter(|lease| lease.is_active(Utc::now().timestamp()))
    }

    /// The Machine object of the API.
    pub fn to_json(&self) -> Value {
        let image = self.config.image();
        let (repository, tag) = match image.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, tag),
            _ => (image, "latest"),
        };
        let (registry, repository) = match repository.split_once('/') {
            Some((host, rest)) if host.contains('.') || host.contains(':') => (host, rest),
            _ => ("", repository),
        };
        json!({
            "id": self.id,
            "name": self.name,
            "state": self.state.as_str(),
            "region": self.region,
            "instance_id": self.instance_id,
            "private_ip": self.private_ip,
            "config": self.config.to_value(),
            "incomplete_config": null,
            "image_ref": {
                "registry": registry,
                "repository": repository,
                "tag": tag,
                "digest": "",
                "labels": {},
            },
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "events": self.events,
            "checks": [],
            "host_status": "ok",
            "cordoned": self.cordoned,
        })
    }
}

/// Now, as the API's second-precision RFC 3339 UTC time.
pub fn timestamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}
