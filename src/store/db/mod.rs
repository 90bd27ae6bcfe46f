//! The store's data: schema, rows, queries, migrations and the pool.

pub mod connection;
pub mod migrations;
pub mod models;
pub mod queries;
#[rustfmt::skip]
pub mod schema;

pub use connection::{AnyConnection, Pool, PooledConnection, build_pool};
