//! Tests of the mock bank: its data invariants, and its auth and input validation driven over
//! HTTP with reqwest, exactly as a client would; the control endpoints in [`control`].

mod control;
mod later;

use super::auth::{canonical_string, unix_now};
use super::data::{luhn_valid, AccountStatus, Bank};
use super::{holdings, Settings, INQUIRY_PATH};
use crate::population::{
    DebtorKind, Wealth, DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use crate::{AgencyConfig, FamilySettings, Population, RunningAgency};
use assethub_connectors::domain::Fen;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::Arc;

pub(super) const CASE: &str = "(2024)鄂0116执1234号";

pub(super) async fn start_bank(settings: Settings) -> (RunningAgency, Arc<Population>) {
    let population = Arc::new(Population::generate(7, 200));
    let config = AgencyConfig {
        name: "bank-test".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Bank(settings),
    };
    let agency = crate::start(&config, population.clone())
        .await
        .expect("bank starts");
    (agency, population)
}

/// How to sign a test request; the defaults are the demo(0) credentials, now, a fresh nonce.
pub(super) struct Signing {
    key: &'static str,
    secret: &'static str,
    skew_secs: i64,
    nonce: String,
}

impl Default for Signing {
    fn default() -> Self {
        Self {
            key: "gx-demo-key",
            secret: "gx-demo-secret",
            skew_secs: 0,
            nonce: uuid::Uuid::new_v4().to_string(),
        }
    }
}

fn signature(secret: &str, timestamp: &str, nonce: &str, path: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(canonical_string(timestamp, nonce, "POST", path, body).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Sends `body` signed per `signing` (the signature covers `signed_body`, normally the same).
async fn send_raw(
    agency: &RunningAgency,
    body: &[u8],
    signed_body: &[u8],
    signing: &Signing,
) -> (u16, Value) {
    post_raw(agency, INQUIRY_PATH, body, signed_body, signing).await
}

/// Posts `body` to `path`, signed per `signing` over `signed_body`.
async fn post_raw(
    agency: &RunningAgency,
    path: &str,
    body: &[u8],
    signed_body: &[u8],
    signing: &Signing,
) -> (u16, Value) {
    let timestamp = (unix_now() as i64 + signing.skew_secs).to_string();
    let response = reqwest::Client::new()
        .post(format!("{}{path}", agency.base_url()))
        .header("content-type", "application/json")
        .header("x-api-key", signing.key)
        .header("x-timestamp", &timestamp)
        .header("x-nonce", &signing.nonce)
        .header(
            "x-signature",
            signature(
                signing.secret,
                &timestamp,
                &signing.nonce,
                path,
                signed_body,
            ),
        )
        .body(body.to_vec())
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let json = response.json().await.expect("bank answers JSON");
    (status, json)
}

async fn send(agency: &RunningAgency, body: &Value, signing: &Signing) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).expect("json");
    send_raw(agency, &bytes, &bytes, signing).await
}

/// Posts `body` to `path`, signed with the demo(0) credentials.
pub(super) async fn post(agency: &RunningAgency, path: &str, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).expect("json");
    post_raw(agency, path, &bytes, &bytes, &Signing::default()).await
}

pub(super) fn inquiry(id_no: &str, name: &str) -> Value {
    let (cust_type, id_type) = if id_no.starts_with("91") {
        ("E", "49")
    } else {
        ("P", "01")
    };
    json!({
        "reqId": "req-0001", "caseNo": CASE, "custType": cust_type, "idType": id_type,
        "idNo": id_no, "custName": name,
    })
}

#[tokio::test]
async fn answers_a_signed_inquiry_with_what_the_bank_holds() {
    let (agency, population) = start_bank(Settings::demo(0)).await;
    for (id, name) in [
        (DEMO_PERSON_ID, DEMO_PERSON_NAME),
        (DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
    ] {
        let (status, answer) = send(&agency, &inquiry(id, name), &Signing::default()).await;
        assert_eq!(status, 200);
        assert_eq!(answer["retCode"], "0000", "{answer}");
        assert_eq!(answer["reqId"], "req-0001");
        assert!(answer["serialNo"]
            .as_str()
            .is_some_and(|s| s.starts_with("365")));
        let held = holdings("bank-test", &Settings::demo(0), &population, id).expect("customer");
        let accounts = answer["data"]["accounts"].as_array().expect("accounts");
        assert!(!accounts.is_empty());
        assert_eq!(accounts.len(), held.accounts.len());
        assert_eq!(answer["data"]["acctCount"], accounts.len());
        for (wire, account) in accounts.iter().zip(&held.accounts) {
            assert_eq!(wire["acctNo"], account.acct_no.as_str());
            let bal = wire["bal"].as_str().expect("yuan string");
            assert_eq!(Fen::from_yuan_str(bal), Ok(Fen(account.balance)));
            let frozen = wire["frozenAmt"].as_str().expect("yuan string");
            assert_eq!(Fen::from_yuan_str(frozen), Ok(Fen(account.frozen)));
            assert_eq!(wire["status"], account.status.code());
        }
    }
    assert_eq!(agency.knobs.inquiries(), 2);
}

#[tokio::test]
async fn unknown_debtor_and_wrong_name_have_their_own_codes() {
    let (agency, _) = start_bank(Settings::demo(0)).await;
    let (status, answer) = send(
        &agency,
        &inquiry("110105198001010016", "李四"),
        &Signing::default(),
    )
    .await;
    assert_eq!((status, answer["retCode"].as_str()), (200, Some("BIZ1001")));
    assert!(answer.get("data").is_none());
    let (status, answer) = send(
        &agency,
        &inquiry(DEMO_PERSON_ID, "王五"),
        &Signing::default(),
    )
    .await;
    assert_eq!((status, answer["retCode"].as_str()), (200, Some("BIZ1002")));
    assert_eq!(answer["reqId"], "req-0001");
    assert_eq!(agency.knobs.inquiries(), 2);
}

#[tokio::test]
async fn refuses_bad_credentials_signatures_stale_timestamps_and_replays() {
    let (agency, _) = start_bank(Settings::demo(0)).await;
    let body = inquiry(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let cases = [
        (
            Signing {
                key: "ht-demo-key",
                ..Signing::default()
            },
            "AUTH001",
        ),
        (
            Signing {
                secret: "wrong-secret",
                ..Signing::default()
            },
            "AUTH002",
        ),
        (
            Signing {
                skew_secs: -310,
                ..Signing::default()
            },
            "AUTH003",
        ),
        (
            Signing {
                skew_secs: 310,
                ..Signing::default()
            },
            "AUTH003",
        ),
        (
            Signing {
                nonce: "short".into(),
                ..Signing::default()
            },
            "AUTH002",
        ),
    ];
    for (signing, code) in cases {
        let (status, answer) = send(&agency, &body, &signing).await;
        assert_eq!(status, 401, "{code}");
        assert_eq!(answer["retCode"], code);
        assert!(answer["retMsg"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // Within the window is fine.
    let skewed = Signing {
        skew_secs: -250,
        ..Signing::default()
    };
    assert_eq!(send(&agency, &body, &skewed).await.0, 200);

    // A body changed after signing.
    let bytes = serde_json::to_vec(&body).expect("json");
    let tampered = serde_json::to_vec(&inquiry(DEMO_PERSON_ID, "王五")).expect("json");
    let (status, answer) = send_raw(&agency, &tampered, &bytes, &Signing::default()).await;
    assert_eq!((status, answer["retCode"].as_str()), (401, Some("AUTH002")));

    // The same signed request twice.
    let signing = Signing::default();
    assert_eq!(send(&agency, &body, &signing).await.0, 200);
    let (status, answer) = send(&agency, &body, &signing).await;
    assert_eq!((status, answer["retCode"].as_str()), (401, Some("AUTH004")));

    // No auth headers at all.
    let response = reqwest::Client::new()
        .post(format!("{}{INQUIRY_PATH}", agency.base_url()))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 401);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["retCode"], "AUTH001");

    assert_eq!(
        agency.knobs.inquiries(),
        2,
        "refused requests are not answered"
    );
}

#[tokio::test]
async fn validates_the_inquiry() {
    let (agency, _) = start_bank(Settings::demo(0)).await;
    let valid = inquiry(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().map(|o| o.remove(field));
        body
    };
    let cases = [
        (without("reqId"), "PARM002"),
        (without("caseNo"), "PARM002"),
        (with("caseNo", json!("  ")), "PARM002"),
        (without("idNo"), "PARM002"),
        (without("custName"), "PARM002"),
        (with("caseNo", json!("(2024)鄂0116民初1234号")), "PARM003"),
        (with("reqId", json!("has spaces in it")), "PARM003"),
        (with("idType", json!("49")), "PARM003"),
        (with("custType", json!("X")), "PARM003"),
        (with("idNo", json!("110105194912310021")), "PARM003"),
        (with("idNo", json!(11010519)), "PARM001"),
    ];
    for (body, code) in cases {
        let (status, answer) = send(&agency, &body, &Signing::default()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["retCode"], code, "{body}: {answer}");
    }
    let (status, answer) = send(&agency, &without("caseNo"), &Signing::default()).await;
    assert_eq!(status, 400);
    assert_eq!(answer["reqId"], "req-0001", "the request id is echoed");
    assert!(answer["retMsg"]
        .as_str()
        .is_some_and(|m| m.contains("caseNo")));

    let junk = b"{\"reqId\": ";
    let (status, answer) = send_raw(&agency, junk, junk, &Signing::default()).await;
    assert_eq!((status, answer["retCode"].as_str()), (400, Some("PARM001")));
    assert_eq!(agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn sheds_load_with_its_busy_code() {
    let settings = Settings {
        max_in_flight: Some(0),
        ..Settings::demo(0)
    };
    let (agency, _) = start_bank(settings).await;
    let body = inquiry(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let (status, answer) = send(&agency, &body, &Signing::default()).await;
    assert_eq!((status, answer["retCode"].as_str()), (200, Some("SYS9999")));
}

#[test]
fn holdings_are_realistic_stable_and_distinct_per_bank() {
    let population = Population::generate(11, 2_000);
    let banks = [
        ("bank-gongxin", Bank::new(&Settings::demo(0))),
        ("bank-hengtong", Bank::new(&Settings::demo(1))),
    ];
    let mut numbers_per_bank: Vec<HashSet<String>> = vec![HashSet::new(), HashSet::new()];
    let mut total = [(0i128, 0usize); 2]; // (person, company) CNY balances and counts
    let mut frozen_elsewhere = 0;
    for record in population.debtors() {
        for (b, (name, bank)) in banks.iter().enumerate() {
            let held = bank.holdings(name, &population, record);
            assert_eq!(held, bank.holdings(name, &population, record), "stable");
            if record.wealth == Wealth::None {
                assert!(held.accounts.is_empty());
            }
            if record.demo {
                assert!(!held.accounts.is_empty(), "demo debtors hold something");
            }
            for account in &held.accounts {
                assert_eq!(account.acct_no.len(), 19);
                assert!(account.acct_no.bytes().all(|c| c.is_ascii_digit()));
                assert!(luhn_valid(&account.acct_no), "{}", account.acct_no);
                assert!(numbers_per_bank[b].insert(account.acct_no.clone()));
                assert!((0..=account.balance).contains(&account.frozen));
                assert!(account.branch.contains(record.city));
                if account.status == AccountStatus::Closed {
                    assert_eq!((account.balance, account.frozen), (0, 0));
                }
                if account.frozen > 0 {
                    frozen_elsewhere += 1;
                }
                if account.currency == "CNY" {
                    let slot = usize::from(record.kind == DebtorKind::Company);
                    total[slot].0 += i128::from(account.balance);
                    total[slot].1 += 1;
                }
            }
        }
    }
    assert!(numbers_per_bank[0].is_disjoint(&numbers_per_bank[1]));
    assert!(
        frozen_elsewhere > 10,
        "some accounts are held by other courts"
    );
    let mean = |(sum, n): (i128, usize)| sum / n.max(1) as i128;
    assert!(
        mean(total[1]) > mean(total[0]),
        "corporate accounts are larger"
    );
    assert!(luhn_valid("4111111111111111"));
    assert!(!luhn_valid("4111111111111112"));
}
