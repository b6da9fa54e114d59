//! The control endpoints over signed HTTP: asynchronous freezes, release, deduction, renewal,
//! status by `bizNo`, queues between courts, idempotency and the bank's refusals.

use super::{inquiry, post, start_bank};
use crate::bank::data::{Account, AccountStatus};
use crate::bank::{
    holdings, Settings, CONTROL_QUERY_PATH, DEDUCT_PATH, FREEZE_PATH, INQUIRY_PATH, RENEW_PATH,
    UNFREEZE_PATH,
};
use crate::population::DebtorRecord;
use crate::{Population, RunningAgency};
use assethub_connectors::domain::{CaseNumber, CivilDate, Fen};
use serde_json::{json, Value};
use std::time::Duration;

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
    let (status, answer) = post(agency, FREEZE_PATH, body).await;
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
    let (status, answer) = post(&agency, FREEZE_PATH, &body).await;
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
    let (status, answer) = post(
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
    let (_, answer) = post(&agency, FREEZE_PATH, &wrong_name).await;
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
    let (_, replay) = post(&agency, FREEZE_PATH, &again).await;
    assert_eq!(replay["data"], first["data"], "{replay}");
    assert_eq!(replay["reqId"], "req-retry");
    assert_eq!(
        account_now(&agency, &who, &account.acct_no).await["frozenAmt"],
        "30.00"
    );
    let reused = freeze("f-r", CASE_A, &who, &account.acct_no, 4_000);
    let (_, answer) = post(&agency, FREEZE_PATH, &reused).await;
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
    let (_, answer) = post(
        &agency,
        UNFREEZE_PATH,
        &on_hold("x", CASE_B, &who, acct, hold),
    )
    .await;
    assert_eq!(answer["retCode"], "BIZ2007", "{answer}");

    let (_, released) = post(
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
    let (_, answer) = post(&agency, DEDUCT_PATH, &deduct("d0", 5_001)).await;
    assert_eq!(answer["retCode"], "BIZ2002", "{answer}");
    let (_, answer) = post(&agency, DEDUCT_PATH, &deduct("d1", 2_000)).await;
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
    let (_, answer) = post(&agency, DEDUCT_PATH, &deduct("d2", 3_000)).await;
    assert_eq!(answer["data"]["ctrlStatus"], "30", "{answer}");
    let mut no_account = deduct("d3", 100);
    no_account.as_object_mut().map(|o| o.remove("caseAcctNo"));
    let (status, answer) = post(&agency, DEDUCT_PATH, &no_account).await;
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
    let (_, answer) = post(&agency, RENEW_PATH, &renew("r0", 300 + 367)).await;
    assert_eq!(answer["retCode"], "BIZ2008", "{answer}");
    let (_, answer) = post(&agency, RENEW_PATH, &renew("r1", 600)).await;
    assert_eq!(answer["data"]["endDate"], end_date(600), "{answer}");
    assert_eq!(answer["data"]["ctrlStatus"], "10");
    let (_, answer) = post(&agency, RENEW_PATH, &renew("r2", 500)).await;
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
        let (got, answer) = post(&agency, FREEZE_PATH, &body).await;
        assert_eq!(
            (got, answer["retCode"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    let unknown = on_hold("u", CASE_A, &who, &account.acct_no, "365DJ999999");
    let (_, answer) = post(&agency, UNFREEZE_PATH, &unknown).await;
    assert_eq!(answer["retCode"], "BIZ2005");
    assert_eq!(status_of(&agency, "never-sent").await["retCode"], "BIZ2004");
}
