//! The proxy stand-in: the app's public entry point. It sends each request
//! to a machine with an `http` service on its public port (least loaded,
//! autostarting one if none runs), follows `fly-replay` answers, adds Fly's
//! request headers and a `fly-request-id`, and stops idle machines.
//!
//! Two response headers exist only here, for tests and for a developer's
//! browser tools: [`MACHINE_HEADER`] (which machine answered) and
//! [`REPLAYS_HEADER`] (how many replays it took).

mod answer;
mod autostop;
mod failure;
mod forward;
mod handler;
mod load;
pub mod replay;
mod target;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};

pub use failure::Failure;
pub use handler::{MACHINE_HEADER, REPLAYS_HEADER};

use crate::localfly::fleet::Fleet;
use load::Loads;

/// How the proxy behaves.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// The app whose machines take the proxy's requests.
    pub app: String,
    /// Apps whose machines autostop (the app and any replay targets).
    pub autostop_apps: Vec<String>,
    /// The public port the proxy stands for: machines need a service with
    /// an `http` handler on it.
    pub public_port: u16,
    /// The edge region (`Fly-Region`).
    pub region: String,
    /// Replays allowed per request.
    pub max_replays: usize,
    /// Bodies up to this size are buffered and can be replayed.
    pub body_limit: usize,
    /// How long to wait for a machine to start (and a replay's default timeout).
    pub wake_timeout: Duration,
    /// How long a machine may take to answer.
    pub request_timeout: Duration,
    /// Idle time after which autostop applies; `None` turns autostop off.
    pub autostop_after: Option<Duration>,
}

impl ProxyOptions {
    /// Fly's limits for `app`, and autostop after 30 s.
    pub fn new(app: impl Into<String>) -> ProxyOptions {
        let app = app.into();
        ProxyOptions {
            autostop_apps: vec![app.clone()],
            app,
            public_port: 80,
            region: "dev".to_owned(),
            max_replays: 10,
            body_limit: 1024 * 1024,
            wake_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            autostop_after: Some(Duration::from_secs(30)),
        }
    }
}

/// What the proxy's workers share.
pub struct Proxy {
    fleet: Fleet,
    loads: Loads,
    options: ProxyOptions,
}

/// A running proxy: its server and its autostop task.
pub struct ProxyServer {
    server: Option<Server>,
    handle: ServerHandle,
    autostop: Option<actix_web::rt::task::JoinHandle<()>>,
}

impl ProxyServer {
    /// The server future; spawn it (once) to serve.
    pub fn take_server(&mut self) -> Option<Server> {
        self.server.take()
    }

    /// Stops serving and stops autostop.
    pub async fn stop(self) {
        if let Some(task) = &self.autostop {
            task.abort();
        }
        self.handle.stop(true).await;
    }
}

/// Serves the proxy on `listener`; must run inside an actix system.
pub fn serve(
    fleet: Fleet,
    options: ProxyOptions,
    listener: TcpListener,
) -> std::io::Result<ProxyServer> {
    let loads = Loads::default();
    let autostop = options.autostop_after.map(|idle| {
        actix_web::rt::spawn(autostop::run(
            fleet.clone(),
            loads.clone(),
            options.autostop_apps.clone(),
            options.public_port,
            idle,
        ))
    });
    let request_timeout = options.request_timeout;
    let proxy = web::Data::new(Proxy {
        fleet,
        loads,
        options,
    });
    let server = HttpServer::new(move || {
        let client = awc::Client::builder()
            .disable_redirects()
            .timeout(request_timeout)
            .finish();
        App::new()
            .app_data(proxy.clone())
            .app_data(web::Data::new(client))
            .app_data(web::PayloadConfig::new(usize::MAX))
            .default_service(web::to(handler::handle))
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(ProxyServer {
        handle: server.handle(),
        server: Some(server),
        autostop,
    })
}
