//! The serverless worker: what it looks like, how it is chosen among the
//! app's machines, and the process-wide cache that finds or creates it.

pub mod directory;
pub mod select;
pub mod spec;

pub use directory::{Unavailable, WorkerDirectory};
pub use spec::WorkerSpec;
