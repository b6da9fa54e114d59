//! The kit's register checker on registers written out by hand: each broken promise (a
//! missing hold, a second hold for one key, a hold under a key nobody sent, a refused
//! instruction that holds anyway, a status or amount the connector misreports) is named, and
//! an agency that kept every promise gives no finding.

use assethub_conformance::invariants::{mismatches, Expected};
use assethub_conformance::register::{HoldRow, KeyedHold, RegisterExport};
use assethub_connectors::domain::Fen;
use assethub_connectors::{ControlAnswer, HoldStatus};

fn answer(hold: &str, status: HoldStatus, held: i64) -> ControlAnswer {
    ControlAnswer {
        hold: hold.into(),
        status,
        held: Fen(held),
        deducted: Fen(0),
        held_quantity: 0,
        until: None,
        message: String::new(),
    }
}

fn placed(key: &str, hold: &str, status: HoldStatus, held: i64) -> Expected {
    Expected {
        key: key.into(),
        places: true,
        target: String::new(),
        answer: Ok(answer(hold, status, held)),
        now: Some(answer(hold, status, held)),
    }
}

fn row(id: &str, status: &str, held: i64, placed_by: &str) -> HoldRow {
    HoldRow {
        id: id.into(),
        asset: "acct-1".into(),
        kind: "freeze".into(),
        court: "鄂0116".into(),
        case: "(2024)鄂0116执1234号".into(),
        ruling: "(2024)鄂0116执1234号之一".into(),
        status: status.into(),
        queue_position: 0,
        requested_fen: held,
        held_fen: held,
        deducted_fen: 0,
        requested_quantity: 0,
        held_quantity: 0,
        since: "2026-12-02".into(),
        until: "2027-01-01".into(),
        placed_by: placed_by.into(),
    }
}

fn keyed(key: &str, instruction: &str, hold: &str, status: &str, held: i64) -> KeyedHold {
    KeyedHold {
        key: key.into(),
        instruction: instruction.into(),
        hold: hold.into(),
        asset: "acct-1".into(),
        kind: "freeze".into(),
        court: "鄂0116".into(),
        case: "(2024)鄂0116执1234号".into(),
        status: status.into(),
        queue_position: 0,
        held_fen: held,
        held_quantity: 0,
        deducted_fen: 0,
        until: "2027-01-01".into(),
    }
}

/// A register that kept its promises: k1 placed H1 (then released by k2), k3 placed H2.
fn kept() -> (Vec<Expected>, RegisterExport) {
    let release = Expected {
        key: "k2".into(),
        places: false,
        target: "H1".into(),
        answer: Ok(answer("H1", HoldStatus::Released, 0)),
        now: Some(answer("H1", HoldStatus::Released, 0)),
    };
    let expected = vec![
        placed("k1", "H1", HoldStatus::Released, 0),
        release,
        placed("k3", "H2", HoldStatus::Effective, 500),
    ];
    let register = RegisterExport {
        holds: vec![
            row("H1", "released", 0, "k1"),
            row("H2", "effective", 500, "k3"),
        ],
        keyed: vec![
            keyed("k1", "place", "H1", "released", 0),
            keyed("k2", "change", "H1", "released", 0),
            keyed("k3", "place", "H2", "effective", 500),
        ],
    };
    (expected, register)
}

#[test]
fn a_register_that_kept_every_promise_has_no_finding() {
    let (expected, register) = kept();
    assert_eq!(
        mismatches(&expected, &RegisterExport::default(), &register),
        Vec::<String>::new()
    );
}

#[test]
fn holds_there_before_the_run_are_none_of_the_kit_s_business() {
    let (expected, mut register) = kept();
    let old = row("H0", "effective", 100, "");
    register.holds.insert(0, old.clone());
    let before = RegisterExport {
        holds: vec![old],
        keyed: vec![],
    };
    assert!(mismatches(&expected, &before, &register).is_empty());
    // The same hold appearing during the run, without a key, is reported.
    let found = mismatches(&expected, &RegisterExport::default(), &register);
    assert_eq!(found, ["hold H0 appeared without any key"]);
}

#[test]
fn each_broken_promise_is_named() {
    let (expected, good) = kept();
    let none = RegisterExport::default();

    // The agency lost k3.
    let mut register = good.clone();
    register.keyed.retain(|k| k.key != "k3");
    let found = mismatches(&expected, &none, &register);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("k3") && found[0].contains("no instruction under that key"));

    // A resend under a rewritten key placed a second hold.
    let mut register = good.clone();
    register.holds.push(row("H3", "effective", 500, "k3-again"));
    register
        .keyed
        .push(keyed("k3-again", "place", "H3", "effective", 500));
    let found = mismatches(&expected, &none, &register);
    assert_eq!(
        found,
        ["hold H3 (effective) was placed under key k3-again that the kit never sent"]
    );

    // One key placed two holds.
    let mut register = good.clone();
    register.holds.push(row("H4", "effective", 500, "k3"));
    let found = mismatches(&expected, &none, &register);
    assert_eq!(found, ["key k3 placed 2 holds"]);

    // The connector says effective, the register queued; and another amount.
    let mut register = good.clone();
    register.keyed[2].status = "queued".into();
    let found = mismatches(&expected, &none, &register);
    assert_eq!(
        found,
        ["key k3: the connector says effective now, the register queued"]
    );
    let mut register = good.clone();
    register.keyed[2].held_fen = 400;
    let found = mismatches(&expected, &none, &register);
    assert_eq!(
        found,
        ["key k3: the connector says 500 fen held, the register 400"]
    );

    // The release landed on another hold.
    let mut register = good.clone();
    register.keyed[1].hold = "H2".into();
    let found = mismatches(&expected, &none, &register);
    assert_eq!(
        found,
        ["key k2: the connector names hold H1, the agency's is H2"]
    );

    // An instruction the connector reported as failed holds anyway.
    let mut failed = expected.clone();
    failed[2].answer = Err("server error: 503".into());
    let found = mismatches(&failed, &none, &good);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("reported k3 as failed") && found[0].contains("H2 effective"));
}
