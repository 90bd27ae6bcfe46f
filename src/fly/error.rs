//! Errors of the Fly machinery at start-up and in the CLI.

use crate::fly::machines::ApiError;

/// Why the Fly machinery could not be set up, or a CLI command failed.
///
/// No variant carries the API token: its messages are safe to print.
#[derive(Debug, thiserror::Error)]
pub enum FlyError {
    /// A serverless route name that the app does not register.
    #[error("serverless route `{name}` is not a route of this app")]
    UnknownRoute { name: String },
    /// A serverless route lists a method the route does not answer.
    #[error("serverless route `{route}` does not answer method `{method}`")]
    UnknownMethod { route: String, method: String },
    /// An `ops:*` route was listed as serverless.
    #[error(
        "route `{name}` is operational and is answered by every machine; it cannot be serverless"
    )]
    OperationalRoute { name: String },
    /// A setting needed for what was asked is missing or unusable.
    #[error("setting `{key}`: {reason}")]
    Setting { key: &'static str, reason: String },
    /// The metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A Machines API call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A one-off machine stopped without reporting an exit code.
    #[error("machine {machine_id} stopped without reporting an exit code")]
    NoExitCode { machine_id: String },
    /// Writing the CLI's output failed.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}
