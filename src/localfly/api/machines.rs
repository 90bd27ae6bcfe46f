//! Machine records: list, create, get, update, destroy.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Authorized;
use super::error::ApiError;
use super::params::{flag, json_or_default, last, nonce, query_pairs};
use crate::localfly::fleet::{CreateRequest, Fleet, ListFilter, UpdateRequest};

/// The fields of a create or update body the stand-in reads; others are
/// accepted and ignored, as the real API does with fields it does not need.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MachineBody {
    config: Option<Value>,
    name: Option<String>,
    region: Option<String>,
    skip_launch: bool,
    lease_ttl: Option<u64>,
}

/// `GET /v1/apps/{app}/machines`
pub async fn list(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req)?;
    let filter = ListFilter {
        include_deleted: flag(&pairs, "include_deleted")?,
        region: last(&pairs, "region")
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        metadata: pairs
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("metadata.")?.to_owned(), v.clone())))
            .collect(),
        states: last(&pairs, "state")
            .map(|s| {
                s.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(HttpResponse::Ok().json(fleet.list(&path, &filter)?))
}

/// `POST /v1/apps/{app}/machines`
pub async fn create(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: MachineBody = json_or_default(&body)?;
    let machine = fleet.create(
        &path,
        CreateRequest {
            config: body.config,
            name: body.name,
            region: body.region,
            skip_launch: body.skip_launch,
            lease_ttl: body.lease_ttl,
        },
    )?;
    Ok(HttpResponse::Ok().json(machine))
}

/// `GET /v1/apps/{app}/machines/{id}`
pub async fn get(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(fleet.get(&app, &id)?))
}

/// `POST /v1/apps/{app}/machines/{id}`: the whole config is replaced.
pub async fn update(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let body: MachineBody = json_or_default(&body)?;
    let machine = fleet.update(
        &app,
        &id,
        nonce(&req).as_deref(),
        UpdateRequest {
            config: body.config,
            name: body.name,
            region: body.region,
        },
    )?;
    Ok(HttpResponse::Ok().json(machine))
}

/// `DELETE /v1/apps/{app}/machines/{id}` with `force` (docs) or `kill` (fly-go).
pub async fn destroy(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let pairs = query_pairs(&req)?;
    let force = flag(&pairs, "force")? || flag(&pairs, "kill")?;
    fleet.destroy(&app, &id, nonce(&req).as_deref(), force)?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}
