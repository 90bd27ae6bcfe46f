//! One receipt document from stored receipts: pick the fonts, count the
//! pages, draw them as printpdf operations, and let printpdf write the file
//! (it subsets an embedded font to the glyphs the pages use).
//!
//! Known limit: printpdf writes a document in one piece, so a book holds
//! every page's operations, then lopdf's objects, until it is saved (about
//! 216 MB peak for 20,000 purchases of 3 items, `examples/receipt_memory.rs`).
//! Most of the time goes to lopdf compressing each stream at its best level
//! with a new compressor, and to printpdf turning each operation into lopdf
//! objects and back into text; neither has a setting to trade that away
//! short of `optimize: false` (no compression: files 2-3 times larger, and a
//! 5-item non-Latin receipt grows from 27 KB to about 57 KB).

use printpdf::{BuiltinFont, FontId, PdfDocument, PdfFont, PdfFontHandle, PdfSaveOptions};

use super::ReceiptStyle;
use super::canvas::OpsCanvas;
use super::fonts::{FontSet, Weight, fits_win_ansi};
use super::layout::{Canvas, Kind, Plan, lay_out};
use super::ledger::Ledger;

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
    plan.pages = lay_out(&plan, &mut PageCounter);

    let title = match kind {
        Kind::Single => "Receipt",
        Kind::Book => "Receipts",
    };
    let mut doc = PdfDocument::new(title);
    doc.metadata.info.producer = "fly-store".into();
    let handles = match fonts {
        FontSet::Builtin => [
            PdfFontHandle::Builtin(BuiltinFont::Helvetica),
            PdfFontHandle::Builtin(BuiltinFont::HelveticaBold),
        ],
        FontSet::Embedded => [Weight::Regular, Weight::Bold].map(|weight| {
            let Some(program) = fonts.face(weight).program.as_ref() else {
                unreachable!("embedded faces carry their parsed program");
            };
            // A fixed resource name instead of `add_font`'s random one (which
            // also becomes the subset tag): the same purchase then always
            // gives the same bytes, embedded fonts included.
            let id = FontId(format!("F{}", weight as u8 + 1));
            let font = PdfFont::new(program.clone());
            doc.resources.fonts.map.insert(id.clone(), font);
            PdfFontHandle::External(id)
        }),
    };

    let faces = [Weight::Regular, Weight::Bold].map(|weight| fonts.face(weight));
    let mut canvas = OpsCanvas::new(handles, faces, plan.pages);
    lay_out(&plan, &mut canvas);
    doc.with_pages(canvas.into_pages());
    save(&doc)
}

/// The file, written by printpdf and lopdf.
///
/// This is what `PdfDocument::save` does (build the lopdf document,
/// compress its streams, write it), with one step between: printpdf puts a
/// fresh random `/ID` in every trailer, which would make the same purchase
/// a different file each time (no stable ETag, no byte comparison). The
/// `/ID` is optional for unencrypted files (PDF 32000-1, 14.4), so it is
/// left out.
fn save(doc: &PdfDocument) -> Vec<u8> {
    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut file = doc.to_lopdf_document(&options, &mut warnings);
    for warning in &warnings {
        log::warn!("receipt PDF: {warning:?}");
    }
    file.trailer.remove(b"ID");
    file.compress();
    let mut out = Vec::new();
    if let Err(e) = file.save_to(&mut out) {
        // Writing into memory fails only if lopdf cannot encode an object
        // it built itself; the partial file is still returned, and logged.
        log::error!("receipt PDF could not be written completely: {e}");
    }
    out
}

/// The counting run's canvas: nothing is drawn, the layout counts pages.
struct PageCounter;

impl Canvas for PageCounter {
    fn begin_page(&mut self, _width: f32, _height: f32) {}

    fn text(&mut self, _weight: Weight, _size: f32, _x: f32, _y: f32, _text: &str) {}

    fn rule(&mut self, _x1: f32, _x2: f32, _y: f32) {}

    fn end_page(&mut self) {}
}
