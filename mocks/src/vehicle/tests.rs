//! The administration over HTTP: its signature check, parameter validation and answers,
//! driven with a plain HTTP client.

use super::{sign, Settings, APP_KEY_HEADER, QUERY_PATH, SIGN_HEADER, TIMESTAMP_HEADER};
use crate::population::{DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use serde_json::Value;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

const KEY: &str = "hb-vehicle-demo";
const SECRET: &str = "hb-vehicle-secret";
const CASE: &str = "(2024)鄂0116执1234号";

async fn administration() -> RunningAgency {
    let config = AgencyConfig {
        name: "vehicle-test".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Vehicle(Settings::demo(0)),
    };
    start(&config, Arc::new(Population::generate(6, 50)))
        .await
        .expect("administration starts")
}

fn now_ms() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string()
}

/// Sends a query with the given credentials headers (None: header left out).
async fn get(
    agency: &RunningAgency,
    params: &[(&str, &str)],
    key: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .get(format!("{}{QUERY_PATH}", agency.base_url()))
        .query(params);
    for (name, value) in [
        (APP_KEY_HEADER, key),
        (TIMESTAMP_HEADER, timestamp),
        (SIGN_HEADER, signature),
    ] {
        if let Some(value) = value {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.expect("administration answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.expect("JSON body");
    (status, body)
}

async fn signed(agency: &RunningAgency, params: &[(&str, &str)]) -> (u16, Value) {
    let ts = now_ms();
    let signature = sign(KEY, &ts, SECRET);
    get(agency, params, Some(KEY), Some(&ts), Some(&signature)).await
}

fn person<'a>(id: &'a str, name: &'a str) -> [(&'static str, &'a str); 4] {
    [("sfzmhm", id), ("xm", name), ("ah", CASE), ("lsh", "LSH-1")]
}

#[tokio::test]
async fn refuses_bad_credentials_with_401_and_its_own_codes() {
    let agency = administration().await;
    let params = person(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let ts = now_ms();
    let good = sign(KEY, &ts, SECRET);
    let stale = "1600000000000";
    let stale_sign = sign(KEY, stale, SECRET);
    let wrong = sign(KEY, &ts, "not-the-secret");
    let cases = [
        (None, Some(ts.as_str()), Some(good.as_str()), 4011),
        (Some("other-app"), Some(&ts), Some(&good), 4011),
        (Some(KEY), None, Some(&good), 4013),
        (Some(KEY), Some(stale), Some(&stale_sign), 4013),
        (Some(KEY), Some(&ts), None, 4012),
        (Some(KEY), Some(&ts), Some(&wrong), 4012),
    ];
    for (key, timestamp, signature, expected) in cases {
        let (status, body) = get(&agency, &params, key, timestamp, signature).await;
        assert_eq!(status, 401, "{key:?} {timestamp:?}");
        assert_eq!(body["code"], expected, "{body}");
        assert!(body["data"].is_null());
    }
    assert_eq!(agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn validates_parameters_with_400() {
    let agency = administration().await;
    let cases: [&[(&str, &str)]; 7] = [
        &[("xm", DEMO_PERSON_NAME), ("ah", CASE), ("lsh", "1")],
        &[
            ("sfzmhm", "110105194912310021"),
            ("xm", DEMO_PERSON_NAME),
            ("ah", CASE),
            ("lsh", "1"),
        ],
        &[("sfzmhm", DEMO_PERSON_ID), ("ah", CASE), ("lsh", "1")],
        &[
            ("sfzmhm", DEMO_PERSON_ID),
            ("xm", DEMO_PERSON_NAME),
            ("lsh", "1"),
        ],
        &[
            ("sfzmhm", DEMO_PERSON_ID),
            ("xm", DEMO_PERSON_NAME),
            ("ah", "(2024)鄂0116民初1号"),
            ("lsh", "1"),
        ],
        &[
            ("sfzmhm", DEMO_PERSON_ID),
            ("xm", DEMO_PERSON_NAME),
            ("ah", CASE),
        ],
        &[
            ("sfzmhm", DEMO_PERSON_ID),
            ("xm", " "),
            ("ah", CASE),
            ("lsh", "1"),
        ],
    ];
    for params in cases {
        let (status, body) = signed(&agency, params).await;
        assert_eq!(status, 400, "{params:?}");
        assert_eq!(body["code"], 4001, "{body}");
    }
    assert_eq!(agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn answers_found_no_record_and_name_mismatch() {
    let agency = administration().await;
    let (status, body) = signed(&agency, &person(DEMO_COMPANY_ID, DEMO_COMPANY_NAME)).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 1);
    assert_eq!(body["message"], "成功");
    assert_eq!(body["data"]["fkdw"], "湖北省公安厅交通管理局车管所");
    let rows = body["data"]["rows"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty());
    assert_eq!(body["data"]["total"], rows.len());
    for row in rows {
        assert!(
            row["hphm"].as_str().is_some_and(|p| p.starts_with('闽')),
            "{row}"
        );
        assert_eq!(row["clsbdh"].as_str().map(str::len), Some(17));
    }

    let (status, body) = signed(&agency, &person(DEMO_PERSON_ID, "李四")).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(2002)));
    assert!(body["data"].is_null());

    let (status, body) = signed(&agency, &person("110105194912310038", "王五")).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(2001)));
    assert_eq!(agency.knobs.inquiries(), 3);
}
