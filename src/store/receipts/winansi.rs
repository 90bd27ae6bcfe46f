//! WinAnsiEncoding (PDF 32000-1, Annex D), the one-byte encoding of the
//! built-in fonts: ASCII and Latin-1, plus typographic marks in 0x80..=0x9F.

/// The characters WinAnsi places in 0x80..=0x9F, by byte.
const HIGH: [(u8, char); 27] = [
    (0x80, '\u{20AC}'),
    (0x82, '\u{201A}'),
    (0x83, '\u{0192}'),
    (0x84, '\u{201E}'),
    (0x85, '\u{2026}'),
    (0x86, '\u{2020}'),
    (0x87, '\u{2021}'),
    (0x88, '\u{02C6}'),
    (0x89, '\u{2030}'),
    (0x8A, '\u{0160}'),
    (0x8B, '\u{2039}'),
    (0x8C, '\u{0152}'),
    (0x8E, '\u{017D}'),
    (0x91, '\u{2018}'),
    (0x92, '\u{2019}'),
    (0x93, '\u{201C}'),
    (0x94, '\u{201D}'),
    (0x95, '\u{2022}'),
    (0x96, '\u{2013}'),
    (0x97, '\u{2014}'),
    (0x98, '\u{02DC}'),
    (0x99, '\u{2122}'),
    (0x9A, '\u{0161}'),
    (0x9B, '\u{203A}'),
    (0x9C, '\u{0153}'),
    (0x9E, '\u{017E}'),
    (0x9F, '\u{0178}'),
];

/// The WinAnsi byte of `c`, if the encoding has it.
pub(crate) fn byte(c: char) -> Option<u8> {
    match c as u32 {
        cp @ (0x20..=0x7E | 0xA0..=0xFF) => Some(cp as u8),
        _ => HIGH.iter().find(|(_, h)| *h == c).map(|(b, _)| *b),
    }
}

/// Every printable character of the encoding.
pub(crate) fn chars() -> impl Iterator<Item = char> {
    (0x20u8..=0x7E)
        .chain(0xA0..=0xFF)
        .map(char::from)
        .chain(HIGH.iter().map(|(_, c)| *c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_one_and_typographic_marks_have_one_byte_each() {
        assert_eq!(byte('é'), Some(0xE9));
        assert_eq!(byte('€'), Some(0x80));
        assert_eq!(byte('–'), Some(0x96));
        assert_eq!(byte('Ł'), None);
        assert_eq!(chars().count(), 95 + 96 + 27);
    }
}
