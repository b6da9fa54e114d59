//! The registry's control endpoints over HTTP: seal, release, renew and result query with the
//! token, ownership checks, idempotent replays, key reuse, the queue of a second court's seal,
//! terms, the register's seals in inquiry answers, and the electronic seal: unsigned, altered,
//! stale and foreign-key requests are refused and register nothing.

use super::control_wire::KzRequest;
use super::InstructionKey;
use super::TOKEN_HEADER;
use super::{data, Settings, INQUIRY_PATH, RELEASE_PATH, RENEW_PATH, SEAL_PATH, STATUS_PATH};
use crate::population::{DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use assethub_connectors::domain::{CaseNumber, CivilDate, Debtor, DebtorId};
use assethub_connectors::signature::{InstructionSigner, FRESHNESS_SECS};
use assethub_connectors::{ControlAction, ControlInstruction};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::sync::Arc;

const NAME: &str = "registry-control-test";
const TOKEN: &str = "bdc-wuhan-demo-token";
const CASE: &str = "(2024)鄂0116执1234号";
const OTHER_CASE: &str = "(2024)鄂0102执77号";

struct Fixture {
    agency: RunningAgency,
    population: Arc<Population>,
}

async fn fixture() -> Fixture {
    fixture_with(Settings::demo(0)).await
}

async fn fixture_with(settings: Settings) -> Fixture {
    let population = Arc::new(Population::generate(5, 50));
    let config = AgencyConfig {
        name: NAME.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::RealEstate(settings),
    };
    let agency = start(&config, population.clone())
        .await
        .expect("registry starts");
    Fixture { agency, population }
}

impl Fixture {
    /// The first certificate registered to `id`.
    fn certificate(&self, id: &str) -> String {
        data::holdings_for(NAME, &Settings::demo(0), &self.population, id)
            .and_then(|held| {
                // A property no court sealed in the older records: a new seal takes effect.
                held.iter()
                    .find(|p| p.seals.is_empty())
                    .map(|p| p.certificate_number.clone())
            })
            .expect("the demo debtors hold property")
    }

    /// Posts `xml`, a control request sealed now with the demo hub's key (see [`sealed`]).
    async fn post(&self, path: &str, xml: String) -> (u16, String) {
        let xml = sealed(
            path,
            &xml,
            &crate::demo_keys::instruction_signer(),
            now_secs(),
        );
        self.post_raw(path, xml).await
    }

    /// Posts `xml` as it is.
    async fn post_raw(&self, path: &str, xml: String) -> (u16, String) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.agency.base_url()))
            .header("Content-Type", "application/xml; charset=UTF-8")
            .header(TOKEN_HEADER, TOKEN)
            .body(xml)
            .send()
            .await
            .expect("registry answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }
}

/// A control request by the demo person's court in `case`, on `certificate`.
fn kz(key: &str, case: &str, holder: (&str, &str), certificate: &str, extra: &str) -> String {
    let court = CaseNumber::parse(case).expect("case").court().to_string();
    let (id, name) = holder;
    let zjzl = if id.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
        "1"
    } else {
        "7"
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><KzRequest><Head><Qqbh>REQ-{key}</Qqbh><Ywlsh>{key}</Ywlsh><Ajh>{case}</Ajh><Fy>{court}</Fy><Cdwh>{case}之一</Cdwh><Cbr>王法官</Cbr></Head><Body><Bdcqzh>{certificate}</Bdcqzh><Qlrmc>{name}</Qlrmc><Zjzl>{zjzl}</Zjzl><Zjh>{id}</Zjh>{extra}</Body></KzRequest>"
    )
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `xml` with the `<Qz>` seal `signer` puts at `at` on the instruction a control request to
/// `path` carries, built from the request's own fields the way the hub builds them. Other
/// requests, and control requests too broken to be an instruction (refused before the seal is
/// looked at), are returned unchanged.
fn sealed(path: &str, xml: &str, signer: &InstructionSigner, at: i64) -> String {
    let Ok(KzRequest {
        head: Some(head),
        body: Some(body),
    }) = quick_xml::de::from_str::<KzRequest>(xml)
    else {
        return xml.to_string();
    };
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let until = CivilDate::parse(&text(&body.cfjssj));
    let action = match (path, until) {
        (SEAL_PATH, Ok(until)) => ControlAction::Seal { until },
        (RENEW_PATH, Ok(until)) => ControlAction::Renew {
            hold: text(&body.cfbh),
            until,
        },
        (RELEASE_PATH, _) => ControlAction::Release {
            hold: text(&body.cfbh),
        },
        _ => return xml.to_string(),
    };
    let (Ok(case), Ok(id)) = (
        CaseNumber::parse(&text(&head.ajh)),
        DebtorId::parse(&text(&body.zjh)),
    ) else {
        return xml.to_string();
    };
    let instruction = ControlInstruction {
        key: text(&head.ywlsh),
        case,
        ruling: text(&head.cdwh),
        officer: text(&head.cbr),
        asset: text(&body.bdcqzh),
        debtor: Debtor {
            id,
            name: text(&body.qlrmc),
        },
        action,
        signature: None,
    };
    let seal = signer.sign(&instruction, at);
    xml.replacen(
        "</Head>",
        &format!(
            "<Qz><Mybh>{}</Mybh><Qzsj>{}</Qzsj><Qzz>{}</Qzz></Qz></Head>",
            seal.key_id, seal.signed_at, seal.signature
        ),
        1,
    )
}

/// The demo person's inquiry.
fn inquiry() -> String {
    format!("<CxRequest><Head><Qqbh>R</Qqbh><Ajh>{CASE}</Ajh><Fy>鄂0116</Fy></Head><Body><Qlrmc>{DEMO_PERSON_NAME}</Qlrmc><Zjzl>1</Zjzl><Zjh>{DEMO_PERSON_ID}</Zjh></Body></CxRequest>")
}

fn status_request(key: &str) -> String {
    format!("<KzRequest><Head><Qqbh>Q-{key}</Qqbh><Ywlsh>{key}</Ywlsh><Ajh>{CASE}</Ajh><Fy>鄂0116</Fy></Head></KzRequest>")
}

const PERSON: (&str, &str) = (DEMO_PERSON_ID, DEMO_PERSON_NAME);

fn until(days: i64) -> String {
    format!(
        "<Cfjssj>{}</Cfjssj>",
        CivilDate::today().plus_days(days).compact()
    )
}

fn hold(id: &str, days: i64) -> String {
    format!("<Cfbh>{id}</Cfbh>{}", until(days))
}

/// The text of the first `<tag>` element, or "".
fn field<'a>(xml: &'a str, tag: &str) -> &'a str {
    xml.split_once(&format!("<{tag}>"))
        .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
        .map(|(text, _)| text)
        .unwrap_or("")
}

#[tokio::test]
async fn seals_renews_releases_and_reports_by_key() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let (status, xml) = f
        .post(SEAL_PATH, kz("k-seal", CASE, PERSON, &cert, &until(365)))
        .await;
    assert_eq!((status, field(&xml, "Code")), (200, "0"), "{xml}");
    assert_eq!(field(&xml, "Zt"), "已查封");
    assert_eq!(field(&xml, "Ywlsh"), "k-seal");
    assert_eq!(field(&xml, "Qqbh"), "REQ-k-seal");
    let seal = field(&xml, "Cfbh").to_string();
    assert!(seal.starts_with("CF"), "{seal}");
    let end = CivilDate::today().plus_days(365).compact();
    assert_eq!(field(&xml, "Cfjssj"), end);

    let renewal = kz("k-renew", CASE, PERSON, &cert, &hold(&seal, 700));
    let (status, xml) = f.post(RENEW_PATH, renewal).await;
    assert_eq!((status, field(&xml, "Code")), (200, "0"), "{xml}");
    assert_eq!(field(&xml, "Cfbh"), seal);
    let renewed = CivilDate::today().plus_days(700).compact();
    assert_eq!(field(&xml, "Cfjssj"), renewed);

    let (_, xml) = f.post(STATUS_PATH, status_request("k-seal")).await;
    assert_eq!((field(&xml, "Code"), field(&xml, "Zt")), ("0", "已查封"));
    assert_eq!(field(&xml, "Cfjssj"), renewed);

    let release = kz(
        "k-release",
        CASE,
        PERSON,
        &cert,
        &format!("<Cfbh>{seal}</Cfbh>"),
    );
    let (status, xml) = f.post(RELEASE_PATH, release).await;
    assert_eq!((status, field(&xml, "Code")), (200, "0"), "{xml}");
    assert_eq!(field(&xml, "Zt"), "已解封");
    let (_, xml) = f.post(STATUS_PATH, status_request("k-seal")).await;
    assert_eq!(field(&xml, "Zt"), "已解封");
    assert_eq!(f.agency.knobs.inquiries(), 0, "control is not an inquiry");
}

#[tokio::test]
async fn an_unknown_key_has_its_own_code() {
    let f = fixture().await;
    let (status, xml) = f.post(STATUS_PATH, status_request("never-sent")).await;
    assert_eq!((status, field(&xml, "Code")), (200, "1003"), "{xml}");
    assert!(!xml.contains("<Body>"));
}

#[tokio::test]
async fn refuses_property_not_registered_to_the_right_holder() {
    let f = fixture().await;
    let mine = f.certificate(DEMO_PERSON_ID);
    let company = f.certificate(DEMO_COMPANY_ID);
    let cases = [
        kz("a", CASE, PERSON, &company, &until(30)),
        kz("b", CASE, (DEMO_PERSON_ID, "李四"), &mine, &until(30)),
        kz(
            "c",
            CASE,
            (DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
            &mine,
            &until(30),
        ),
        kz(
            "d",
            CASE,
            PERSON,
            "鄂(2020)武汉市不动产权第9999999号",
            &until(30),
        ),
    ];
    for xml in cases {
        let (status, answer) = f.post(SEAL_PATH, xml.clone()).await;
        assert_eq!((status, field(&answer, "Code")), (200, "4001"), "{xml}");
        assert!(!answer.contains(DEMO_PERSON_ID) && !answer.contains(DEMO_PERSON_NAME));
    }
    let (_, answer) = f.post(STATUS_PATH, status_request("a")).await;
    assert_eq!(
        field(&answer, "Code"),
        "1003",
        "a refusal registers nothing"
    );
}

#[tokio::test]
async fn a_replay_answers_the_same_seal_and_a_reused_key_is_refused() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let request = kz("k-1", CASE, PERSON, &cert, &until(365));
    let (_, first) = f.post(SEAL_PATH, request.clone()).await;
    let (_, again) = f.post(SEAL_PATH, request).await;
    assert_eq!(field(&first, "Code"), "0");
    assert_eq!(field(&again, "Code"), "0");
    assert_eq!(field(&first, "Cfbh"), field(&again, "Cfbh"));
    assert_eq!(field(&again, "Zt"), "已查封", "not queued behind itself");

    let different = kz("k-1", CASE, PERSON, &cert, &until(300));
    let (status, answer) = f.post(SEAL_PATH, different).await;
    assert_eq!((status, field(&answer, "Code")), (200, "4004"), "{answer}");

    let (_, xml) = f.post(INQUIRY_PATH, inquiry()).await;
    assert_eq!(
        xml.matches("<Cfjg>鄂0116</Cfjg>").count(),
        1,
        "sealed once: {xml}"
    );
}

#[tokio::test]
async fn a_second_courts_seal_queues_and_takes_effect_on_release() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let (_, first) = f
        .post(SEAL_PATH, kz("k-a", CASE, PERSON, &cert, &until(365)))
        .await;
    let first_seal = field(&first, "Cfbh").to_string();
    let (_, second) = f
        .post(SEAL_PATH, kz("k-b", OTHER_CASE, PERSON, &cert, &until(365)))
        .await;
    assert_eq!(field(&second, "Code"), "0", "{second}");
    assert_eq!(field(&second, "Zt"), "轮候查封");
    assert_eq!(field(&second, "Lhsx"), "1");

    // The inquiry lists both, the second as queued.
    let (_, xml) = f.post(INQUIRY_PATH, inquiry()).await;
    let flat: String = xml.split_whitespace().collect();
    let sealed = format!("<Cflx>查封</Cflx><Cfjg>鄂0116</Cfjg><Cfwh>{CASE}</Cfwh>");
    let queued = format!("<Cflx>轮候查封</Cflx><Cfjg>鄂0102</Cfjg><Cfwh>{OTHER_CASE}</Cfwh>");
    assert!(flat.contains(&sealed), "{xml}");
    assert!(flat.contains(&queued), "{xml}");

    // The second court cannot release the first court's seal.
    let theirs = kz(
        "k-c",
        OTHER_CASE,
        PERSON,
        &cert,
        &format!("<Cfbh>{first_seal}</Cfbh>"),
    );
    let (_, answer) = f.post(RELEASE_PATH, theirs).await;
    assert_eq!(field(&answer, "Code"), "4003", "{answer}");

    let release = kz(
        "k-d",
        CASE,
        PERSON,
        &cert,
        &format!("<Cfbh>{first_seal}</Cfbh>"),
    );
    let (_, answer) = f.post(RELEASE_PATH, release).await;
    assert_eq!(field(&answer, "Zt"), "已解封");
    let (_, now) = f.post(STATUS_PATH, status_request("k-b")).await;
    assert_eq!(field(&now, "Zt"), "已查封", "{now}");
    assert!(!now.contains("<Lhsx>"));
}

#[tokio::test]
async fn terms_and_states_are_checked() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    for (key, term) in [
        ("p", until(-1)),
        ("q", until(3 * 366 + 1)),
        ("r", "<Cfjssj>2027-01-01</Cfjssj>".into()),
        ("s", String::new()),
    ] {
        let (status, answer) = f.post(SEAL_PATH, kz(key, CASE, PERSON, &cert, &term)).await;
        assert_eq!(status, 400, "{term}: {answer}");
        assert!(
            matches!(field(&answer, "Code"), "2004" | "2001"),
            "{answer}"
        );
    }
    let no_ruling = kz("t", CASE, PERSON, &cert, &until(30))
        .replace("<Cdwh>", "<X>")
        .replace("</Cdwh>", "</X>");
    let (status, answer) = f.post(SEAL_PATH, no_ruling).await;
    assert_eq!((status, field(&answer, "Code")), (400, "2001"));
    let (_, answer) = f
        .post(
            RELEASE_PATH,
            kz("u", CASE, PERSON, &cert, "<Cfbh>CF0000-000042</Cfbh>"),
        )
        .await;
    assert_eq!(field(&answer, "Code"), "4002");

    let (_, sealed) = f
        .post(SEAL_PATH, kz("k-1", CASE, PERSON, &cert, &until(10)))
        .await;
    let seal = field(&sealed, "Cfbh").to_string();
    let (_, answer) = f
        .post(RENEW_PATH, kz("k-2", CASE, PERSON, &cert, &hold(&seal, 5)))
        .await;
    assert_eq!(
        field(&answer, "Code"),
        "4003",
        "a renewal must extend: {answer}"
    );
    f.agency.knobs.set_clock_offset_days(11);
    let (_, now) = f.post(STATUS_PATH, status_request("k-1")).await;
    assert_eq!(field(&now, "Zt"), "已到期");
    let (_, answer) = f
        .post(
            RENEW_PATH,
            kz("k-3", CASE, PERSON, &cert, &hold(&seal, 400)),
        )
        .await;
    assert_eq!(field(&answer, "Code"), "4003", "{answer}");
    let (_, answer) = f
        .post(
            RELEASE_PATH,
            kz("k-4", CASE, PERSON, &cert, &format!("<Cfbh>{seal}</Cfbh>")),
        )
        .await;
    assert_eq!(field(&answer, "Code"), "4003", "{answer}");
}

#[tokio::test]
async fn refuses_a_wrong_token() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let response = reqwest::Client::new()
        .post(format!("{}{SEAL_PATH}", f.agency.base_url()))
        .header("Content-Type", "application/xml")
        .header(TOKEN_HEADER, "bdc-wrong")
        .body(kz("k", CASE, PERSON, &cert, &until(30)))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 403);
    let xml = response.text().await.expect("body");
    assert_eq!(field(&xml, "Code"), "3001");
}

impl Fixture {
    /// Nothing was registered under `key`, and the demo person's property shows no court seal.
    async fn nothing_registered(&self, key: &str) {
        let (_, answer) = self.post(STATUS_PATH, status_request(key)).await;
        assert_eq!(field(&answer, "Code"), "1003", "{answer}");
        let (_, xml) = self.post(INQUIRY_PATH, inquiry()).await;
        assert!(!xml.contains("<Cfjg>鄂0116</Cfjg>"), "{xml}");
    }
}

#[tokio::test]
async fn an_unsigned_request_is_refused_and_registers_nothing() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let request = kz("k-bare", CASE, PERSON, &cert, &until(365));
    let (status, answer) = f.post_raw(SEAL_PATH, request.clone()).await;
    assert_eq!((status, field(&answer, "Code")), (200, "4005"), "{answer}");
    assert!(!answer.contains("<Body>"));
    assert_eq!(field(&answer, "Ywlsh"), "k-bare");
    let empty = request.replacen("</Head>", "<Qz><Mybh></Mybh></Qz></Head>", 1);
    let (_, answer) = f.post_raw(SEAL_PATH, empty).await;
    assert_eq!(field(&answer, "Code"), "4005", "{answer}");
    let partial = request.replacen("</Head>", "<Qz><Mybh>demo-1</Mybh></Qz></Head>", 1);
    let (_, answer) = f.post_raw(SEAL_PATH, partial).await;
    assert_eq!(field(&answer, "Code"), "4006", "{answer}");
    f.nothing_registered("k-bare").await;
}

#[tokio::test]
async fn a_request_altered_after_signing_is_refused_and_registers_nothing() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let company = f.certificate(DEMO_COMPANY_ID);
    let signed = sealed(
        SEAL_PATH,
        &kz("k-alt", CASE, PERSON, &cert, &until(365)),
        &crate::demo_keys::instruction_signer(),
        now_secs(),
    );
    let end = CivilDate::today().plus_days(365).compact();
    let later = CivilDate::today().plus_days(366).compact();
    let seal_time = field(&signed, "Qzsj").to_string();
    let tampered = [
        signed.replace(&end, &later),
        signed.replace(&cert, &company),
        signed.replace("王法官", "李法官"),
        signed.replace(
            &format!("<Qzsj>{seal_time}</Qzsj>"),
            // One second before the seal's own time (not the clock's: a second may have
            // passed since it was sealed, which made this the same text as the seal).
            &format!(
                "<Qzsj>{}</Qzsj>",
                seal_time.parse::<i64>().expect("seal time") - 1
            ),
        ),
        signed.replace(
            &format!("<Qzz>{}</Qzz>", field(&signed, "Qzz")),
            "<Qzz>not base64!</Qzz>",
        ),
        signed.replace(
            &format!("<Qzsj>{seal_time}</Qzsj>"),
            "<Qzsj>yesterday</Qzsj>",
        ),
    ];
    for xml in tampered {
        assert_ne!(xml, signed);
        let (status, answer) = f.post_raw(SEAL_PATH, xml).await;
        assert_eq!((status, field(&answer, "Code")), (200, "4006"), "{answer}");
    }
    f.nothing_registered("k-alt").await;
    let (_, answer) = f.post_raw(SEAL_PATH, signed).await;
    assert_eq!(
        field(&answer, "Zt"),
        "已查封",
        "untouched it goes through: {answer}"
    );
}

#[tokio::test]
async fn a_stale_request_is_refused_and_a_prompt_resend_is_a_replay() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let request = kz("k-old", CASE, PERSON, &cert, &until(365));
    let signer = crate::demo_keys::instruction_signer();
    for at in [
        now_secs() - FRESHNESS_SECS - 60,
        now_secs() + FRESHNESS_SECS + 60,
    ] {
        let (status, answer) = f
            .post_raw(SEAL_PATH, sealed(SEAL_PATH, &request, &signer, at))
            .await;
        assert_eq!((status, field(&answer, "Code")), (200, "4007"), "{answer}");
    }
    f.nothing_registered("k-old").await;
    let fresh = sealed(SEAL_PATH, &request, &signer, now_secs());
    let (_, first) = f.post_raw(SEAL_PATH, fresh.clone()).await;
    let (_, again) = f.post_raw(SEAL_PATH, fresh).await;
    assert_eq!(field(&first, "Code"), "0", "{first}");
    assert_eq!(field(&first, "Cfbh"), field(&again, "Cfbh"));
    let (_, xml) = f.post(INQUIRY_PATH, inquiry()).await;
    assert_eq!(xml.matches("<Cfjg>鄂0116</Cfjg>").count(), 1, "sealed once");
}

#[tokio::test]
async fn a_request_signed_with_another_key_is_refused() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let request = kz("k-key", CASE, PERSON, &cert, &until(365));
    let seed = B64.encode([7u8; 32]);
    for key_id in ["demo-1", "court-2"] {
        let signer = InstructionSigner::from_seed(key_id, &seed).expect("key");
        let (_, answer) = f
            .post_raw(SEAL_PATH, sealed(SEAL_PATH, &request, &signer, now_secs()))
            .await;
        assert_eq!(field(&answer, "Code"), "4006", "{answer}");
    }
    f.nothing_registered("k-key").await;
}

#[tokio::test]
async fn configured_instruction_keys_replace_the_demo_key() {
    let rotated = InstructionSigner::from_seed("court-2", &B64.encode([7u8; 32])).expect("key");
    let f = fixture_with(Settings {
        instruction_keys: vec![InstructionKey {
            key_id: "court-2".into(),
            public_key: rotated.public_key(),
        }],
        ..Settings::demo(0)
    })
    .await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let request = kz("k-rot", CASE, PERSON, &cert, &until(365));
    let (_, answer) = f.post(SEAL_PATH, request.clone()).await;
    assert_eq!(field(&answer, "Code"), "4006", "demo key: {answer}");
    let (_, answer) = f
        .post_raw(SEAL_PATH, sealed(SEAL_PATH, &request, &rotated, now_secs()))
        .await;
    assert_eq!(field(&answer, "Zt"), "已查封", "{answer}");
}
