//! The receipt routes: real rows in, a PDF out, read back as text.

use actix_web::http::StatusCode;
use chrono::NaiveDate;
use fly_store::store::db::models::{NewProduct, NewPurchase};
use fly_store::store::db::queries;

use crate::helpers::{TestApp, pdf_pages, pdf_text, spawn_app};

/// Inserts a purchase of `(name, price_cents, quantity)` lines; returns its id.
fn purchase(app: &TestApp, customer: Option<&str>, lines: &[(&str, i64, i32)]) -> i64 {
    let mut conn = app.db.connect();
    let items: Vec<(i64, i32)> = lines
        .iter()
        .map(|&(name, price_cents, quantity)| {
            let id = queries::insert_product(&mut conn, &NewProduct { name, price_cents }).unwrap();
            (id, quantity)
        })
        .collect();
    let created_at = NaiveDate::from_ymd_opt(2026, 3, 14)
        .unwrap()
        .and_hms_opt(15, 9, 26)
        .unwrap();
    queries::insert_purchase(
        &mut conn,
        &NewPurchase {
            created_at,
            customer_name: customer,
        },
        &items,
    )
    .unwrap()
}

async fn get_pdf(app: &TestApp, path: &str) -> (awc::http::header::HeaderMap, Vec<u8>) {
    let mut response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    let body = response.body().limit(1 << 28).await.unwrap().to_vec();
    (headers, body)
}

#[actix_web::test]
async fn one_receipt_prints_its_lines_amounts_and_total() {
    let app = spawn_app().await;
    let id = purchase(
        &app,
        Some("Chloé Martin"),
        &[("Espresso beans", 1999, 3), ("Paper cups", 10, 10)],
    );

    let (headers, pdf) = get_pdf(&app, &format!("/purchases/serverless-receipts/{id}/")).await;

    assert_eq!(headers.get("content-type").unwrap(), "application/pdf");
    assert_eq!(
        headers.get("content-length").unwrap().to_str().unwrap(),
        pdf.len().to_string()
    );
    assert_eq!(
        headers.get("content-disposition").unwrap(),
        format!("inline; filename=\"receipt-{id}.pdf\"").as_str()
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for expected in ["Espresso beans", "Paper cups", "59.97", "1.00", "60.97"] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[actix_web::test]
async fn a_missing_purchase_is_404_and_not_a_pdf() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(app.url("/purchases/serverless-receipts/424242/"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_ne!(
        response.headers().get("content-type").unwrap(),
        "application/pdf"
    );
}

#[actix_web::test]
async fn all_receipts_hold_every_purchase_once() {
    let app = spawn_app().await;
    let ids: Vec<i64> = (0..7)
        .map(|n| purchase(&app, None, &[(&format!("Widget model {n}"), 100 + n, 2)]))
        .collect();

    let (headers, pdf) = get_pdf(&app, "/purchases/serverless-receipts/").await;

    assert_eq!(
        headers.get("content-disposition").unwrap(),
        "inline; filename=\"receipts.pdf\""
    );
    let text = pdf_text(&pdf);
    for (n, _) in ids.iter().enumerate() {
        let name = format!("Widget model {n}");
        assert_eq!(text.matches(&name).count(), 1, "{name} once in:\n{text}");
    }
}

#[actix_web::test]
async fn no_purchases_still_give_a_valid_one_page_pdf() {
    let app = spawn_app().await;

    let (_, pdf) = get_pdf(&app, "/purchases/serverless-receipts/").await;

    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    assert_eq!(pdf_pages(&pdf), 1);
}

#[actix_web::test]
async fn data_never_reaches_a_header() {
    let app = spawn_app().await;
    let id = purchase(
        &app,
        Some("X\r\nX-Evil: 1"),
        &[("Crème \"brûlée\"\r\nX-Evil: 1", 500, 1)],
    );

    let (headers, pdf) = get_pdf(&app, &format!("/purchases/serverless-receipts/{id}/")).await;

    assert!(headers.get("x-evil").is_none());
    for (_, value) in headers.iter() {
        assert!(value.to_str().is_ok_and(|v| v.is_ascii()), "{value:?}");
    }
    assert!(pdf_text(&pdf).contains("brûlée"));
}
