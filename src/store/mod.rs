//! The store: products, purchases, their receipts, and the routes that show them.
//!
//! Nothing in here knows about Fly.io. Routes are registered as named
//! resources (`store:<name>`); other layers refer to them by those names only.

pub mod db;
pub mod errors;
pub mod money;
mod receipt_rows;
pub mod receipts;
pub mod routes;
pub mod seed;
pub mod state;

pub use errors::StoreError;
pub use state::StoreState;
