//! The answers the middleware gives without running a view.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::http::header::{self, ContentType, HeaderName, HeaderValue};

use crate::fly::replay::header::{FLY_REPLAY, Target, replay_value};

/// A replay answer: empty body, the `fly-replay` header, never cached.
/// The status is 409, as Fly's own replay clients use: a client that ever
/// sees it without the proxy in between gets a clear non-success.
pub fn replay(target: &Target, hops: u32, timeout: Duration) -> HttpResponse {
    match replay_header(target, hops, timeout) {
        Some(value) => replay_with(value),
        None => unavailable(Duration::from_secs(1)),
    }
}

/// The `fly-replay` header value, or `None` if `target` cannot be a header.
pub fn replay_header(target: &Target, hops: u32, timeout: Duration) -> Option<HeaderValue> {
    HeaderValue::from_str(&replay_value(target, hops, timeout)).ok()
}

/// A replay answer carrying a prepared `fly-replay` value.
pub fn replay_with(value: HeaderValue) -> HttpResponse {
    HttpResponse::Conflict()
        .insert_header((HeaderName::from_static(FLY_REPLAY), value))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .finish()
}

/// 405 naming the methods the serverless route offloads.
pub fn method_not_allowed(allowed: &[Method]) -> HttpResponse {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .content_type(ContentType::plaintext())
        .body("Method not allowed\n")
}

/// 413: the body is over the replay limit.
pub fn too_large(limit: u64) -> HttpResponse {
    HttpResponse::PayloadTooLarge()
        .content_type(ContentType::plaintext())
        .body(format!(
            "Request body too large: at most {limit} bytes can be forwarded\n"
        ))
}

/// 411: a chunked body cannot be checked against the replay limit.
pub fn length_required() -> HttpResponse {
    HttpResponse::LengthRequired()
        .content_type(ContentType::plaintext())
        .body("A Content-Length is required on this route\n")
}

/// 503 with `Retry-After`: the worker cannot be had right now.
pub fn unavailable(retry_after: Duration) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((
            header::RETRY_AFTER,
            retry_after.as_secs().max(1).to_string(),
        ))
        .content_type(ContentType::plaintext())
        .body("Service temporarily unavailable, please retry\n")
}
