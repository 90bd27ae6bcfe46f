//! The fly-replay middleware: [`FlyReplay`] (the Transform) and
//! [`FlyReplayMiddleware`] (its Service), the decision table they apply, and
//! the replay headers.

pub mod builder;
pub mod decision;
pub mod header;
pub mod middleware;
pub mod response;

pub use builder::FlyReplay;
pub use middleware::FlyReplayMiddleware;
