//! Page layout: where every string of a receipt document goes.
//!
//! The layout is run twice over the same data: once to count pages, once to
//! draw them with `Page i of N` known. It talks to a [`Canvas`] only, so both runs take the same decisions.
//!
//! Rules: receipts follow one another; a receipt starts on a new page unless
//! its heading, table header and first row fit; a row never splits unless it
//! is taller than a page; a page break inside a receipt repeats its number
//! and the table header; nothing is drawn below the bottom margin or past
//! the right margin; no page is started unless something goes on it.

use std::fmt::Write;

use super::fonts::{Face, FontSet, Weight};
use super::ledger::{EntryView, Ledger};
use super::wrap::wrap;
use super::{Paper, ReceiptStyle};
use crate::store::money::Cents;

/// What a layout run draws on.
pub(crate) trait Canvas {
    fn begin_page(&mut self, width: f32, height: f32);
    /// Draws printable `text` with its baseline starting at (`x`, `y`).
    fn text(&mut self, weight: Weight, size: f32, x: f32, y: f32, text: &str);
    /// A thin horizontal rule from `x1` to `x2` at height `y`.
    fn rule(&mut self, x1: f32, x2: f32, y: f32);
    fn end_page(&mut self);
}

/// Whether the document is one purchase or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Single,
    Book,
}

/// Everything a layout run reads.
pub(crate) struct Plan<'a> {
    pub(crate) style: &'a ReceiptStyle,
    pub(crate) fonts: FontSet,
    pub(crate) ledger: &'a Ledger,
    pub(crate) kind: Kind,
    /// The page count for the footer; unknown (0) on the counting run.
    pub(crate) pages: usize,
}

/// The message an empty book prints.
pub(crate) const NO_PURCHASES: &str = "There are no purchases.";

const MARGIN: f32 = 48.0;
/// No line's box reaches below this height.
const BOTTOM: f32 = 56.0;
const FOOTER_BASELINE: f32 = 30.0;
const GAP: f32 = 12.0;
const STORE_SIZE: f32 = 14.0;
const TITLE_SIZE: f32 = 12.0;
const BODY_SIZE: f32 = 9.5;
const FOOTER_SIZE: f32 = 8.5;
const LEADING: f32 = 1.3;
/// The store name never takes more lines than this at the top of a page.
const STORE_LINES: usize = 3;

/// Page width and height in points.
fn page_size(paper: Paper) -> (f32, f32) {
    match paper {
        Paper::A4 => (595.28, 841.89),
        Paper::Letter => (612.0, 792.0),
    }
}

/// Runs the layout of `plan` onto `canvas`; returns the number of pages.
pub(crate) fn lay_out<C: Canvas>(plan: &Plan<'_>, canvas: &mut C) -> usize {
    let mut flow = Flow::new(plan, canvas);
    if plan.ledger.len() == 0 && plan.kind == Kind::Book {
        flow.need(BODY_SIZE * LEADING);
        flow.text_line(Weight::Regular, BODY_SIZE, NO_PURCHASES);
    }
    for entry in plan.ledger.iter() {
        flow.receipt(&entry);
    }
    flow.finish()
}

/// The table's columns: product text on the left, numbers right-aligned.
struct Columns {
    product_x: f32,
    product_w: f32,
    qty_right: f32,
    unit_right: f32,
    total_right: f32,
}

/// Where the next line goes inside a receipt, for page-break headings.
#[derive(Clone, Copy)]
enum Open {
    Nothing,
    Heading(i64),
    Table(i64),
}

struct Flow<'p, C> {
    plan: &'p Plan<'p>,
    canvas: &'p mut C,
    regular: &'static Face,
    bold: &'static Face,
    width: f32,
    height: f32,
    cols: Columns,
    /// Top of the next line's box.
    y: f32,
    pages: usize,
    page_open: bool,
    /// Nothing but page headings has been drawn on this page yet.
    fresh: bool,
    open: Open,
    number: String,
}

impl<'p, C: Canvas> Flow<'p, C> {
    fn new(plan: &'p Plan<'p>, canvas: &'p mut C) -> Self {
        let (width, height) = page_size(plan.style.paper);
        let regular = plan.fonts.face(Weight::Regular);
        let bold = plan.fonts.face(Weight::Bold);
        let cols = columns(plan.ledger, regular, bold, width);
        Flow {
            plan,
            canvas,
            regular,
            bold,
            width,
            height,
            cols,
            y: height,
            pages: 0,
            page_open: false,
            fresh: false,
            open: Open::Nothing,
            number: String::new(),
        }
    }

    fn face(&self, weight: Weight) -> &'static Face {
        match weight {
            Weight::Regular => self.regular,
            Weight::Bold => self.bold,
        }
    }

    /// Makes room for a block `h` points tall: a new page unless it fits
    /// or the page holds nothing yet (a block taller than a page then
    /// continues line by line).
    fn need(&mut self, h: f32) {
        if !self.page_open {
            self.start_page();
        } else if self.y - h < BOTTOM && !self.fresh {
            self.end_page();
            self.start_page();
        }
    }

    /// The baseline of the next line of `size`, after making room for it.
    fn next_line(&mut self, size: f32) -> f32 {
        let h = size * LEADING;
        self.need(h);
        let baseline = self.y - size;
        self.y -= h;
        self.fresh = false;
        baseline
    }

    fn text_line(&mut self, weight: Weight, size: f32, text: &str) {
        let baseline = self.next_line(size);
        let printable = self.face(weight).printable(text);
        self.canvas.text(weight, size, MARGIN, baseline, &printable);
    }

    fn start_page(&mut self) {
        self.canvas.begin_page(self.width, self.height);
        self.pages += 1;
        self.page_open = true;
        self.y = self.height - MARGIN;

        let store = self.bold.printable(&self.plan.style.store_name);
        let content_w = self.width - 2.0 * MARGIN;
        let mut lines = wrap(&store, self.bold, STORE_SIZE, content_w);
        // Known limit: a store name longer than three lines is cut, because
        // the heading must leave room on every page; it is configuration,
        // not purchase data.
        lines.truncate(STORE_LINES);
        for line in lines {
            let baseline = self.y - STORE_SIZE;
            self.y -= STORE_SIZE * LEADING;
            self.canvas
                .text(Weight::Bold, STORE_SIZE, MARGIN, baseline, line);
        }
        self.y -= 4.0;
        self.canvas.rule(MARGIN, self.width - MARGIN, self.y);
        self.y -= 10.0;

        match self.open {
            Open::Nothing => {}
            Open::Heading(id) => self.title(id, true),
            Open::Table(id) => {
                self.title(id, true);
                self.table_header();
            }
        }
        self.fresh = true;
    }

    fn end_page(&mut self) {
        // On the counting run the total is not known yet (and nothing is
        // drawn); the page's own number stands in for it.
        let total = if self.plan.pages > 0 {
            self.plan.pages
        } else {
            self.pages
        };
        let footer = format!("Page {} of {}", self.pages, total);
        let x = self.cols.total_right - self.regular.width(&footer, FOOTER_SIZE);
        self.canvas
            .text(Weight::Regular, FOOTER_SIZE, x, FOOTER_BASELINE, &footer);
        self.canvas.end_page();
        self.page_open = false;
    }

    fn finish(mut self) -> usize {
        if self.page_open {
            self.end_page();
        }
        self.pages
    }

    /// "Receipt #id", drawn without asking for room (callers did).
    fn title(&mut self, id: i64, continued: bool) {
        let text = if continued {
            format!("Receipt #{id} (continued)")
        } else {
            format!("Receipt #{id}")
        };
        let baseline = self.y - TITLE_SIZE;
        self.y -= TITLE_SIZE * LEADING;
        self.canvas
            .text(Weight::Bold, TITLE_SIZE, MARGIN, baseline, &text);
    }

    fn table_header(&mut self) {
        let baseline = self.y - BODY_SIZE;
        self.y -= BODY_SIZE * LEADING;
        let c = &self.cols;
        let cells = [
            (c.qty_right, "Qty"),
            (c.unit_right, "Unit price"),
            (c.total_right, "Line total"),
        ];
        self.canvas
            .text(Weight::Bold, BODY_SIZE, c.product_x, baseline, "Product");
        for (right, label) in cells {
            let x = right - self.bold.width(label, BODY_SIZE);
            self.canvas
                .text(Weight::Bold, BODY_SIZE, x, baseline, label);
        }
        self.y -= 2.0;
        self.canvas.rule(MARGIN, self.width - MARGIN, self.y);
        self.y -= 3.0;
    }

    fn receipt(&mut self, entry: &EntryView<'_>) {
        let line_h = BODY_SIZE * LEADING;
        let customer = entry.customer.map(|c| self.regular.printable(c));
        let customer_lines = customer.as_ref().map(|c| {
            let label_w = self.regular.width("Customer: ", BODY_SIZE);
            wrap(
                c,
                self.regular,
                BODY_SIZE,
                self.width - 2.0 * MARGIN - label_w,
            )
        });
        let first_row = entry
            .lines()
            .next()
            .map(|l| self.wrapped_name(l.name).len())
            .unwrap_or(1);
        let heading_h = TITLE_SIZE * LEADING
            + line_h * (1 + customer_lines.as_ref().map_or(0, Vec::len)) as f32
            + 4.0;
        let table_h = line_h + 5.0 + line_h * first_row as f32;
        if self.plan.kind == Kind::Book && self.page_open && !self.fresh {
            self.y -= 16.0;
        }
        self.need(heading_h + table_h);

        self.title(entry.id, false);
        self.fresh = false;
        self.open = Open::Heading(entry.id);
        let date = format!("Date: {} UTC", entry.created_at.format("%Y-%m-%d %H:%M"));
        self.text_line(Weight::Regular, BODY_SIZE, &date);
        if let Some(lines) = customer_lines {
            let label_w = self.regular.width("Customer: ", BODY_SIZE);
            for (i, line) in lines.iter().enumerate() {
                let baseline = self.next_line(BODY_SIZE);
                if i == 0 {
                    self.canvas
                        .text(Weight::Regular, BODY_SIZE, MARGIN, baseline, "Customer: ");
                }
                self.canvas
                    .text(Weight::Regular, BODY_SIZE, MARGIN + label_w, baseline, line);
            }
        }
        self.y -= 4.0;

        self.need(table_h);
        self.table_header();
        self.open = Open::Table(entry.id);
        if entry.line_count() == 0 {
            self.text_line(Weight::Regular, BODY_SIZE, "(no items)");
        }
        for line in entry.lines() {
            self.row(line.name, line.quantity, line.unit_price, line.total());
        }
        self.total(entry.total());
        self.open = Open::Nothing;
    }

    fn wrapped_name<'t>(&self, name: &'t str) -> Vec<&'t str> {
        wrap(name, self.regular, BODY_SIZE, self.cols.product_w)
    }

    fn row(&mut self, name: &str, quantity: i32, unit_price: Cents, total: Cents) {
        let name = self.regular.printable(name);
        let lines = self.wrapped_name(&name);
        self.need(BODY_SIZE * LEADING * lines.len() as f32);
        for (i, line) in lines.iter().enumerate() {
            let baseline = self.next_line(BODY_SIZE);
            self.canvas.text(
                Weight::Regular,
                BODY_SIZE,
                self.cols.product_x,
                baseline,
                line,
            );
            if i == 0 {
                self.number_right(Weight::Regular, self.cols.qty_right, baseline, quantity);
                self.number_right(Weight::Regular, self.cols.unit_right, baseline, unit_price);
                self.number_right(Weight::Regular, self.cols.total_right, baseline, total);
            }
        }
    }

    fn total(&mut self, total: Cents) {
        let h = BODY_SIZE * LEADING + 4.0;
        self.need(h);
        self.y -= 2.0;
        self.canvas.rule(MARGIN, self.width - MARGIN, self.y);
        self.y -= 2.0;
        let baseline = self.next_line(BODY_SIZE);
        self.canvas.text(
            Weight::Bold,
            BODY_SIZE,
            self.cols.product_x,
            baseline,
            "Total",
        );
        self.number_right(Weight::Bold, self.cols.total_right, baseline, total);
    }

    fn number_right(
        &mut self,
        weight: Weight,
        right: f32,
        baseline: f32,
        n: impl std::fmt::Display,
    ) {
        self.number.clear();
        let _ = write!(self.number, "{n}");
        let x = right - self.face(weight).width(&self.number, BODY_SIZE);
        self.canvas
            .text(weight, BODY_SIZE, x, baseline, &self.number);
    }
}

/// Number columns as wide as their widest entry, the product column the rest.
fn columns(ledger: &Ledger, regular: &Face, bold: &Face, page_w: f32) -> Columns {
    let mut text = String::new();
    let mut widest = |face: &Face, n: &dyn std::fmt::Display, w: &mut f32| {
        text.clear();
        let _ = write!(text, "{n}");
        *w = w.max(face.width(&text, BODY_SIZE));
    };
    let mut qty_w = bold.width("Qty", BODY_SIZE);
    let mut unit_w = bold.width("Unit price", BODY_SIZE);
    let mut total_w = bold.width("Line total", BODY_SIZE);
    for entry in ledger.iter() {
        for line in entry.lines() {
            widest(regular, &line.quantity, &mut qty_w);
            widest(regular, &line.unit_price, &mut unit_w);
            widest(regular, &line.total(), &mut total_w);
        }
        widest(bold, &entry.total(), &mut total_w);
    }
    let total_right = page_w - MARGIN;
    let unit_right = total_right - total_w - GAP;
    let qty_right = unit_right - unit_w - GAP;
    let product_w = (qty_right - qty_w - GAP - MARGIN).max(GAP);
    Columns {
        product_x: MARGIN,
        product_w,
        qty_right,
        unit_right,
        total_right,
    }
}
