//! Receipt PDFs: what goes on a receipt, and the one module that knows printpdf.
//!
//! The rest of the store hands over plain [`Receipt`] values; nothing outside
//! this module depends on the PDF library, so a printpdf upgrade touches only
//! the files below.
//!
//! [`render_receipt`] makes the PDF of one purchase; a [`ReceiptBook`] takes
//! purchases one by one (as they are read from the database in batches) and
//! makes one PDF of all of them. Both lay pages out with our own code (the
//! table, wrapping and page breaks printpdf does not offer) and hand the
//! pages to printpdf as operations; printpdf and lopdf write the file, and
//! printpdf subsets the embedded font.
//!
//! Files:
//! - `fonts.rs`: the faces (built-in Helvetica or DejaVu Sans), their
//!   metrics, and the replacement marks for characters a face lacks;
//! - `winansi.rs`: the built-in fonts' encoding, for the "does Helvetica
//!   print this exactly" check and Helvetica's metrics;
//! - `wrap.rs`: line breaking;
//! - `ledger.rs`: compact storage of the purchases of a book;
//! - `layout.rs`: pages, table, page breaks, drawn on a `Canvas`;
//! - `canvas.rs`: the `Canvas` that turns a layout run into printpdf pages;
//! - `document.rs`: the two layout runs, the fonts, and the save.

use chrono::NaiveDateTime;

use crate::store::money::Cents;

mod canvas;
mod document;
mod fonts;
mod layout;
mod ledger;
mod winansi;
mod wrap;

#[cfg(test)]
mod tests;

/// The PDF of one purchase.
///
/// Never panics on odd data: non-WinAnsi names switch the document to the
/// embedded DejaVu font (subset by printpdf), characters DejaVu lacks print as U+FFFD,
/// long names wrap, and a purchase longer than a page continues on the next
/// with its table header repeated.
pub fn render_receipt(receipt: &Receipt, style: &ReceiptStyle) -> Vec<u8> {
    let mut ledger = ledger::Ledger::new();
    ledger.add(receipt);
    document::write(style, &ledger, layout::Kind::Single)
}

/// All purchases in one PDF, filled one purchase at a time.
///
/// Each added purchase is kept in a compact form (names stored once, a line
/// is three numbers) until [`ReceiptBook::finish`] lays out and writes the
/// document; no PDF structure is held per purchase.
pub struct ReceiptBook {
    style: ReceiptStyle,
    ledger: ledger::Ledger,
}

impl ReceiptBook {
    /// An empty book printed in `style`.
    pub fn new(style: &ReceiptStyle) -> ReceiptBook {
        ReceiptBook {
            style: style.clone(),
            ledger: ledger::Ledger::new(),
        }
    }

    /// Appends one purchase; purchases print in the order they are added.
    pub fn add(&mut self, receipt: &Receipt) {
        self.ledger.add(receipt);
    }

    /// How many purchases have been added.
    pub fn len(&self) -> usize {
        self.ledger.len()
    }

    /// True when no purchase has been added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The PDF; with no purchases, one page saying there are none.
    pub fn finish(self) -> Vec<u8> {
        document::write(&self.style, &self.ledger, layout::Kind::Book)
    }
}

impl std::fmt::Debug for ReceiptBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptBook")
            .field("purchases", &self.len())
            .finish()
    }
}

/// One purchase as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The purchase id, printed as the receipt number.
    pub purchase_id: i64,
    /// When the purchase was made (UTC).
    pub created_at: NaiveDateTime,
    /// Printed under the date when present.
    pub customer_name: Option<String>,
    /// The product lines, in print order.
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
        ReceiptLine::total_of(self.quantity, self.unit_price)
    }

    /// The one rule for a line total: `quantity` × `unit_price`, exactly
    /// (saturating on absurd inputs, never wrapping).
    pub fn total_of(quantity: i32, unit_price: Cents) -> Cents {
        unit_price.times(i64::from(quantity))
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
