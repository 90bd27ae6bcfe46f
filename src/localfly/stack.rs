//! The API stand-in, the proxy and the fleet together, on listeners the
//! caller binds (port 0 in tests), stopped as one.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use secrecy::SecretString;

use crate::localfly::api;
use crate::localfly::fleet::{Fleet, FleetOptions};
use crate::localfly::launcher::Launcher;
use crate::localfly::proxy::{self, ProxyOptions, ProxyServer};

/// What to start.
pub struct StackOptions {
    pub api_listener: TcpListener,
    pub proxy_listener: TcpListener,
    /// The token the API accepts (never printed).
    pub token: SecretString,
    /// Apps and the secrets every machine of each receives.
    pub apps: Vec<(String, BTreeMap<String, String>)>,
    pub fleet: FleetOptions,
    pub proxy: ProxyOptions,
    pub launcher: Arc<dyn Launcher>,
    /// How long stopping waits for machines before killing them.
    pub shutdown_grace: Duration,
}

/// A running Local Fly.
pub struct LocalFly {
    pub fleet: Fleet,
    pub api_addr: SocketAddr,
    pub proxy_addr: SocketAddr,
    api: ServerHandle,
    proxy: ProxyServer,
    shutdown_grace: Duration,
}

impl LocalFly {
    /// Starts both servers on the current actix system.
    pub fn start(options: StackOptions) -> std::io::Result<LocalFly> {
        let fleet = Fleet::new(options.launcher, options.fleet);
        for (app, secrets) in options.apps {
            fleet.add_app(&app, secrets);
        }
        let api_addr = options.api_listener.local_addr()?;
        let proxy_addr = options.proxy_listener.local_addr()?;
        let api_server = api::serve(fleet.clone(), options.token, options.api_listener)?;
        let api = api_server.handle();
        actix_web::rt::spawn(api_server);
        let mut proxy = proxy::serve(fleet.clone(), options.proxy, options.proxy_listener)?;
        if let Some(server) = proxy.take_server() {
            actix_web::rt::spawn(server);
        }
        Ok(LocalFly {
            fleet,
            api_addr,
            proxy_addr,
            api,
            proxy,
            shutdown_grace: options.shutdown_grace,
        })
    }

    /// The API's base URL, as `FLY_API_HOSTNAME` takes it.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// The proxy's URL.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.proxy_addr)
    }

    /// Stops the servers, then every machine; nothing is left running.
    pub async fn stop(self) {
        self.proxy.stop().await;
        self.api.stop(true).await;
        let fleet = self.fleet.clone();
        let grace = self.shutdown_grace;
        let stopped = actix_web::rt::task::spawn_blocking(move || fleet.shutdown(grace)).await;
        if stopped.is_err() {
            log::error!("stopping machines failed; some may still run");
        }
    }
}
