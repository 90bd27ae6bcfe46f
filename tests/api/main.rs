//! The integration tests: one binary, one module per area.

mod db_switch;
mod helpers;
mod store_database;
mod store_receipts;
mod store_routing;
