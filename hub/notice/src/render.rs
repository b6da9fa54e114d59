//! Rendering a notice as a PDF (A4): page 1 is the notice — title, the signed fields as
//! printed lines ([`printed_lines`]), what is printed but not signed, the signature block
//! with the QR code drawn as vector squares; page 2 is the agency's reply slip (回执). The
//! text is set in a CJK font of which only the used glyphs are embedded. The output is a pure
//! function of the notice and the font (no dates or ids of its own), so re-rendering gives the
//! same bytes. No file or process I/O.

use crate::font::CjkFont;
use crate::model::{chinese_date, printed_lines, Notice};
use crate::payload::Signed;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use qrcode::{Color, EcLevel, QrCode};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// The QR code's side on paper with its quiet zone (points): about 113 mm, so a 150 dpi scan
/// gives each module about 6 pixels (at 250 points, 4-5 pixels, some payloads did not decode).
const QR_SIDE: f32 = 320.0;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the font cannot be used: {0}")]
    Font(String),
    #[error("the payload does not fit in a QR code: {0}")]
    Qr(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The notice as PDF bytes.
pub fn render(notice: &Notice, font: &CjkFont) -> Result<Vec<u8>, RenderError> {
    render_with_qr(notice, &notice.payload, font)
}

/// Prints `notice` with the QR code of `qr_payload`: a forgery, for tests that a notice
/// whose printed fields differ from its QR fails verification. Use [`render`].
#[doc(hidden)]
pub fn render_with_qr(
    notice: &Notice,
    qr_payload: &crate::payload::SignedPayload,
    font: &CjkFont,
) -> Result<Vec<u8>, RenderError> {
    let face = font
        .krilla()
        .ok_or_else(|| RenderError::Font(font.path().display().to_string()))?;
    let qr = QrCode::with_error_correction_level(qr_payload.to_qr_text(), EcLevel::M)
        .map_err(|e| RenderError::Qr(e.to_string()))?;
    let mut document = Document::new();
    let size = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| RenderError::Pdf("page size".into()))?;
    {
        let mut page = document.start_page_with(size.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            face: face.clone(),
            font,
        };
        notice_page(&mut pen, notice, &qr);
        surface.finish();
        page.finish();
    }
    {
        let mut page = document.start_page_with(size);
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            face,
            font,
        };
        reply_page(&mut pen, notice);
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    face: Font,
    font: &'a CjkFont,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.surface.set_fill(Some(Fill::default()));
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.face.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn centered(&mut self, y: f32, size: f32, text: &str) {
        let width = self.font.width(text, size);
        self.text((PAGE_W - width) / 2.0, y, size, text);
    }

    /// Writes `text` from `y` on, wrapped within the margins; returns the next baseline.
    fn paragraph(&mut self, y: f32, size: f32, lead: f32, width: f32, text: &str) -> f32 {
        let mut y = y;
        for line in wrap(self.font, text, size, width) {
            self.text(MARGIN, y, size, &line);
            y += lead;
        }
        y
    }

    fn rule(&mut self, y: f32) {
        self.rect(MARGIN, y, PAGE_W - 2.0 * MARGIN, 0.6);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let mut builder = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            builder.push_rect(rect);
        }
        if let Some(path) = builder.finish() {
            self.surface.set_fill(Some(Fill::default()));
            self.surface.draw_path(&path);
        }
    }

    /// The QR code as vector squares (one rectangle per dark run of a row), quiet zone included.
    fn qr(&mut self, x: f32, y: f32, side: f32, qr: &QrCode) {
        let width = qr.width();
        let module = side / (width + 8) as f32;
        let colors = qr.to_colors();
        let mut builder = PathBuilder::new();
        for row in 0..width {
            let mut col = 0;
            while col < width {
                if colors[row * width + col] != Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < width && colors[row * width + col] == Color::Dark {
                    col += 1;
                }
                if let Some(rect) = Rect::from_xywh(
                    x + (start + 4) as f32 * module,
                    y + (row + 4) as f32 * module,
                    (col - start) as f32 * module,
                    module,
                ) {
                    builder.push_rect(rect);
                }
            }
        }
        if let Some(path) = builder.finish() {
            self.surface.set_fill(Some(Fill::default()));
            self.surface.draw_path(&path);
        }
    }
}

/// Breaks `text` into lines no wider than `width` (by characters: CJK has no spaces).
fn wrap(font: &CjkFont, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        line.push(c);
        if font.width(&line, size) > width && line.chars().count() > 1 {
            line.pop();
            lines.push(std::mem::take(&mut line));
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn notice_page(pen: &mut Pen, notice: &Notice, qr: &QrCode) {
    let body = &notice.payload.body;
    let width = PAGE_W - 2.0 * MARGIN;
    pen.centered(78.0, 22.0, notice.title());
    let mut y = 118.0;
    if !notice.extras.agency.is_empty() {
        pen.text(MARGIN, y, 12.0, &format!("{}：", notice.extras.agency));
        y += 24.0;
    }
    let ask = match body {
        Signed::Instruction(_) => {
            "请你单位按下列事项协助执行，并将执行情况填写回执（第二页）送回本院。"
        }
        Signed::Inquiry(_) => {
            "请你单位协助查询被查询人在你单位的财产情况，并将查询结果填写回执（第二页）送回本院。"
        }
    };
    let opening = format!(
        "本院在执行{}一案中，依照《中华人民共和国民事诉讼法》的有关规定，{ask}",
        body.case()
    );
    y = pen.paragraph(y, 11.0, 18.0, width, &opening) + 8.0;
    pen.rule(y - 12.0);
    for (label, value) in printed_lines(&notice.payload) {
        y = pen.paragraph(y, 11.0, 17.0, width, &format!("{label}：{value}"));
    }
    pen.rule(y - 8.0);
    y += 6.0;
    let extras = &notice.extras;
    let mut unsigned = Vec::new();
    if !extras.currency.is_empty() {
        unsigned.push(format!("币种：{}", extras.currency));
    }
    if !extras.unit.is_empty() {
        unsigned.push(format!("计量单位：{}", extras.unit));
    }
    if !extras.kind.is_empty() {
        unsigned.push(format!("财产类别：{}", extras.kind));
    }
    if !extras.start.is_empty() {
        unsigned.push(format!("起始日期：{}", chinese_date(&extras.start)));
    }
    if !unsigned.is_empty() {
        y = pen.paragraph(y, 10.0, 15.0, width, &unsigned.join("    "));
    }
    let qr_top = (PAGE_H - MARGIN - QR_SIDE).max(y);
    let mut sy = qr_top + 40.0;
    for line in [
        "电子签章（Ed25519）".to_string(),
        format!("签名密钥：{}", notice.payload.key_id),
        "右侧二维码载有签名内容，可离线核验：".to_string(),
        "hubctl notice verify 文件 --public-key 公钥".to_string(),
        "本通知书载有个人信息，仅供协助执行使用。".to_string(),
    ] {
        sy = pen.paragraph(sy, 9.5, 16.0, width - QR_SIDE, &line);
    }
    pen.qr(PAGE_W - MARGIN - QR_SIDE + 30.0, qr_top, QR_SIDE, qr);
}

fn reply_page(pen: &mut Pen, notice: &Notice) {
    let width = PAGE_W - 2.0 * MARGIN;
    let body = &notice.payload.body;
    let title = match body {
        Signed::Instruction(_) => "协助执行回执",
        Signed::Inquiry(_) => "协助查询回执",
    };
    pen.centered(78.0, 20.0, title);
    let mut y = 124.0;
    let head = [
        format!("通知编号：{}", body.number()),
        format!("案号：{}", body.case()),
    ];
    for line in head {
        y = pen.paragraph(y, 11.0, 20.0, width, &line);
    }
    y += 10.0;
    let lines: &[&str] = match body {
        Signed::Instruction(_) => &[
            "执行情况：□ 已执行    □ 部分执行    □ 轮候    □ 无法执行",
            "无法执行或部分执行的原因：________________________________________",
            "实际冻结（扣划）金额或数量：______________________________________",
            "措施编号（你单位的冻结、查封编号）：______________________________",
            "期限：自 ______年____月____日 至 ______年____月____日",
        ],
        Signed::Inquiry(_) => &[
            "查询结果：□ 有财产（见附表）    □ 无财产",
            "财产情况（账户、数额、权利状态）：________________________________",
            "__________________________________________________________________",
            "__________________________________________________________________",
        ],
    };
    for line in lines {
        y = pen.paragraph(y, 11.0, 30.0, width, line);
    }
    y += 20.0;
    for line in [
        "经办人：______________    联系电话：______________",
        "协助单位（盖章）：______________________________",
        "日期：______年____月____日",
    ] {
        y = pen.paragraph(y, 11.0, 30.0, width, line);
    }
    pen.rule(y);
    pen.paragraph(
        y + 22.0,
        9.5,
        15.0,
        width,
        "请将本回执与通知书编号一并送回签发法院；法院执行员据此在系统中登记你单位的书面答复。",
    );
}
