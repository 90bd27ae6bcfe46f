//! Builds the application: the pool, the HTTP server and its middleware.
//!
//! This is where the store and the Fly machinery meet; neither knows the
//! other.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;

use crate::fly::{self, Fly, FlyError};
use crate::http::access_log::access_log;
use crate::http::routing::append_slash;
use crate::http::shutdown::StopSignals;
use crate::settings::{Settings, redacted_database_url};
use crate::store::db::{self, Pool};
use crate::store::receipts::ReceiptStyle;
use crate::store::{StoreState, routes};

/// A bound, not yet running, server.
pub struct Application {
    server: Server,
    addr: SocketAddr,
}

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// The Fly machinery's settings do not fit this app (e.g. an unknown
    /// serverless route name).
    #[error(transparent)]
    Fly(#[from] FlyError),
}

impl Application {
    /// Builds the pool and binds `bind` (port 0 picks a free port).
    pub fn build(settings: &Settings, bind: &str) -> Result<Application, StartupError> {
        let pool = db::build_pool(
            settings.database.url.expose_secret(),
            settings.database.pool_size,
            settings.database.checkout_timeout(),
        );
        Application::build_with_pool(settings, bind, pool)
    }

    /// Like [`Application::build`], with a pool made by the caller.
    pub fn build_with_pool(
        settings: &Settings,
        bind: &str,
        pool: Pool,
    ) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(bind).map_err(|source| StartupError::Bind {
            addr: bind.to_owned(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: bind.to_owned(),
            source,
        })?;

        let store = web::Data::new(StoreState {
            pool,
            receipt_style: ReceiptStyle {
                store_name: settings.store.name.clone(),
                paper: settings.store.paper,
            },
            batch_size: settings.store.receipt_batch_size as i64,
        });

        log::info!(
            "starting role={} addr={addr} database={}",
            settings.role,
            redacted_database_url(settings.database.url.expose_secret()),
        );
        let registry = prometheus::Registry::new();
        let fly = Fly::from_settings(&settings.fly, settings.role, &registry, routes::ROUTES)?;
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(fly.replay())
                .wrap(access_log())
                .app_data(store.clone())
                .service(fly::metrics_resource(registry.clone()))
                .configure(routes::configure)
                .default_service(web::to(append_slash))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(10))
        // actix would stop at once on SIGINT (Fly's default kill signal);
        // `run_until_signalled` stops gracefully on SIGINT and SIGTERM.
        .disable_signals();
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers);
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                addr: bind.to_owned(),
                source,
            })?
            .run();
        Ok(Application { server, addr })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped through its handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGINT or SIGTERM, then stops gracefully: no new
    /// connections, requests in flight finish within
    /// `server.shutdown_timeout_secs`. A second signal exits at once, with
    /// status 1.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let mut signals = StopSignals::listen()?;
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            let signal = signals.next().await;
            log::info!("signal={signal} received; stopping gracefully");
            let graceful = handle.stop(true);
            tokio::select! {
                () = graceful => {}
                signal = signals.next() => {
                    // actix finishes one stop before it reads another, so a
                    // forced stop cannot overtake the graceful one.
                    log::warn!("signal={signal} received again; exiting at once");
                    std::process::exit(1);
                }
            }
        });
        self.server.await
    }
}
