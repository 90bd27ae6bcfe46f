//! The store: products, purchases, their receipts, and the routes that show them.
//!
//! Nothing in here knows about Fly.io. Routes are registered as named
//! resources (`store:<name>`); other layers refer to them by those names only.

pub mod money;
pub mod receipts;
