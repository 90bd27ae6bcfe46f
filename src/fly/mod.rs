//! Serverless views on Fly.io Machines: the role, the `fly-replay`
//! middleware and the Machines API client.
//!
//! Nothing in here knows the store: routes are known by name only.

pub mod role;
pub mod settings;

pub use role::Role;
pub use settings::{FlySettings, ServerlessRoute};
