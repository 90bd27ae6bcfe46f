//! The Fly Machines API: its JSON, a per-thread awc client, typed errors.

pub mod client;
pub mod config;
pub mod error;
pub mod types;

pub use client::{LEASE_NONCE_HEADER, Lease, MachinesClient};
pub use config::ApiConfig;
pub use error::ApiError;
pub use types::{Machine, MachineConfig, MachineEvent, MachineState};
