//! The compact form receipts wait in until their document is written.
//!
//! A book of 20,000 purchases is filled before a single page can be numbered
//! (`Page i of N` needs N), so what it holds per purchase must be small:
//! names are stored once however many lines repeat them, and a line is three
//! numbers. Nothing PDF-shaped is kept per purchase.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;

use super::fonts::fits_win_ansi;
use super::{Receipt, ReceiptLine};
use crate::store::money::Cents;

/// Receipts in arrival order, with their names interned.
#[derive(Default)]
pub(crate) struct Ledger {
    strings: Vec<Arc<str>>,
    lookup: HashMap<Arc<str>, usize>,
    entries: Vec<Entry>,
    lines: Vec<Line>,
    fits_win_ansi: bool,
}

struct Entry {
    id: i64,
    created_at: NaiveDateTime,
    customer: Option<usize>,
    /// One past this entry's last line in `Ledger::lines`.
    lines_end: usize,
}

struct Line {
    name: usize,
    quantity: i32,
    unit_price: Cents,
}

/// One stored receipt, borrowed.
pub(crate) struct EntryView<'a> {
    pub(crate) id: i64,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) customer: Option<&'a str>,
    lines: &'a [Line],
    ledger: &'a Ledger,
}

/// One stored line, borrowed.
pub(crate) struct LineView<'a> {
    pub(crate) name: &'a str,
    pub(crate) quantity: i32,
    pub(crate) unit_price: Cents,
}

impl Ledger {
    pub(crate) fn new() -> Ledger {
        Ledger {
            fits_win_ansi: true,
            ..Ledger::default()
        }
    }

    /// Stores `receipt`; its strings are copied once each.
    pub(crate) fn add(&mut self, receipt: &Receipt) {
        let customer = receipt.customer_name.as_deref().map(|c| self.intern(c));
        for line in &receipt.lines {
            let name = self.intern(&line.product_name);
            self.lines.push(Line {
                name,
                quantity: line.quantity,
                unit_price: line.unit_price,
            });
        }
        self.entries.push(Entry {
            id: receipt.purchase_id,
            created_at: receipt.created_at,
            customer,
            lines_end: self.lines.len(),
        });
    }

    /// How many receipts are stored.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when every stored string prints exactly in WinAnsi.
    pub(crate) fn fits_win_ansi(&self) -> bool {
        self.fits_win_ansi
    }

    /// The stored receipts in the order they were added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = EntryView<'_>> {
        let starts = std::iter::once(0).chain(self.entries.iter().map(|e| e.lines_end));
        self.entries
            .iter()
            .zip(starts)
            .map(move |(e, start)| EntryView {
                id: e.id,
                created_at: e.created_at,
                customer: e.customer.map(|i| &*self.strings[i]),
                lines: &self.lines[start..e.lines_end],
                ledger: self,
            })
    }

    fn intern(&mut self, text: &str) -> usize {
        if let Some(&i) = self.lookup.get(text) {
            return i;
        }
        self.fits_win_ansi &= fits_win_ansi(text);
        let shared: Arc<str> = Arc::from(text);
        let i = self.strings.len();
        self.strings.push(Arc::clone(&shared));
        self.lookup.insert(shared, i);
        i
    }
}

impl<'a> EntryView<'a> {
    /// The receipt's lines in order.
    pub(crate) fn lines(&self) -> impl Iterator<Item = LineView<'a>> + use<'a> {
        let ledger = self.ledger;
        self.lines.iter().map(move |l| LineView {
            name: &ledger.strings[l.name],
            quantity: l.quantity,
            unit_price: l.unit_price,
        })
    }

    /// How many lines the receipt has.
    pub(crate) fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// The sum of the printed line totals.
    pub(crate) fn total(&self) -> Cents {
        self.lines().map(|l| l.total()).sum()
    }
}

impl LineView<'_> {
    /// Quantity × unit price, by the same rule as [`ReceiptLine::total`].
    pub(crate) fn total(&self) -> Cents {
        ReceiptLine::total_of(self.quantity, self.unit_price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(id: i64, names: &[&str]) -> Receipt {
        Receipt {
            purchase_id: id,
            created_at: NaiveDateTime::default(),
            customer_name: None,
            lines: names
                .iter()
                .map(|n| ReceiptLine {
                    product_name: n.to_string(),
                    quantity: 3,
                    unit_price: Cents(1999),
                })
                .collect(),
        }
    }

    #[test]
    fn receipts_come_back_in_order_with_their_own_lines() {
        let mut ledger = Ledger::new();

        ledger.add(&receipt(1, &["Tea", "Cake"]));
        ledger.add(&receipt(2, &["Cake"]));
        let back: Vec<(i64, Vec<String>)> = ledger
            .iter()
            .map(|e| (e.id, e.lines().map(|l| l.name.to_string()).collect()))
            .collect();

        assert_eq!(
            back,
            [
                (1, vec!["Tea".into(), "Cake".into()]),
                (2, vec!["Cake".into()])
            ]
        );
        assert_eq!(ledger.strings.len(), 2);
        assert_eq!(ledger.iter().next().map(|e| e.total()), Some(Cents(11994)));
    }

    #[test]
    fn one_cyrillic_name_makes_the_ledger_need_an_embedded_font() {
        let mut ledger = Ledger::new();

        ledger.add(&receipt(1, &["Crème brûlée"]));
        let latin = ledger.fits_win_ansi();
        ledger.add(&receipt(2, &["Пельмени"]));

        assert!(latin);
        assert!(!ledger.fits_win_ansi());
    }
}
