//! A fixed workload for profilers (`valgrind --tool=callgrind`, `perf`):
//! renders 5-item receipts and a book of 1,000 purchases.
//!
//! Run: `cargo build --release --example receipt_profile` then e.g.
//! `valgrind --tool=callgrind target/release/examples/receipt_profile book latin`.

use chrono::NaiveDate;
use fly_store::store::money::Cents;
use fly_store::store::receipts::{
    Paper, Receipt, ReceiptBook, ReceiptLine, ReceiptStyle, render_receipt,
};

const LATIN: [&str; 3] = ["Espresso beans 1 kg", "Crème brûlée", "Größe XL – Jacke"];
const UNICODE: [&str; 3] = ["Espresso beans 1 kg", "Пельмени", "Σουβλάκι"];

fn receipt(id: i64, items: usize, names: &[&str]) -> Receipt {
    Receipt {
        purchase_id: id,
        created_at: NaiveDate::from_ymd_opt(2026, 12, 3)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default(),
        customer_name: Some(format!("Customer {id}")),
        lines: (0..items)
            .map(|i| ReceiptLine {
                product_name: names[(id as usize + i) % names.len()].to_string(),
                quantity: i as i32 + 1,
                unit_price: Cents(199 + 1000 * i as i64),
            })
            .collect(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "book".into());
    let names: &[&str] = match args.next().as_deref() {
        Some("unicode") => &UNICODE,
        _ => &LATIN,
    };
    let style = ReceiptStyle {
        store_name: "Fly Store".into(),
        paper: Paper::A4,
    };
    let mut bytes = 0;
    if what == "receipt" {
        for id in 0..2_000 {
            bytes += render_receipt(&receipt(id, 5, names), &style).len();
        }
    } else {
        let mut book = ReceiptBook::new(&style);
        for id in 1..=1_000 {
            book.add(&receipt(id, 3, names));
        }
        bytes += book.finish().len();
    }
    println!("{what}: {bytes} bytes");
}
