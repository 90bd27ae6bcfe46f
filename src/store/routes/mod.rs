//! The store's routes, registered as named resources `store:<name>`.
//!
//! Slash-terminated routes are canonical; their slash-less forms answer 301
//! through the app's default service (`http::routing::append_slash`).

mod api;
mod health;
mod purchases;
mod receipts;
mod storefront;

use actix_web::web;

use crate::http::routing::{RouteInfo, get_resource};

/// The route names and methods this module registers.
pub const ROUTES: &[RouteInfo] = &[
    read_only("store:storefront"),
    read_only("store:purchase_list"),
    read_only("store:api_products"),
    read_only("store:api_purchases"),
    read_only("store:api_purchase"),
    read_only("store:machines_generate_receipts"),
    read_only("store:machines_generate_receipt"),
    read_only("ops:healthz"),
];

const fn read_only(name: &'static str) -> RouteInfo {
    RouteInfo {
        name,
        methods: &["GET", "HEAD"],
    }
}

/// Registers every store route. Literal segments come before `{id}` ones:
/// the first registered match wins.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_resource("/healthz", "ops:healthz", health::healthz));
    cfg.service(
        web::scope("")
            .service(get_resource("/", "store:storefront", storefront::index))
            .service(get_resource(
                "/purchases/",
                "store:purchase_list",
                purchases::list,
            ))
            .service(get_resource(
                "/purchases/serverless-receipts/",
                "store:machines_generate_receipts",
                receipts::all,
            ))
            .service(get_resource(
                "/purchases/serverless-receipts/{purchase_id:[0-9]+}/",
                "store:machines_generate_receipt",
                receipts::one,
            ))
            .service(get_resource(
                "/api/products",
                "store:api_products",
                api::products,
            ))
            .service(get_resource(
                "/api/purchases",
                "store:api_purchases",
                api::purchases,
            ))
            .service(get_resource(
                "/api/purchases/{id:[0-9]+}",
                "store:api_purchase",
                api::purchase,
            )),
    );
}

/// Parses a route's id segment. The route admits ASCII digits only; an id
/// beyond `i64` cannot exist, so it is a 404 like any other missing id.
fn parse_id(segment: &str) -> Result<i64, crate::store::StoreError> {
    segment
        .parse::<i64>()
        .map_err(|_| crate::store::StoreError::NotFound)
}
