//! `fly-store dev`: Local Fly for one app on fixed local ports, with the
//! app's main machine created through the API stand-in as a deploy would.
//!
//! The caller prepares the database first (migrated, demo data when empty)
//! and passes its URL; [`run`] then serves until Ctrl-C (or SIGTERM) and
//! stops every machine before it returns.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::localfly::fleet::FleetOptions;
use crate::localfly::ids;
use crate::localfly::process::ProcessLauncher;
use crate::localfly::proxy::ProxyOptions;
use crate::localfly::stack::{LocalFly, StackOptions};

/// What `fly-store dev` can change.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Where the Machines API stand-in listens (`--api-port`).
    pub api_addr: SocketAddr,
    /// Where the proxy listens (`--port`).
    pub proxy_addr: SocketAddr,
    /// The app's name (`--app`).
    pub app: String,
    /// The token the API stand-in accepts; machines get it as the
    /// `FLY_API_TOKEN` secret.
    pub token: String,
    /// The region of the machines and of the proxy's edge.
    pub region: String,
    /// The program machines run; this same binary when `None`.
    pub program: Option<PathBuf>,
    /// The image the main machine is created from; a fresh
    /// `registry.fly.io/<app>:deployment-<ULID>` when `None`, as each
    /// deploy would have.
    pub image_ref: Option<String>,
    /// `DATABASE_URL` of the embedded database.
    pub database_url: String,
    /// More env for the main machine.
    pub env: BTreeMap<String, String>,
    /// More app secrets (every machine of the app gets them).
    pub secrets: BTreeMap<String, String>,
    /// The port the app listens on inside a machine.
    pub internal_port: u16,
    /// Idle time after which the proxy stops a machine.
    pub autostop_after: Duration,
    /// How long a stop waits for a machine before killing it.
    pub stop_timeout: Duration,
}

impl DevOptions {
    /// The defaults: API on 127.0.0.1:4280, proxy on 127.0.0.1:8080, app
    /// `fly-store`, token `dev`, autostop after 30 s.
    pub fn new(database_url: impl Into<String>) -> DevOptions {
        DevOptions {
            api_addr: SocketAddr::from(([127, 0, 0, 1], 4280)),
            proxy_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            app: "fly-store".to_owned(),
            token: "dev".to_owned(),
            region: "dev".to_owned(),
            program: None,
            image_ref: None,
            database_url: database_url.into(),
            env: BTreeMap::new(),
            secrets: BTreeMap::new(),
            internal_port: 8000,
            autostop_after: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(10),
        }
    }
}

/// Why `dev` could not run.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// A port is taken or not allowed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// Only loopback addresses are served.
    #[error("{0} is not a loopback address; Local Fly only listens on 127.0.0.1")]
    NotLoopback(SocketAddr),
    /// The program for machines is unknown.
    #[error("cannot find this program's path: {0}")]
    Program(std::io::Error),
    /// The servers could not start.
    #[error("cannot start Local Fly: {0}")]
    Start(std::io::Error),
    /// The main machine could not be created or did not start.
    #[error("the main machine did not come up: {0}")]
    MainMachine(String),
}

/// A running dev setup.
pub struct Dev {
    pub local: LocalFly,
    /// The main machine's id.
    pub main_machine: String,
    pub image_ref: String,
}

/// Starts Local Fly and the main machine; returns once it is started.
pub async fn start(options: DevOptions) -> Result<Dev, DevError> {
    let api_listener = bind(options.api_addr)?;
    let proxy_listener = bind(options.proxy_addr)?;
    let launcher = match &options.program {
        Some(program) => ProcessLauncher::new(program),
        None => ProcessLauncher::current_exe().map_err(DevError::Program)?,
    };
    let mut secrets = options.secrets.clone();
    secrets.insert("FLY_API_TOKEN".to_owned(), options.token.clone());
    secrets.insert("DATABASE_URL".to_owned(), options.database_url.clone());
    let mut proxy = ProxyOptions::new(options.app.clone());
    proxy.region = options.region.clone();
    proxy.autostop_after = Some(options.autostop_after);
    proxy.wake_timeout = Duration::from_secs(30);
    let local = LocalFly::start(StackOptions {
        api_listener,
        proxy_listener,
        token: options.token.clone().into(),
        apps: vec![(options.app.clone(), secrets)],
        fleet: FleetOptions {
            region: options.region.clone(),
            stop_timeout: options.stop_timeout,
            ..FleetOptions::default()
        },
        proxy,
        launcher: Arc::new(launcher),
        shutdown_grace: options.stop_timeout,
    })
    .map_err(DevError::Start)?;

    let image_ref = options
        .image_ref
        .clone()
        .unwrap_or_else(|| format!("registry.fly.io/{}:deployment-{}", options.app, ids::ulid()));
    match deploy_main(&local, &options, &image_ref).await {
        Ok(main_machine) => Ok(Dev {
            local,
            main_machine,
            image_ref,
        }),
        Err(error) => {
            local.stop().await;
            Err(error)
        }
    }
}

/// Runs `fly-store dev` until Ctrl-C or SIGTERM, then stops every machine.
pub async fn run(options: DevOptions) -> Result<(), DevError> {
    let dev = start(options.clone()).await?;
    log::info!(
        "Local Fly is up: open {} (app={} main machine_id={}); Machines API at {} (token \
         from FLY_API_TOKEN); each request logs the machine that served it and every replay; \
         Ctrl-C stops everything",
        dev.local.proxy_url(),
        options.app,
        dev.main_machine,
        dev.local.api_url(),
    );
    wait_for_stop_signal().await;
    log::info!("stopping Local Fly and every machine");
    dev.local.stop().await;
    Ok(())
}

/// The main machine's config, shaped as flyctl's deploy writes it.
pub fn main_machine_config(options: &DevOptions, image_ref: &str, api_url: &str) -> Value {
    let mut env = options.env.clone();
    env.insert("DATABASE_URL".to_owned(), options.database_url.clone());
    env.insert("FLY_API_HOSTNAME".to_owned(), api_url.to_owned());
    env.insert("PRIMARY_REGION".to_owned(), options.region.clone());
    json!({
        "image": image_ref,
        "env": env,
        "metadata": {
            "fly_platform_version": "v2",
            "fly_process_group": "app",
            "fly_release_version": "1",
        },
        "services": [{
            "protocol": "tcp",
            "internal_port": options.internal_port,
            "autostop": "stop",
            "autostart": true,
            "min_machines_running": 0,
            "ports": [
                {"port": 80, "handlers": ["http"]},
                {"port": 443, "handlers": ["tls", "http"]},
            ],
        }],
        "checks": {"health": {
            "type": "http", "port": options.internal_port, "path": "/healthz",
            "interval": "15s", "timeout": "2s",
        }},
        "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256},
        "stop_config": {"signal": "SIGTERM", "timeout": format!("{}s", options.stop_timeout.as_secs())},
    })
}

async fn deploy_main(
    local: &LocalFly,
    options: &DevOptions,
    image_ref: &str,
) -> Result<String, DevError> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(70))
        .bearer_auth(&options.token)
        .finish();
    let machines = format!("{}/v1/apps/{}/machines", local.api_url(), options.app);
    let body = json!({
        "name": format!("{}-main", options.app),
        "region": options.region,
        "config": main_machine_config(options, image_ref, &local.api_url()),
    });
    let created: Value = call(client.post(&machines).send_json(&body)).await?;
    let id = created["id"]
        .as_str()
        .ok_or_else(|| DevError::MainMachine(format!("no id in {created}")))?
        .to_owned();
    let wait = format!("{machines}/{id}/wait?state=started&timeout=60");
    call(client.get(wait).send()).await?;
    log::info!("main machine started machine_id={id} image={image_ref}");
    Ok(id)
}

async fn call(
    request: impl Future<Output = Result<awc::ClientResponse, awc::error::SendRequestError>>,
) -> Result<Value, DevError> {
    let mut response = request
        .await
        .map_err(|error| DevError::MainMachine(error.to_string()))?;
    let body = response
        .json::<Value>()
        .await
        .map_err(|error| DevError::MainMachine(error.to_string()))?;
    if response.status().is_success() {
        Ok(body)
    } else {
        Err(DevError::MainMachine(format!(
            "{}: {}",
            response.status(),
            body["error"]
        )))
    }
}

fn bind(addr: SocketAddr) -> Result<TcpListener, DevError> {
    if !addr.ip().is_loopback() {
        return Err(DevError::NotLoopback(addr));
    }
    TcpListener::bind(addr).map_err(|source| DevError::Bind { addr, source })
}

async fn wait_for_stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}
