//! Receipt rendering speed: one 5-item receipt, and the book of 1,000
//! purchases of 3 items each (the reference figures: reportlab ~1.4 ms and
//! ~840 ms on this machine).
//!
//! Run: `cargo bench --bench receipts`.

use chrono::NaiveDate;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use fly_store::store::money::Cents;
use fly_store::store::receipts::{
    Paper, Receipt, ReceiptBook, ReceiptLine, ReceiptStyle, render_receipt,
};

const LATIN: [&str; 6] = [
    "Espresso beans 1 kg",
    "Crème brûlée",
    "Größe XL – Jacke",
    "Paper filters",
    "Milk frother with a rather long descriptive name",
    "Café Zürich",
];
const UNICODE: [&str; 6] = [
    "Espresso beans 1 kg",
    "Crème brûlée",
    "Пельмени",
    "Σουβλάκι",
    "寿司セット",
    "Größe XL – Jacke",
];

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
                quantity: (i as i32 % 4) + 1,
                unit_price: Cents(199 + 1000 * i as i64),
            })
            .collect(),
    }
}

fn style() -> ReceiptStyle {
    ReceiptStyle {
        store_name: "Fly Store".into(),
        paper: Paper::A4,
    }
}

fn book(n: i64, names: &[&str]) -> Vec<u8> {
    let style = style();
    let mut book = ReceiptBook::new(&style);
    for id in 1..=n {
        book.add(&receipt(id, 3, names));
    }
    book.finish()
}

fn benches(c: &mut Criterion) {
    let style = style();
    let latin = receipt(42, 5, &LATIN);
    let unicode = receipt(42, 5, &UNICODE);
    // Parse the fonts once, as the first request of a process would.
    render_receipt(&unicode, &style);

    c.bench_function("receipt_5_items_latin_builtin_font", |b| {
        b.iter(|| render_receipt(black_box(&latin), &style))
    });
    c.bench_function("receipt_5_items_unicode_embedded_subset", |b| {
        b.iter(|| render_receipt(black_box(&unicode), &style))
    });
    let mut group = c.benchmark_group("book");
    group.sample_size(20);
    group.bench_function("book_1000_purchases_latin", |b| {
        b.iter(|| book(black_box(1000), &LATIN))
    });
    group.bench_function("book_1000_purchases_unicode", |b| {
        b.iter(|| book(black_box(1000), &UNICODE))
    });
    group.finish();
}

criterion_group!(receipts, benches);
criterion_main!(receipts);
