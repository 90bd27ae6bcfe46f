//! The integration tests: one binary, one module per area.

mod db_switch;
mod helpers;
mod ship_fly_toml;
mod ship_graceful_stop;
mod ship_helpers;
mod ship_migrations;
mod store_database;
mod store_receipts;
mod store_routing;
