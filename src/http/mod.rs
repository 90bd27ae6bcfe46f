//! HTTP plumbing shared by every part of the app: routing rules, the access
//! log and the stop signals.

pub mod access_log;
pub mod routing;
pub mod shutdown;
