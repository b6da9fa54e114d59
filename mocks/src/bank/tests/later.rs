//! The bank answering later (`answer_delay_ms`): tickets, repeated request ids, the result
//! endpoint before and after the delay, lost tickets. The delay runs on tokio's clock, which
//! the tests move forward at once.

use super::{inquiry, post, start_bank, CASE};
use crate::bank::{Settings, INQUIRY_PATH, INQUIRY_RESULT_PATH};
use crate::faults::FaultRule;
use crate::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use serde_json::{json, Value};
use std::time::Duration;

fn later() -> Settings {
    Settings {
        answer_delay_ms: Some(600_000),
        ..Settings::demo(0)
    }
}

fn with_req_id(mut body: Value, req_id: &str) -> Value {
    body["reqId"] = json!(req_id);
    body
}

fn result(ticket: &str) -> Value {
    json!({"reqId": "look-1", "caseNo": CASE, "ticketNo": ticket})
}

async fn skip(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

#[tokio::test]
async fn takes_an_inquiry_with_a_ticket_and_answers_it_after_the_delay() {
    let (agency, _) = start_bank(later()).await;
    let body = with_req_id(inquiry(DEMO_PERSON_ID, DEMO_PERSON_NAME), "key-1");
    let (status, taken) = post(&agency, INQUIRY_PATH, &body).await;
    assert_eq!(
        (status, taken["retCode"].as_str()),
        (200, Some("0001")),
        "{taken}"
    );
    assert_eq!(taken["reqId"], "key-1");
    let ticket = taken["data"]["ticketNo"]
        .as_str()
        .expect("a ticket")
        .to_string();
    assert!(ticket.starts_with("365CX"), "{ticket}");
    assert_eq!(taken["data"]["expectedSecs"], 600);

    // The same key again: the same ticket, still one inquiry.
    let (_, again) = post(&agency, INQUIRY_PATH, &body).await;
    assert_eq!(again["data"]["ticketNo"], ticket.as_str());
    assert_eq!(agency.knobs.distinct_inquiries(DEMO_PERSON_ID, CASE), 1);

    let (_, early) = post(&agency, INQUIRY_RESULT_PATH, &result(&ticket)).await;
    assert_eq!(early["retCode"], "0001", "{early}");
    skip(Duration::from_secs(601)).await;
    let (_, answer) = post(&agency, INQUIRY_RESULT_PATH, &result(&ticket)).await;
    assert_eq!(answer["retCode"], "0000", "{answer}");
    assert_eq!(answer["reqId"], "look-1");
    assert!(answer["data"]["accounts"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));

    // Another key is another inquiry.
    let other = with_req_id(inquiry(DEMO_PERSON_ID, DEMO_PERSON_NAME), "key-2");
    let (_, second) = post(&agency, INQUIRY_PATH, &other).await;
    assert_ne!(second["data"]["ticketNo"], ticket.as_str());
    assert_eq!(agency.knobs.distinct_inquiries(DEMO_PERSON_ID, CASE), 2);

    let (_, unknown) = post(&agency, INQUIRY_RESULT_PATH, &result("365CX9999999999")).await;
    assert_eq!(unknown["retCode"], "BIZ1004", "{unknown}");
}

#[tokio::test]
async fn loses_tickets_under_fault_injection() {
    let (agency, _) = start_bank(later()).await;
    agency.knobs.faults().add_rules([FaultRule {
        lose_ticket_rate: 1.0,
        ..FaultRule::on(INQUIRY_PATH)
    }]);
    let body = with_req_id(inquiry(DEMO_PERSON_ID, DEMO_PERSON_NAME), "key-lost");
    let (_, taken) = post(&agency, INQUIRY_PATH, &body).await;
    let ticket = taken["data"]["ticketNo"]
        .as_str()
        .expect("a ticket")
        .to_string();
    skip(Duration::from_secs(601)).await;
    let (_, lost) = post(&agency, INQUIRY_RESULT_PATH, &result(&ticket)).await;
    assert_eq!(lost["retCode"], "BIZ1004", "{lost}");
    assert_eq!(agency.knobs.faults().counts().lost_tickets, 1);
}
