//! Writes sample receipt PDFs to look at: one short receipt, one in
//! Cyrillic/Greek/CJK, one that spans pages, and a small book.
//!
//! Run: `cargo run --example receipt_sample -- /tmp/receipts` (default `.`).

use std::path::PathBuf;

use chrono::NaiveDate;
use fly_store::store::money::Cents;
use fly_store::store::receipts::{
    Paper, Receipt, ReceiptBook, ReceiptLine, ReceiptStyle, render_receipt,
};

fn receipt(id: i64, names: &[&str]) -> Receipt {
    Receipt {
        purchase_id: id,
        created_at: NaiveDate::from_ymd_opt(2026, 12, 3)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default(),
        customer_name: Some("Ada Lovelace".into()),
        lines: names
            .iter()
            .enumerate()
            .map(|(i, n)| ReceiptLine {
                product_name: n.to_string(),
                quantity: i as i32 + 1,
                unit_price: Cents(1999 + 37 * i as i64),
            })
            .collect(),
    }
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir)?;
    let style = ReceiptStyle {
        store_name: "Fly Store".into(),
        paper: Paper::A4,
    };
    let token = "X".repeat(80);
    let long: Vec<String> = (1..=150).map(|i| format!("Line item {i:03}")).collect();
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    let samples = [
        (
            "latin",
            receipt(
                1,
                &["Crème brûlée", "Größe XL – Jacke", "Tea", &token, "Café"],
            ),
        ),
        (
            "unicode",
            receipt(2, &["Пельмени", "Σουβλάκι", "寿司セット", "Party pack 🎉"]),
        ),
        ("long", receipt(3, &long)),
    ];
    for (name, r) in &samples {
        std::fs::write(dir.join(format!("{name}.pdf")), render_receipt(r, &style))?;
    }
    let mut book = ReceiptBook::new(&style);
    for (_, r) in &samples {
        book.add(r);
    }
    std::fs::write(dir.join("book.pdf"), book.finish())?;
    Ok(())
}
