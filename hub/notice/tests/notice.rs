//! A notice as an agency receives it: rendered to PDF, rasterised by poppler's `pdftoppm`
//! (as a scanner or viewer would), its QR decoded and verified against the hub's public key;
//! altered payloads, altered printed fields and other keys fail. The expected values are
//! written here, not computed by the crate. Tests that need poppler skip with a reason unless
//! `ASSETHUB_REQUIRE_POPPLER=1`, where a missing poppler fails them.

use assethub_core::domain::{CaseNumber, CivilDate, Debtor, DebtorId, Fen};
use assethub_core::signature::{InstructionSigner, SignedFields, TrustedKeys};
use assethub_core::{ControlAction, ControlInstruction};
use assethub_notice::payload::VerifyError;
use assethub_notice::render::render_with_qr;
use assethub_notice::verify::{decode_qr_image, verify_file};
use assethub_notice::{
    render, verify_qr_text, CjkFont, Extras, InquiryFields, Notice, PublicKeys, Signed,
    SignedPayload,
};
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use std::path::Path;
use std::process::Command;

/// 2026-12-03 10:30:00 in Beijing.
const SIGNED_AT: i64 = 1_796_265_000;

fn hub_signer() -> InstructionSigner {
    InstructionSigner::from_seed("court-key-1", &B64.encode([11u8; 32])).unwrap()
}

fn stranger() -> InstructionSigner {
    InstructionSigner::from_seed("court-key-1", &B64.encode([12u8; 32])).unwrap()
}

fn hub_keys() -> PublicKeys {
    PublicKeys::default()
        .with(Some("court-key-1"), &hub_signer().public_key())
        .unwrap()
}

fn instruction(amount_fen: i64) -> ControlInstruction {
    ControlInstruction {
        key: "ord-7f3a".into(),
        case: CaseNumber::parse("(2024)鄂0116执1234号").unwrap(),
        ruling: "(2024)鄂0116执1234号之一".into(),
        officer: "王法官".into(),
        asset: "6222000011112222".into(),
        debtor: Debtor {
            id: DebtorId::parse("11010519491231002X").unwrap(),
            name: "张伟".into(),
        },
        action: ControlAction::Freeze {
            amount: Fen(amount_fen),
            until: CivilDate::parse("2027-12-02").unwrap(),
        },
        signature: None,
    }
}

fn extras() -> Extras {
    Extras {
        agency: "中国工商银行股份有限公司武汉分行".into(),
        currency: "CNY".into(),
        kind: "bank".into(),
        start: "2026-12-03".into(),
        ..Extras::default()
    }
}

fn notice(signer: &InstructionSigner, amount_fen: i64) -> Notice {
    Notice {
        payload: SignedPayload::instruction(signer, &instruction(amount_fen), SIGNED_AT),
        extras: extras(),
    }
}

fn font() -> CjkFont {
    CjkFont::locate(None).expect("a CJK font (fonts-wqy-microhei) is installed")
}

/// Whether poppler is here; without it a test skips, unless ASSETHUB_REQUIRE_POPPLER=1.
fn poppler() -> bool {
    let here = ["pdftoppm", "pdftotext"]
        .iter()
        .all(|tool| Command::new(tool).arg("-v").output().is_ok());
    if !here {
        assert!(
            std::env::var("ASSETHUB_REQUIRE_POPPLER").as_deref() != Ok("1"),
            "pdftoppm/pdftotext (Debian's poppler-utils) are missing and ASSETHUB_REQUIRE_POPPLER=1"
        );
        eprintln!("skipped: pdftoppm/pdftotext (poppler-utils) not installed");
    }
    here
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn page_png(pdf: &Path) -> Vec<u8> {
    let prefix = pdf.with_file_name("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(prefix.with_extension("png")).unwrap()
}

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_rendered_notice_decodes_from_its_page_and_verifies_with_the_hubs_key() {
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(
        dir.path(),
        "n.pdf",
        &render(&notice(&hub_signer(), 100_000_000), &font()).unwrap(),
    );
    let text = decode_qr_image(&page_png(&pdf)).unwrap();
    assert!(text.starts_with("AHN1."), "{text}");
    assert!(text.ends_with(".court-key-1"), "{text}");
    let payload = verify_qr_text(&text, &hub_keys()).unwrap();
    let Signed::Instruction(fields) = &payload.body else {
        panic!("an order's notice signs an instruction");
    };
    assert_eq!(fields.amount_fen, 100_000_000);
    assert_eq!(fields.court, "鄂0116");
    assert_eq!(fields.debtor_name, "张伟");
    assert_eq!(fields.until, "2027-12-02");
    assert_eq!(payload.signed_at, SIGNED_AT);

    // It is the very signature an online agency checks (core's verifier, at the signing time).
    let online = hub_signer().sign(&instruction(100_000_000), SIGNED_AT);
    assert_eq!(B64.encode(payload.signature), online.signature);
    let trusted = TrustedKeys::default()
        .with("court-key-1", &hub_signer().public_key())
        .unwrap();
    assert_eq!(
        trusted.verify(
            &SignedFields::of(&instruction(100_000_000)),
            Some(&online),
            SIGNED_AT
        ),
        Ok(())
    );

    // The whole file: QR and printed fields.
    let verified = verify_file(&pdf, &hub_keys()).unwrap();
    assert!(verified.printed_checked);
    // Any key id, when none is given, but only this key.
    let any_id = PublicKeys::default()
        .with(None, &hub_signer().public_key())
        .unwrap();
    assert!(verify_file(&pdf, &any_id).is_ok());
}

#[test]
fn the_pdf_prints_chinese_text_an_agency_can_read() {
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(
        dir.path(),
        "n.pdf",
        &render(&notice(&hub_signer(), 123_456_789), &font()).unwrap(),
    );
    let squeezed: String = pdf_text(&pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for expected in [
        "协助执行通知书",
        "中国工商银行股份有限公司武汉分行",
        "法院代码：鄂0116",
        "案号：(2024)鄂0116执1234号",
        "裁定书：(2024)鄂0116执1234号之一",
        "被执行人：张伟",
        "证件号码：11010519491231002X",
        "协助事项：冻结",
        "金额：1,234,567.89",
        "截止日期：2027年12月02日",
        "签发时间：2026年12月03日10:30:00（北京时间）",
        "协助执行回执",
    ] {
        assert!(
            squeezed.contains(expected),
            "{expected} missing from {squeezed}"
        );
    }
}

#[test]
fn a_payload_altered_in_the_qr_fails() {
    let text = notice(&hub_signer(), 100_000_000).payload.to_qr_text();
    assert!(verify_qr_text(&text, &hub_keys()).is_ok());
    let parts: Vec<&str> = text.split('.').collect();
    let canonical = String::from_utf8(B64URL.decode(parts[1]).unwrap()).unwrap();
    let altered = canonical.replace("\"100000000\"", "\"900000000\"");
    assert_ne!(altered, canonical);
    let forged = format!("AHN1.{}.{}.{}", B64URL.encode(&altered), parts[2], parts[3]);
    assert_eq!(
        verify_qr_text(&forged, &hub_keys()),
        Err(VerifyError::Mismatch)
    );
    // Not a notice at all, or cut short.
    assert!(matches!(
        verify_qr_text("https://example.invalid/", &hub_keys()),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        verify_qr_text(&text[..text.len() / 2], &hub_keys()),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn a_pdf_whose_printed_amount_was_changed_fails_even_with_its_original_qr() {
    if !poppler() {
        return;
    }
    let original = notice(&hub_signer(), 100_000_000);
    let tampered = notice(&hub_signer(), 900_000_000);
    let dir = tempfile::tempdir().unwrap();
    let bytes = render_with_qr(&tampered, &original.payload, &font()).unwrap();
    let pdf = write(dir.path(), "forged.pdf", &bytes);
    assert!(pdf_text(&pdf).contains("9,000,000.00"));
    assert_eq!(
        verify_file(&pdf, &hub_keys()).unwrap_err(),
        VerifyError::PrintedMismatch("金额".into())
    );
}

#[test]
fn a_notice_signed_by_another_key_fails() {
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(
        dir.path(),
        "other.pdf",
        &render(&notice(&stranger(), 100_000_000), &font()).unwrap(),
    );
    assert_eq!(
        verify_file(&pdf, &hub_keys()).unwrap_err(),
        VerifyError::Mismatch
    );
    // Under a key id the verifier does not know.
    let other_id = PublicKeys::default()
        .with(Some("court-key-2"), &hub_signer().public_key())
        .unwrap();
    assert_eq!(
        verify_file(&pdf, &other_id).unwrap_err(),
        VerifyError::UnknownKey("court-key-1".into())
    );
}

#[test]
fn a_scanned_page_verifies_from_its_image() {
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(
        dir.path(),
        "n.pdf",
        &render(&notice(&hub_signer(), 100_000_000), &font()).unwrap(),
    );
    let png = page_png(&pdf);
    if let Ok(keep) = std::env::var("ASSETHUB_NOTICE_SAMPLE") {
        std::fs::copy(&pdf, format!("{keep}.pdf")).unwrap();
        std::fs::write(format!("{keep}.png"), &png).unwrap();
    }
    let page = image::load_from_memory(&png).unwrap().to_luma8();
    let jpeg = dir.path().join("scan.jpg");
    page.save(&jpeg).unwrap();
    let verified = verify_file(&jpeg, &hub_keys()).unwrap();
    assert!(!verified.printed_checked);
    assert_eq!(verified.payload.body.number(), "ord-7f3a");
}

#[test]
fn an_inquiry_notice_renders_and_verifies() {
    if !poppler() {
        return;
    }
    let fields = InquiryFields {
        inquiry_id: "inq-42".into(),
        case: "(2024)鄂0116执1234号".into(),
        court: "鄂0116".into(),
        officer: "王法官".into(),
        source: "land-wuhan".into(),
        debtor_id: "11010519491231002X".into(),
        debtor_name: "张伟".into(),
        ticket: "T-2026-0001".into(),
    };
    let notice = Notice {
        payload: SignedPayload::inquiry(&hub_signer(), fields.clone(), SIGNED_AT),
        extras: Extras::default(),
    };
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(dir.path(), "q.pdf", &render(&notice, &font()).unwrap());
    let verified = verify_file(&pdf, &hub_keys()).unwrap();
    assert_eq!(verified.payload.body, Signed::Inquiry(fields));
    assert!(pdf_text(&pdf).contains("协助查询通知书"));
}

#[test]
fn rendering_again_gives_the_same_bytes() {
    let a = render(&notice(&hub_signer(), 100_000_000), &font()).unwrap();
    let b = render(&notice(&hub_signer(), 100_000_000), &font()).unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with(b"%PDF"));
    // Only a subset of the font is embedded: far below the font file's size.
    assert!(a.len() < 200_000, "{} bytes", a.len());
}

#[test]
fn the_qr_reads_back_whatever_the_order_id() {
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for i in 0..16u64 {
        let mut order = instruction(100_000 + i as i64 * 7_919);
        order.key = format!(
            "ord-{:032x}",
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995
        );
        let notice = Notice {
            payload: SignedPayload::instruction(&hub_signer(), &order, SIGNED_AT + i as i64 * 37),
            extras: extras(),
        };
        let pdf = write(dir.path(), "n.pdf", &render(&notice, &font()).unwrap());
        if let Err(e) = verify_file(&pdf, &hub_keys()) {
            failures.push(format!("{}: {e}", order.key));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
