//! Helpers of the Local Fly tests: a Machines API stand-in on port 0 and a
//! client that talks to it the way Fly clients do.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use awc::http::StatusCode;
use fly_store::localfly::{Fleet, FleetOptions, Launcher, StaticLauncher, api};
use serde_json::{Value, json};

/// The app every test uses.
pub const APP: &str = "test-app";
/// The token every test uses.
pub const TOKEN: &str = "test-token";

/// A running API stand-in.
pub struct TestApi {
    pub fleet: Fleet,
    pub base: String,
    pub client: awc::Client,
}

/// Fast timings for tests.
pub fn fast_options() -> FleetOptions {
    FleetOptions {
        region: "tst".to_owned(),
        create_delay: Duration::from_millis(20),
        destroyed_grace: Duration::from_millis(400),
        stop_timeout: Duration::from_secs(2),
        restart_backoff: Duration::from_millis(20),
    }
}

/// An API stand-in whose machines run nowhere (every image "starts" at an
/// unused address), with `options`.
pub fn spawn_api_with(launcher: Arc<dyn Launcher>, options: FleetOptions) -> TestApi {
    let fleet = Fleet::new(launcher, options);
    fleet.add_app(APP, BTreeMap::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = api::serve(fleet.clone(), TOKEN.to_owned().into(), listener).unwrap();
    actix_web::rt::spawn(server);
    TestApi {
        fleet,
        base: format!("http://{addr}/v1/apps/{APP}/machines"),
        client: awc::Client::builder()
            .timeout(Duration::from_secs(70))
            .finish(),
    }
}

/// An API stand-in with fast timings and machines that run nowhere.
pub fn spawn_api() -> TestApi {
    spawn_api_with(Arc::new(nowhere_launcher()), fast_options())
}

/// Serves the image `test:app` from an address nothing listens on.
pub fn nowhere_launcher() -> StaticLauncher {
    let unused: SocketAddr = "127.0.0.1:9".parse().unwrap();
    StaticLauncher::new().with_image("test:app", unused)
}

/// A minimal valid config.
pub fn config() -> Value {
    json!({"image": "test:app", "services": [{
        "protocol": "tcp", "internal_port": 8000, "autostart": true, "autostop": "stop",
        "ports": [{"port": 80, "handlers": ["http"]}, {"port": 443, "handlers": ["tls", "http"]}]
    }]})
}

impl TestApi {
    /// Sends a request with the token; returns status and JSON (Null if none).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_with(method, path, body, &[("authorization", &format!("Bearer {TOKEN}"))])
            .await
    }

    /// Sends a request with exactly `headers`.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = match body {
            Some(body) => request.send_json(&body).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        let bytes = response.body().limit(1 << 20).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (response.status(), json)
    }

    /// Creates a machine from `body` and returns its JSON.
    pub async fn create(&self, body: Value) -> Value {
        let (status, machine) = self.call("POST", "", Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{machine}");
        machine
    }

    /// Creates a machine and waits until it is started; returns its id.
    pub async fn started_machine(&self) -> String {
        let machine = self.create(json!({"config": config()})).await;
        let id = machine["id"].as_str().unwrap().to_owned();
        self.wait_for(&id, "started").await;
        id
    }

    /// Waits (through the API) until machine `id` is in `state`.
    pub async fn wait_for(&self, id: &str, state: &str) {
        let (status, body) = self
            .call("GET", &format!("/{id}/wait?state={state}&timeout=10"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "waiting for {state}: {body}");
    }
}
