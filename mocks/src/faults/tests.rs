//! Fault injection seen from a real HTTP client (reqwest) against an in-process mock bank:
//! one test per fault kind, per-endpoint scoping, the admin API, seeds and the start config.
//! Requests go unsigned: the bank answers them 401 with a JSON envelope, which is all a fault
//! needs to act on (or to leave alone).

use super::{FaultRule, Faults, FaultsConfig, FaultsView};
use crate::bank::{Settings, CONTROL_QUERY_PATH, FREEZE_PATH, INQUIRY_PATH};
use crate::{AgencyConfig, AgencySpec, FamilySettings, Population, RunningAgency};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn start_with(rules: Vec<FaultRule>) -> RunningAgency {
    let config = AgencyConfig {
        name: "bank-faults".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Bank(Settings::demo(0)),
    };
    let faults = FaultsConfig {
        seed: Some(42),
        rules,
    };
    crate::server::start_with_faults(&config, &faults, Arc::new(Population::generate(7, 50)))
        .await
        .expect("bank starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn send(agency: &RunningAgency, path: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}{path}", agency.base_url()))
        .json(&json!({"reqId": "r-1"}))
        .send()
        .await
}

/// The bank's own answer to an unsigned request: 401 with a JSON envelope.
async fn plain_answer(agency: &RunningAgency, path: &str) -> (u16, Vec<u8>) {
    let response = send(agency, path).await.expect("answered");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("whole body").to_vec())
}

#[tokio::test]
async fn error_rate_answers_the_chosen_status() {
    let agency = start_with(vec![FaultRule {
        error_rate: 1.0,
        error_status: 502,
        ..FaultRule::on("*")
    }])
    .await;
    let response = send(&agency, INQUIRY_PATH).await.expect("answered");
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(agency.knobs.faults().counts().error, 1);
    assert_eq!(agency.knobs.faults().injected(), 1);
}

#[tokio::test]
async fn reset_drops_the_connection_without_a_response() {
    let agency = start_with(vec![FaultRule {
        reset_rate: 1.0,
        ..FaultRule::on(INQUIRY_PATH)
    }])
    .await;
    let error = send(&agency, INQUIRY_PATH)
        .await
        .expect_err("no HTTP response");
    assert!(!error.is_status(), "{error:?}");
    assert!(error.status().is_none(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert_eq!(agency.knobs.faults().counts().reset, 1);
    // The agency itself is fine: another endpoint answers.
    assert_eq!(plain_answer(&agency, FREEZE_PATH).await.0, 401);
}

#[tokio::test]
async fn hang_outlasts_the_client_timeout_without_blocking_others() {
    let agency = start_with(vec![FaultRule {
        hang_rate: 1.0,
        ..FaultRule::on(INQUIRY_PATH)
    }])
    .await;
    let url = format!("{}{INQUIRY_PATH}", agency.base_url());
    let hung = tokio::spawn(async move {
        client()
            .post(url)
            .timeout(Duration::from_millis(400))
            .json(&json!({}))
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    assert_eq!(plain_answer(&agency, FREEZE_PATH).await.0, 401);
    // The hung request is held for an hour; the other one is answered at once (the bound is
    // loose for a loaded machine).
    assert!(started.elapsed() < Duration::from_secs(2));
    let error = hung.await.expect("joined").expect_err("never answered");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(agency.knobs.faults().counts().hang, 1);

    // Stopping the agency ends a hang (504) instead of waiting an hour for it.
    let waiting = tokio::spawn(send_owned(agency.base_url()));
    while agency.knobs.faults().counts().hang < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::timeout(Duration::from_secs(5), agency.shutdown())
        .await
        .expect("shutdown does not wait for hung requests");
    let answer = waiting
        .await
        .expect("joined")
        .expect("answered at shutdown");
    assert_eq!(answer.status().as_u16(), 504);
}

async fn send_owned(base_url: String) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{base_url}{INQUIRY_PATH}"))
        .json(&json!({}))
        .send()
        .await
}

#[tokio::test]
async fn throttle_answers_429_with_retry_after() {
    let agency = start_with(vec![FaultRule {
        throttle_rate: 1.0,
        retry_after_secs: 7,
        ..FaultRule::on("*")
    }])
    .await;
    let response = send(&agency, INQUIRY_PATH).await.expect("answered");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(agency.knobs.faults().counts().throttle, 1);
}

#[tokio::test]
async fn malformed_body_keeps_the_content_type_but_does_not_decode() {
    let agency = start_with(vec![FaultRule {
        malformed_rate: 1.0,
        ..FaultRule::on(INQUIRY_PATH)
    }])
    .await;
    let response = send(&agency, INQUIRY_PATH).await.expect("answered");
    assert_eq!(response.status().as_u16(), 401);
    let content_type = response.headers()["content-type"].to_str().unwrap_or("");
    assert!(content_type.contains("json"), "{content_type}");
    let decoded = response.json::<Value>().await;
    assert!(decoded.unwrap_err().is_decode());
    assert_eq!(agency.knobs.faults().counts().malformed, 1);
}

#[tokio::test]
async fn truncated_body_fails_to_read() {
    let agency = start_with(vec![FaultRule {
        truncated_rate: 1.0,
        ..FaultRule::on(INQUIRY_PATH)
    }])
    .await;
    let (_, whole) = plain_answer(&agency, FREEZE_PATH).await;
    let response = send(&agency, INQUIRY_PATH).await.expect("head arrives");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.content_length(),
        Some(whole.len() as u64),
        "declares the whole length"
    );
    let error = response.bytes().await.expect_err("the body is cut");
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    assert_eq!(agency.knobs.faults().counts().truncated, 1);
}

#[tokio::test]
async fn slow_body_takes_longer_but_is_complete() {
    let agency = start_with(vec![FaultRule {
        slow_body_rate: 1.0,
        slow_body_chunk_bytes: 16,
        slow_body_delay_ms: 20,
        ..FaultRule::on(FREEZE_PATH)
    }])
    .await;
    // The freeze and inquiry paths answer the same 401 envelope to an unsigned request.
    let (status, fast) = plain_answer(&agency, INQUIRY_PATH).await;
    let started = Instant::now();
    let (slow_status, slow) = plain_answer(&agency, FREEZE_PATH).await;
    let chunks = fast.len().div_ceil(16) as u32;
    assert!(chunks >= 3, "a body of {} bytes", fast.len());
    assert!(started.elapsed() >= Duration::from_millis(20) * chunks);
    assert_eq!((slow_status, slow), (status, fast));
    assert_eq!(agency.knobs.faults().counts().slow_body, 1);
}

#[tokio::test]
async fn latency_and_long_tail_delay_the_answer() {
    let agency = start_with(vec![FaultRule {
        latency_ms: 100,
        jitter_ms: 20,
        long_tail_rate: 1.0,
        long_tail_ms: 150,
        ..FaultRule::on(INQUIRY_PATH)
    }])
    .await;
    let started = Instant::now();
    assert_eq!(plain_answer(&agency, INQUIRY_PATH).await.0, 401);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let counts = agency.knobs.faults().counts();
    assert_eq!((counts.latency, counts.long_tail), (1, 1));
}

#[tokio::test]
async fn a_rule_on_the_freeze_path_leaves_inquiries_alone() {
    let agency = start_with(vec![
        FaultRule {
            error_rate: 1.0,
            ..FaultRule::on(FREEZE_PATH)
        },
        FaultRule {
            throttle_rate: 1.0,
            ..FaultRule::on("/gateway/v2/judicial/control/*")
        },
    ])
    .await;
    for _ in 0..5 {
        assert_eq!(plain_answer(&agency, INQUIRY_PATH).await.0, 401);
        assert_eq!(send(&agency, FREEZE_PATH).await.unwrap().status(), 503);
        assert_eq!(
            send(&agency, CONTROL_QUERY_PATH).await.unwrap().status(),
            429
        );
    }
    let counts = agency.knobs.faults().counts();
    assert_eq!((counts.error, counts.throttle, counts.total), (5, 5, 10));
}

#[tokio::test]
async fn rules_are_added_listed_and_removed_over_the_admin_api() {
    let agency = start_with(Vec::new()).await;
    let admin = format!("{}/__admin/faults", agency.base_url());
    let http = client();
    assert_eq!(plain_answer(&agency, INQUIRY_PATH).await.0, 401);

    let added: FaultsView = http
        .post(&admin)
        .json(&json!({"seed": 9, "rules": [
            {"endpoint": INQUIRY_PATH, "error_rate": 1.0, "error_status": 500},
            {"endpoint": FREEZE_PATH, "throttle_rate": 1.0, "retry_after_secs": 3},
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((added.seed, added.rules.len()), (9, 2));
    assert_eq!(send(&agency, INQUIRY_PATH).await.unwrap().status(), 500);
    assert_eq!(send(&agency, FREEZE_PATH).await.unwrap().status(), 429);

    let view: FaultsView = http.get(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!((view.injected.error, view.injected.throttle), (1, 1));
    assert_eq!(view.injected.total, 2);

    let left: FaultsView = http
        .delete(format!("{admin}?endpoint={INQUIRY_PATH}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(left.rules.len(), 1);
    assert_eq!(plain_answer(&agency, INQUIRY_PATH).await.0, 401);
    assert_eq!(send(&agency, FREEZE_PATH).await.unwrap().status(), 429);

    let none: FaultsView = http
        .delete(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none.rules.is_empty());
    assert_eq!(none.injected.total, 3, "counts survive removing rules");
    assert_eq!(plain_answer(&agency, FREEZE_PATH).await.0, 401);

    let refused = http
        .post(&admin)
        .json(&json!({"rules": [{"endpoint": "*", "eror_rate": 1.0}]}))
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "a misspelt field");
}

#[tokio::test]
async fn legacy_knobs_still_work_and_are_counted() {
    let agency = start_with(Vec::new()).await;
    agency.knobs.fail_next(1);
    agency.knobs.throttle_next(1, Duration::from_secs(2));
    assert_eq!(send(&agency, INQUIRY_PATH).await.unwrap().status(), 429);
    assert_eq!(send(&agency, INQUIRY_PATH).await.unwrap().status(), 503);
    assert_eq!(plain_answer(&agency, INQUIRY_PATH).await.0, 401);
    let counts = agency.knobs.faults().counts();
    assert_eq!((counts.error, counts.throttle), (1, 1));
}

fn outcomes(seed: u64) -> Vec<String> {
    let faults = Faults::default();
    faults.configure(&FaultsConfig {
        seed: Some(seed),
        rules: vec![FaultRule {
            error_rate: 0.3,
            hang_rate: 0.1,
            malformed_rate: 0.3,
            jitter_ms: 50,
            ..FaultRule::on("*")
        }],
    });
    (0..200)
        .map(|_| format!("{:?}", faults.plan(INQUIRY_PATH)))
        .collect()
}

#[test]
fn the_same_seed_injects_the_same_faults() {
    assert_eq!(outcomes(5), outcomes(5));
    assert_ne!(outcomes(5), outcomes(6));
    let errors = outcomes(5).iter().filter(|p| p.contains("Error")).count();
    assert!((30..=90).contains(&errors), "{errors} errors in 200 at 30%");
}

#[test]
fn endpoints_match_exactly_by_prefix_or_all() {
    assert!(FaultRule::on("*").matches("/anything"));
    assert!(FaultRule::on(FREEZE_PATH).matches(FREEZE_PATH));
    assert!(!FaultRule::on(FREEZE_PATH).matches(INQUIRY_PATH));
    assert!(FaultRule::on("/gateway/*").matches(INQUIRY_PATH));
    assert!(!FaultRule::on("/oauth/*").matches(INQUIRY_PATH));
}

#[test]
fn agency_files_take_an_optional_faults_table() {
    let with: AgencySpec = toml::from_str(
        r#"
        name = "bank-x"
        port = 0
        latency_ms = 5
        family = "bank"
        bank_name = "X"
        bank_code = "365"
        api_key = "k"
        api_secret = "s"

        [faults]
        seed = 11

        [[faults.rules]]
        endpoint = "/gateway/v2/judicial/freeze"
        never_decide_rate = 1.0
        error_rate = 0.2
        "#,
    )
    .expect("parses");
    assert_eq!(with.agency.name, "bank-x");
    assert_eq!(with.faults.seed, Some(11));
    assert_eq!(with.faults.rules[0].error_rate, 0.2);
    assert_eq!(with.faults.rules[0].error_status, 503, "defaults fill in");
    let without: AgencySpec = toml::from_str(
        r#"
        name = "bank-y"
        port = 0
        latency_ms = 5
        family = "bank"
        bank_name = "Y"
        bank_code = "366"
        api_key = "k"
        api_secret = "s"
        "#,
    )
    .expect("parses");
    assert_eq!(without.faults, FaultsConfig::default());
}
