//! Peak memory of the all-receipts PDF for many purchases.
//!
//! Feeds a [`ReceiptBook`] the way the route handler does (batches of 500
//! purchases, 3 items each), then reads the process's peak resident set
//! (`VmHWM` in `/proc/self/status`).
//!
//! Run: `cargo run --release --example receipt_memory -- 20000`.

use std::time::Instant;

use chrono::NaiveDate;
use fly_store::store::money::Cents;
use fly_store::store::receipts::{Paper, Receipt, ReceiptBook, ReceiptLine, ReceiptStyle};

const NAMES: [&str; 6] = [
    "Espresso beans 1 kg",
    "Crème brûlée",
    "Пельмени",
    "Σουβλάκι",
    "寿司セット",
    "Größe XL – Jacke",
];

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn batch(from: i64, to: i64) -> Vec<Receipt> {
    (from..to)
        .map(|id| Receipt {
            purchase_id: id,
            created_at: NaiveDate::from_ymd_opt(2026, 12, 3)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .unwrap_or_default(),
            customer_name: Some(format!("Customer {id}")),
            lines: (0..3)
                .map(|i| ReceiptLine {
                    product_name: NAMES[(id as usize + i) % NAMES.len()].to_string(),
                    quantity: i as i32 + 1,
                    unit_price: Cents(199 + 1000 * i as i64),
                })
                .collect(),
        })
        .collect()
}

fn main() {
    let purchases: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let style = ReceiptStyle {
        store_name: "Fly Store".into(),
        paper: Paper::A4,
    };
    let before = peak_rss_kib();
    let started = Instant::now();

    let mut book = ReceiptBook::new(&style);
    let mut from = 1;
    while from <= purchases {
        let to = (from + 500).min(purchases + 1);
        for receipt in batch(from, to) {
            book.add(&receipt);
        }
        from = to;
    }
    let filled = peak_rss_kib();
    let pdf = book.finish();

    // Page objects (`/Type/Page` not followed by the `s` of `/Pages`).
    let pages = pdf
        .windows(11)
        .filter(|w| w.starts_with(b"/Type/Page") && w[10] != b's')
        .count();
    println!(
        "purchases={purchases} pages={pages} pdf_bytes={} time_ms={} \
         peak_rss_start_kib={before} peak_rss_after_fill_kib={filled} peak_rss_kib={}",
        pdf.len(),
        started.elapsed().as_millis(),
        peak_rss_kib()
    );
}
