//! Moving a machine: start, stop, suspend, and waiting for a state.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Authorized;
use super::error::ApiError;
use super::params::{duration, json_or_default, last, nonce, query_pairs};
use crate::localfly::fleet::{Fleet, StopRequest};
use crate::localfly::launcher::StopSignal;

/// `POST …/start`
pub async fn start(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let body = fleet.start(&app, &id, nonce(&req).as_deref())?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StopBody {
    signal: Option<Value>,
    timeout: Option<Value>,
}

/// `POST …/stop` with an optional `{signal, timeout}` body.
pub async fn stop(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let body: StopBody = json_or_default(&body)?;
    let signal = match &body.signal {
        None | Some(Value::Null) => None,
        Some(value) => Some(parse_signal(value)?),
    };
    let timeout = match &body.timeout {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            text_or_number(value)
                .as_deref()
                .and_then(duration)
                .ok_or_else(|| ApiError::BadRequest(format!("invalid timeout {value}")))?,
        ),
    };
    let request = StopRequest { signal, timeout };
    fleet.stop(&app, &id, nonce(&req).as_deref(), request)?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

/// `POST …/suspend`
pub async fn suspend(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    fleet.suspend(&app, &id, nonce(&req).as_deref())?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

/// `POST …/restart?signal=…&timeout=…` (fly-go also sends `force_stop`).
pub async fn restart(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let pairs = query_pairs(&req)?;
    let signal = match last(&pairs, "signal") {
        None | Some("") => None,
        Some(text) => Some(parse_signal(&json!(text))?),
    };
    let timeout = match last(&pairs, "timeout") {
        None | Some("") => None,
        Some(text) => Some(
            duration(text)
                .ok_or_else(|| ApiError::BadRequest(format!("invalid timeout {text:?}")))?,
        ),
    };
    fleet.restart(&app, &id, nonce(&req).as_deref(), signal, timeout)?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignalBody {
    signal: Option<Value>,
}

/// `POST …/signal` with `{"signal": 9}` (fly-go's kill) or a name.
pub async fn signal(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let body: SignalBody = json_or_default(&body)?;
    let signal = parse_signal(body.signal.as_ref().unwrap_or(&Value::Null))?;
    fleet.signal(&app, &id, nonce(&req).as_deref(), signal)?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

fn parse_signal(value: &Value) -> Result<StopSignal, ApiError> {
    text_or_number(value)
        .as_deref()
        .and_then(StopSignal::parse)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown signal {value}")))
}

/// `POST …/cordon`
pub async fn cordon(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    fleet.set_cordoned(&app, &id, true)?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

/// `POST …/uncordon`
pub async fn uncordon(
    _: Authorized,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    fleet.set_cordoned(&app, &id, false)?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

/// `GET …/wait?state=…&timeout=…` (`instance_id`, `version` and
/// `from_event_id` are accepted; the stand-in waits on the current version).
pub async fn wait(
    _: Authorized,
    req: HttpRequest,
    fleet: web::Data<Fleet>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let pairs = query_pairs(&req)?;
    let states: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "state")
        .flat_map(|(_, v)| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let timeout = match last(&pairs, "timeout") {
        None => Duration::from_secs(60),
        Some(text) => duration(text)
            .ok_or_else(|| ApiError::BadRequest(format!("invalid timeout {text:?}")))?,
    };
    let body = fleet.wait(&app, &id, &states, timeout).await?;
    Ok(HttpResponse::Ok().json(body))
}

fn text_or_number(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
