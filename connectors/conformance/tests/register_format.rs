//! The hold-register export format is the contract between agencies and checkers: a mock's
//! register, serialised as `GET /__admin/holds` serves it, reads into the kit's types field by
//! field as the README documents them (the expected JSON is written out here).

use assethub_conformance::register::RegisterExport;
use assethub_connectors::domain::{CivilDate, Fen};
use assethub_mocks::holds::{HoldBook, HoldKind, Placement};
use assethub_mocks::Knobs;
use serde_json::json;
use std::sync::Arc;

#[test]
fn a_mock_register_reads_as_the_documented_format() {
    let knobs = Arc::new(Knobs::default());
    let book = HoldBook::new("T-", knobs);
    let until = CivilDate::today().plus_days(30);
    let placement = Placement {
        kind: HoldKind::Freeze,
        asset: "acct-1".into(),
        court: "鄂0116".into(),
        case: "(2024)鄂0116执1号".into(),
        ruling: "(2024)鄂0116执1号之一".into(),
        amount: Fen(1_000),
        until,
        balance: Fen(600),
        frozen_elsewhere: Fen(0),
        seals_elsewhere: 0,
    };
    book.place("k-1", "f-1", placement).expect("placed");

    let served = serde_json::to_value(book.export()).expect("serialises");
    let today = CivilDate::today().to_string();
    let until = until.to_string();
    let expected = json!({
        "holds": [{
            "id": "T-000001", "asset": "acct-1", "kind": "freeze",
            "court": "鄂0116", "case": "(2024)鄂0116执1号", "ruling": "(2024)鄂0116执1号之一",
            "status": "effective", "queue_position": 0,
            "requested_fen": 1000, "held_fen": 600, "deducted_fen": 0,
            "since": today, "until": until, "placed_by": "k-1"
        }],
        "keyed": [{
            "key": "k-1", "instruction": "place", "hold": "T-000001", "asset": "acct-1",
            "kind": "freeze", "court": "鄂0116", "case": "(2024)鄂0116执1号",
            "status": "effective", "queue_position": 0, "held_fen": 600, "deducted_fen": 0,
            "until": until
        }]
    });
    assert_eq!(served, expected);
    let read: RegisterExport = serde_json::from_value(served).expect("the kit reads it");
    assert_eq!(read.keyed("k-1").map(|k| k.hold.as_str()), Some("T-000001"));
    assert_eq!(read.live_on("acct-1").count(), 1);
}
