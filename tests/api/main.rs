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
mod store_database;
mod store_receipts;
mod store_routing;
