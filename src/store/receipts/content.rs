//! Page content streams: the layout's text and rules as PDF operators.
//!
//! Each page is written to the file as soon as it is complete, compressed,
//! so a long book holds one page of operators at a time.

use super::fonts::Weight;
use super::layout::Canvas;
use super::pdf::{ObjId, PdfWriter, number};
use super::winansi;

/// How characters become string bytes for the document's fonts.
pub(crate) enum Encoding {
    /// One WinAnsi byte per character (built-in fonts).
    WinAnsi,
    /// Two bytes per glyph: the code of each character's glyph in the
    /// embedded subset, per weight, indexed by code point.
    Glyphs([Vec<u16>; 2]),
}

/// Code meaning "no glyph" in [`Encoding::Glyphs`] tables.
pub(crate) const NO_CODE: u16 = u16::MAX;

impl Encoding {
    fn write(&self, weight: Weight, text: &str, out: &mut Vec<u8>) {
        match self {
            Encoding::WinAnsi => {
                out.push(b'(');
                for c in text.chars() {
                    let b = winansi::byte(c).unwrap_or(b'?');
                    if matches!(b, b'(' | b')' | b'\\') {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
                out.push(b')');
            }
            Encoding::Glyphs(tables) => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let table = &tables[weight as usize];
                out.push(b'<');
                for c in text.chars() {
                    let code = table.get(c as usize).copied().unwrap_or(NO_CODE);
                    let code = if code == NO_CODE { 0 } else { code };
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((code >> shift) & 0xF)]);
                    }
                }
                out.push(b'>');
            }
        }
    }
}

/// Writes pages into a [`PdfWriter`] as the layout draws them.
pub(crate) struct PdfCanvas<'w> {
    writer: &'w mut PdfWriter,
    parent: ObjId,
    resources: ObjId,
    encoding: Encoding,
    ops: Vec<u8>,
    in_text: bool,
    font: Option<(Weight, f32)>,
    media_box: (f32, f32),
    /// The page objects written so far, in order.
    pub(crate) kids: Vec<ObjId>,
}

impl<'w> PdfCanvas<'w> {
    pub(crate) fn new(
        writer: &'w mut PdfWriter,
        parent: ObjId,
        resources: ObjId,
        encoding: Encoding,
    ) -> Self {
        PdfCanvas {
            writer,
            parent,
            resources,
            encoding,
            ops: Vec::with_capacity(8 * 1024),
            in_text: false,
            font: None,
            media_box: (0.0, 0.0),
            kids: Vec::new(),
        }
    }

    fn end_text(&mut self) {
        if self.in_text {
            self.ops.extend_from_slice(b"ET\n");
            self.in_text = false;
        }
    }
}

/// The resource name of each weight's font.
pub(crate) fn font_name(weight: Weight) -> &'static str {
    match weight {
        Weight::Regular => "F1",
        Weight::Bold => "F2",
    }
}

impl Canvas for PdfCanvas<'_> {
    fn begin_page(&mut self, width: f32, height: f32) {
        self.ops.clear();
        self.media_box = (width, height);
        self.in_text = false;
        self.font = None;
        self.ops.extend_from_slice(b"0.6 w 0.45 G\n");
    }

    fn text(&mut self, weight: Weight, size: f32, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        if !self.in_text {
            self.ops.extend_from_slice(b"BT\n");
            self.in_text = true;
        }
        if self.font != Some((weight, size)) {
            self.ops.push(b'/');
            self.ops.extend_from_slice(font_name(weight).as_bytes());
            self.ops.push(b' ');
            number(&mut self.ops, size);
            self.ops.extend_from_slice(b" Tf\n");
            self.font = Some((weight, size));
        }
        self.ops.extend_from_slice(b"1 0 0 1 ");
        number(&mut self.ops, x);
        self.ops.push(b' ');
        number(&mut self.ops, y);
        self.ops.extend_from_slice(b" Tm ");
        self.encoding.write(weight, text, &mut self.ops);
        self.ops.extend_from_slice(b" Tj\n");
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.end_text();
        number(&mut self.ops, x1);
        self.ops.push(b' ');
        number(&mut self.ops, y);
        self.ops.extend_from_slice(b" m ");
        number(&mut self.ops, x2);
        self.ops.push(b' ');
        number(&mut self.ops, y);
        self.ops.push(b' ');
        self.ops.extend_from_slice(b"l S\n");
    }

    fn end_page(&mut self) {
        self.end_text();
        let contents = self.writer.reserve();
        let page = self.writer.reserve();
        self.writer.stream(contents, "", &self.ops);
        let mut dict = Vec::with_capacity(160);
        dict.extend_from_slice(b"<< /Type /Page /MediaBox [0 0 ");
        number(&mut dict, self.media_box.0);
        dict.push(b' ');
        number(&mut dict, self.media_box.1);
        let rest = format!(
            "] /Parent {} /Resources {} /Contents {contents} >>",
            self.parent, self.resources
        );
        dict.extend_from_slice(rest.as_bytes());
        self.writer
            .object(page, std::str::from_utf8(&dict).unwrap_or_default());
        self.kids.push(page);
    }
}
