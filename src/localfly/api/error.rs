//! The API's one error shape: a status and `{"error": "…"}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::localfly::fleet::FleetError;

/// An error answer of the Machines API stand-in.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no token, or not the configured one.
    #[error("Authenticate: token validation error")]
    Unauthorized,
    /// 400: a malformed body or parameter.
    #[error("{0}")]
    BadRequest(String),
    /// Whatever the fleet refused.
    #[error(transparent)]
    Fleet(#[from] FleetError),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Fleet(error) => match error {
                FleetError::AppNotFound
                | FleetError::MachineNotFound
                | FleetError::LeaseNotFound => StatusCode::NOT_FOUND,
                FleetError::Precondition(_) => StatusCode::PRECONDITION_FAILED,
                FleetError::Conflict(_) => StatusCode::CONFLICT,
                FleetError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                FleetError::BadRequest(_) => StatusCode::BAD_REQUEST,
                FleetError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        log::info!("api refused status={} error={self}", status.as_u16());
        HttpResponse::build(status).json(json!({ "error": self.to_string() }))
    }
}
