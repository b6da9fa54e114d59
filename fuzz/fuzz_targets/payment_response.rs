//! The payment platform's answers as the connector reads them (`payment::fuzzing`): the
//! holdings answer → `QueryAnswer`, a control / status answer → `ControlAnswer`. Never panics;
//! decoded balances equal the integer fen sent, with 0 ≤ frozen ≤ balance; freezes never carry
//! negative amounts; refusals are `Rejected`, anything else unexpected `Malformed`.
#![no_main]

#[path = "common/oracle.rs"]
mod oracle;

use assethub_connectors::domain::{AssetDetail, Fen, PaymentBalanceType, SourceId};
use assethub_connectors::payment::fuzzing::{decode_control, decode_inquiry};
use assethub_connectors::{ErrorClass, HoldStatus, QueryAnswer};
use libfuzzer_sys::fuzz_target;
use oracle::{assert_class, assert_control, ctx, KEY, REQUEST_ID, SOURCE};
use serde_json::Value;

const REFUSALS: [&str; 13] = [
    "SEAL_MISSING",
    "SEAL_INVALID",
    "SEAL_STALE",
    "USER_NOT_EXIST",
    "CERT_NAME_MISMATCH",
    "ACCOUNT_NOT_OWNED",
    "FREEZE_NOT_FOUND",
    "NOT_FREEZE_HOLDER",
    "FREEZE_STATE_INVALID",
    "AMOUNT_EXCEEDS_FROZEN",
    "IDEMPOTENCY_KEY_REUSED",
    "MISSING_PARAMETER",
    "INVALID_PARAMETER",
];

fn code(json: Option<&Value>) -> Option<&str> {
    json?.get("result_code")?.as_str()
}

/// `request_id` absent/null or ours.
fn echo_ok(json: &Value, field: &str, ours: &str) -> bool {
    match json.get(field) {
        None | Some(Value::Null) => true,
        Some(v) => v.as_str() == Some(ours),
    }
}

fuzz_target!(|data: &[u8]| {
    let source = SourceId::new(SOURCE).expect("source id");
    let ctx = ctx();
    let json = oracle::json(data);

    match decode_inquiry(&source, &ctx, data) {
        Ok(answer) => {
            let Some(json) = json.as_ref() else { return };
            assert!(echo_ok(json, "request_id", REQUEST_ID));
            match (code(Some(json)), &answer) {
                (Some("SUCCESS"), QueryAnswer::Found(assets)) => {
                    let holdings = json["holdings"].as_array().expect("holdings");
                    assert_eq!(holdings.len(), assets.len());
                    for (asset, raw) in assets.iter().zip(holdings) {
                        let AssetDetail::Payment(p) = &asset.detail else {
                            panic!("not a balance: {asset:?}")
                        };
                        let product = raw["product"].as_str().expect("product");
                        assert_eq!(asset.asset_ref.source, source);
                        assert_eq!(asset.asset_ref.local, format!("{}:{product}", p.account_id));
                        assert!(!p.account_id.trim().is_empty());
                        assert_eq!(Some(p.balance.0), raw["amount_fen"].as_i64());
                        assert_eq!(Some(p.frozen.0), raw["frozen_fen"].as_i64());
                        assert!(Fen::ZERO <= p.frozen && p.frozen <= p.balance, "{p:?}");
                        let expected = match product {
                            "BALANCE" | "MERCHANT" => PaymentBalanceType::Wallet,
                            "FUND" => PaymentBalanceType::Fund,
                            other => panic!("product {other:?} accepted"),
                        };
                        assert_eq!(p.balance_type, expected);
                    }
                }
                (Some("USER_NOT_EXIST"), QueryAnswer::NotFound)
                | (Some("CERT_NAME_MISMATCH"), QueryAnswer::NameMismatch) => {}
                (code, answer) => panic!("result_code {code:?} read as {answer:?}"),
            }
        }
        Err(error) => assert_class(&error, &[ErrorClass::Malformed]),
    }

    match decode_control(&ctx, KEY, data) {
        Ok(answer) => {
            let Some(json) = json.as_ref() else { return };
            assert_eq!(code(Some(json)), Some("SUCCESS"));
            assert!(echo_ok(json, "request_id", REQUEST_ID));
            assert!(echo_ok(json, "idempotency_key", KEY));
            assert_control(&answer);
            let freeze = &json["freeze"];
            assert_eq!(Some(answer.hold.as_str()), freeze["freeze_no"].as_str());
            assert_eq!(Some(answer.held.0), freeze["frozen_fen"].as_i64());
            assert_eq!(
                answer.deducted.0,
                freeze
                    .get("deducted_fen")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            );
            let expected = match freeze["status"].as_str() {
                Some("FROZEN") => HoldStatus::Effective,
                Some("QUEUED") => HoldStatus::Queued {
                    position: freeze["queue_position"]
                        .as_u64()
                        .and_then(|p| u32::try_from(p).ok())
                        .expect("queue_position"),
                },
                Some("PROCESSING") => HoldStatus::Pending,
                Some("RELEASED") => HoldStatus::Released,
                Some("DEDUCTED") => HoldStatus::Deducted,
                Some("EXPIRED") => HoldStatus::Expired,
                Some("REJECTED") => HoldStatus::Rejected,
                other => panic!("freeze status {other:?} accepted"),
            };
            assert_eq!(answer.status, expected);
        }
        Err(error) => {
            assert_class(&error, &[ErrorClass::Malformed, ErrorClass::Rejected]);
            if json.is_none() && !oracle::undecodable(&error) {
                return; // no oracle for this body
            }
            let refusal = code(json.as_ref().filter(|_| !oracle::undecodable(&error)))
                .is_some_and(|c| REFUSALS.contains(&c));
            assert_eq!(error.class == ErrorClass::Rejected, refusal, "{error:?}");
        }
    }
});
