//! Receipt PDFs read back as text with poppler's `pdftotext` and `pdfinfo`.
//!
//! These need poppler-utils (CI installs it); without it they fail with a
//! message saying so rather than passing silently.

use std::process::Command;

use chrono::NaiveDate;

use super::*;

mod reading;

use reading::{Word, count_numbered, page_count, page_size, text_of, words_of};

fn style() -> ReceiptStyle {
    ReceiptStyle {
        store_name: "Fly Store".into(),
        paper: Paper::A4,
    }
}

fn line(name: &str, quantity: i32, cents: i64) -> ReceiptLine {
    ReceiptLine {
        product_name: name.into(),
        quantity,
        unit_price: Cents(cents),
    }
}

fn receipt(id: i64, lines: Vec<ReceiptLine>) -> Receipt {
    Receipt {
        purchase_id: id,
        created_at: NaiveDate::from_ymd_opt(2026, 12, 3)
            .and_then(|d| d.and_hms_opt(17, 54, 0))
            .unwrap_or_default(),
        customer_name: Some("Ada Lovelace".into()),
        lines,
    }
}

fn five_items() -> Receipt {
    receipt(
        42,
        vec![
            line("Espresso beans 1 kg", 3, 1999),
            line("Paper filters", 10, 10),
            line("Crème brûlée", 2, 450),
            line("Größe XL – Jacke", 1, 8900),
            line("Milk frother", 1, 2495),
        ],
    )
}

/// A4 minus the 48 pt margins, with half a point for rounding.
const LEFT: f64 = 48.0 - 0.5;
const RIGHT_MARGIN: f64 = 48.0 - 0.5;

/// The layout's bottom margin; only the page footer is drawn below it.
const BOTTOM: f64 = 56.0;

/// A PDF header at the start and the end-of-file marker at the end (lopdf
/// writes no line break after it; the standard allows either).
fn is_complete_pdf(pdf: &[u8]) -> bool {
    pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF")
}

fn assert_inside_margins(words: &[Word], width: f64) {
    for w in words {
        assert!(
            w.x_min >= LEFT && w.x_max <= width - RIGHT_MARGIN,
            "{:?} crosses a side margin (page width {width})",
            w
        );
    }
}

fn assert_only_the_footer_is_below_the_bottom_margin(words: &[Word], height: f64) {
    for w in words.iter().filter(|w| w.y_max > height - BOTTOM) {
        let footer = w.text == "Page" || w.text == "of" || w.text.parse::<u32>().is_ok();
        assert!(footer, "{w:?} is below the bottom margin");
    }
}

#[test]
fn a_five_item_receipt_prints_names_amounts_and_exact_totals() {
    let pdf = render_receipt(&five_items(), &style());

    let text = text_of(&pdf);

    for expected in [
        "Fly Store",
        "Receipt #42",
        "2026-12-03 17:54",
        "Ada Lovelace",
        "Espresso beans 1 kg",
        "Paper filters",
        "Crème brûlée",
        "Größe XL – Jacke",
        "59.97",
        "1.00",
        "9.00",
        "89.00",
        "24.95",
        "183.92",
        "Page 1 of 1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert_eq!(page_count(&pdf), 1);
    assert!(pdf.len() < 40 * 1024, "{} bytes", pdf.len());
    assert!(is_complete_pdf(&pdf));
}

#[test]
fn latin_text_uses_the_built_in_font_and_embeds_nothing() {
    let pdf = render_receipt(&five_items(), &style());

    // Dictionary syntax may or may not put a space between key and name.
    let raw = String::from_utf8_lossy(&pdf).replace(' ', "");

    assert!(raw.contains("/BaseFont/Helvetica"));
    assert!(!raw.contains("FontFile2"));
}

#[test]
fn greek_and_cyrillic_print_exactly_with_an_embedded_subset() {
    let r = receipt(
        7,
        vec![
            line("Σουβλάκι", 2, 750),
            line("Пельмени", 3, 1999),
            line("Дмитрий набор", 1, 1200),
            line("Crème brûlée", 2, 450),
            line("Tea", 1, 300),
        ],
    );

    let pdf = render_receipt(&r, &style());
    let text = text_of(&pdf);

    for expected in [
        "Σουβλάκι",
        "Пельмени",
        "Дмитрий набор",
        "Crème brûlée",
        "59.97",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(String::from_utf8_lossy(&pdf).contains("FontFile2"));
    assert!(pdf.len() < 40 * 1024, "{} bytes", pdf.len());
}

#[test]
fn characters_the_font_lacks_become_a_visible_mark_and_the_line_stays() {
    // BC-18: CJK and emoji must not vanish or break the document.
    let names = [
        "Crème brûlée",
        "Größe XL – Jacke",
        "寿司セット",
        "Дмитрий набор",
        "Café Nomad ☕",
        "Party pack 🎉",
    ];
    let r = receipt(18, names.iter().map(|n| line(n, 2, 500)).collect());

    let pdf = render_receipt(&r, &style());
    let text = text_of(&pdf);

    for exact in ["Crème brûlée", "Größe XL – Jacke", "Дмитрий набор"] {
        assert!(text.contains(exact), "{exact:?} missing from:\n{text}");
    }
    assert!(
        text.contains("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        "{text}"
    );
    assert!(text.contains("Café Nomad"), "{text}");
    assert!(text.contains("Party pack \u{FFFD}"), "{text}");
    assert_eq!(text.matches("10.00").count(), 6, "{text}");
    assert!(text.contains("60.00"), "{text}");
}

#[test]
fn line_totals_line_up_on_the_right_margin_in_both_fonts() {
    // A table row is one string operation with spacing numbers; the
    // numbers must put each amount where the layout measured it.
    let latin = five_items();
    let mut greek = five_items();
    greek.lines[0].product_name = "Σουβλάκι".into();

    for r in [latin, greek] {
        let pdf = render_receipt(&r, &style());
        let (width, _) = page_size(&pdf, 1);
        let words = words_of(&pdf);

        for total in ["59.97", "1.00", "9.00", "89.00", "24.95", "183.92"] {
            // The rightmost one: a unit price can equal its line total.
            let word = words
                .iter()
                .filter(|w| w.text == total)
                .max_by(|a, b| a.x_max.total_cmp(&b.x_max))
                .unwrap_or_else(|| panic!("{total} not printed: {words:?}"));
            let right = width - 48.0;
            assert!(
                (word.x_max - right).abs() < 0.5,
                "{total} ends at {} instead of {right}",
                word.x_max
            );
        }
    }
}

#[test]
fn zero_and_negative_quantities_and_huge_amounts_print_without_wrapping() {
    // BC-21: integer cents, no u32 wrap, no panic on absurd values.
    let r = receipt(
        21,
        vec![
            line("Free sample", 0, 500),
            line("Refund", -1, 500),
            line("Three coffees", 3, 1999),
            line("Ten mints", 10, 10),
            line("Gold bar", i32::MAX, i64::MAX),
            line("Debt", i32::MIN, i64::MIN),
        ],
    );

    let pdf = render_receipt(&r, &style());
    let text = text_of(&pdf);

    for expected in [
        "0.00",
        "-5.00",
        "59.97",
        "1.00",
        "-1",
        "2147483647",
        "-2147483648",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(text.contains("92233720368547758.07"), "{text}");
    assert!(!text.contains("4294967295"), "{text}");
    let (width, _) = page_size(&pdf, 1);
    assert_inside_margins(&words_of(&pdf), width);
}

#[test]
fn long_names_wrap_inside_their_column_and_keep_every_word() {
    let token = "Q".repeat(40) + &"W".repeat(40);
    let long_name = "An extraordinarily long product name that keeps going with many \
                     separate words until it must wrap onto several lines of its column";
    let r = receipt(5, vec![line(&token, 1, 100), line(long_name, 2, 250)]);

    let pdf = render_receipt(&r, &style());
    let words = words_of(&pdf);

    let (width, _) = page_size(&pdf, 1);
    assert_inside_margins(&words, width);
    // The product column is the left one: its words, top to bottom.
    let product: Vec<&Word> = words.iter().filter(|w| w.x_min < 60.0).collect();
    let joined: String = product.iter().map(|w| w.text.as_str()).collect();
    assert!(joined.contains(&token), "token broken or lost: {joined}");
    let token_rows = product
        .iter()
        .filter(|w| w.text.starts_with('Q') || w.text.starts_with('W'));
    assert!(
        token_rows.count() >= 2,
        "the 80-character token did not wrap"
    );
    let text = text_of(&pdf);
    for word in long_name.split(' ') {
        assert!(text.contains(word), "{word:?} lost");
    }
}

#[test]
fn a_150_line_purchase_spans_pages_with_headers_and_numbers() {
    // BC-20: every line once, header on each page, correct `i of N`.
    let lines = (1..=150)
        .map(|i| line(&format!("Line item {i:03}"), 1, 100))
        .collect();
    let r = receipt(150, lines);

    let pdf = render_receipt(&r, &style());
    let text = text_of(&pdf);
    let pages = page_count(&pdf);

    assert!(pages >= 3, "{pages} pages");
    let items = count_numbered(&text, "Line item ");
    assert_eq!(items.len(), 150);
    assert!(items.values().all(|n| *n == 1), "{items:?}");
    for page in 1..=pages {
        let on_page = reading::text_of_page(&pdf, page);
        assert!(
            on_page.contains(&format!("Page {page} of {pages}")),
            "{on_page}"
        );
        assert!(
            on_page.contains("Product"),
            "no table header on page {page}"
        );
        assert!(on_page.contains("Line item"), "page {page} has no lines");
    }
    assert_eq!(text.matches("Total").count(), 1, "{text}");
    assert!(text.contains("150.00"));
    let (_, height) = page_size(&pdf, 1);
    assert_only_the_footer_is_below_the_bottom_margin(&words_of(&pdf), height);
}

#[test]
fn a_book_of_500_purchases_prints_each_once_with_no_blank_last_page() {
    let style = style();
    let mut book = ReceiptBook::new(&style);
    for id in 1..=500 {
        book.add(&receipt(
            id,
            vec![line("Tea", 1, 300), line("Cake", 2, 450)],
        ));
    }

    let pdf = book.finish();
    let text = text_of(&pdf);
    let pages = page_count(&pdf);

    let receipts = count_numbered(&text, "Receipt #");
    assert_eq!(receipts.len(), 500);
    assert!(
        receipts.values().all(|n| *n == 1),
        "a receipt printed twice"
    );
    assert_eq!(count_numbered(&text, "Page ").len(), pages);
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    let last = reading::text_of_page(&pdf, pages);
    assert!(
        last.contains("Receipt #") || last.contains("Total"),
        "{last}"
    );
    let (width, height) = page_size(&pdf, 1);
    let words = words_of(&pdf);
    assert_inside_margins(&words, width);
    assert_only_the_footer_is_below_the_bottom_margin(&words, height);
}

#[test]
fn an_empty_book_is_a_valid_one_page_pdf_saying_so() {
    // BC-22: a zero-page PDF is corrupt; say "no purchases" instead.
    let book = ReceiptBook::new(&style());

    let pdf = book.finish();

    assert!(is_complete_pdf(&pdf));
    assert_eq!(page_count(&pdf), 1);
    let text = text_of(&pdf);
    assert!(text.contains("There are no purchases."), "{text}");
    assert!(text.contains("Page 1 of 1"), "{text}");
}

#[test]
fn letter_paper_is_used_when_the_style_asks_for_it() {
    let letter = ReceiptStyle {
        paper: Paper::Letter,
        ..style()
    };

    let pdf = render_receipt(&five_items(), &letter);

    assert_eq!(page_size(&pdf, 1), (612.0, 792.0));
    assert_eq!(
        page_size(&render_receipt(&five_items(), &style()), 1),
        (595.28, 841.89)
    );
}

#[test]
fn control_characters_and_pdf_syntax_in_names_are_printed_harmlessly() {
    let r = receipt(
        24,
        vec![
            line("Crème \"brûlée\"\r\nX-Evil: 1", 1, 100),
            line("Tea (green) \\ 50% <b>", 1, 100),
            line("bell\u{7}", 1, 100),
        ],
    );

    let pdf = render_receipt(&r, &style());
    let text = text_of(&pdf);

    assert!(text.contains("Crème \"brûlée\" X-Evil: 1"), "{text}");
    assert!(text.contains("Tea (green) \\ 50% <b>"), "{text}");
    assert!(text.contains("bell\u{FFFD}"), "{text}");
}

#[test]
fn a_book_mixing_scripts_embeds_one_font_for_all_purchases() {
    let mut book = ReceiptBook::new(&style());
    book.add(&receipt(1, vec![line("Crème brûlée", 1, 100)]));
    book.add(&receipt(2, vec![line("Пельмени", 1, 100)]));
    book.add(&receipt(3, vec![]));

    let pdf = book.finish();
    let text = text_of(&pdf);

    for expected in [
        "Crème brûlée",
        "Пельмени",
        "Receipt #3",
        "(no items)",
        "Page 1 of 1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn pdftotext_is_installed() {
    let found = Command::new("pdftotext").arg("-v").output().is_ok();

    assert!(found, "{}", reading::MISSING);
}

#[test]
fn the_same_purchase_renders_to_the_same_bytes() {
    let first = render_receipt(&five_items(), &style());

    let second = render_receipt(&five_items(), &style());

    assert_eq!(first, second);
}

#[test]
fn the_same_purchase_renders_to_the_same_bytes_with_an_embedded_font() {
    let greek = receipt(7, vec![line("Σουβλάκι", 2, 750), line("Пельмени", 3, 1999)]);

    let first = render_receipt(&greek, &style());
    let second = render_receipt(&greek, &style());

    assert!(text_of(&first).contains("Σουβλάκι"));
    assert_eq!(first, second);
}

#[test]
fn a_book_can_be_filled_on_one_thread_and_finished_on_another() {
    fn assert_send<T: Send + 'static>(_: &T) {}
    let mut book = ReceiptBook::new(&style());
    book.add(&five_items());
    assert_send(&book);

    let pdf = std::thread::spawn(move || book.finish())
        .join()
        .expect("no panic");

    assert!(text_of(&pdf).contains("Receipt #42"));
}
