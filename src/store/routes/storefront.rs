//! `GET /`: the storefront page. It is static; its script reads the JSON API.

use actix_web::HttpResponse;

const INDEX: &str = include_str!("../../../static/index.html");

/// Serves `static/index.html`, compiled into the binary.
pub async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX)
}
