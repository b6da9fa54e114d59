//! The registry over HTTP: its token check, request validation and answers, driven with a
//! plain HTTP client.

use super::{Settings, INQUIRY_PATH, TOKEN_HEADER};
use crate::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use std::sync::Arc;

const TOKEN: &str = "bdc-wuhan-demo-token";

async fn registry() -> RunningAgency {
    let config = AgencyConfig {
        name: "registry-test".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::RealEstate(Settings::demo(0)),
    };
    start(&config, Arc::new(Population::generate(5, 50)))
        .await
        .expect("registry starts")
}

fn inquiry(head: &str, body: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CxRequest><Head>{head}</Head><Body>{body}</Body></CxRequest>")
}

fn head() -> &'static str {
    "<Qqbh>REQ-1</Qqbh><Ajh>(2024)鄂0116执1234号</Ajh><Fy>鄂0116</Fy>"
}

fn person(name: &str, id: &str) -> String {
    format!("<Qlrmc>{name}</Qlrmc><Zjzl>1</Zjzl><Zjh>{id}</Zjh>")
}

async fn post(agency: &RunningAgency, token: Option<&str>, xml: String) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{INQUIRY_PATH}", agency.base_url()))
        .header("Content-Type", "application/xml; charset=UTF-8")
        .body(xml);
    if let Some(token) = token {
        request = request.header(TOKEN_HEADER, token);
    }
    let response = request.send().await.expect("registry answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn code(xml: &str) -> &str {
    xml.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code)
        .unwrap_or("")
}

#[tokio::test]
async fn refuses_missing_and_wrong_tokens_with_403() {
    let agency = registry().await;
    let body = || inquiry(head(), &person(DEMO_PERSON_NAME, DEMO_PERSON_ID));
    for token in [None, Some("bdc-wrong-token"), Some("")] {
        let (status, xml) = post(&agency, token, body()).await;
        assert_eq!(status, 403, "{token:?}");
        assert_eq!(code(&xml), "3001");
        assert!(xml.contains("<Cxjg>武汉市不动产登记中心</Cxjg>"));
    }
    assert_eq!(agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn validates_requests_with_its_own_400_codes() {
    let agency = registry().await;
    let demo = person(DEMO_PERSON_NAME, DEMO_PERSON_ID);
    let cases = [
        ("not xml at all".to_string(), "2001"),
        ("<CxRequest><Head>".to_string(), "2001"),
        (
            inquiry("<Ajh>(2024)鄂0116执1234号</Ajh><Fy>鄂0116</Fy>", &demo),
            "2001",
        ),
        (inquiry("<Qqbh>REQ-1</Qqbh><Fy>鄂0116</Fy>", &demo), "2001"),
        (
            inquiry(
                "<Qqbh>REQ-1</Qqbh><Ajh>(2024)鄂0116民初1号</Ajh><Fy>鄂0116</Fy>",
                &demo,
            ),
            "2002",
        ),
        (
            inquiry(
                "<Qqbh>REQ-1</Qqbh><Ajh>(2024)鄂0116执1234号</Ajh><Fy>鄂01</Fy>",
                &demo,
            ),
            "2003",
        ),
        (
            inquiry(head(), "<Zjzl>1</Zjzl><Zjh>11010519491231002X</Zjh>"),
            "2001",
        ),
        (
            inquiry(
                head(),
                "<Qlrmc>张伟</Qlrmc><Zjzl>7</Zjzl><Zjh>11010519491231002X</Zjh>",
            ),
            "2001",
        ),
        (
            inquiry(
                head(),
                "<Qlrmc>张伟</Qlrmc><Zjzl>2</Zjzl><Zjh>11010519491231002X</Zjh>",
            ),
            "2001",
        ),
        (
            inquiry(head(), &person("张伟", "110105194912310021")),
            "2001",
        ),
    ];
    for (xml, expected) in cases {
        let (status, answer) = post(&agency, Some(TOKEN), xml.clone()).await;
        assert_eq!(status, 400, "{xml}");
        assert_eq!(code(&answer), expected, "{xml}: {answer}");
    }
    // The request id is echoed once the registry could read it.
    let (_, answer) = post(&agency, Some(TOKEN), with_request_id_but_no_document()).await;
    assert!(answer.contains("<Qqbh>REQ-9</Qqbh>"), "{answer}");
    assert_eq!(agency.knobs.inquiries(), 0);
}

fn with_request_id_but_no_document() -> String {
    inquiry(
        "<Qqbh>REQ-9</Qqbh><Ajh>(2024)鄂0116执1234号</Ajh><Fy>鄂0116</Fy>",
        "<Qlrmc>张伟</Qlrmc>",
    )
}

#[tokio::test]
async fn requires_an_xml_content_type() {
    let agency = registry().await;
    let response = reqwest::Client::new()
        .post(format!("{}{INQUIRY_PATH}", agency.base_url()))
        .header(TOKEN_HEADER, TOKEN)
        .header("Content-Type", "application/json")
        .body(inquiry(head(), &person(DEMO_PERSON_NAME, DEMO_PERSON_ID)))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn answers_found_no_record_and_name_mismatch() {
    let agency = registry().await;
    let (status, xml) = post(
        &agency,
        Some(TOKEN),
        inquiry(head(), &person(DEMO_PERSON_NAME, DEMO_PERSON_ID)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(code(&xml), "0");
    assert!(xml.contains("<Qqbh>REQ-1</Qqbh>"));
    assert!(xml.contains("<Bdcqzh>鄂("), "{xml}");
    assert!(xml.contains("<Jzmj>"));

    let (status, xml) = post(
        &agency,
        Some(TOKEN),
        inquiry(head(), &person("李四", DEMO_PERSON_ID)),
    )
    .await;
    assert_eq!((status, code(&xml)), (200, "1002"));
    assert!(!xml.contains("<Body>"));

    let (status, xml) = post(
        &agency,
        Some(TOKEN),
        inquiry(head(), &person("王五", "110105194912310038")),
    )
    .await;
    assert_eq!((status, code(&xml)), (200, "1001"));
    assert_eq!(agency.knobs.inquiries(), 3);
}
