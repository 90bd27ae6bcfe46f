//! Typed errors of Machines API calls.

use std::time::Duration;

/// A failed Machines API call. Messages never hold the token: bodies and
/// transport errors are scrubbed of it before they get here.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The API answered with an error status.
    #[error("Machines API {endpoint} answered {status}: {message}")]
    Status {
        endpoint: &'static str,
        status: u16,
        /// The API's `error`/`message` text, or the start of its body.
        message: String,
        /// From a 429's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No answer in time.
    #[error("Machines API {endpoint} timed out")]
    Timeout { endpoint: &'static str },
    /// The API could not be reached (DNS, TCP, TLS).
    #[error("Machines API {endpoint} unreachable: {reason}")]
    Unreachable {
        endpoint: &'static str,
        reason: String,
    },
    /// The answer was not the JSON expected.
    #[error("Machines API {endpoint} sent an unreadable answer: {reason}")]
    Decode {
        endpoint: &'static str,
        reason: String,
    },
    /// A machine id from the API is not safe to put in a path or header.
    #[error("Machines API returned an unusable machine id")]
    BadMachineId,
}

impl ApiError {
    /// The HTTP status, for status errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for a 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// How long the API asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True when a create failed because the name is taken: another main
    /// machine created the worker first.
    pub fn is_name_conflict(&self) -> bool {
        match self {
            ApiError::Status {
                status: 409,
                message,
                ..
            } => !message.contains("lease"),
            ApiError::Status {
                status: 422,
                message,
                ..
            } => {
                let message = message.to_ascii_lowercase();
                message.contains("name_taken")
                    || (message.contains("name")
                        && (message.contains("taken") || message.contains("already")))
            }
            _ => false,
        }
    }
}

/// Keeps machine ids to the characters Fly uses, so an id from an answer can
/// go into a URL path and a `fly-replay` header as is.
pub fn checked_machine_id(id: &str) -> Result<&str, ApiError> {
    let fine = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fine {
        Ok(id)
    } else {
        Err(ApiError::BadMachineId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_conflicts_are_told_apart_from_other_rejections() {
        let taken = ApiError::Status {
            endpoint: "create",
            status: 422,
            message: "name_taken: a machine named serverless-worker already exists".into(),
            retry_after: None,
        };
        let limit = ApiError::Status {
            endpoint: "create",
            status: 422,
            message: "you have reached the machine limit".into(),
            retry_after: None,
        };

        assert!(taken.is_name_conflict());
        assert!(!limit.is_name_conflict());
    }

    #[test]
    fn ids_that_could_break_a_path_or_header_are_refused() {
        assert!(checked_machine_id("148ed193b95389").is_ok());
        for bad in ["", "../x", "a;b", "a\r\nb", "a/b"] {
            assert!(checked_machine_id(bad).is_err(), "{bad:?}");
        }
    }
}
