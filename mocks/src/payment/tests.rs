//! The payment platform over HTTP, driven with reqwest: client authentication, bearer tokens,
//! parameter validation, the three business answers and the quota.

use super::{
    Settings, TokenStats, ADMIN_REVOKE_PATH, ADMIN_TOKENS_PATH, HOLDINGS_PATH, TOKEN_PATH,
};
use crate::population::{DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;

const CASE: &str = "(2024)鄂0116执1234号";

async fn platform(settings: Settings) -> RunningAgency {
    let config = AgencyConfig {
        name: "pay-test".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Payment(settings),
    };
    start(&config, Arc::new(Population::generate(42, 100)))
        .await
        .expect("platform starts")
}

fn url(agency: &RunningAgency, path: &str) -> String {
    format!("{}{path}", agency.base_url())
}

async fn token(agency: &RunningAgency, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url(agency, TOKEN_PATH))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn access_token(agency: &RunningAgency) -> String {
    let settings = Settings::demo(0);
    let body: Value = token(agency, &settings.client_id, &settings.client_secret)
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

fn inquiry<'a>(cert_type: &'a str, cert_no: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("cert_type", cert_type),
        ("cert_no", cert_no),
        ("name", name),
        ("case_no", CASE),
        ("request_id", "req-1"),
    ]
}

async fn ask(agency: &RunningAgency, token: &str, params: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .get(url(agency, HOLDINGS_PATH))
        .bearer_auth(token)
        .query(params)
        .send()
        .await
        .unwrap()
}

async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn issues_tokens_to_the_client_with_basic_auth_only() {
    let agency = platform(Settings::demo(0)).await;
    let (status, body) =
        json(token(&agency, "xinfu-court-client", "xinfu-demo-secret").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));

    let refused = token(&agency, "xinfu-court-client", "wrong").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(json(refused).await.1["error"], "invalid_client");
    let (status, body) = json(token(&agency, "someone-else", "xinfu-demo-secret").await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let client = reqwest::Client::new();
    let in_body = client
        .post(url(&agency, TOKEN_PATH))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "xinfu-court-client"),
            ("client_secret", "xinfu-demo-secret"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json(in_body).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    for (form, error) in [
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![], "invalid_request"),
        (
            vec![("grant_type", "client_credentials"), ("scope", "payments")],
            "invalid_scope",
        ),
    ] {
        let response = client
            .post(url(&agency, TOKEN_PATH))
            .basic_auth("xinfu-court-client", Some("xinfu-demo-secret"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(error)),
            "{form:?}"
        );
    }
    let not_a_form = client
        .post(url(&agency, TOKEN_PATH))
        .basic_auth("xinfu-court-client", Some("xinfu-demo-secret"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), StatusCode::BAD_REQUEST);

    let stats: TokenStats = reqwest::get(url(&agency, ADMIN_TOKENS_PATH))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats,
        TokenStats {
            issued: 1,
            active: 1
        }
    );
}

#[tokio::test]
async fn the_api_wants_a_valid_bearer_token() {
    let agency = platform(Settings::demo(0)).await;
    let params = inquiry("IDCARD", DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let anonymous = reqwest::Client::new()
        .get(url(&agency, HOLDINGS_PATH))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(anonymous).await.1["error"], "invalid_request");

    let forged = ask(&agency, "0123456789abcdef0123456789abcdef", &params).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let challenge = forged.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(json(forged).await.1["error"], "invalid_token");

    let token = access_token(&agency).await;
    assert_eq!(ask(&agency, &token, &params).await.status(), StatusCode::OK);
    reqwest::Client::new()
        .post(url(&agency, ADMIN_REVOKE_PATH))
        .send()
        .await
        .unwrap();
    let revoked = ask(&agency, &token, &params).await;
    assert_eq!(
        json(revoked).await,
        (StatusCode::UNAUTHORIZED, json_error("invalid_token"))
    );
    assert_eq!(agency.knobs.inquiries(), 1);
}

fn json_error(error: &str) -> Value {
    serde_json::json!({"error": error, "error_description": "the access token is not known or was revoked"})
}

#[tokio::test(start_paused = true)]
async fn tokens_expire() {
    let agency = platform(Settings {
        token_ttl_secs: 60,
        ..Settings::demo(0)
    })
    .await;
    let token = access_token(&agency).await;
    let params = inquiry("IDCARD", DEMO_PERSON_ID, DEMO_PERSON_NAME);
    assert_eq!(ask(&agency, &token, &params).await.status(), StatusCode::OK);
    tokio::time::advance(std::time::Duration::from_secs(61)).await;
    let (status, body) = json(ask(&agency, &token, &params).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(body["error_description"], "the access token expired");
}

#[tokio::test]
async fn answers_holdings_not_found_and_name_mismatch() {
    let agency = platform(Settings::demo(1)).await;
    let token = access_token_of(&agency, &Settings::demo(1)).await;

    let (status, body) = json(
        ask(
            &agency,
            &token,
            &inquiry("IDCARD", DEMO_PERSON_ID, DEMO_PERSON_NAME),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result_code"], "SUCCESS");
    assert_eq!(body["request_id"], "req-1");
    assert!(body["user_id"]
        .as_str()
        .is_some_and(|u| u.starts_with("2088")));
    let holdings = body["holdings"].as_array().unwrap();
    assert!(!holdings.is_empty());
    for h in holdings {
        assert!(matches!(h["product"].as_str(), Some("BALANCE" | "FUND")));
        assert!(h["amount_fen"].is_i64());
    }

    let (_, body) = json(
        ask(
            &agency,
            &token,
            &inquiry("USCC", DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
        )
        .await,
    )
    .await;
    assert_eq!(body["result_code"], "SUCCESS");
    let products: Vec<_> = body["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["product"].clone())
        .collect();
    assert!(products.contains(&Value::from("MERCHANT")), "{products:?}");

    let (status, body) = json(
        ask(
            &agency,
            &token,
            &inquiry("IDCARD", "110101199003070011", "王五"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result_code"], "USER_NOT_EXIST");
    assert!(body.get("holdings").is_none());

    let (status, body) =
        json(ask(&agency, &token, &inquiry("IDCARD", DEMO_PERSON_ID, "王五")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result_code"], "CERT_NAME_MISMATCH");

    // A credit code is not an identity card number.
    let (_, body) = json(
        ask(
            &agency,
            &token,
            &inquiry("IDCARD", DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
        )
        .await,
    )
    .await;
    assert_eq!(body["result_code"], "INVALID_PARAMETER");
    assert_eq!(agency.knobs.inquiries(), 4);
}

async fn access_token_of(agency: &RunningAgency, settings: &Settings) -> String {
    let body: Value = token(agency, &settings.client_id, &settings.client_secret)
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn validates_every_parameter() {
    let agency = platform(Settings::demo(0)).await;
    let token = access_token(&agency).await;
    let full = inquiry("IDCARD", DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for field in ["cert_type", "cert_no", "name", "case_no", "request_id"] {
        let params: Vec<_> = full.iter().filter(|(k, _)| *k != field).copied().collect();
        let (status, body) = json(ask(&agency, &token, &params).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(body["result_code"], "MISSING_PARAMETER", "{field}");
        assert_eq!(body["result_msg"], format!("{field} is required"));
    }
    let invalid = [
        ("cert_type", "PASSPORT"),
        ("cert_no", "110105194912310021"),
        ("case_no", "(2024)鄂0116民初1234号"),
        ("request_id", "has spaces in it"),
    ];
    for (field, value) in invalid {
        let params: Vec<_> = full
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let (status, body) = json(ask(&agency, &token, &params).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(body["result_code"], "INVALID_PARAMETER", "{field}");
    }
    assert_eq!(agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn enforces_the_quota_per_second() {
    let agency = platform(Settings {
        quota_per_sec: 2,
        ..Settings::demo(0)
    })
    .await;
    let token = access_token(&agency).await;
    let params = inquiry("IDCARD", DEMO_PERSON_ID, DEMO_PERSON_NAME);
    assert_eq!(ask(&agency, &token, &params).await.status(), StatusCode::OK);
    assert_eq!(ask(&agency, &token, &params).await.status(), StatusCode::OK);
    let refused = ask(&agency, &token, &params).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(json(refused).await.1["result_code"], "QUOTA_EXCEEDED");
    assert_eq!(agency.knobs.inquiries(), 2);
}
