//! Serverless views on Fly.io Machines: the role, the `fly-replay`
//! middleware, the Machines API client, the worker it finds or creates, the
//! `machines` CLI and the metrics.
//!
//! Nothing in here knows the store: routes are known by name only.
//!
//! Wiring, in `startup.rs`:
//! ```ignore
//! let registry = prometheus::Registry::new();
//! let fly = Fly::from_settings(&settings.fly, settings.role, &registry, ROUTES)?;
//! HttpServer::new(move || {
//!     App::new()
//!         .wrap(fly.replay())                              // per thread: own API client
//!         .service(fly::metrics_resource(registry.clone())) // GET /metrics, `ops:metrics`
//!         // … the store's routes …
//! })
//! ```

pub mod cli;
pub mod error;
pub mod machines;
pub mod metrics;
pub mod replay;
pub mod role;
pub mod routes;
pub mod settings;
pub mod setup;
pub mod worker;

pub use error::FlyError;
pub use metrics::{FlyMetrics, metrics_resource};
pub use replay::{FlyReplay, FlyReplayMiddleware};
pub use role::Role;
pub use settings::{FlySettings, ServerlessRoute, WorkerSettings};
pub use setup::Fly;
