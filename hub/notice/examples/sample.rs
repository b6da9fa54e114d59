//! Renders a sample notice (a made-up order, signed by a throwaway key) to the file named on
//! the command line, and prints how long rendering took and the public key that verifies it:
//! `cargo run -p assethub-notice --example sample -- /tmp/sample.pdf`, then
//! `hubctl notice verify /tmp/sample.pdf --public-key <printed key>`.

use assethub_core::domain::{CaseNumber, CivilDate, Debtor, DebtorId, Fen};
use assethub_core::signature::InstructionSigner;
use assethub_core::{ControlAction, ControlInstruction};
use assethub_notice::{render, CjkFont, Extras, Notice, SignedPayload};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: sample OUT.pdf")?;
    let signer =
        InstructionSigner::from_seed("sample-1", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")?;
    let instruction = ControlInstruction {
        key: "ord-sample".into(),
        case: CaseNumber::parse("(2024)鄂0116执1234号")?,
        ruling: "(2024)鄂0116执1234号之一".into(),
        officer: "王法官".into(),
        asset: "6222000011112222".into(),
        debtor: Debtor {
            id: DebtorId::parse("11010519491231002X")?,
            name: "张伟".into(),
        },
        action: ControlAction::Freeze {
            amount: Fen(123_456_789),
            until: CivilDate::parse("2027-12-02")?,
        },
        signature: None,
    };
    let notice = Notice {
        payload: SignedPayload::instruction(&signer, &instruction, 1_796_265_000),
        extras: Extras {
            agency: "bank-gongxin".into(),
            currency: "CNY".into(),
            kind: "bank".into(),
            start: "2026-12-03".into(),
            ..Extras::default()
        },
    };
    let started = Instant::now();
    let font = CjkFont::locate(None)?;
    let loaded = started.elapsed();
    let rounds = 10;
    let started = Instant::now();
    let mut pdf = Vec::new();
    for _ in 0..rounds {
        pdf = render(&notice, &font)?;
    }
    let each = started.elapsed() / rounds;
    std::fs::write(&out, &pdf)?;
    println!(
        "{out}: {} bytes; font {} loaded in {loaded:?}; one render {each:?}; public key {}",
        pdf.len(),
        font.path().display(),
        signer.public_key()
    );
    Ok(())
}
