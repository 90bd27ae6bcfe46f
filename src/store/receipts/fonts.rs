//! The type faces a receipt is set in, their metrics, and what each can print.
//!
//! A document whose text all fits WinAnsi (Windows-1252) is set in the PDF
//! built-in Helvetica, which needs no font program in the file. Any other
//! document is set in DejaVu Sans, which printpdf embeds as a subset of the
//! glyphs the pages use.
//! Characters a face lacks (CJK, emoji) are printed as U+FFFD, never dropped.
//!
//! Fonts are parsed once per process (the parsed DejaVu program is what each
//! document hands to printpdf); every metric lookup afterwards is a table read.
//!
//! Known limit: text is not shaped (no kerning, ligatures, right-to-left
//! reordering or Arabic joining), because receipts print product names in
//! Latin, Greek and Cyrillic, which need none; other scripts print their
//! characters in logical order when DejaVu has them.

use std::borrow::Cow;
use std::sync::LazyLock;

use printpdf::{BuiltinFont, ParsedFont};

use super::winansi;

/// DejaVu Sans, shipped in `static/fonts/` with its licence.
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../../../static/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub(crate) static DEJAVU_SANS_BOLD: &[u8] =
    include_bytes!("../../../static/fonts/DejaVuSans-Bold.ttf");

/// What a character a face lacks is printed as.
pub(crate) const REPLACEMENT: char = '\u{FFFD}';
/// The replacement when even U+FFFD is missing.
const LAST_RESORT: char = '?';

/// The advance of a space in Helvetica and Helvetica-Bold (1/1000 em).
const HELVETICA_SPACE: u16 = 278;
/// The advance of the euro sign in both Helvetica weights (1/1000 em).
const HELVETICA_EURO: u16 = 556;
/// Table value for "this face has no glyph for the code point".
const MISSING: u16 = u16::MAX;
/// Code points below this are looked up in the dense tables.
const DENSE: usize = 0x1_0000;

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// Which family a whole document is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FontSet {
    /// Built-in Helvetica, WinAnsi-encoded; nothing embedded.
    Builtin,
    /// DejaVu Sans, embedded by printpdf as a subset, Identity-H encoded.
    Embedded,
}

impl FontSet {
    /// The family that can print every string of a document exactly, if any
    /// built-in one can; checked string by string while a document fills.
    pub(crate) fn for_text(fits_win_ansi: bool) -> FontSet {
        if fits_win_ansi {
            FontSet::Builtin
        } else {
            FontSet::Embedded
        }
    }

    /// The face of this family in the given weight.
    pub(crate) fn face(self, weight: Weight) -> &'static Face {
        match (self, weight) {
            (FontSet::Builtin, Weight::Regular) => &HELVETICA,
            (FontSet::Builtin, Weight::Bold) => &HELVETICA_BOLD,
            (FontSet::Embedded, Weight::Regular) => &DEJAVU,
            (FontSet::Embedded, Weight::Bold) => &DEJAVU_BOLD,
        }
    }
}

/// True when `text` prints exactly in Helvetica (after whitespace clean-up).
pub(crate) fn fits_win_ansi(text: &str) -> bool {
    text.chars()
        .all(|c| is_blank(c) || (!c.is_control() && winansi::byte(c).is_some()))
}

fn is_blank(c: char) -> bool {
    c.is_whitespace()
}

/// One face: advance widths (1/1000 em) by code point.
pub(crate) struct Face {
    advances: Vec<u16>,
    /// The parsed font program printpdf embeds; `None` for built-in faces.
    pub(crate) program: Option<ParsedFont>,
    replacement: char,
}

impl Face {
    /// The advance of `c` in 1/1000 em, or `None` when the face lacks it.
    pub(crate) fn advance(&self, c: char) -> Option<u16> {
        let v = *self.advances.get(c as usize)?;
        (v != MISSING).then_some(v)
    }

    /// The width of `text` at `size` points; characters must be printable.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| u32::from(self.advance(c).unwrap_or(0)))
            .sum();
        units as f32 * size / 1000.0
    }

    /// `text` with every character this face cannot print replaced: blanks
    /// become spaces, anything else missing becomes U+FFFD (or `?`).
    pub(crate) fn printable<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let ok =
            |c: char| c == ' ' || (!is_blank(c) && !c.is_control() && self.advance(c).is_some());
        if text.chars().all(ok) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .map(|c| match c {
                    c if ok(c) => c,
                    c if is_blank(c) => ' ',
                    _ => self.replacement,
                })
                .collect(),
        )
    }
}

static HELVETICA: LazyLock<Face> = LazyLock::new(|| builtin_face(BuiltinFont::Helvetica));
static HELVETICA_BOLD: LazyLock<Face> = LazyLock::new(|| builtin_face(BuiltinFont::HelveticaBold));
static DEJAVU: LazyLock<Face> = LazyLock::new(|| embedded_face(DEJAVU_SANS));
static DEJAVU_BOLD: LazyLock<Face> = LazyLock::new(|| embedded_face(DEJAVU_SANS_BOLD));

/// Helvetica metrics, read from the metrics-only font printpdf ships for it.
fn builtin_face(font: BuiltinFont) -> Face {
    let metrics = font.get_subset_font();
    let parsed = ParsedFont::from_bytes(&metrics.bytes, 0, &mut Vec::new())
        .expect("printpdf ships parsable metrics for its built-in fonts");
    let scale = 1000.0 / f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
    let mut advances = vec![MISSING; DENSE];
    for c in winansi::chars() {
        let gid = parsed.lookup_glyph_index(c as u32).or_else(|| {
            metrics
                .glyph_mapping
                .iter()
                .find(|(_, (_, s))| s.chars().eq(std::iter::once(c)))
                .map(|(_, (new_gid, _))| *new_gid)
        });
        if let Some(gid) = gid {
            let units = f32::from(parsed.get_horizontal_advance(gid)) * scale;
            advances[c as usize] = units.round() as u16;
        }
    }
    // The metrics font has no outline-less glyphs: the spaces' advance is
    // the standard one of both Helvetica weights.
    for blank in [' ', '\u{A0}'] {
        if advances[blank as usize] == MISSING {
            advances[blank as usize] = HELVETICA_SPACE;
        }
    }
    // Its euro sign is wider than the standard metrics' (556 in both weights).
    advances['€' as usize] = HELVETICA_EURO;
    // Nor a soft hyphen, which WinAnsi prints as a hyphen.
    if advances[0xAD] == MISSING {
        advances[0xAD] = advances['-' as usize];
    }
    Face {
        advances,
        program: None,
        replacement: LAST_RESORT,
    }
}

/// A DejaVu face: a dense advance table for the Basic Multilingual Plane,
/// and the parsed program printpdf subsets and embeds.
fn embedded_face(bytes: &'static [u8]) -> Face {
    let parsed =
        ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the bundled DejaVu font parses");
    let scale = 1000.0 / f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
    let mut advances = vec![MISSING; DENSE];
    for cp in 0..DENSE as u32 {
        if let Some(gid) = parsed.lookup_glyph_index(cp).filter(|g| *g != 0) {
            let units = f32::from(parsed.get_horizontal_advance(gid)) * scale;
            advances[cp as usize] = (units.round() as u16).min(MISSING - 1);
        }
    }
    let replacement = if advances[REPLACEMENT as usize] != MISSING {
        REPLACEMENT
    } else {
        LAST_RESORT
    };
    Face {
        advances,
        program: Some(parsed),
        replacement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helvetica_widths_match_the_standard_metrics() {
        let face = FontSet::Builtin.face(Weight::Regular);

        assert_eq!(face.advance('A'), Some(667));
        assert_eq!(face.advance(' '), Some(278));
        assert_eq!(face.advance('€'), Some(556));
        assert_eq!(face.advance('J'), Some(500));
        assert_eq!(face.advance('Ж'), None);
    }

    #[test]
    fn every_win_ansi_character_has_a_width_in_both_helvetica_weights() {
        for weight in [Weight::Regular, Weight::Bold] {
            let face = FontSet::Builtin.face(weight);

            let missing: String = winansi::chars()
                .filter(|c| face.advance(*c).is_none())
                .collect();

            assert_eq!(missing, "", "{weight:?}");
        }
    }

    #[test]
    fn dejavu_prints_greek_and_cyrillic_but_not_cjk() {
        let face = FontSet::Embedded.face(Weight::Regular);

        assert!(face.advance('Σ').is_some());
        assert!(face.advance('Ж').is_some());
        assert!(face.advance('寿').is_none());
    }

    #[test]
    fn missing_characters_become_a_visible_mark() {
        let face = FontSet::Embedded.face(Weight::Regular);

        let text = face.printable("Sushi 寿司 🎉\tset");

        assert_eq!(text, "Sushi \u{FFFD}\u{FFFD} \u{FFFD} set");
    }

    #[test]
    fn helvetica_replaces_with_a_question_mark() {
        let face = FontSet::Builtin.face(Weight::Bold);

        assert_eq!(face.printable("Łódź"), "?ód?");
    }

    #[test]
    fn win_ansi_check_accepts_latin_and_rejects_cyrillic() {
        assert!(fits_win_ansi("Größe XL – Jacke, Crème brûlée €"));
        assert!(!fits_win_ansi("Пельмени"));
        assert!(!fits_win_ansi("bell\u{7}"));
    }
}
