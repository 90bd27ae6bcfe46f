//! fly-store: a web store whose heavy views run as serverless functions on
//! Fly.io Machines. See the README for the map of this crate.

pub mod cli;
pub mod commands;
pub mod fly;
pub mod http;
pub mod localfly;
pub mod settings;
pub mod startup;
pub mod store;
