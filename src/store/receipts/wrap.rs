//! Line breaking: fit text into a column without losing a character.
//!
//! Words break at spaces; a word wider than the column is cut between
//! characters. Every line is at most the column's width, and every
//! non-space character of the input is on exactly one line.

use super::fonts::Face;

/// `text` (already printable in `face`) broken into lines at most `max`
/// points wide at `size` points. Always at least one line, even for "".
pub(crate) fn wrap<'a>(text: &'a str, face: &Face, size: f32, max: f32) -> Vec<&'a str> {
    let limit = ((max * 1000.0 / size).floor()).max(1.0) as u32;
    let units = |s: &str| -> u32 {
        s.chars()
            .map(|c| u32::from(face.advance(c).unwrap_or(0)))
            .sum()
    };

    let mut lines = Vec::new();
    // The line being filled: byte range in `text` and its width in units.
    let mut open: Option<(usize, usize, u32)> = None;
    for (start, word) in words(text) {
        let width = units(word);
        if let Some((from, to, filled)) = open {
            let joined = filled + units(&text[to..start]) + width;
            if joined <= limit {
                open = Some((from, start + word.len(), joined));
                continue;
            }
            lines.push(&text[from..to]);
        }
        if width <= limit {
            open = Some((start, start + word.len(), width));
            continue;
        }
        // A word wider than the column: cut it, keep the last piece open.
        let mut from = start;
        let mut filled = 0;
        for (i, c) in word.char_indices() {
            let w = u32::from(face.advance(c).unwrap_or(0));
            let at = start + i;
            if filled + w > limit && at > from {
                lines.push(&text[from..at]);
                from = at;
                filled = 0;
            }
            filled += w;
        }
        open = Some((from, start + word.len(), filled));
    }
    if let Some((from, to, _)) = open {
        lines.push(&text[from..to]);
    }
    if lines.is_empty() {
        lines.push("");
    }
    lines
}

/// The space-separated words of `text` with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(' ')
        .scan(0usize, |offset, word| {
            let start = *offset;
            *offset += word.len() + 1;
            Some((start, word))
        })
        .filter(|(_, word)| !word.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::fonts::{FontSet, Weight};
    use super::*;

    fn face() -> &'static Face {
        FontSet::Builtin.face(Weight::Regular)
    }

    #[test]
    fn short_text_stays_on_one_line() {
        let lines = wrap("Crème brûlée", face(), 10.0, 200.0);

        assert_eq!(lines, ["Crème brûlée"]);
    }

    #[test]
    fn words_move_to_the_next_line_when_the_column_is_full() {
        let text = "one two three four five six seven eight nine ten";

        let lines = wrap(text, face(), 10.0, 60.0);

        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        for line in &lines {
            assert!(face().width(line, 10.0) <= 60.0, "{line:?} too wide");
        }
    }

    #[test]
    fn an_unbroken_token_is_cut_without_losing_characters() {
        let token = "X".repeat(80);

        let lines = wrap(&token, face(), 10.0, 100.0);

        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), token);
        for line in &lines {
            assert!(face().width(line, 10.0) <= 100.0);
        }
    }

    #[test]
    fn a_column_narrower_than_one_character_still_makes_progress() {
        let lines = wrap("WWW", face(), 10.0, 1.0);

        assert_eq!(lines, ["W", "W", "W"]);
    }

    #[test]
    fn empty_and_blank_text_give_one_empty_line() {
        assert_eq!(wrap("", face(), 10.0, 50.0), [""]);
        assert_eq!(wrap("   ", face(), 10.0, 50.0), [""]);
    }
}
