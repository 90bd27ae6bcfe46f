//! Receipt PDFs: what goes on a receipt, and the one module that knows printpdf.
//!
//! The rest of the store hands over plain [`Receipt`] values; nothing outside
//! this module depends on the PDF library, so a printpdf upgrade touches only
//! the files below.

use chrono::NaiveDateTime;

use crate::store::money::Cents;

/// One purchase as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The purchase id, printed as the receipt number.
    pub purchase_id: i64,
    /// When the purchase was made (UTC).
    pub created_at: NaiveDateTime,
    pub customer_name: Option<String>,
    pub lines: Vec<ReceiptLine>,
}

/// One product line of a receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptLine {
    pub product_name: String,
    pub quantity: i32,
    pub unit_price: Cents,
}

impl ReceiptLine {
    /// Quantity × unit price, exactly.
    pub fn total(&self) -> Cents {
        self.unit_price.times(i64::from(self.quantity))
    }
}

impl Receipt {
    /// The sum of the printed line totals.
    pub fn total(&self) -> Cents {
        self.lines.iter().map(ReceiptLine::total).sum()
    }
}

/// Paper sizes a receipt can be printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

/// What every receipt of this store shares.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptStyle {
    /// Printed at the top of every page.
    pub store_name: String,
    pub paper: Paper,
}

mod interim;
pub use interim::{ReceiptBook, render_receipt};
