//! The JSON API: products and purchases.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::parse_id;
use crate::store::db::queries;
use crate::store::{StoreError, StoreState};

/// Purchases per page when the client does not say.
const DEFAULT_PAGE: i64 = 100;
/// The largest page a client can ask for.
const MAX_PAGE: i64 = 1_000;

/// `?after=<id>&limit=<n>`: a keyset page of purchases.
#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub after: i64,
    limit: Option<i64>,
}

impl Page {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }
}

/// `GET /api/products`
pub async fn products(state: web::Data<StoreState>) -> Result<HttpResponse, StoreError> {
    let products = state
        .with_connection(|conn| Ok(queries::list_products(conn)?))
        .await?;
    Ok(HttpResponse::Ok().json(products))
}

/// `GET /api/purchases?after=<id>&limit=<n>`: purchases with their items and
/// totals; `next` is the `after` of the following page, or null at the end.
pub async fn purchases(
    state: web::Data<StoreState>,
    page: web::Query<Page>,
) -> Result<HttpResponse, StoreError> {
    let (after, limit) = (page.after, page.limit());
    let purchases = state
        .with_connection(move |conn| Ok(queries::purchases_after(conn, after, limit)?))
        .await?;
    let next = (purchases.len() as i64 == limit)
        .then(|| purchases.last().map(|p| p.purchase.id))
        .flatten();
    let purchases: Vec<_> = purchases.iter().map(super::purchases::summary).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "purchases": purchases, "next": next })))
}

/// `GET /api/purchases/{id}`
pub async fn purchase(
    state: web::Data<StoreState>,
    id: web::Path<String>,
) -> Result<HttpResponse, StoreError> {
    let id = parse_id(&id)?;
    let purchase = state
        .with_connection(move |conn| queries::find_purchase(conn, id)?.ok_or(StoreError::NotFound))
        .await?;
    Ok(HttpResponse::Ok().json(super::purchases::summary(&purchase)))
}
