//! `GET /`: the storefront page. It is static but for the store's name; its
//! script reads the JSON API.

use actix_web::{HttpResponse, web};
use html_escape::encode_text;

use crate::store::StoreState;

const INDEX: &str = include_str!("../../../static/index.html");

/// Serves `static/index.html`, compiled into the binary, with the store's
/// name filled in.
pub async fn index(state: web::Data<StoreState>) -> HttpResponse {
    let page = INDEX.replace(
        "{{store_name}}",
        &encode_text(&state.receipt_style.store_name),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page)
}
