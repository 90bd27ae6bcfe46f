//! The integration test binary: one binary for every area, to keep link
//! time down.

mod fly_cli;
mod fly_fake_api;
mod fly_helpers;
mod fly_replay;
mod fly_tls;
mod fly_worker;
