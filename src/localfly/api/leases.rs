//! Leases (`…/lease`) and the lease envelope `{status, data}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::Authorized;
use super::error::ApiError;
use super::params::{json_or_default, last, nonce, query_pairs};
use crate::localfly::fleet::Fleet;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LeaseBody {
    ttl: Option<u64>,
    description: Option<String>,
}

/// `POST …/lease`: TTL from the body (docs) or `?ttl=` (fly-go); the
/// holder's nonce header refreshes instead of conflicting.
pub async fn acquire(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let body: LeaseBody = json_or_default(&body)?;
    let pairs = query_pairs(&req)?;
    let ttl = match last(&pairs, "ttl") {
        Some(text) => Some(
            text.parse::<u64>()
                .map_err(|_| ApiError::BadRequest(format!("invalid ttl {text:?}")))?,
        ),
        None => body.ttl,
    };
    let lease = fleet.acquire_lease(
        &app,
        &id,
        ttl,
        body.description.unwrap_or_default(),
        nonce(&req).as_deref(),
    )?;
    Ok(HttpResponse::Created().json(json!({"status": "success", "data": lease.to_json()})))
}

/// `GET …/lease`
pub async fn show(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let lease = fleet.lease(&app, &id)?;
    Ok(HttpResponse::Ok().json(json!({"status": "success", "data": lease.to_json()})))
}

/// `DELETE …/lease` with the holder's nonce header.
pub async fn release(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    fleet.release_lease(&app, &id, nonce(&req).as_deref())?;
    Ok(HttpResponse::Ok().json(json!({"status": "success", "data": {"ok": true}})))
}
