//! The one integration test binary: each area adds its modules here.

mod localfly_api;
mod localfly_dev;
mod localfly_helpers;
mod localfly_process;
mod localfly_proxy;
