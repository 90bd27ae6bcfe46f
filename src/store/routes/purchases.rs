//! `GET /purchases/`: the purchases as an HTML page, and the summary shape
//! shared with the JSON API.

use std::fmt::Write;

use actix_web::{HttpResponse, web};
use html_escape::encode_text;
use serde_json::{Value, json};

use super::api::Page;
use crate::store::db::models::PurchaseDetail;
use crate::store::db::queries;
use crate::store::money::Cents;
use crate::store::{StoreError, StoreState};

/// A purchase with its line totals and total, amounts as printed.
pub fn summary(detail: &PurchaseDetail) -> Value {
    let receipt = detail.to_receipt();
    let items: Vec<Value> = detail
        .items
        .iter()
        .zip(&receipt.lines)
        .map(|(item, line)| {
            json!({
                "product_id": item.product_id,
                "product_name": item.product_name,
                "quantity": item.quantity,
                "unit_price": line.unit_price.to_string(),
                "line_total": line.total().to_string(),
            })
        })
        .collect();
    json!({
        "id": detail.purchase.id,
        "created_at": detail.purchase.created_at,
        "customer_name": detail.purchase.customer_name,
        "items": items,
        "total": receipt.total().to_string(),
        "receipt_url": receipt_url(detail.purchase.id),
    })
}

/// The path of a purchase's receipt PDF.
pub fn receipt_url(id: i64) -> String {
    format!("/purchases/serverless-receipts/{id}/")
}

/// `GET /purchases/?after=<id>&limit=<n>`
pub async fn list(
    state: web::Data<StoreState>,
    page: web::Query<Page>,
) -> Result<HttpResponse, StoreError> {
    let (after, limit) = (page.into_inner().after, 100);
    let purchases = state
        .with_connection(move |conn| Ok(queries::purchases_after(conn, after, limit)?))
        .await?;

    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Purchases</title></head>\
         <body><h1>Purchases</h1>\
         <p><a href=\"/purchases/serverless-receipts/\">All receipts (PDF)</a></p>\n",
    );
    if purchases.is_empty() {
        html.push_str("<p>No purchases yet.</p>\n");
    }
    for detail in &purchases {
        write_purchase(&mut html, detail);
    }
    if purchases.len() as i64 == limit
        && let Some(last) = purchases.last()
    {
        let _ = writeln!(
            html,
            "<p><a href=\"/purchases/?after={}\">Next page</a></p>",
            last.purchase.id
        );
    }
    html.push_str("</body></html>\n");
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

fn write_purchase(html: &mut String, detail: &PurchaseDetail) {
    let receipt = detail.to_receipt();
    let id = detail.purchase.id;
    let customer = detail.purchase.customer_name.as_deref().unwrap_or("Guest");
    let _ = writeln!(
        html,
        "<section class=\"purchase\" id=\"purchase-{id}\"><h2>Purchase #{id}</h2>\
         <p>{} · {}</p><table><tr><th>Product</th><th>Qty</th><th>Unit</th><th>Total</th></tr>",
        detail.purchase.created_at.format("%Y-%m-%d %H:%M"),
        encode_text(customer),
    );
    for line in &receipt.lines {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            encode_text(&line.product_name),
            line.quantity,
            line.unit_price,
            line.total(),
        );
    }
    let total: Cents = receipt.total();
    let _ = writeln!(
        html,
        "<tr><th colspan=\"3\">Total</th><th>{total}</th></tr></table>\
         <p><a href=\"{}\">Receipt (PDF)</a></p></section>",
        receipt_url(id),
    );
}
