//! The proxy's own error answers: a status, Fly's error code, and a line
//! that says what went wrong.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER};

/// A request the proxy could not deliver.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {message}")]
pub struct Failure {
    pub status: StatusCode,
    /// Fly's error code, e.g. `PA02`.
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    /// A failure with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: String) -> Failure {
        Failure {
            status,
            code,
            message,
        }
    }

    /// The client sent a body the proxy could not read.
    pub fn bad_request(message: String) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, "PB01", message)
    }

    /// A replay of a body over the limit.
    pub fn body_too_large() -> Failure {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PA01",
            "the request body is over the replay limit, so it cannot be replayed".to_owned(),
        )
    }

    /// The answer sent to the client.
    pub fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((RETRY_AFTER, "1"));
        }
        response.body(format!(
            "localfly proxy error {}: {}\n",
            self.code, self.message
        ))
    }
}
