//! From database rows to what a receipt prints.

use crate::store::db::models::PurchaseDetail;
use crate::store::money::Cents;
use crate::store::receipts::{Receipt, ReceiptLine};

impl PurchaseDetail {
    /// The receipt of this purchase.
    pub fn to_receipt(&self) -> Receipt {
        Receipt {
            purchase_id: self.purchase.id,
            created_at: self.purchase.created_at,
            customer_name: self.purchase.customer_name.clone(),
            lines: self
                .items
                .iter()
                .map(|item| ReceiptLine {
                    product_name: item.product_name.clone(),
                    quantity: item.quantity,
                    unit_price: Cents(item.unit_price_cents),
                })
                .collect(),
        }
    }
}
