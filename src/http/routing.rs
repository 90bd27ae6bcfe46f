//! How a request maps to a route, shared by the router and by middleware.
//!
//! actix matches routes against the *requoted* path (percent-escapes decoded
//! except `%2F`, `%25` and `%2B`), not the raw one. [`resolve`] looks a
//! request up the same way, before routing, so middleware and router never
//! disagree about which route a request is for, nor about the slash-less form
//! of a route, which [`append_slash`] answers with a 301.

use actix_web::dev::{ResourceMap, ServiceRequest};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, Resource, Responder, web};

/// What a request resolves to, before its handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A named resource.
    Named(String),
    /// A resource without a name.
    Unnamed,
    /// The slash-less form of a resource: answered with a 301 to `location`.
    AppendSlash { location: String },
    /// Nothing matches: 404.
    NotFound,
}

/// Resolves `req` exactly as the router will.
pub fn resolve(req: &ServiceRequest) -> Resolution {
    resolve_path(
        req.resource_map(),
        req.match_info().as_str(),
        req.query_string(),
    )
}

/// Resolves a requoted path against the app's resources.
pub fn resolve_path(map: &ResourceMap, path: &str, query: &str) -> Resolution {
    if map.has_resource(path) {
        return match map.match_name(path) {
            Some(name) => Resolution::Named(name.to_owned()),
            None => Resolution::Unnamed,
        };
    }
    if !path.ends_with('/') {
        let with_slash = format!("{path}/");
        if map.has_resource(&with_slash) {
            let location = if query.is_empty() {
                with_slash
            } else {
                format!("{with_slash}?{query}")
            };
            return Resolution::AppendSlash { location };
        }
    }
    Resolution::NotFound
}

/// The app's default service: a 301 to the slash form of a route, as
/// Django's `APPEND_SLASH` does, or a 404.
pub async fn append_slash(req: HttpRequest) -> HttpResponse {
    let resolution = resolve_path(
        req.resource_map(),
        req.match_info().as_str(),
        req.query_string(),
    );
    match resolution {
        Resolution::AppendSlash { location } => match HeaderValue::from_str(&location) {
            Ok(location) => HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, location))
                .finish(),
            Err(_) => not_found(),
        },
        _ => not_found(),
    }
}

/// A plain-text 404.
pub fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("Not found\n")
}

/// A resource answering GET and HEAD with `handler`, and any other method
/// with 405 and `Allow: GET, HEAD`.
///
/// actix does not let a GET route answer HEAD by itself; the HTTP layer drops
/// the body of a HEAD response and keeps its headers.
pub fn get_resource<F, Args>(path: &str, name: &str, handler: F) -> Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .name(name)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(method_not_allowed))
}

/// 405 for a method a read-only resource does not answer.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::build(StatusCode::METHOD_NOT_ALLOWED)
        .insert_header((header::ALLOW, "GET, HEAD"))
        .content_type("text/plain; charset=utf-8")
        .body("Method not allowed\n")
}

/// True for the methods [`get_resource`] answers.
pub fn is_read_method(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// A named route and the methods it answers, as the app registers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub name: &'static str,
    pub methods: &'static [&'static str],
}
