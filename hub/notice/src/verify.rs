//! Verifying a notice as an agency receives it, off-line: a scan (PNG/JPEG) whose QR code is
//! decoded, or the PDF itself, whose first page is rasterised with `pdftoppm` and whose
//! printed text (`pdftotext`, both from Debian's poppler-utils) must state exactly the signed
//! fields, so that a notice whose printed amount was altered fails even with its original QR.
//! No freshness window applies (see [`crate::payload`]).

use crate::model::printed_lines;
use crate::payload::{PublicKeys, SignedPayload, VerifyError, QR_PREFIX};
use std::path::Path;
use std::process::Command;

/// The largest file verified (a scanned page is a few MB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The largest image decoded, in pixels per side (an A4 page at 600 dpi is 4961 × 7016).
pub const MAX_IMAGE_SIDE: u32 = 10_000;

/// A notice that verified: what it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub payload: SignedPayload,
    /// Whether the printed text was compared too (a PDF; a scan carries no text layer).
    pub printed_checked: bool,
}

/// Verifies QR text against `keys`.
pub fn verify_qr_text(text: &str, keys: &PublicKeys) -> Result<SignedPayload, VerifyError> {
    let payload = SignedPayload::from_qr_text(text)?;
    keys.verify(&payload)?;
    Ok(payload)
}

/// Verifies a file: a PDF notice (QR and printed fields) or an image (QR).
pub fn verify_file(path: &Path, keys: &PublicKeys) -> Result<Verified, VerifyError> {
    let size = std::fs::metadata(path)
        .map_err(|e| VerifyError::Read(format!("{}: {e}", path.display())))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(VerifyError::Read(format!(
            "{}: {size} bytes, more than {MAX_FILE_BYTES}",
            path.display()
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| VerifyError::Read(format!("{}: {e}", path.display())))?;
    if bytes.starts_with(b"%PDF") {
        verify_pdf(path, keys)
    } else {
        let payload = verify_qr_text(&decode_qr_image(&bytes)?, keys)?;
        Ok(Verified {
            payload,
            printed_checked: false,
        })
    }
}

/// The notice QR text found in an image (PNG or JPEG).
pub fn decode_qr_image(bytes: &[u8]) -> Result<String, VerifyError> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VerifyError::Read(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| VerifyError::Read(format!("not a PNG or JPEG image: {e}")))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(VerifyError::NoQr("no QR code in the image".into()));
    }
    let mut last = String::new();
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) if text.starts_with(QR_PREFIX) => return Ok(text),
            Ok(_) => last = "a QR code that is not a notice's".into(),
            Err(e) => last = format!("a QR code that does not decode: {e}"),
        }
    }
    Err(VerifyError::NoQr(last))
}

/// Verifies a PDF notice: its first page's QR, then its printed fields against the payload.
pub fn verify_pdf(path: &Path, keys: &PublicKeys) -> Result<Verified, VerifyError> {
    let dir = tempfile::tempdir().map_err(|e| VerifyError::Read(e.to_string()))?;
    let prefix = dir.path().join("page");
    run(
        Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile"])
            .arg(path)
            .arg(&prefix),
        "pdftoppm",
    )?;
    let png = std::fs::read(prefix.with_extension("png"))
        .map_err(|e| VerifyError::Read(format!("pdftoppm wrote no page: {e}")))?;
    let payload = verify_qr_text(&decode_qr_image(&png)?, keys)?;
    let text = run(
        Command::new("pdftotext")
            .args(["-enc", "UTF-8", "-f", "1", "-l", "1"])
            .arg(path)
            .arg("-"),
        "pdftotext",
    )?;
    check_printed(&payload, &String::from_utf8_lossy(&text))?;
    Ok(Verified {
        payload,
        printed_checked: true,
    })
}

/// The printed text (whitespace aside) must hold the signed fields' lines, in order, unbroken.
pub fn check_printed(payload: &SignedPayload, text: &str) -> Result<(), VerifyError> {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let text = squeeze(text);
    let lines: Vec<String> = printed_lines(payload)
        .into_iter()
        .map(|(label, value)| squeeze(&format!("{label}：{value}")))
        .collect();
    if text.contains(&lines.concat()) {
        return Ok(());
    }
    for (line, (label, _)) in lines.iter().zip(printed_lines(payload)) {
        if !text.contains(line.as_str()) {
            return Err(VerifyError::PrintedMismatch(label.to_string()));
        }
    }
    Err(VerifyError::PrintedOrder)
}

fn run(command: &mut Command, tool: &str) -> Result<Vec<u8>, VerifyError> {
    let output = command.output().map_err(|e| {
        VerifyError::Tool(format!(
            "cannot run {tool} ({e}): install Debian's poppler-utils to verify PDF notices"
        ))
    })?;
    if !output.status.success() {
        let why: String = String::from_utf8_lossy(&output.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Err(VerifyError::Read(format!("{tool} failed: {why}")));
    }
    Ok(output.stdout)
}
