//! HTTP plumbing shared by every part of the app: routing rules and the
//! access log.

pub mod access_log;
pub mod routing;
