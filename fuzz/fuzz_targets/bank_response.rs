//! The bank gateway's answers as the connector reads them (`bank::fuzzing`): the inquiry
//! envelope → `QueryAnswer`, the control / status envelope → `ControlAnswer`. Never panics;
//! every decoded account and freeze agrees with an independent reading of the same JSON
//! (exact yuan amounts, never negative; our reqId echoed; codes mapped to their classes).
#![no_main]

#[path = "common/oracle.rs"]
mod oracle;

use assethub_connectors::bank::fuzzing::{decode_control, decode_inquiry};
use assethub_connectors::domain::{AssetDetail, Fen, SourceId};
use assethub_connectors::{ErrorClass, HoldStatus, QueryAnswer};
use libfuzzer_sys::fuzz_target;
use oracle::{assert_amount, assert_class, assert_control, ctx, KEY, REQUEST_ID, SOURCE};
use serde_json::Value;
use std::collections::HashSet;

fn code(json: Option<&Value>) -> Option<&str> {
    json?.get("retCode")?.as_str().map(str::trim)
}

fn echoed(json: &Value) -> bool {
    json.get("reqId").and_then(Value::as_str).map(str::trim) == Some(REQUEST_ID)
}

/// The class a non-success code must get, as documented for the gateway: `BIZ1004` answers an
/// inquiry result asked by a ticket the bank does not know (lost, expired), a refusal the hub
/// answers by asking anew.
fn class_of(code: &str, control: bool) -> ErrorClass {
    if !control && code == "BIZ1004" {
        ErrorClass::Rejected
    } else if code.starts_with("AUTH") {
        ErrorClass::Auth
    } else if code.starts_with("SYS") {
        ErrorClass::Server
    } else if code.starts_with("PARM")
        || (control && (code.starts_with("BIZ") || code.starts_with("SEAL")))
    {
        ErrorClass::Rejected
    } else {
        ErrorClass::Malformed
    }
}

fuzz_target!(|data: &[u8]| {
    let source = SourceId::new(SOURCE).expect("source id");
    let ctx = ctx();
    let json = oracle::json(data);

    match decode_inquiry(&source, &ctx, data) {
        Ok(answer) => {
            let Some(json) = json.as_ref() else { return };
            let code = code(Some(json)).expect("answer without retCode");
            assert!(echoed(json), "accepted without our reqId");
            match (code, &answer) {
                ("0000", QueryAnswer::Found(assets)) => {
                    let accounts = json["data"]["accounts"].as_array().expect("accounts");
                    assert_eq!(accounts.len(), assets.len());
                    let mut seen = HashSet::new();
                    for (asset, raw) in assets.iter().zip(accounts) {
                        assert_eq!(asset.asset_ref.source, source);
                        assert!(seen.insert(asset.asset_ref.local.clone()), "duplicate");
                        let AssetDetail::Deposit(d) = &asset.detail else {
                            panic!("not a deposit: {asset:?}")
                        };
                        assert_eq!(
                            Some(d.account_number.as_str()),
                            raw["acctNo"].as_str().map(str::trim)
                        );
                        assert_eq!(asset.asset_ref.local, d.account_number);
                        assert!(!d.account_number.is_empty() && d.account_number.len() <= 64);
                        assert_amount(d.balance, raw.get("bal"), "bal");
                        assert_amount(d.frozen, raw.get("frozenAmt"), "frozenAmt");
                        assert!(
                            d.currency.len() == 3
                                && d.currency.bytes().all(|b| b.is_ascii_uppercase())
                        );
                    }
                }
                ("BIZ1001", QueryAnswer::NotFound) | ("BIZ1002", QueryAnswer::NameMismatch) => {}
                (code, answer) => panic!("retCode {code:?} read as {answer:?}"),
            }
        }
        Err(error) => {
            assert_class(
                &error,
                &[
                    ErrorClass::Malformed,
                    ErrorClass::Auth,
                    ErrorClass::Server,
                    ErrorClass::Rejected,
                ],
            );
            if json.is_none() && !oracle::undecodable(&error) {
                return; // no oracle for this body
            }
            match code(json.as_ref().filter(|_| !oracle::undecodable(&error))) {
                Some(c @ ("0000" | "BIZ1001" | "BIZ1002")) => {
                    assert_eq!(error.class, ErrorClass::Malformed, "{c}: {error:?}")
                }
                Some(c) => assert_eq!(error.class, class_of(c, false), "{c}: {error:?}"),
                None => assert_eq!(error.class, ErrorClass::Malformed, "{error:?}"),
            }
        }
    }

    match decode_control(&ctx, KEY, data) {
        Ok(None) => assert_eq!(code(json.as_ref()), Some("BIZ2004")),
        Ok(Some(answer)) => {
            let Some(json) = json.as_ref() else { return };
            assert_eq!(code(Some(json)), Some("0000"));
            assert!(echoed(json), "accepted without our reqId");
            assert_control(&answer);
            let raw = &json["data"];
            assert_eq!(
                Some(answer.hold.as_str()),
                raw["freezeNo"].as_str().map(str::trim)
            );
            assert!(answer.hold.len() <= 64);
            if let Some(biz) = raw.get("bizNo").and_then(Value::as_str) {
                assert_eq!(biz.trim(), KEY);
            }
            assert_amount(answer.held, raw.get("frozenAmt"), "frozenAmt");
            match raw
                .get("deductAmt")
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty())
            {
                Some(_) => assert_amount(answer.deducted, raw.get("deductAmt"), "deductAmt"),
                None => assert_eq!(answer.deducted, Fen::ZERO),
            }
            let expected = match raw["ctrlStatus"].as_str().map(str::trim) {
                Some("00") => HoldStatus::Pending,
                Some("10") => HoldStatus::Effective,
                Some("11") => HoldStatus::Queued {
                    position: raw["queueNo"]
                        .as_u64()
                        .and_then(|p| u32::try_from(p).ok())
                        .expect("queueNo"),
                },
                Some("20") => HoldStatus::Released,
                Some("30") => HoldStatus::Deducted,
                Some("40") => HoldStatus::Expired,
                Some("90") => HoldStatus::Rejected,
                other => panic!("ctrlStatus {other:?} accepted"),
            };
            assert_eq!(answer.status, expected);
            assert!(answer.message.chars().count() <= 501);
        }
        Err(error) => {
            assert_class(
                &error,
                &[
                    ErrorClass::Malformed,
                    ErrorClass::Auth,
                    ErrorClass::Server,
                    ErrorClass::Rejected,
                ],
            );
            if json.is_none() && !oracle::undecodable(&error) {
                return; // no oracle for this body
            }
            match code(json.as_ref().filter(|_| !oracle::undecodable(&error))) {
                Some("0000") | None => assert_eq!(error.class, ErrorClass::Malformed, "{error:?}"),
                Some(c) => assert_eq!(error.class, class_of(c, true), "{c}: {error:?}"),
            }
        }
    }
});
