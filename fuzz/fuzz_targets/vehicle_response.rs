//! The vehicle administration's answers as the connector reads them (`vehicle::fuzzing`):
//! the judicial query → `QueryAnswer`, a control answer → `ControlAnswer`, a status answer →
//! `Option<ControlAnswer>`. Never panics; decoded vehicles carry a real VIN and plate, ISO
//! dates, and mortgage amounts equal to an exact reading of the yuan text (never negative);
//! codes map to their documented classes.
#![no_main]

#[path = "common/oracle.rs"]
mod oracle;

use assethub_connectors::domain::{AssetDetail, EncumbranceKind, Fen, SourceId};
use assethub_connectors::vehicle::fuzzing::{
    decode_control, decode_control_status, decode_inquiry,
};
use assethub_connectors::vehicle::vin::ALPHABET;
use assethub_connectors::{ControlAnswer, ErrorClass, QueryAnswer};
use libfuzzer_sys::fuzz_target;
use oracle::{assert_amount, assert_class, assert_control, assert_iso, SOURCE};
use serde_json::Value;

/// `code` read as the administration sends it: a number or a string of digits.
fn code(json: Option<&Value>) -> Option<i64> {
    match json?.get("code")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn class_of(code: i64) -> ErrorClass {
    match code {
        4001 | 3001..=3099 => ErrorClass::Rejected,
        4011..=4013 => ErrorClass::Auth,
        5000 => ErrorClass::Server,
        _ => ErrorClass::Malformed,
    }
}

const CLASSES: [ErrorClass; 4] = [
    ErrorClass::Malformed,
    ErrorClass::Rejected,
    ErrorClass::Auth,
    ErrorClass::Server,
];

fn check_control(answer: &ControlAnswer, json: Option<&Value>) {
    if json.is_some() {
        assert_eq!(code(json), Some(1));
    }
    assert_control(answer);
    assert_eq!(answer.held, Fen::ZERO);
    assert_eq!(answer.deducted, Fen::ZERO);
    assert_eq!(answer.hold, answer.hold.trim());
    assert_eq!(answer.message, answer.message.trim());
}

fn check_control_error(error: &assethub_connectors::ConnectorError, json: Option<&Value>) {
    assert_class(error, &CLASSES);
    if json.is_none() && !oracle::undecodable(error) {
        return; // no oracle for this body
    }
    match code(json.filter(|_| !oracle::undecodable(error))) {
        Some(c) if c != 1 => assert_eq!(error.class, class_of(c), "{c}: {error:?}"),
        _ => assert_eq!(error.class, ErrorClass::Malformed, "{error:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let source = SourceId::new(SOURCE).expect("source id");
    let json = oracle::json(data);

    match decode_inquiry(&source, data) {
        Ok(answer) => {
            let Some(json) = json.as_ref() else { return };
            match (code(Some(json)), &answer) {
                (Some(1), QueryAnswer::Found(assets)) => {
                    let rows = json["data"]["rows"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    assert_eq!(rows.len(), assets.len());
                    assert_eq!(json["data"]["total"].as_u64(), Some(rows.len() as u64));
                    for (asset, raw) in assets.iter().zip(rows) {
                        let AssetDetail::Vehicle(v) = &asset.detail else {
                            panic!("not a vehicle: {asset:?}")
                        };
                        assert_eq!(asset.asset_ref.source, source);
                        assert_eq!(asset.asset_ref.local, v.vin);
                        assert!(
                            v.vin.len() == 17 && v.vin.chars().all(|c| ALPHABET.contains(c)),
                            "{v:?}"
                        );
                        assert_eq!(
                            Some(v.vin.clone()),
                            raw["clsbdh"]
                                .as_str()
                                .map(|s| s.trim().to_ascii_uppercase())
                        );
                        assert!(!v.plate.is_empty() && v.plate == v.plate.trim());
                        assert!(!v.registration_status.is_empty());
                        let seals = raw["cfxx"]
                            .as_array()
                            .map(Vec::as_slice)
                            .unwrap_or_default();
                        let mortgages = raw["dyxx"]
                            .as_array()
                            .map(Vec::as_slice)
                            .unwrap_or_default();
                        assert_eq!(v.encumbrances.len(), seals.len() + mortgages.len());
                        for e in &v.encumbrances {
                            assert_iso(&e.since);
                            if let Some(until) = &e.until {
                                assert_iso(until);
                            }
                        }
                        for (e, m) in v.encumbrances[seals.len()..].iter().zip(mortgages) {
                            assert_eq!(e.kind, EncumbranceKind::Mortgage);
                            match m
                                .get("dyje")
                                .and_then(Value::as_str)
                                .filter(|s| !s.trim().is_empty())
                            {
                                Some(_) => assert_amount(e.amount, m.get("dyje"), "dyje"),
                                None => assert_eq!(e.amount, Fen::ZERO),
                            }
                        }
                        for e in &v.encumbrances[..seals.len()] {
                            assert_eq!(e.amount, Fen::ZERO);
                            assert_ne!(e.kind, EncumbranceKind::Mortgage);
                        }
                    }
                }
                (Some(2001), QueryAnswer::NotFound) | (Some(2002), QueryAnswer::NameMismatch) => {}
                (code, answer) => panic!("code {code:?} read as {answer:?}"),
            }
        }
        Err(error) => {
            assert_class(&error, &CLASSES);
            if json.is_none() && !oracle::undecodable(&error) {
                return; // no oracle for this body
            }
            match code(json.as_ref().filter(|_| !oracle::undecodable(&error))) {
                Some(c @ (4001 | 4011..=4013 | 5000)) => assert_eq!(error.class, class_of(c)),
                _ => assert_eq!(error.class, ErrorClass::Malformed, "{error:?}"),
            }
        }
    }

    match decode_control(data) {
        Ok(answer) => check_control(&answer, json.as_ref()),
        Err(error) => check_control_error(&error, json.as_ref()),
    }
    match decode_control_status(data) {
        Ok(None) => assert_eq!(code(json.as_ref()), Some(2003)),
        Ok(Some(answer)) => check_control(&answer, json.as_ref()),
        Err(error) => check_control_error(&error, json.as_ref()),
    }
});
