//! What every store handler shares: the pool and the receipt settings.

use actix_web::web;

use crate::store::StoreError;
use crate::store::db::{AnyConnection, Pool};
use crate::store::receipts::ReceiptStyle;

/// Shared by every store handler through `web::Data`.
pub struct StoreState {
    pub pool: Pool,
    pub receipt_style: ReceiptStyle,
    /// Purchases read per query when rendering all receipts.
    pub batch_size: i64,
}

impl StoreState {
    /// Runs `work` with a pooled connection on the blocking pool: neither the
    /// checkout nor the query ever blocks the async executor.
    pub async fn with_connection<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }
}
