//! Local Fly: stand-ins for Fly's Machines API and proxy, so the two-role
//! flow runs on one machine with no Fly account.
//!
//! - [`fleet`]: the machines and their state rules, shared by everything.
//! - [`api`]: the Machines API over HTTP (`/v1/apps/{app}/machines…`).
//! - [`proxy`]: the public entry point, with `fly-replay`, autostart and
//!   autostop.
//! - [`process`] and [`launcher`]: how a started machine runs.
//! - [`dev`]: everything together, for `fly-store dev`.
//!
//! Nothing in here knows the store.

pub mod api;
pub mod config;
pub mod dev;
pub mod fleet;
pub mod ids;
pub mod launcher;
pub mod process;
pub mod proxy;
pub mod stack;

pub use fleet::{Fleet, FleetOptions};
pub use launcher::{Launcher, StaticLauncher};
pub use process::ProcessLauncher;
pub use stack::{LocalFly, StackOptions};
