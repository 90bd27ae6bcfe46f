//! HTTP plumbing shared by every part of the app: routing rules and the
//! access log.

pub mod routing;
