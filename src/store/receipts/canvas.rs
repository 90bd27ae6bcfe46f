//! The drawing run's canvas: the layout's text and rules as printpdf
//! operations, one [`PdfPage`] per page.
//!
//! Positions are kept in hundredths of a point and text lines are placed
//! with relative moves (`Td`) from the previous line, so the numbers
//! printpdf writes stay short and exact. Strings drawn left to right on one
//! baseline in one font (a table row) become one `TJ` whose spacing numbers
//! move each string to its place, computed from the same advance widths the
//! reader uses: fewer operations for printpdf to translate and for the
//! reader to parse. Rules are drawn outside text sections; the font is set
//! again only when weight or size change.

use printpdf::{
    Color, Greyscale, Line, LinePoint, Op, PdfFontHandle, PdfPage, Point, Pt, Rect, TextItem,
};

use super::fonts::{Face, Weight};
use super::layout::Canvas;

/// Grey of the table rules (0 black, 1 white).
const RULE_GREY: f32 = 0.45;
/// Thickness of the table rules in points.
const RULE_WIDTH: f32 = 0.6;

/// Strings waiting to be shown as one `TJ`.
struct Run {
    weight: Weight,
    size: f32,
    /// Where the run starts, in hundredths of a point.
    x: i64,
    y: i64,
    /// Where the reader's pen stands after the last string, in points.
    pen: f32,
    items: Vec<TextItem>,
}

/// Collects the operations of every page, in order.
pub(crate) struct OpsCanvas {
    /// The font of each weight, by [`Weight`] index.
    fonts: [PdfFontHandle; 2],
    /// The metrics of those fonts, for the spacing inside a run.
    faces: [&'static Face; 2],
    run: Option<Run>,
    pages: Vec<PdfPage>,
    ops: Vec<Op>,
    size: (f32, f32),
    in_text: bool,
    font: Option<(Weight, f32)>,
    /// Start of the current text line, in hundredths of a point.
    line_start: (i64, i64),
    /// Operations on the previous page, to size the next page's buffer.
    last_len: usize,
}

impl OpsCanvas {
    /// A canvas that sets regular and bold text in `fonts`; `pages` is the
    /// expected page count (from the counting run), to allocate once.
    pub(crate) fn new(
        fonts: [PdfFontHandle; 2],
        faces: [&'static Face; 2],
        pages: usize,
    ) -> OpsCanvas {
        OpsCanvas {
            fonts,
            faces,
            run: None,
            pages: Vec::with_capacity(pages),
            ops: Vec::new(),
            size: (0.0, 0.0),
            in_text: false,
            font: None,
            line_start: (0, 0),
            last_len: 64,
        }
    }

    /// The finished pages.
    pub(crate) fn into_pages(self) -> Vec<PdfPage> {
        self.pages
    }

    /// Emits the pending run: font if changed, move, one show operation.
    fn flush(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        if !self.in_text {
            self.ops.push(Op::StartTextSection);
            self.in_text = true;
            // Each text section starts its line matrix at the origin.
            self.line_start = (0, 0);
        }
        if self.font != Some((run.weight, run.size)) {
            self.ops.push(Op::SetFont {
                font: self.fonts[run.weight as usize].clone(),
                size: Pt(run.size),
            });
            self.font = Some((run.weight, run.size));
        }
        self.ops.push(Op::SetTextCursor {
            pos: Point {
                x: pt(run.x - self.line_start.0),
                y: pt(run.y - self.line_start.1),
            },
        });
        self.line_start = (run.x, run.y);
        self.ops.push(Op::ShowText { items: run.items });
    }

    fn end_text(&mut self) {
        self.flush();
        if self.in_text {
            self.ops.push(Op::EndTextSection);
            self.in_text = false;
        }
    }
}

/// `v` points in whole hundredths.
fn hundredths(v: f32) -> i64 {
    (f64::from(v) * 100.0).round() as i64
}

/// A length in hundredths of a point as printpdf's point unit.
fn pt(h: i64) -> Pt {
    Pt(h as f32 / 100.0)
}

impl Canvas for OpsCanvas {
    fn begin_page(&mut self, width: f32, height: f32) {
        self.ops = Vec::with_capacity(self.last_len + self.last_len / 8);
        self.size = (width, height);
        self.in_text = false;
        self.font = None;
        self.ops.push(Op::SetOutlineColor {
            col: Color::Greyscale(Greyscale {
                percent: RULE_GREY,
                icc_profile: None,
            }),
        });
        self.ops
            .push(Op::SetOutlineThickness { pt: Pt(RULE_WIDTH) });
    }

    fn text(&mut self, weight: Weight, size: f32, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        let (hx, hy) = (hundredths(x), hundredths(y));
        let x = hx as f32 / 100.0;
        let advance = self.faces[weight as usize].width(text, size);
        if let Some(run) = self.run.as_mut()
            && run.weight == weight
            && run.size == size
            && run.y == hy
            && x >= run.pen
        {
            // A positive number moves the next string left, in 1/1000 em.
            let gap = (run.pen - x) * 1000.0 / size;
            let gap = (gap * 100.0).round() / 100.0;
            if gap != 0.0 {
                run.items.push(TextItem::Offset(gap));
            }
            run.items.push(TextItem::Text(text.to_owned()));
            run.pen = x + advance;
            return;
        }
        self.flush();
        self.run = Some(Run {
            weight,
            size,
            x: hx,
            y: hy,
            pen: x + advance,
            items: vec![TextItem::Text(text.to_owned())],
        });
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.end_text();
        let point = |x: f32| LinePoint {
            p: Point {
                x: pt(hundredths(x)),
                y: pt(hundredths(y)),
            },
            bezier: false,
        };
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![point(x1), point(x2)],
                is_closed: false,
            },
        });
    }

    fn end_page(&mut self) {
        self.end_text();
        let ops = std::mem::take(&mut self.ops);
        self.last_len = ops.len();
        let media_box = Rect::from_wh(Pt(self.size.0), Pt(self.size.1));
        self.pages.push(PdfPage {
            trim_box: media_box.clone(),
            crop_box: media_box.clone(),
            media_box,
            ops,
        });
    }
}
