//! Interim renderer, replaced by the real layout on merge.

use printpdf::{
    BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem,
};

use super::{Receipt, ReceiptStyle};

pub fn render_receipt(receipt: &Receipt, style: &ReceiptStyle) -> Vec<u8> {
    let mut book = ReceiptBook::new(style);
    book.add(receipt);
    book.finish()
}

pub struct ReceiptBook {
    lines: Vec<String>,
}

impl ReceiptBook {
    pub fn new(style: &ReceiptStyle) -> ReceiptBook {
        ReceiptBook {
            lines: vec![style.store_name.clone()],
        }
    }

    pub fn add(&mut self, receipt: &Receipt) {
        self.lines.push(format!("Receipt #{}", receipt.purchase_id));
        for line in &receipt.lines {
            self.lines.push(format!(
                "{} {} {} {}",
                line.product_name,
                line.quantity,
                line.unit_price,
                line.total()
            ));
        }
        self.lines.push(format!("Total {}", receipt.total()));
    }

    pub fn finish(self) -> Vec<u8> {
        let mut ops = vec![
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(BuiltinFont::Helvetica),
                size: Pt(9.0),
            },
        ];
        for (i, line) in self.lines.iter().enumerate() {
            ops.push(Op::SetTextCursor {
                pos: Point::new(Mm(15.0), Mm(280.0 - i as f32 * 5.0)),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(line.clone())],
            });
        }
        ops.push(Op::EndTextSection);
        let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
        PdfDocument::new("Receipts")
            .with_pages(vec![page])
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}
