//! The control endpoints over signed HTTP: asynchronous freezes, release, deduction, renewal,
//! status by `bizNo`, queues between courts, idempotency and the bank's refusals, and the
//! electronic seal every action carries (unsealed, tampered, stale and foreign seals refused
//! before anything is recorded).

use super::{inquiry, post, start_bank};
use crate::bank::data::{Account, AccountStatus};
use crate::bank::{
    holdings, InstructionKey, Settings, CONTROL_QUERY_PATH, DEDUCT_PATH, FREEZE_PATH, INQUIRY_PATH,
    RENEW_PATH, UNFREEZE_PATH,
};
use crate::population::DebtorRecord;
use crate::{Population, RunningAgency};
use assethub_connectors::domain::{CaseNumber, CivilDate, Debtor, DebtorId, Fen};
use assethub_connectors::signature::{InstructionSigner, FRESHNESS_SECS};
use assethub_connectors::{ControlAction, ControlInstruction};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CASE_A: &str = "(2024)鄂0116执1234号";
const CASE_B: &str = "(2024)鄂01执88号";

fn settings() -> Settings {
    Settings {
        freeze_decision_ms: 50,
        ..Settings::demo(0)
    }
}

/// A customer of the test bank and one of their accounts matching `wanted`.
fn customer_with(
    population: &Population,
    wanted: impl Fn(&Account) -> bool,
) -> (DebtorRecord, Account) {
    population
        .debtors()
        .iter()
        .find_map(|record| {
            let held = holdings("bank-test", &settings(), population, &record.id_number)?;
            let account = held.accounts.into_iter().find(|a| wanted(a))?;
            Some((record.clone(), account))
        })
        .expect("the population has such an account")
}

/// A plain CNY account with money on it and nothing frozen.
fn plain(account: &Account) -> bool {
    account.status == AccountStatus::Normal
        && account.currency == "CNY"
        && account.frozen == 0
        && account.balance >= 10_000
}

fn yuan(fen: i64) -> String {
    Fen(fen).to_yuan_string()
}

fn end_date(days: i64) -> String {
    CivilDate::today().plus_days(days).compact()
}

/// The fields every action carries.
fn order(biz_no: &str, case: &str, who: &DebtorRecord, acct_no: &str) -> Value {
    let (cust_type, id_type) = if who.id_number.starts_with("91") {
        ("E", "49")
    } else {
        ("P", "01")
    };
    let court = CaseNumber::parse(case).expect("case").court().to_string();
    json!({
        "reqId": format!("req-{biz_no}"), "bizNo": biz_no, "caseNo": case, "courtCode": court,
        "rulingNo": format!("{case}之一"), "officer": "王法官", "custType": cust_type,
        "idType": id_type, "idNo": who.id_number, "custName": who.name, "acctNo": acct_no,
    })
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// The instruction the hub would have sent as this action body; `None` when the body is too
/// broken to be one (it goes unsealed and is refused for its fields first).
fn instruction_of(path: &str, body: &Value) -> Option<ControlInstruction> {
    let text = |field: &str| body[field].as_str().unwrap_or("").to_string();
    let amount = || Fen::from_yuan_str(body["amt"].as_str()?).ok();
    let until = || CivilDate::parse(body["endDate"].as_str()?).ok();
    let hold = text("freezeNo");
    let action = match path {
        FREEZE_PATH => ControlAction::Freeze {
            amount: amount()?,
            until: until()?,
        },
        UNFREEZE_PATH => ControlAction::Release { hold },
        DEDUCT_PATH => ControlAction::Deduct {
            hold,
            amount: amount()?,
            into_account: text("caseAcctNo"),
        },
        RENEW_PATH => ControlAction::Renew {
            hold,
            until: until()?,
        },
        _ => return None,
    };
    Some(ControlInstruction {
        key: text("bizNo"),
        case: CaseNumber::parse(body["caseNo"].as_str()?).ok()?,
        ruling: text("rulingNo"),
        officer: text("officer"),
        asset: text("acctNo"),
        debtor: Debtor {
            id: DebtorId::parse(body["idNo"].as_str()?).ok()?,
            name: text("custName"),
        },
        action,
        signature: None,
    })
}

/// `body` with the seal of `signer` made at `signed_at` in its `seal*` fields.
fn seal_with(signer: &InstructionSigner, signed_at: i64, path: &str, body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(instruction) = instruction_of(path, &body) {
        let seal = signer.sign(&instruction, signed_at);
        body["sealKeyId"] = json!(seal.key_id);
        body["sealTime"] = json!(seal.signed_at);
        body["sealSig"] = json!(seal.signature);
    }
    body
}

/// Posts an action body sealed by the demo hub key now, as the hub sends it.
async fn act(agency: &RunningAgency, path: &str, body: &Value) -> (u16, Value) {
    let sealed = seal_with(
        &crate::demo_keys::instruction_signer(),
        now_secs(),
        path,
        body,
    );
    post(agency, path, &sealed).await
}

fn with(mut body: Value, extra: Value) -> Value {
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

fn freeze(biz_no: &str, case: &str, who: &DebtorRecord, acct: &str, fen: i64) -> Value {
    with(
        order(biz_no, case, who, acct),
        json!({"amt": yuan(fen), "endDate": end_date(300)}),
    )
}

fn on_hold(biz_no: &str, case: &str, who: &DebtorRecord, acct: &str, hold: &str) -> Value {
    with(order(biz_no, case, who, acct), json!({ "freezeNo": hold }))
}

async fn status_of(agency: &RunningAgency, biz_no: &str) -> Value {
    let body = json!({"reqId": "req-status", "caseNo": CASE_A, "bizNo": biz_no});
    let (status, answer) = post(agency, CONTROL_QUERY_PATH, &body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Polls the status of `biz_no` until the bank has decided it (bounded).
async fn decided(agency: &RunningAgency, biz_no: &str) -> Value {
    for _ in 0..500 {
        let answer = status_of(agency, biz_no).await;
        if answer["data"]["ctrlStatus"] != "00" {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the freeze {biz_no} was never decided");
}

/// Freezes and waits for the decision; the decided answer.
async fn frozen(agency: &RunningAgency, body: &Value) -> Value {
    let (status, answer) = act(agency, FREEZE_PATH, body).await;
    assert_eq!(
        (status, answer["retCode"].as_str()),
        (200, Some("0000")),
        "{answer}"
    );
    decided(agency, body["bizNo"].as_str().expect("bizNo")).await
}

/// The account as the inquiry reports it now.
async fn account_now(agency: &RunningAgency, who: &DebtorRecord, acct: &str) -> Value {
    let (_, answer) = post(agency, INQUIRY_PATH, &inquiry(&who.id_number, &who.name)).await;
    answer["data"]["accounts"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["acctNo"] == acct).cloned())
        .expect("the account is listed")
}

#[tokio::test]
async fn a_freeze_is_processing_then_frozen_and_the_inquiry_shows_it() {
    // Slow enough a decision to see it processing, even on a busy machine.
    let slow = Settings {
        freeze_decision_ms: 1_000,
        ..settings()
    };
    let (agency, population) = start_bank(slow).await;
    let (who, account) = customer_with(&population, plain);
    let body = freeze("f-1", CASE_A, &who, &account.acct_no, 5_000);
    let (status, answer) = act(&agency, FREEZE_PATH, &body).await;
    assert_eq!((status, answer["retCode"].as_str()), (200, Some("0000")));
    assert_eq!(answer["reqId"], "req-f-1");
    let data = &answer["data"];
    assert_eq!(data["ctrlStatus"], "00", "{answer}");
    let ticket = data["freezeNo"].as_str().expect("ticket");
    assert!(ticket.starts_with("365DJ"), "{ticket}");
    assert_eq!(status_of(&agency, "f-1").await["data"]["ctrlStatus"], "00");

    let done = decided(&agency, "f-1").await;
    assert_eq!(done["data"]["ctrlStatus"], "10", "{done}");
    assert_eq!(
        done["data"]["freezeNo"], ticket,
        "the ticket stays the reference"
    );
    assert_eq!(done["data"]["frozenAmt"], "50.00");
    assert_eq!(done["data"]["endDate"], end_date(300));

    let wire = account_now(&agency, &who, &account.acct_no).await;
    assert_eq!(wire["frozenAmt"], "50.00");
    assert_eq!(wire["bal"], yuan(account.balance));
    assert_eq!(wire["availBal"], yuan(account.balance - 5_000));
    assert_eq!(wire["status"], "1");
}

#[tokio::test]
async fn a_closed_account_is_refused_when_decided() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, |a| a.status == AccountStatus::Closed);
    let done = frozen(&agency, &freeze("f-c", CASE_A, &who, &account.acct_no, 100)).await;
    assert_eq!(done["data"]["ctrlStatus"], "90", "{done}");
    assert!(done["data"]["remark"]
        .as_str()
        .is_some_and(|r| r.contains("销户")));
}

#[tokio::test]
async fn refuses_an_account_that_is_not_the_customers() {
    let (agency, population) = start_bank(settings()).await;
    let (who, _) = customer_with(&population, plain);
    let (_, other) = customer_with(&population, |a| {
        plain(a)
            && !holdings("bank-test", &settings(), &population, &who.id_number)
                .is_some_and(|h| h.accounts.iter().any(|mine| mine.acct_no == a.acct_no))
    });
    let (status, answer) = act(
        &agency,
        FREEZE_PATH,
        &freeze("x", CASE_A, &who, &other.acct_no, 100),
    )
    .await;
    assert_eq!(
        (status, answer["retCode"].as_str()),
        (200, Some("BIZ2001")),
        "{answer}"
    );
    let mut wrong_name = freeze("y", CASE_A, &who, &other.acct_no, 100);
    wrong_name["custName"] = json!("王五");
    let (_, answer) = act(&agency, FREEZE_PATH, &wrong_name).await;
    assert_eq!(answer["retCode"], "BIZ1002");
    assert_eq!(
        status_of(&agency, "x").await["retCode"],
        "BIZ2004",
        "nothing recorded"
    );
}

#[tokio::test]
async fn a_replayed_biz_no_freezes_once_and_a_reused_one_is_refused() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let body = freeze("f-r", CASE_A, &who, &account.acct_no, 3_000);
    let first = frozen(&agency, &body).await;
    let mut again = body.clone();
    again["reqId"] = json!("req-retry");
    let (_, replay) = act(&agency, FREEZE_PATH, &again).await;
    assert_eq!(replay["data"], first["data"], "{replay}");
    assert_eq!(replay["reqId"], "req-retry");
    assert_eq!(
        account_now(&agency, &who, &account.acct_no).await["frozenAmt"],
        "30.00"
    );
    let reused = freeze("f-r", CASE_A, &who, &account.acct_no, 4_000);
    let (_, answer) = act(&agency, FREEZE_PATH, &reused).await;
    assert_eq!(answer["retCode"], "BIZ2006", "{answer}");
}

#[tokio::test]
async fn a_second_court_queues_and_takes_effect_when_the_first_releases() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let acct = account.acct_no.as_str();
    let first = frozen(&agency, &freeze("a", CASE_A, &who, acct, account.balance)).await;
    assert_eq!(first["data"]["ctrlStatus"], "10");
    let second = frozen(&agency, &freeze("b", CASE_B, &who, acct, 1_000)).await;
    assert_eq!(second["data"]["ctrlStatus"], "11", "{second}");
    assert_eq!(second["data"]["queueNo"], 1);

    // Only the holding court may release its freeze.
    let hold = first["data"]["freezeNo"].as_str().expect("hold");
    let (_, answer) = act(
        &agency,
        UNFREEZE_PATH,
        &on_hold("x", CASE_B, &who, acct, hold),
    )
    .await;
    assert_eq!(answer["retCode"], "BIZ2007", "{answer}");

    let (_, released) = act(
        &agency,
        UNFREEZE_PATH,
        &on_hold("r", CASE_A, &who, acct, hold),
    )
    .await;
    assert_eq!(released["data"]["ctrlStatus"], "20", "{released}");
    assert_eq!(released["data"]["frozenAmt"], "0.00");
    let second = status_of(&agency, "b").await;
    assert_eq!(second["data"]["ctrlStatus"], "10", "{second}");
    assert_eq!(second["data"]["frozenAmt"], "10.00");
}

#[tokio::test]
async fn freezing_more_than_available_freezes_what_is_there() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let done = frozen(
        &agency,
        &freeze("f", CASE_A, &who, &account.acct_no, account.balance + 100),
    )
    .await;
    assert_eq!(done["data"]["ctrlStatus"], "10");
    assert_eq!(done["data"]["frozenAmt"], yuan(account.balance));
    assert!(
        done["data"]["remark"]
            .as_str()
            .is_some_and(|r| r.contains("available")),
        "{done}"
    );
}

#[tokio::test]
async fn deducts_no_more_than_is_frozen_into_the_case_account() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let acct = account.acct_no.as_str();
    let done = frozen(&agency, &freeze("f", CASE_A, &who, acct, 5_000)).await;
    let hold = done["data"]["freezeNo"].as_str().expect("hold");
    let deduct = |biz_no: &str, fen: i64| {
        with(
            on_hold(biz_no, CASE_A, &who, acct, hold),
            json!({"amt": yuan(fen), "caseAcctNo": "42010000000088001"}),
        )
    };
    let (_, answer) = act(&agency, DEDUCT_PATH, &deduct("d0", 5_001)).await;
    assert_eq!(answer["retCode"], "BIZ2002", "{answer}");
    let (_, answer) = act(&agency, DEDUCT_PATH, &deduct("d1", 2_000)).await;
    assert_eq!(answer["retCode"], "0000", "{answer}");
    assert_eq!(
        (
            &answer["data"]["ctrlStatus"],
            &answer["data"]["frozenAmt"],
            &answer["data"]["deductAmt"]
        ),
        (&json!("10"), &json!("30.00"), &json!("20.00"))
    );
    let wire = account_now(&agency, &who, acct).await;
    assert_eq!(wire["bal"], yuan(account.balance - 2_000));
    assert_eq!(wire["frozenAmt"], "30.00");
    let (_, answer) = act(&agency, DEDUCT_PATH, &deduct("d2", 3_000)).await;
    assert_eq!(answer["data"]["ctrlStatus"], "30", "{answer}");
    let mut no_account = deduct("d3", 100);
    no_account.as_object_mut().map(|o| o.remove("caseAcctNo"));
    let (status, answer) = act(&agency, DEDUCT_PATH, &no_account).await;
    assert_eq!((status, answer["retCode"].as_str()), (400, Some("PARM002")));
}

#[tokio::test]
async fn renews_before_expiry_within_the_longest_term() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let acct = account.acct_no.as_str();
    let done = frozen(&agency, &freeze("f", CASE_A, &who, acct, 1_000)).await;
    let hold = done["data"]["freezeNo"].as_str().expect("hold");
    let renew = |biz_no: &str, days: i64| {
        with(
            on_hold(biz_no, CASE_A, &who, acct, hold),
            json!({ "endDate": end_date(days) }),
        )
    };
    let (_, answer) = act(&agency, RENEW_PATH, &renew("r0", 300 + 367)).await;
    assert_eq!(answer["retCode"], "BIZ2008", "{answer}");
    let (_, answer) = act(&agency, RENEW_PATH, &renew("r1", 600)).await;
    assert_eq!(answer["data"]["endDate"], end_date(600), "{answer}");
    assert_eq!(answer["data"]["ctrlStatus"], "10");
    let (_, answer) = act(&agency, RENEW_PATH, &renew("r2", 500)).await;
    assert_eq!(answer["retCode"], "BIZ2003", "must end later: {answer}");
}

#[tokio::test]
async fn validates_control_requests() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let valid = freeze("v", CASE_A, &who, &account.acct_no, 100);
    let changed = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (changed("bizNo", json!("")), 400, "PARM002"),
        (changed("courtCode", json!("鄂01")), 400, "PARM003"),
        (changed("amt", json!("1.005")), 400, "PARM003"),
        (changed("amt", json!("0")), 400, "PARM003"),
        (changed("endDate", json!("2025-13-01")), 400, "PARM003"),
        (changed("endDate", json!(end_date(-1))), 200, "BIZ2008"),
        (changed("endDate", json!(end_date(400))), 200, "BIZ2008"),
        (
            changed("caseNo", json!("(2024)鄂0116民初1号")),
            400,
            "PARM003",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = act(&agency, FREEZE_PATH, &body).await;
        assert_eq!(
            (got, answer["retCode"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    let unknown = on_hold("u", CASE_A, &who, &account.acct_no, "365DJ999999");
    let (_, answer) = act(&agency, UNFREEZE_PATH, &unknown).await;
    assert_eq!(answer["retCode"], "BIZ2005");
    assert_eq!(status_of(&agency, "never-sent").await["retCode"], "BIZ2004");
}

/// Posts `body` as is and expects the seal refusal `code`; nothing may be recorded.
async fn refused(agency: &RunningAgency, path: &str, body: &Value, code: &str) {
    let (status, answer) = post(agency, path, body).await;
    assert_eq!(
        (status, answer["retCode"].as_str()),
        (200, Some(code)),
        "{answer}"
    );
    assert!(answer["data"].is_null(), "{answer}");
    let biz_no = body["bizNo"].as_str().expect("bizNo");
    assert_eq!(
        status_of(agency, biz_no).await["retCode"],
        "BIZ2004",
        "nothing recorded for {biz_no}"
    );
}

#[tokio::test]
async fn refuses_unsealed_tampered_stale_and_foreign_instructions_before_acting() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let acct = account.acct_no.as_str();
    let demo = crate::demo_keys::instruction_signer();
    let now = now_secs();

    refused(
        &agency,
        FREEZE_PATH,
        &freeze("u", CASE_A, &who, acct, 100),
        "SEAL001",
    )
    .await;

    let mut more = seal_with(
        &demo,
        now,
        FREEZE_PATH,
        &freeze("t1", CASE_A, &who, acct, 100),
    );
    more["amt"] = json!("10000.00");
    refused(&agency, FREEZE_PATH, &more, "SEAL002").await;
    let (_, other) = customer_with(&population, |a| plain(a) && a.acct_no != acct);
    let mut elsewhere = seal_with(
        &demo,
        now,
        FREEZE_PATH,
        &freeze("t2", CASE_A, &who, acct, 100),
    );
    elsewhere["acctNo"] = json!(other.acct_no);
    refused(&agency, FREEZE_PATH, &elsewhere, "SEAL002").await;
    let mut later = seal_with(
        &demo,
        now,
        FREEZE_PATH,
        &freeze("t3", CASE_A, &who, acct, 100),
    );
    later["sealTime"] = json!(now + 1);
    refused(&agency, FREEZE_PATH, &later, "SEAL002").await;
    let mut garbled = seal_with(
        &demo,
        now,
        FREEZE_PATH,
        &freeze("t4", CASE_A, &who, acct, 100),
    );
    garbled["sealSig"] = json!("not base64!");
    refused(&agency, FREEZE_PATH, &garbled, "SEAL002").await;
    let mut partial = seal_with(
        &demo,
        now,
        FREEZE_PATH,
        &freeze("t5", CASE_A, &who, acct, 100),
    );
    partial.as_object_mut().map(|o| o.remove("sealTime"));
    refused(&agency, FREEZE_PATH, &partial, "SEAL002").await;

    let stale_at = now - FRESHNESS_SECS - 60;
    let stale = seal_with(
        &demo,
        stale_at,
        FREEZE_PATH,
        &freeze("s", CASE_A, &who, acct, 100),
    );
    refused(&agency, FREEZE_PATH, &stale, "SEAL003").await;
    let early = seal_with(
        &demo,
        now + FRESHNESS_SECS + 60,
        FREEZE_PATH,
        &freeze("s2", CASE_A, &who, acct, 100),
    );
    refused(&agency, FREEZE_PATH, &early, "SEAL003").await;

    let stranger = InstructionSigner::from_seed("demo-1", &B64.encode([7u8; 32])).expect("seed");
    let forged = seal_with(
        &stranger,
        now,
        FREEZE_PATH,
        &freeze("f1", CASE_A, &who, acct, 100),
    );
    refused(&agency, FREEZE_PATH, &forged, "SEAL002").await;
    let unknown = InstructionSigner::from_seed("court-9", &B64.encode([7u8; 32])).expect("seed");
    let (_, answer) = post(
        &agency,
        FREEZE_PATH,
        &seal_with(
            &unknown,
            now,
            FREEZE_PATH,
            &freeze("f2", CASE_A, &who, acct, 100),
        ),
    )
    .await;
    assert_eq!(answer["retCode"], "SEAL002", "{answer}");
    assert!(
        answer["retMsg"]
            .as_str()
            .is_some_and(|m| m.contains("未登记")),
        "{answer}"
    );

    assert_eq!(
        account_now(&agency, &who, acct).await["frozenAmt"],
        "0.00",
        "no refused instruction froze anything"
    );

    // The same freeze, properly sealed, is acted on; a later release must be sealed too.
    let done = frozen(&agency, &freeze("ok", CASE_A, &who, acct, 100)).await;
    assert_eq!(done["data"]["ctrlStatus"], "10", "{done}");
    let hold = done["data"]["freezeNo"].as_str().expect("hold");
    let release = on_hold("rel", CASE_A, &who, acct, hold);
    refused(&agency, UNFREEZE_PATH, &release, "SEAL001").await;
    let mut other_hold = seal_with(&demo, now, UNFREEZE_PATH, &release);
    other_hold["freezeNo"] = json!("365DJ999999");
    refused(&agency, UNFREEZE_PATH, &other_hold, "SEAL002").await;
    assert_eq!(
        account_now(&agency, &who, acct).await["frozenAmt"],
        "1.00",
        "still frozen"
    );
}

#[tokio::test]
async fn a_stale_seal_is_refused_even_for_a_known_biz_no() {
    let (agency, population) = start_bank(settings()).await;
    let (who, account) = customer_with(&population, plain);
    let body = freeze("f-s", CASE_A, &who, &account.acct_no, 200);
    let first = frozen(&agency, &body).await;
    // A fresh resend of the same signed bytes is an idempotent retry.
    let now = now_secs();
    let resent = seal_with(
        &crate::demo_keys::instruction_signer(),
        now,
        FREEZE_PATH,
        &body,
    );
    let (_, replay) = post(&agency, FREEZE_PATH, &resent).await;
    assert_eq!(replay["data"], first["data"], "{replay}");
    // Captured bytes replayed after the window are refused, not answered.
    let old = seal_with(
        &crate::demo_keys::instruction_signer(),
        now - FRESHNESS_SECS - 60,
        FREEZE_PATH,
        &body,
    );
    let (_, answer) = post(&agency, FREEZE_PATH, &old).await;
    assert_eq!(answer["retCode"], "SEAL003", "{answer}");
    assert!(answer["data"].is_null());
}

#[tokio::test]
async fn trusts_the_configured_keys_instead_of_the_demo_key() {
    let court = InstructionSigner::from_seed("court-2", &B64.encode([3u8; 32])).expect("seed");
    let settings = Settings {
        instruction_keys: vec![InstructionKey {
            key_id: "court-2".into(),
            public_key: court.public_key(),
        }],
        ..settings()
    };
    let (agency, population) = start_bank(settings).await;
    let (who, account) = customer_with(&population, plain);
    let body = freeze("k", CASE_A, &who, &account.acct_no, 100);
    let demo = seal_with(
        &crate::demo_keys::instruction_signer(),
        now_secs(),
        FREEZE_PATH,
        &body,
    );
    refused(&agency, FREEZE_PATH, &demo, "SEAL002").await;
    let sealed = seal_with(&court, now_secs(), FREEZE_PATH, &body);
    let (_, answer) = post(&agency, FREEZE_PATH, &sealed).await;
    assert_eq!(answer["retCode"], "0000", "{answer}");
}

#[tokio::test]
async fn with_the_never_decide_fault_a_freeze_stays_processing_for_good() {
    let (agency, population) = start_bank(settings()).await;
    agency.knobs.faults().add_rules([crate::FaultRule {
        never_decide_rate: 1.0,
        ..crate::FaultRule::on(FREEZE_PATH)
    }]);
    let (who, account) = customer_with(&population, plain);
    let body = freeze("f-never", CASE_A, &who, &account.acct_no, 5_000);
    let (status, answer) = act(&agency, FREEZE_PATH, &body).await;
    assert_eq!((status, answer["retCode"].as_str()), (200, Some("0000")));
    assert_eq!(answer["data"]["ctrlStatus"], "00", "{answer}");
    assert!(answer["data"]["freezeNo"].as_str().is_some(), "a ticket");
    // Many decision delays (50 ms) later, still processing.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let answer = status_of(&agency, "f-never").await;
    assert_eq!(answer["data"]["ctrlStatus"], "00", "{answer}");
    assert_eq!(agency.knobs.faults().counts().never_decided, 1);

    // Switched off, the next freeze is decided as usual.
    agency.knobs.faults().remove_rules(None);
    let other = freeze("f-decided", CASE_A, &who, &account.acct_no, 1_000);
    let answer = frozen(&agency, &other).await;
    assert_ne!(answer["data"]["ctrlStatus"], "00", "{answer}");
}
