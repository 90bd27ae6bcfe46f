//! What a store request can fail with, and how each failure answers.
//!
//! Infrastructure errors are converted here and nowhere else: a missing row
//! is 404, a pool that cannot hand out a connection is 503 with
//! `Retry-After`, and anything unexpected is one opaque 500 whose detail goes
//! to the log, never to the body.

use std::error::Error as StdError;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Seconds a client is asked to wait when the database is unavailable.
pub const RETRY_AFTER_SECS: u32 = 5;

type Cause = Box<dyn StdError + Send + Sync>;

/// A failed store request.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The database cannot be reached or has no free connection.
    #[error("the database is unavailable")]
    Unavailable(#[source] Cause),
    /// A bug or an unforeseen failure.
    #[error("unexpected error")]
    Unexpected(#[source] Cause),
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(Box::new(error))
    }
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | DieselError::BrokenTransactionManager => StoreError::Unavailable(Box::new(error)),
            other => StoreError::Unexpected(Box::new(other)),
        }
    }
}

impl From<actix_web::error::BlockingError> for StoreError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        StoreError::Unexpected(Box::new(error))
    }
}

impl ResponseError for StoreError {
    fn status_code(&self) -> StatusCode {
        match self {
            StoreError::NotFound => StatusCode::NOT_FOUND,
            StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            StoreError::NotFound => {}
            StoreError::Unavailable(cause) => {
                log::warn!("database unavailable: {}", chain(cause.as_ref()));
                response.insert_header((RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
            }
            StoreError::Unexpected(cause) => {
                log::error!("request failed: {}", chain(cause.as_ref()));
            }
        }
        response
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(serde_json::json!({ "error": self.to_string() }).to_string())
    }
}

/// An error and its causes, on one line.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
