//! The connector against a fixed-answer server: what goes on the wire, and how broken,
//! unexpected or failing answers are classified.

use super::super::sign;
use super::super::wire::INQUIRY_PATH;
use super::fixed_server::FixedServer;
use super::{connector, ctx, debtor, CASE, REQUEST_ID};
use crate::domain::{AssetDetail, Fen};
use crate::{ConnectorError, ErrorClass, QueryAnswer};
use assethub_mocks::population::{
    DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn account(bal: &str, frozen: &str) -> String {
    format!(
        r#"{{"acctNo":"6236510123456789012","acctType":"D","ccy":"CNY","bal":"{bal}",
            "availBal":"0.00","frozenAmt":"{frozen}","status":"0","openBranch":"共信银行某支行",
            "openDate":"20200101"}}"#
    )
}

fn found(accounts: &[String]) -> String {
    format!(
        r#"{{"retCode":"0000","retMsg":"成功","reqId":"{REQUEST_ID}","serialNo":"365ABC",
            "data":{{"custNo":"365000000000001","custName":"张伟","custType":"P",
            "acctCount":{},"accounts":[{}]}}}}"#,
        accounts.len(),
        accounts.join(",")
    )
}

fn envelope(code: &str, message: &str) -> String {
    format!(r#"{{"retCode":"{code}","retMsg":"{message}","reqId":"{REQUEST_ID}"}}"#)
}

fn with_data(code: &str) -> String {
    format!(
        r#"{{"retCode":"{code}","retMsg":"失败","reqId":"{REQUEST_ID}",
            "data":{{"bizNo":"k-1","freezeNo":"FZ1","freezeNo":"FZ2"}}}}"#
    )
}

async fn ask(server: &FixedServer) -> Result<QueryAnswer, ConnectorError> {
    connector(&server.base_url)
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
}

async fn class_of(server: &FixedServer) -> ErrorClass {
    match ask(server).await {
        Ok(answer) => panic!("expected an error, got {answer:?}"),
        Err(error) => error.class,
    }
}

#[tokio::test]
async fn sends_a_signed_inquiry_with_case_and_request_id() {
    let server = FixedServer::json(&found(&[account("12345.67", "100.00")])).await;
    let answer = ask(&server).await.expect("answer");
    let QueryAnswer::Found(assets) = answer else {
        panic!("found expected");
    };
    let AssetDetail::Deposit(deposit) = &assets[0].detail else {
        panic!("deposit expected");
    };
    assert_eq!(
        (deposit.balance, deposit.frozen),
        (Fen(1_234_567), Fen(10_000))
    );

    let request = server.last_request().expect("a request arrived");
    assert!(request.head.starts_with(&format!("POST {INQUIRY_PATH} ")));
    assert_eq!(request.header("x-api-key"), Some("gx-demo-key"));
    let timestamp = request.header("x-timestamp").expect("timestamp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let sent: u64 = timestamp.parse().expect("unix seconds");
    assert!(now.abs_diff(sent) <= 5);
    let nonce = request.header("x-nonce").expect("nonce");
    assert!(nonce.len() >= 16);
    let expected = sign::signature(
        b"gx-demo-secret",
        timestamp,
        nonce,
        "POST",
        INQUIRY_PATH,
        &request.body,
    );
    assert_eq!(request.header("x-signature"), Some(expected.as_str()));
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({
            "reqId": REQUEST_ID, "caseNo": CASE, "custType": "P", "idType": "01",
            "idNo": DEMO_PERSON_ID, "custName": DEMO_PERSON_NAME,
        })
    );

    connector(&server.base_url)
        .query(&ctx(), &debtor(DEMO_COMPANY_ID, DEMO_COMPANY_NAME))
        .await
        .expect("answer");
    let request = server.last_request().expect("a request arrived");
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(
        (&body["custType"], &body["idType"]),
        (&"E".into(), &"49".into())
    );
}

#[tokio::test]
async fn truncated_or_foreign_bodies_are_malformed() {
    let full = found(&[account("1.00", "0.00")]);
    let truncated = &full[..full.len() / 2];
    for body in [
        truncated,
        "<html><body>Gateway</body></html>",
        "",
        "[]",
        r#"{"retMsg":"no code"}"#,
    ] {
        let server = FixedServer::json(body).await;
        assert_eq!(class_of(&server).await, ErrorClass::Malformed, "{body}");
    }
}

#[tokio::test]
async fn sub_fen_or_junk_amounts_are_malformed() {
    for (bal, frozen) in [
        ("12345.678", "0.00"),
        ("1,234.00", "0.00"),
        ("1e3", "0.00"),
        ("", "0.00"),
        ("-5.00", "0.00"),
        ("100.00", "0.001"),
        ("100.00", "NaN"),
    ] {
        let server = FixedServer::json(&found(&[account(bal, frozen)])).await;
        let error = ask(&server).await.expect_err("malformed");
        assert_eq!(error.class, ErrorClass::Malformed, "{bal} / {frozen}");
        assert!(
            !error.message.contains("6236510123456789012"),
            "account numbers are masked in errors: {error}"
        );
    }
    // Numbers instead of strings are not the bank's format either.
    let numeric = found(&[account("1.00", "0.00")]).replace(r#""bal":"1.00""#, r#""bal":1.00"#);
    let server = FixedServer::json(&numeric).await;
    assert_eq!(class_of(&server).await, ErrorClass::Malformed);
}

#[tokio::test]
async fn inconsistent_answers_are_malformed() {
    let other_request = found(&[account("1.00", "0.00")]).replace(REQUEST_ID, "someone-else");
    let no_data = envelope("0000", "成功");
    let unknown_code = envelope("ZZ42", "?");
    let twice = found(&[account("1.00", "0.00"), account("2.00", "0.00")]);
    let bad_type =
        found(&[account("1.00", "0.00")]).replace(r#""acctType":"D""#, r#""acctType":"X""#);
    let bad_status =
        found(&[account("1.00", "0.00")]).replace(r#""status":"0""#, r#""status":"9""#);
    for body in [
        other_request,
        no_data,
        unknown_code,
        twice,
        bad_type,
        bad_status,
    ] {
        let server = FixedServer::json(&body).await;
        assert_eq!(class_of(&server).await, ErrorClass::Malformed, "{body}");
    }
}

#[tokio::test]
async fn bank_codes_and_statuses_map_to_error_classes() {
    let json = [("Content-Type", "application/json")];
    let cases = [
        (200, envelope("AUTH002", "签名校验失败"), ErrorClass::Auth),
        (401, envelope("AUTH001", "API Key无效"), ErrorClass::Auth),
        (200, envelope("SYS9999", "系统繁忙"), ErrorClass::Server),
        (
            400,
            envelope("PARM002", "必输字段缺失"),
            ErrorClass::Rejected,
        ),
        (
            200,
            envelope("PARM003", "字段格式错误"),
            ErrorClass::Rejected,
        ),
        (
            502,
            "<html>Bad Gateway</html>".to_string(),
            ErrorClass::Server,
        ),
        (404, String::new(), ErrorClass::Rejected),
        // An error answer's `data` (here not an account list) does not change its class
        // (found by the `bank_response` fuzz target).
        (200, with_data("PARM001"), ErrorClass::Rejected),
        (200, with_data("AUTH002"), ErrorClass::Auth),
        (200, with_data("SYS9999"), ErrorClass::Server),
    ];
    for (status, body, class) in cases {
        let server = FixedServer::answering(status, &json, body.as_bytes()).await;
        let error = ask(&server).await.expect_err("an error");
        assert_eq!(error.class, class, "{status} {body}");
    }
    let server = FixedServer::answering(
        401,
        &json,
        envelope("AUTH003", "请求时间戳超出有效范围").as_bytes(),
    )
    .await;
    let error = ask(&server).await.expect_err("an error");
    assert!(error.message.contains("AUTH003"), "{error}");

    let server = FixedServer::answering(429, &[("Retry-After", "7")], b"slow down").await;
    let error = ask(&server).await.expect_err("throttled");
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_body_cut_short_of_its_length_is_malformed() {
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
            .to_vec();
    response.extend_from_slice(br#"{"retCode":"0000","#);
    let server = FixedServer::raw(response).await;
    let error = ask(&server).await.expect_err("cut off");
    assert_eq!(error.class, ErrorClass::Malformed, "{error}");
}
