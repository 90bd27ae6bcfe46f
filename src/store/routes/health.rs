//! `GET /healthz`: 200 when the database answers with the store's tables,
//! 503 when it does not.

use actix_web::{HttpResponse, web};

use crate::store::db::queries;
use crate::store::{StoreError, StoreState};

/// Checks out a connection and reads from the store's tables: a database
/// that answers but was never migrated cannot serve the store either.
pub async fn healthz(state: web::Data<StoreState>) -> Result<HttpResponse, StoreError> {
    state
        .with_connection(|conn| {
            queries::check_schema(conn).map_err(|error| StoreError::Unavailable(Box::new(error)))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n"))
}
