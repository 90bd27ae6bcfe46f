//! Helpers of the Local Fly tests: the stand-ins on port 0, small backend
//! apps to put behind the proxy, and a client that talks to the API the way
//! Fly clients do.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use awc::http::StatusCode;
use fly_store::localfly::proxy::ProxyOptions;
use fly_store::localfly::{
    Fleet, FleetOptions, Launcher, LocalFly, StackOptions, StaticLauncher, api,
};
use serde_json::{Value, json};

/// The app every test uses.
pub const APP: &str = "test-app";
/// A second app of the same Local Fly, for `fly-replay: app=`.
pub const OTHER_APP: &str = "other-app";
/// The token every test uses.
pub const TOKEN: &str = "test-token";

/// A running API stand-in.
pub struct TestApi {
    pub token: String,
    pub base: String,
    pub client: awc::Client,
}

/// A running Local Fly: API, proxy and fleet.
pub struct TestFly {
    pub local: LocalFly,
    pub api: TestApi,
    pub proxy: String,
}

/// What a backend answers, given the request and its body.
pub type Behaviour = Arc<dyn Fn(&HttpRequest, &[u8]) -> HttpResponse + Send + Sync>;

/// Starts a tiny app on port 0 that answers with `behaviour`.
pub fn spawn_backend(behaviour: Behaviour) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let behaviour = behaviour.clone();
        App::new()
            .app_data(web::PayloadConfig::new(8 << 20))
            .default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let behaviour = behaviour.clone();
                async move { behaviour(&req, &body) }
            }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    addr
}

/// A behaviour that answers `name`, the request headers and the body size.
pub fn echo(name: &'static str) -> Behaviour {
    Arc::new(move |req, body| HttpResponse::Ok().json(echo_body(name, req, body)))
}

/// The JSON an echo answers.
pub fn echo_body(name: &str, req: &HttpRequest, body: &[u8]) -> Value {
    let headers: serde_json::Map<String, Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or_default())))
        .collect();
    json!({"served_by": name, "path": req.path(), "headers": headers, "body_len": body.len()})
}

/// Starts Local Fly with `launcher`, fast timings, and `proxy` options
/// adjusted by `tune`.
pub fn spawn_fly(launcher: Arc<dyn Launcher>, tune: impl FnOnce(&mut ProxyOptions)) -> TestFly {
    let mut proxy = ProxyOptions::new(APP);
    proxy.autostop_after = None;
    proxy.wake_timeout = Duration::from_secs(5);
    tune(&mut proxy);
    let local = LocalFly::start(StackOptions {
        api_listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        proxy_listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        token: TOKEN.to_owned().into(),
        apps: vec![
            (
                APP.to_owned(),
                BTreeMap::from([("APP_SECRET".to_owned(), "s3".to_owned())]),
            ),
            (OTHER_APP.to_owned(), BTreeMap::new()),
        ],
        fleet: fast_options(),
        proxy,
        launcher,
        shutdown_grace: Duration::from_secs(2),
    })
    .unwrap();
    let api = TestApi::at(&format!("{}/v1/apps/{APP}/machines", local.api_url()));
    let proxy = local.proxy_url();
    TestFly { local, api, proxy }
}

/// A config whose image is `image`, with an http service on 80 and 443.
pub fn config_for(image: &str) -> Value {
    let mut config = config();
    config["image"] = json!(image);
    config
}

impl TestFly {
    /// Creates a started machine of `image`; returns its id.
    pub async fn machine(&self, image: &str) -> String {
        self.machine_with(json!({"config": config_for(image)}))
            .await
    }

    /// Creates a started machine from a whole create `body`; returns its id.
    pub async fn machine_with(&self, body: Value) -> String {
        let machine = self.api.create(body).await;
        let id = machine["id"].as_str().unwrap().to_owned();
        self.api.wait_for(&id, "started").await;
        id
    }

    /// A client of the other app's machines.
    pub fn other_app(&self) -> TestApi {
        TestApi::at(&format!(
            "{}/v1/apps/{OTHER_APP}/machines",
            self.local.api_url()
        ))
    }

    /// Sends `GET path` through the proxy with `headers`.
    pub async fn get(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, awc::http::header::HeaderMap, Vec<u8>) {
        let mut request = self.api.client.get(format!("{}{path}", self.proxy));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request.send().await.unwrap();
        let body = response.body().limit(8 << 20).await.unwrap().to_vec();
        (response.status(), response.headers().clone(), body)
    }
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
    let server = api::serve(fleet, TOKEN.to_owned().into(), listener).unwrap();
    actix_web::rt::spawn(server);
    TestApi::at(&format!("http://{addr}/v1/apps/{APP}/machines"))
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
    /// A client of the API whose machines collection is at `base`.
    pub fn at(base: &str) -> TestApi {
        TestApi::with_token(base, TOKEN)
    }

    /// A client that sends `token`.
    pub fn with_token(base: &str, token: &str) -> TestApi {
        TestApi {
            token: token.to_owned(),
            base: base.to_owned(),
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(70))
                .finish(),
        }
    }

    /// Sends a request with the token; returns status and JSON (Null if none).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_with(
            method,
            path,
            body,
            &[("authorization", &format!("Bearer {}", self.token))],
        )
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
