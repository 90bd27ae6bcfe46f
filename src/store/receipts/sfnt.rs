//! Trimming a TrueType program to the tables a PDF reader uses.
//!
//! The subsetter keeps the `name` table (about 15 KB for DejaVu, per face),
//! which no PDF reader needs: an embedded CID TrueType font is drawn from
//! `glyf`/`loca`/`hmtx` and its hinting tables. Dropping it roughly halves a
//! short receipt's size.

/// Tables a `/FontFile2` program does not need (PDF 32000-1, 9.9).
const UNNEEDED: [&[u8; 4]; 2] = [b"name", b"post"];

/// `font` without the [`UNNEEDED`] tables, or `None` when it is not a
/// well-formed sfnt (the caller then embeds it unchanged).
pub(crate) fn without_unneeded_tables(font: &[u8]) -> Option<Vec<u8>> {
    let count = usize::from(u16::from_be_bytes(font.get(4..6)?.try_into().ok()?));
    let mut kept = Vec::with_capacity(count);
    for i in 0..count {
        let record = font.get(12 + 16 * i..28 + 16 * i)?;
        let tag: [u8; 4] = record[0..4].try_into().ok()?;
        let checksum = &record[4..8];
        let offset = u32::from_be_bytes(record[8..12].try_into().ok()?) as usize;
        let length = u32::from_be_bytes(record[12..16].try_into().ok()?) as usize;
        let data = font.get(offset..offset.checked_add(length)?)?;
        if !UNNEEDED.contains(&&tag) {
            kept.push((tag, checksum, data));
        }
    }

    let n = kept.len();
    let mut out = Vec::with_capacity(font.len());
    out.extend_from_slice(&font[0..4]);
    let pow2 = if n == 0 { 0 } else { 1usize << n.ilog2() };
    let search_range = pow2 * 16;
    let entry_selector = if pow2 == 0 { 0 } else { pow2.ilog2() as usize };
    for v in [
        n,
        search_range,
        entry_selector,
        n * 16 - search_range.min(n * 16),
    ] {
        out.extend_from_slice(&u16::try_from(v).ok()?.to_be_bytes());
    }
    let mut offset = 12 + 16 * n;
    for (tag, checksum, data) in &kept {
        out.extend_from_slice(tag);
        out.extend_from_slice(checksum);
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    for (_, _, data) in &kept {
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::fonts::DEJAVU_SANS;
    use super::*;

    fn tags(font: &[u8]) -> Vec<String> {
        let count = usize::from(u16::from_be_bytes([font[4], font[5]]));
        (0..count)
            .map(|i| String::from_utf8_lossy(&font[12 + 16 * i..16 + 16 * i]).into_owned())
            .collect()
    }

    #[test]
    fn the_name_table_goes_and_the_glyphs_stay_readable() {
        let trimmed = without_unneeded_tables(DEJAVU_SANS).expect("DejaVu is an sfnt");

        assert!(tags(DEJAVU_SANS).contains(&"name".to_string()));
        assert!(!tags(&trimmed).contains(&"name".to_string()));
        assert!(tags(&trimmed).contains(&"glyf".to_string()));
        let parsed = printpdf::ParsedFont::from_bytes(&trimmed, 0, &mut Vec::new());
        assert!(parsed.is_some_and(|f| f.lookup_glyph_index('Ж' as u32).is_some()));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(without_unneeded_tables(b"not a font").is_none());
        assert!(without_unneeded_tables(&[0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0]).is_none());
    }
}
