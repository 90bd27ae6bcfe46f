//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use actix_web::{HttpResponse, web};
use diesel::r2d2::R2D2Connection;

use crate::store::{StoreError, StoreState};

/// Checks out a connection and pings the database.
pub async fn healthz(state: web::Data<StoreState>) -> Result<HttpResponse, StoreError> {
    state
        .with_connection(|conn| conn.ping().map_err(StoreError::from))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n"))
}
