//! Font objects: built-in Helvetica by name, or DejaVu as an embedded subset.
//!
//! An embedded face is a Type 0 font with Identity-H encoding: the content
//! stream holds two-byte glyph codes, `/W` gives their widths, and a
//! ToUnicode map makes the text extractable. The subset program is cut by
//! printpdf (allsorts) and keeps only the glyphs the document draws.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::LazyLock;

use super::content::NO_CODE;
use super::fonts::{Face, FontSet, Program, Weight};
use super::pdf::{ObjId, PdfWriter};
use super::sfnt;
use super::winansi;

/// Writes a built-in font dictionary; returns its object.
///
/// The `/Widths` are the ones the layout measured with, so every reader
/// places the glyphs exactly where the layout expects them.
pub(crate) fn builtin(writer: &mut PdfWriter, weight: Weight) -> ObjId {
    static DICTS: LazyLock<[String; 2]> = LazyLock::new(|| {
        [Weight::Regular, Weight::Bold].map(|weight| {
            let base_font = match weight {
                Weight::Regular => "Helvetica",
                Weight::Bold => "Helvetica-Bold",
            };
            let face = FontSet::Builtin.face(weight);
            let mut widths = String::with_capacity(4 * 224);
            for byte in 32u8..=255 {
                let w = winansi::char_of(byte)
                    .and_then(|c| face.advance(c))
                    .unwrap_or(0);
                let _ = write!(widths, "{w} ");
            }
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{base_font} /Encoding /WinAnsiEncoding \
                 /FirstChar 32 /LastChar 255 /Widths [{widths}] >>"
            )
        })
    });
    let id = writer.reserve();
    writer.object(id, &DICTS[weight as usize]);
    id
}

/// Writes `face` as a subset holding the glyphs of `chars` (printable in
/// the face, ascending); returns the font object and the code of each
/// character's glyph by code point.
pub(crate) fn embedded(writer: &mut PdfWriter, face: &Face, chars: &[char]) -> (ObjId, Vec<u16>) {
    let Some(program) = face.program.as_ref() else {
        unreachable!("only embedded faces are subset");
    };
    // Original glyph id -> the first character drawn with it.
    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    for &c in chars {
        if let Some(gid) = face.glyph(c) {
            used.entry(gid).or_insert(c);
        }
    }
    let usage: BTreeMap<u16, String> = used.iter().map(|(g, c)| (*g, c.to_string())).collect();

    // Original gid -> code in the content stream; the whole font when
    // subsetting fails, so text still shows (at the cost of size).
    let (program_bytes, codes): (Vec<u8>, BTreeMap<u16, u16>) =
        match printpdf::subset_font(&program.parsed, &usage) {
            Ok(subset) => {
                let codes = subset
                    .glyph_mapping
                    .iter()
                    .map(|(orig, (new, _))| (*orig, *new))
                    .collect();
                (subset.bytes, codes)
            }
            Err(e) => {
                log::warn!("font subsetting failed, embedding the whole font: {e}");
                (
                    program.bytes.to_vec(),
                    used.keys().map(|g| (*g, *g)).collect(),
                )
            }
        };

    let program_bytes = sfnt::without_unneeded_tables(&program_bytes).unwrap_or(program_bytes);

    let mut table = vec![NO_CODE; chars.last().map_or(0, |c| *c as usize + 1)];
    for &c in chars {
        if let Some(code) = face.glyph(c).and_then(|g| codes.get(&g)) {
            table[c as usize] = *code;
        }
    }

    // code -> (width, character), ascending by code.
    let glyphs: BTreeMap<u16, (u16, char)> = used
        .iter()
        .filter_map(|(g, c)| Some((*codes.get(g)?, (face.advance(*c)?, *c))))
        .collect();
    let name = format!("{}+{}", tag(&glyphs), program.base_name);

    let file = writer.reserve();
    let descriptor = writer.reserve();
    let cid_font = writer.reserve();
    let to_unicode = writer.reserve();
    let font = writer.reserve();
    writer.stream_small(
        file,
        &format!("/Length1 {}", program_bytes.len()),
        &program_bytes,
    );
    writer.object(descriptor, &descriptor_dict(program, &name, file));
    writer.object(cid_font, &cid_font_dict(&name, descriptor, &glyphs));
    writer.stream(to_unicode, "", to_unicode_cmap(&glyphs).as_bytes());
    writer.object(
        font,
        &format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H \
             /DescendantFonts [{cid_font}] /ToUnicode {to_unicode} >>"
        ),
    );
    (font, table)
}

/// The six-letter subset tag PDF requires, derived from the glyph set.
fn tag(glyphs: &BTreeMap<u16, (u16, char)>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (code, (_, c)) in glyphs {
        for b in u32::from(*code)
            .to_le_bytes()
            .into_iter()
            .chain((*c as u32).to_le_bytes())
        {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 8)) % 26) as u8))
        .collect()
}

fn descriptor_dict(p: &Program, name: &str, file: ObjId) -> String {
    let [x0, y0, x1, y1] = p.bbox;
    let stem_v = if p.bold { 140 } else { 80 };
    format!(
        "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{x0} {y0} {x1} {y1}] \
         /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV {stem_v} /FontFile2 {file} >>",
        p.ascent, p.descent, p.ascent
    )
}

fn cid_font_dict(name: &str, descriptor: ObjId, glyphs: &BTreeMap<u16, (u16, char)>) -> String {
    let mut widths = String::with_capacity(glyphs.len() * 10);
    for (code, (w, _)) in glyphs {
        let _ = write!(widths, "{code} [{w}] ");
    }
    format!(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
         /FontDescriptor {descriptor} /CIDToGIDMap /Identity /DW 1000 /W [{widths}] >>"
    )
}

/// A ToUnicode CMap mapping each glyph code back to its character.
fn to_unicode_cmap(glyphs: &BTreeMap<u16, (u16, char)>) -> String {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(u16, char)> = glyphs.iter().map(|(code, (_, c))| (*code, *c)).collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
        for (code, c) in chunk {
            let _ = write!(cmap, "<{code:04X}> <");
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(cmap, "{unit:04X}");
            }
            cmap.push_str(">\n");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}
