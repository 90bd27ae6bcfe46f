//! One receipt document from stored receipts: pick the fonts, count the
//! pages, write the fonts, then draw the pages straight into the file.

use super::ReceiptStyle;
use super::content::{Encoding, PdfCanvas, font_name};
use super::embed;
use super::fonts::{FontSet, Weight, fits_win_ansi};
use super::layout::{Canvas, Kind, Plan, lay_out};
use super::ledger::Ledger;
use super::pdf::PdfWriter;

/// The finished PDF for everything in `ledger`.
pub(crate) fn write(style: &ReceiptStyle, ledger: &Ledger, kind: Kind) -> Vec<u8> {
    let fonts = FontSet::for_text(ledger.fits_win_ansi() && fits_win_ansi(&style.store_name));
    let mut plan = Plan {
        style,
        fonts,
        ledger,
        kind,
        pages: 0,
    };
    let mut tally = Tally::new(fonts == FontSet::Embedded);
    plan.pages = lay_out(&plan, &mut tally);

    let mut writer = PdfWriter::new();
    let catalog = writer.reserve();
    let pages = writer.reserve();
    let info = writer.reserve();
    let resources = writer.reserve();
    let (regular, bold, encoding) = match fonts {
        FontSet::Builtin => (
            embed::builtin(&mut writer, Weight::Regular),
            embed::builtin(&mut writer, Weight::Bold),
            Encoding::WinAnsi,
        ),
        FontSet::Embedded => {
            let [used_regular, used_bold] = tally.used.map(|set| set.chars());
            let (r, r_codes) =
                embed::embedded(&mut writer, fonts.face(Weight::Regular), &used_regular);
            let (b, b_codes) = embed::embedded(&mut writer, fonts.face(Weight::Bold), &used_bold);
            (r, b, Encoding::Glyphs([r_codes, b_codes]))
        }
    };
    writer.object(
        resources,
        &format!(
            "<< /Font << /{} {regular} /{} {bold} >> /ProcSet [/PDF /Text] >>",
            font_name(Weight::Regular),
            font_name(Weight::Bold)
        ),
    );

    let mut canvas = PdfCanvas::new(&mut writer, pages, resources, encoding);
    lay_out(&plan, &mut canvas);
    let kids = std::mem::take(&mut canvas.kids);
    drop(canvas);

    let mut list = String::with_capacity(kids.len() * 10);
    for kid in &kids {
        list.push_str(&kid.to_string());
        list.push(' ');
    }
    writer.object(
        pages,
        &format!("<< /Type /Pages /Count {} /Kids [{list}] >>", kids.len()),
    );
    writer.object(catalog, &format!("<< /Type /Catalog /Pages {pages} >>"));
    let title = match kind {
        Kind::Single => "Receipt",
        Kind::Book => "Receipts",
    };
    writer.object(
        info,
        &format!("<< /Title ({title}) /Producer (fly-store) >>"),
    );
    writer.finish(catalog, info)
}

/// The counting run's canvas: pages, and the characters each weight draws.
struct Tally {
    collect: bool,
    used: [CharSet; 2],
}

impl Tally {
    fn new(collect: bool) -> Tally {
        let mut used = [CharSet::default(), CharSet::default()];
        // Page numbers are not known during this run: every digit may appear.
        for set in &mut used {
            "0123456789".chars().for_each(|c| set.insert(c));
        }
        Tally { collect, used }
    }
}

impl Canvas for Tally {
    fn begin_page(&mut self, _width: f32, _height: f32) {}

    fn text(&mut self, weight: Weight, _size: f32, _x: f32, _y: f32, text: &str) {
        if self.collect {
            let set = &mut self.used[weight as usize];
            text.chars().for_each(|c| set.insert(c));
        }
    }

    fn rule(&mut self, _x1: f32, _x2: f32, _y: f32) {}

    fn end_page(&mut self) {}
}

/// A set of Basic Multilingual Plane characters (all an embedded face maps).
struct CharSet {
    bits: Vec<u64>,
}

impl Default for CharSet {
    fn default() -> Self {
        CharSet {
            bits: vec![0; 0x1_0000 / 64],
        }
    }
}

impl CharSet {
    fn insert(&mut self, c: char) {
        let cp = c as usize;
        if let Some(word) = self.bits.get_mut(cp / 64) {
            *word |= 1 << (cp % 64);
        }
    }

    /// The members, ascending.
    fn chars(&self) -> Vec<char> {
        let mut out = Vec::new();
        for (i, word) in self.bits.iter().enumerate() {
            let mut w = *word;
            while w != 0 {
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                if let Some(c) = char::from_u32((i * 64 + bit) as u32) {
                    out.push(c);
                }
            }
        }
        out
    }
}
