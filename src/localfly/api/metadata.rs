//! Metadata (`…/metadata`, `…/metadata/{key}`) and events (`…/events`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::Authorized;
use super::error::ApiError;
use super::params::{json_or_default, last, query_pairs};
use crate::localfly::fleet::Fleet;

/// `GET …/metadata`
pub async fn show(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(fleet.metadata(&app, &id)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ValueBody {
    value: Option<String>,
}

/// `POST …/metadata/{key}` with `{"value": "…"}`: 204.
pub async fn set(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (app, id, key) = path.into_inner();
    let body: ValueBody = json_or_default(&body)?;
    let value = body
        .value
        .ok_or_else(|| ApiError::BadRequest("`value` is required".to_owned()))?;
    fleet.set_metadata(&app, &id, &key, &value)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE …/metadata/{key}`: 204.
pub async fn delete(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id, key) = path.into_inner();
    fleet.delete_metadata(&app, &id, &key)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET …/events?limit=N`
pub async fn events(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let pairs = query_pairs(&req)?;
    let limit = match last(&pairs, "limit") {
        None => None,
        Some(text) => Some(
            text.parse::<usize>()
                .map_err(|_| ApiError::BadRequest(format!("invalid limit {text:?}")))?,
        ),
    };
    Ok(HttpResponse::Ok().json(fleet.events(&app, &id, limit)?))
}
