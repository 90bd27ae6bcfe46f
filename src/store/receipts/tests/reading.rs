//! Reading a PDF back with poppler-utils: text, words with boxes, pages.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;

/// What a test says when poppler-utils is missing.
pub(super) const MISSING: &str =
    "pdftotext/pdfinfo not found: install poppler-utils (apt-get install -y poppler-utils)";

/// One word as `pdftotext -bbox` places it (points, origin top-left).
#[derive(Debug, Clone)]
pub(super) struct Word {
    pub(super) x_min: f64,
    pub(super) x_max: f64,
    /// Bottom of the box, from the top of the page.
    pub(super) y_max: f64,
    pub(super) text: String,
}

fn run(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(pdf).expect("the PDF is written");
    let path = file.path().to_str().expect("a UTF-8 temp path");
    let output = Command::new(tool)
        .args(args)
        .arg(path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{MISSING} ({tool}: {e})"));
    assert!(
        output.status.success(),
        "{tool} rejected the PDF: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The whole document's text.
pub(super) fn text_of(pdf: &[u8]) -> String {
    run("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// The text of one page (1-based).
pub(super) fn text_of_page(pdf: &[u8], page: usize) -> String {
    let p = page.to_string();
    run("pdftotext", &["-enc", "UTF-8", "-f", &p, "-l", &p], pdf)
}

/// The page count `pdfinfo` reports.
pub(super) fn page_count(pdf: &[u8]) -> usize {
    let info = run("pdfinfo", &[], pdf);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in:\n{info}"))
}

/// Width and height in points of one page.
pub(super) fn page_size(pdf: &[u8], page: usize) -> (f64, f64) {
    let p = page.to_string();
    let info = run("pdfinfo", &["-f", &p, "-l", &p], pdf);
    let line = info
        .lines()
        .find(|l| l.starts_with(&format!("Page {p:>4} size:")) || l.starts_with("Page size:"))
        .unwrap_or_else(|| panic!("no page size in:\n{info}"));
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    let n = nums.len();
    (nums[n - 2], nums[n - 1])
}

/// Every word with its box, all pages.
pub(super) fn words_of(pdf: &[u8]) -> Vec<Word> {
    let html = run("pdftotext", &["-bbox", "-enc", "UTF-8"], pdf);
    html.split("<word ")
        .skip(1)
        .map(|chunk| {
            let attr = |name: &str| -> f64 {
                let start = chunk.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
                let end = start + chunk[start..].find('"').expect("closing quote");
                chunk[start..end].parse().expect("a number")
            };
            let text_start = chunk.find('>').expect("tag end") + 1;
            let text_end = chunk.find("</word>").expect("word end");
            Word {
                x_min: attr("xMin"),
                x_max: attr("xMax"),
                y_max: attr("yMax"),
                text: unescape(&chunk[text_start..text_end]),
            }
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// How often each number follows `prefix` in `text` (a `(continued)`
/// heading is not counted).
pub(super) fn count_numbered(text: &str, prefix: &str) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || rest[digits.len()..].starts_with(" (continued)") {
            continue;
        }
        *counts.entry(digits.parse().expect("digits")).or_insert(0) += 1;
    }
    counts
}
