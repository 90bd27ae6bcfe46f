//! The receipt PDFs: one purchase, or every purchase in one document.
//!
//! Reading and rendering both run on the blocking pool. All receipts are read
//! in keyset batches, a pooled connection checked out per batch, so that
//! memory stays flat and no connection is held for the whole render.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

use super::parse_id;
use crate::store::db::queries;
use crate::store::receipts::{ReceiptBook, render_receipt};
use crate::store::{StoreError, StoreState};

/// `GET /purchases/serverless-receipts/{purchase_id}/`
pub async fn one(
    state: web::Data<StoreState>,
    purchase_id: web::Path<String>,
) -> Result<HttpResponse, StoreError> {
    let id = parse_id(&purchase_id)?;
    let detail = state
        .with_connection(move |conn| queries::find_purchase(conn, id)?.ok_or(StoreError::NotFound))
        .await?;

    let style = state.receipt_style.clone();
    let pdf = web::block(move || render_receipt(&detail.to_receipt(), &style)).await?;
    Ok(pdf_response(pdf, &format!("receipt-{id}.pdf")))
}

/// `GET /purchases/serverless-receipts/`
pub async fn all(state: web::Data<StoreState>) -> Result<HttpResponse, StoreError> {
    let state = state.into_inner();
    let pdf = web::block(move || -> Result<Vec<u8>, StoreError> {
        let mut book = ReceiptBook::new(&state.receipt_style);
        let mut after = 0;
        loop {
            let mut conn = state.pool.get()?;
            let batch = queries::purchases_after(&mut conn, after, state.batch_size)?;
            drop(conn);
            let Some(last) = batch.last() else { break };
            after = last.purchase.id;
            for detail in &batch {
                book.add(&detail.to_receipt());
            }
        }
        Ok(book.finish())
    })
    .await??;
    Ok(pdf_response(pdf, "receipts.pdf"))
}

/// A PDF answer. `filename` is built from digits and ASCII only: nothing
/// from the data reaches a header.
fn pdf_response(pdf: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/pdf"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(pdf)
}
