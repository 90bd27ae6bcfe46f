//! The integration tests: one binary, one module per area.

mod db_switch;
mod fly_cli;
mod fly_fake_api;
mod fly_helpers;
mod fly_replay;
mod fly_startup;
mod fly_tls;
mod fly_worker;
mod helpers;
mod localfly_api;
mod localfly_browser;
mod localfly_dev;
mod localfly_e2e;
mod localfly_flow;
mod localfly_helpers;
mod localfly_process;
mod localfly_proxy;
mod ship_fly_toml;
mod ship_graceful_stop;
mod ship_helpers;
mod ship_migrations;
mod store_database;
mod store_receipts;
mod store_routing;
