//! A stand-in for the Fly Machines API on loopback: wiremock with one
//! stateful responder that keeps machines, leases and unique names like the
//! real API, answers with scripted overrides first, and records every
//! request (wiremock's journal).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The token the fake API accepts (`Bearer …`).
pub const TOKEN: &str = "fm2_sekrit-test-token-4f9a";
/// The app every test uses.
pub const APP: &str = "receipts-app";

/// Which Machines API endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    List,
    Create,
    Get,
    Update,
    Start,
    Stop,
    Wait,
    Destroy,
    LeaseAcquire,
    LeaseRelease,
    Unknown,
}

struct Override {
    endpoint: Endpoint,
    times: Option<usize>,
    answer: ResponseTemplate,
}

/// The fake API's state: its machines and scripted answers.
#[derive(Default)]
pub struct FakeState {
    /// Machines as JSON, as the API would list them.
    pub machines: Vec<Value>,
    /// Ids given to created machines, in order (generated when empty).
    pub create_ids: VecDeque<String>,
    /// How long a create takes.
    pub create_delay: Duration,
    /// 404s a get or wait of a just-created machine gets before it shows up.
    pub missing_after_create: usize,
    overrides: Vec<Override>,
    leases: Vec<(String, String)>,
    created: usize,
}

/// The running fake API.
pub struct FakeApi {
    pub server: MockServer,
    state: Arc<Mutex<FakeState>>,
}

impl FakeApi {
    /// Starts an empty fake API.
    pub async fn start() -> FakeApi {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(FakeState::default()));
        Mock::given(any())
            .respond_with(Responder {
                state: state.clone(),
            })
            .mount(&server)
            .await;
        FakeApi { server, state }
    }

    /// Its base URL (what `FLY_API_HOSTNAME` would be).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The state, to arrange machines or read them back.
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    /// Adds a machine.
    pub fn add_machine(&self, machine: Value) {
        self.state().machines.push(machine);
    }

    /// Answers the next `times` calls to `endpoint` (all, if `None`) with
    /// `answer` instead of the default behaviour.
    pub fn script(&self, endpoint: Endpoint, times: Option<usize>, answer: ResponseTemplate) {
        self.state().overrides.push(Override {
            endpoint,
            times,
            answer,
        });
    }

    /// Every request received so far.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// The requests received for `endpoint`.
    pub async fn calls(&self, endpoint: Endpoint) -> Vec<Request> {
        self.requests()
            .await
            .into_iter()
            .filter(|request| classify(request) == endpoint)
            .collect()
    }

    /// The machines tagged `role=worker` that are not destroyed.
    pub fn live_workers(&self) -> Vec<Value> {
        self.state()
            .machines
            .iter()
            .filter(|m| m["config"]["metadata"]["role"] == "worker" && m["state"] != "destroyed")
            .cloned()
            .collect()
    }
}

/// A machine as the real API lists it.
pub fn machine(id: &str, state: &str, image: &str, role: &str) -> Value {
    json!({
        "id": id,
        "name": format!("machine-{id}"),
        "state": state,
        "region": "iad",
        "instance_id": "01HEPA330HZ37A78TK080NAK1M",
        "created_at": "2024-01-01T00:00:00Z",
        "config": { "image": image, "metadata": { "role": role }, "env": {} }
    })
}

/// The endpoint a request is for.
pub fn classify(request: &Request) -> Endpoint {
    let prefix = format!("/v1/apps/{APP}/machines");
    let Some(rest) = request.url.path().strip_prefix(&prefix) else {
        return Endpoint::Unknown;
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let method = request.method.as_str();
    match (method, parts.as_slice()) {
        ("GET", []) => Endpoint::List,
        ("POST", []) => Endpoint::Create,
        ("GET", [_]) => Endpoint::Get,
        ("POST", [_]) => Endpoint::Update,
        ("DELETE", [_]) => Endpoint::Destroy,
        ("POST", [_, "start"]) => Endpoint::Start,
        ("POST", [_, "stop"]) => Endpoint::Stop,
        ("GET", [_, "wait"]) => Endpoint::Wait,
        ("POST", [_, "lease"]) => Endpoint::LeaseAcquire,
        ("DELETE", [_, "lease"]) => Endpoint::LeaseRelease,
        _ => Endpoint::Unknown,
    }
}

fn machine_id(request: &Request) -> String {
    let prefix = format!("/v1/apps/{APP}/machines/");
    let rest = request.url.path().strip_prefix(&prefix).unwrap_or_default();
    rest.split('/').next().unwrap_or_default().to_owned()
}

struct Responder {
    state: Arc<Mutex<FakeState>>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let authorized = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(format!("Bearer {TOKEN}").as_str());
        if !authorized {
            return error(401, "Authenticate: token validation error");
        }
        let endpoint = classify(request);
        let mut state = self.state.lock().unwrap();
        if let Some(answer) = state.take_override(endpoint) {
            return answer;
        }
        state.answer(endpoint, request)
    }
}

impl FakeState {
    fn take_override(&mut self, endpoint: Endpoint) -> Option<ResponseTemplate> {
        let index = self
            .overrides
            .iter()
            .position(|o| o.endpoint == endpoint && o.times != Some(0))?;
        let entry = &mut self.overrides[index];
        if let Some(times) = entry.times.as_mut() {
            *times -= 1;
        }
        Some(entry.answer.clone())
    }

    fn answer(&mut self, endpoint: Endpoint, request: &Request) -> ResponseTemplate {
        let id = machine_id(request);
        match endpoint {
            Endpoint::List => self.list(request),
            Endpoint::Create => self.create(request),
            Endpoint::Get | Endpoint::Wait => {
                if self.missing_after_create > 0 && self.created > 0 {
                    self.missing_after_create -= 1;
                    return error(404, "machine not found");
                }
                match self.find(&id) {
                    Some(m) if endpoint == Endpoint::Get => {
                        ResponseTemplate::new(200).set_body_json(m)
                    }
                    Some(m) => ResponseTemplate::new(200)
                        .set_body_json(json!({"ok": true, "state": m["state"]})),
                    None => error(404, "machine not found"),
                }
            }
            Endpoint::Update => self.update(&id, request),
            Endpoint::LeaseAcquire => {
                if self.leases.iter().any(|(m, _)| *m == id) {
                    return error(409, "aborted: lease currently held");
                }
                let nonce = format!("nonce-{}", self.leases.len() + 1);
                self.leases.push((id, nonce.clone()));
                ResponseTemplate::new(201)
                    .set_body_json(json!({"status": "success", "data": {"nonce": nonce}}))
            }
            Endpoint::LeaseRelease => {
                let nonce = header(request, "fly-machine-lease-nonce");
                self.leases
                    .retain(|(m, n)| !(*m == id && Some(n.as_str()) == nonce.as_deref()));
                ResponseTemplate::new(200).set_body_json(json!({"status": "success"}))
            }
            Endpoint::Start | Endpoint::Stop | Endpoint::Destroy => {
                ResponseTemplate::new(200).set_body_json(json!({"ok": true}))
            }
            Endpoint::Unknown => error(404, "no such endpoint"),
        }
    }

    fn list(&self, request: &Request) -> ResponseTemplate {
        let filter = request
            .url
            .query_pairs()
            .find(|(k, _)| k.starts_with("metadata."))
            .map(|(k, v)| (k["metadata.".len()..].to_owned(), v.into_owned()));
        let listed: Vec<&Value> = self
            .machines
            .iter()
            .filter(|m| m["state"] != "destroyed")
            .filter(|m| match &filter {
                Some((key, value)) => m["config"]["metadata"][key] == value.as_str(),
                None => true,
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(listed)
    }

    fn create(&mut self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let name = body["name"].as_str().map(str::to_owned);
        let taken = name.as_ref().is_some_and(|name| {
            self.machines
                .iter()
                .any(|m| m["name"] == name.as_str() && m["state"] != "destroyed")
        });
        if taken {
            return error(409, "name_taken: a machine with this name already exists");
        }
        self.created += 1;
        let id = self
            .create_ids
            .pop_front()
            .unwrap_or_else(|| format!("{:014x}", 0x1000_0000_0000u64 + self.created as u64));
        let machine = json!({
            "id": id,
            "name": name,
            "state": "created",
            "region": body["region"],
            "instance_id": "01HEPA330HZ37A78TK080NEW01",
            "config": body["config"],
        });
        self.machines.push(machine.clone());
        ResponseTemplate::new(200)
            .set_body_json(machine)
            .set_delay(self.create_delay)
    }

    fn update(&mut self, id: &str, request: &Request) -> ResponseTemplate {
        let held = self
            .leases
            .iter()
            .find(|(m, _)| m == id)
            .map(|(_, n)| n.clone());
        if held.is_some() && held != header(request, "fly-machine-lease-nonce") {
            return error(409, "machine is leased by someone else");
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let Some(machine) = self.machines.iter_mut().find(|m| m["id"] == id) else {
            return error(404, "machine not found");
        };
        machine["config"] = body["config"].clone();
        ResponseTemplate::new(200).set_body_json(machine.clone())
    }

    fn find(&self, id: &str) -> Option<Value> {
        self.machines.iter().find(|m| m["id"] == id).cloned()
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An API error answer.
pub fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": message }))
}
