//! A small PDF file writer: numbered objects, compressed streams, the
//! cross-reference table and trailer (PDF 32000-1, section 7.5).
//!
//! Objects are written straight into the output as they are made, so a
//! document never exists twice in memory (once as objects, once as bytes).

use std::cell::RefCell;
use std::io::Write;

use flate2::{Compress, Compression, FlushCompress};

/// A reserved object number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ObjId(usize);

impl std::fmt::Display for ObjId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} 0 R", self.0)
    }
}

thread_local! {
    /// A compressor kept between documents on this thread: its state is a
    /// few hundred KB, costly to allocate and clear for a one-page receipt.
    static SPARE_DEFLATE: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// The file being written.
pub(crate) struct PdfWriter {
    out: Vec<u8>,
    /// Byte offset of each object, by object number - 1 (0 = not yet written).
    offsets: Vec<usize>,
    /// Taken from (and returned to) [`SPARE_DEFLATE`].
    deflate: Option<Compress>,
    packed: Vec<u8>,
}

impl PdfWriter {
    pub(crate) fn new() -> PdfWriter {
        let mut out = Vec::with_capacity(16 * 1024);
        // The second line's high bytes mark the file as binary.
        out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
        PdfWriter {
            out,
            offsets: Vec::new(),
            deflate: SPARE_DEFLATE.with(|spare| spare.borrow_mut().take()),
            packed: Vec::new(),
        }
    }

    /// A fresh object number, to be written later.
    pub(crate) fn reserve(&mut self) -> ObjId {
        self.offsets.push(0);
        ObjId(self.offsets.len())
    }

    /// Writes object `id` whose body is `dict` (any PDF object syntax).
    pub(crate) fn object(&mut self, id: ObjId, dict: &str) {
        self.begin(id);
        self.out.extend_from_slice(dict.as_bytes());
        self.out.extend_from_slice(b"\nendobj\n");
    }

    /// Writes object `id` as a Flate-compressed stream of `data`; `extra`
    /// holds further dictionary entries (e.g. `/Length1 123`).
    pub(crate) fn stream(&mut self, id: ObjId, extra: &str, data: &[u8]) {
        self.pack(data);
        self.begin(id);
        let _ = write!(
            self.out,
            "<< /Length {} /Filter /FlateDecode {extra} >>\nstream\n",
            self.packed.len()
        );
        self.out.extend_from_slice(&self.packed);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    /// Like [`PdfWriter::stream`], compressed harder: for data written once
    /// per document that is large (an embedded font program).
    pub(crate) fn stream_small(&mut self, id: ObjId, extra: &str, data: &[u8]) {
        let fast = self
            .deflate
            .replace(Compress::new(Compression::best(), true));
        self.stream(id, extra, data);
        self.deflate = fast;
    }

    /// Writes the cross-reference table and trailer; returns the file.
    pub(crate) fn finish(mut self, root: ObjId, info: ObjId) -> Vec<u8> {
        let xref = self.out.len();
        let count = self.offsets.len() + 1;
        let _ = write!(self.out, "xref\n0 {count}\n0000000000 65535 f \n");
        for offset in &self.offsets {
            let _ = writeln!(self.out, "{offset:010} 00000 n ");
        }
        let _ = write!(
            self.out,
            "trailer\n<< /Size {count} /Root {root} /Info {info} >>\nstartxref\n{xref}\n%%EOF\n"
        );
        if let Some(deflate) = self.deflate.take() {
            SPARE_DEFLATE.with(|spare| *spare.borrow_mut() = Some(deflate));
        }
        self.out
    }

    fn begin(&mut self, id: ObjId) {
        self.offsets[id.0 - 1] = self.out.len();
        let _ = writeln!(self.out, "{} 0 obj", id.0);
    }

    /// Deflates `data` into `self.packed`, reusing the compressor's state.
    fn pack(&mut self, data: &[u8]) {
        let deflate = self
            .deflate
            .get_or_insert_with(|| Compress::new(Compression::fast(), true));
        deflate.reset();
        self.packed.clear();
        self.packed.reserve(data.len() / 2 + 64);
        let mut input = data;
        loop {
            let before_in = deflate.total_in();
            let status = deflate.compress_vec(input, &mut self.packed, FlushCompress::Finish);
            let consumed = (deflate.total_in() - before_in) as usize;
            input = &input[consumed..];
            match status {
                Ok(flate2::Status::StreamEnd) => break,
                Ok(_) => self.packed.reserve(self.packed.capacity().max(1024)),
                Err(_) => unreachable!("deflating into a growing buffer cannot fail"),
            }
        }
    }
}

/// Appends `v` with at most two decimals (`12.5`, `-3`, `595.28`).
pub(crate) fn number(out: &mut Vec<u8>, v: f32) {
    let hundredths = (f64::from(v) * 100.0).round() as i64;
    if hundredths < 0 {
        out.push(b'-');
    }
    let abs = hundredths.unsigned_abs();
    let _ = write!(out, "{}", abs / 100);
    let frac = abs % 100;
    if frac != 0 {
        out.push(b'.');
        out.push(b'0' + (frac / 10) as u8);
        if !frac.is_multiple_of(10) {
            out.push(b'0' + (frac % 10) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_short_and_exact_to_the_hundredth() {
        let mut out = Vec::new();
        for v in [12.5, -3.0, 595.28, 0.004, 0.05] {
            number(&mut out, v);
            out.push(b' ');
        }

        assert_eq!(String::from_utf8(out).unwrap(), "12.5 -3 595.28 0 0.05 ");
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let mut w = PdfWriter::new();
        let a = w.reserve();
        let b = w.reserve();
        w.object(b, "<< /B 2 >>");
        w.object(a, "<< /A 1 >>");

        let file = w.finish(a, b);

        let at = |needle: &[u8]| {
            file.windows(needle.len())
                .position(|w| w == needle)
                .unwrap()
        };
        let xref = at(b"xref\n");
        let table = String::from_utf8_lossy(&file[xref..]).into_owned();
        let rows: Vec<usize> = table
            .lines()
            .skip(3)
            .take(2)
            .map(|l| l[..10].parse().unwrap())
            .collect();
        assert!(file[rows[0]..].starts_with(b"1 0 obj\n<< /A 1 >>"));
        assert!(file[rows[1]..].starts_with(b"2 0 obj\n<< /B 2 >>"));
        assert!(table.ends_with(&format!("startxref\n{xref}\n%%EOF\n")));
    }
}
