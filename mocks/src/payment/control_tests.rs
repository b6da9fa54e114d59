//! The control API over HTTP, driven with reqwest: freeze, release, renew, deduct, status by
//! idempotency key, the platform's refusals, the queue between courts and the quota.

use super::data::{account_for, Holding};
use super::InstructionKey;
use super::{Settings, FREEZES_PATH, HOLDINGS_PATH, INSTRUCTIONS_PATH, TOKEN_PATH};
use crate::population::{DebtorKind, DebtorRecord, Wealth};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use assethub_connectors::domain::{CaseNumber, CivilDate, Debtor, DebtorId, Fen};
use assethub_connectors::signature::{InstructionSigner, FRESHNESS_SECS};
use assethub_connectors::{ControlAction, ControlInstruction};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

const AGENCY: &str = "pay-test";
const CASE: &str = "(2024)鄂0116执1234号";
const OTHER_CASE: &str = "(2024)鄂0102执77号";

struct Platform {
    agency: RunningAgency,
    population: Arc<Population>,
    token: String,
    http: reqwest::Client,
}

impl Platform {
    async fn start(settings: Settings) -> Self {
        let config = AgencyConfig {
            name: AGENCY.into(),
            host: "127.0.0.1".into(),
            port: 0,
            latency_ms: 0,
            jitter_ms: 0,
            settings: FamilySettings::Payment(settings.clone()),
        };
        let population = Arc::new(Population::generate(42, 200));
        let agency = start(&config, population.clone()).await.unwrap();
        let http = reqwest::Client::new();
        let body: Value = http
            .post(format!("{}{TOKEN_PATH}", agency.base_url()))
            .basic_auth(&settings.client_id, Some(&settings.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = body["access_token"].as_str().unwrap().to_string();
        Self {
            agency,
            population,
            token,
            http,
        }
    }

    /// A person holding an unencumbered balance of at least 100 yuan here, and that balance.
    fn debtor(&self) -> (DebtorRecord, Holding) {
        self.population
            .debtors()
            .iter()
            .filter(|d| d.kind == DebtorKind::Person && d.wealth != Wealth::None)
            .find_map(|d| {
                let account = account_for(AGENCY, &self.population, d);
                let h = account
                    .holdings
                    .into_iter()
                    .find(|h| h.frozen_fen == 0 && h.amount_fen >= 10_000)?;
                Some((d.clone(), h))
            })
            .expect("someone keeps a free balance")
    }

    /// Posts an instruction sealed by the demo hub key now, as the hub sends it.
    async fn post(&self, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        let seal = seal_header(
            &crate::demo_keys::instruction_signer(),
            now_secs(),
            path,
            key,
            body,
        );
        self.post_sealed(path, key, body, seal.as_deref()).await
    }

    /// Posts with `seal` as the `X-Court-Seal` header (none when `None`).
    async fn post_sealed(
        &self,
        path: &str,
        key: &str,
        body: &Value,
        seal: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.agency.base_url()))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(body);
        if let Some(seal) = seal {
            request = request.header("X-Court-Seal", seal);
        }
        let response = request.send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn act(&self, action: &str, freeze_no: &str, key: &str, body: &Value) -> Value {
        let path = format!("{FREEZES_PATH}/{freeze_no}/{action}");
        let (status, answer) = self.post(&path, key, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer
    }

    async fn status(&self, key: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{INSTRUCTIONS_PATH}", self.agency.base_url()))
            .bearer_auth(&self.token)
            .query(&[("idempotency_key", key), ("request_id", "req-s")])
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    /// The holding `account_id` as the inquiry reports it now.
    async fn holding(&self, debtor: &DebtorRecord, account_id: &str) -> Value {
        let body: Value = self
            .http
            .get(format!("{}{HOLDINGS_PATH}", self.agency.base_url()))
            .bearer_auth(&self.token)
            .query(&[
                ("cert_type", "IDCARD"),
                ("cert_no", &debtor.id_number),
                ("name", &debtor.name),
                ("case_no", CASE),
                ("request_id", "req-q"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["account_id"] == account_id)
            .cloned()
            .unwrap()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// The instruction the hub would have sent as this request; `None` when the request is too
/// broken to be one (it goes unsealed and is refused for its fields first).
fn instruction_of(path: &str, key: &str, body: &Value) -> Option<ControlInstruction> {
    let text = |field: &str| body[field].as_str().unwrap_or("").to_string();
    let amount = || body["amount_fen"].as_i64().map(Fen);
    let until = || CivilDate::parse(body["end_date"].as_str()?).ok();
    let action = match path
        .strip_prefix(FREEZES_PATH)?
        .split('/')
        .collect::<Vec<_>>()[..]
    {
        [""] => ControlAction::Freeze {
            amount: amount()?,
            until: until()?,
        },
        ["", hold, "release"] => ControlAction::Release { hold: hold.into() },
        ["", hold, "renew"] => ControlAction::Renew {
            hold: hold.into(),
            until: until()?,
        },
        ["", hold, "deduct"] => ControlAction::Deduct {
            hold: hold.into(),
            amount: amount()?,
            into_account: text("case_account"),
        },
        _ => return None,
    };
    Some(ControlInstruction {
        key: key.into(),
        case: CaseNumber::parse(body["case_no"].as_str()?).ok()?,
        ruling: text("ruling_no"),
        officer: text("officer"),
        asset: format!("{}:{}", text("account_id"), text("product")),
        debtor: Debtor {
            id: DebtorId::parse(body["cert_no"].as_str()?).ok()?,
            name: text("name"),
        },
        action,
        signature: None,
    })
}

/// The `X-Court-Seal` of `signer` at `signed_at` for this request, as the connector writes it.
fn seal_header(
    signer: &InstructionSigner,
    signed_at: i64,
    path: &str,
    key: &str,
    body: &Value,
) -> Option<String> {
    let seal = signer.sign(&instruction_of(path, key, body)?, signed_at);
    Some(format!(
        "keyId={},t={},sig={}",
        seal.key_id, seal.signed_at, seal.signature
    ))
}

fn days(n: i64) -> String {
    CivilDate::today().plus_days(n).to_string()
}

/// A control body for `debtor`'s `holding` in `case`, with `extra` fields.
fn body(case: &str, debtor: &DebtorRecord, holding: &Holding, extra: Value) -> Value {
    let mut body = json!({
        "request_id": "req-1",
        "case_no": case,
        "ruling_no": format!("{case}之一"),
        "officer": "李法官",
        "cert_type": "IDCARD",
        "cert_no": debtor.id_number,
        "name": debtor.name,
        "account_id": holding.account_id,
        "product": holding.product.code(),
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

fn freeze_body(case: &str, debtor: &DebtorRecord, holding: &Holding, fen: i64) -> Value {
    body(
        case,
        debtor,
        holding,
        json!({"amount_fen": fen, "end_date": days(180)}),
    )
}

#[tokio::test]
async fn freezes_renews_deducts_and_releases() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let (status, answer) = p
        .post(
            FREEZES_PATH,
            "k-freeze",
            &freeze_body(CASE, &debtor, &h, 5_000),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result_code"], "SUCCESS");
    assert_eq!(answer["request_id"], "req-1");
    assert_eq!(answer["idempotency_key"], "k-freeze");
    let freeze = &answer["freeze"];
    assert_eq!(freeze["status"], "FROZEN");
    assert_eq!(freeze["frozen_fen"], 5_000);
    assert_eq!(freeze["end_date"], days(180));
    assert!(freeze.get("remark").is_none(), "{freeze}");
    let no = freeze["freeze_no"].as_str().unwrap().to_string();
    assert!(no.starts_with("PAY-TEST-JF"), "{no}");
    let held = p.holding(&debtor, &h.account_id).await;
    assert_eq!(held["frozen_fen"], 5_000);
    assert_eq!(held["amount_fen"], h.amount_fen);

    let renewed = p
        .act(
            "renew",
            &no,
            "k-renew",
            &body(CASE, &debtor, &h, json!({"end_date": days(400)})),
        )
        .await;
    assert_eq!(renewed["freeze"]["end_date"], days(400));
    assert_eq!(renewed["freeze"]["status"], "FROZEN");

    let deduct = json!({"amount_fen": 2_000, "case_account": "420116-0001"});
    let deducted = p
        .act("deduct", &no, "k-deduct", &body(CASE, &debtor, &h, deduct))
        .await;
    assert_eq!(deducted["freeze"]["deducted_fen"], 2_000);
    assert_eq!(deducted["freeze"]["frozen_fen"], 3_000);
    let held = p.holding(&debtor, &h.account_id).await;
    assert_eq!(held["frozen_fen"], 3_000);
    assert_eq!(held["amount_fen"], h.amount_fen - 2_000);

    let released = p
        .act(
            "release",
            &no,
            "k-release",
            &body(CASE, &debtor, &h, json!({})),
        )
        .await;
    assert_eq!(released["freeze"]["status"], "RELEASED");
    assert_eq!(released["freeze"]["frozen_fen"], 0);
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 0);
    // The status of each key is the freeze as it stands now.
    let (status, now) = p.status("k-deduct").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(now["freeze"]["status"], "RELEASED");
    assert_eq!(now["freeze"]["deducted_fen"], 2_000);
    assert_eq!(now["request_id"], "req-s");
}

#[tokio::test]
async fn refuses_an_account_that_is_not_the_holders() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let someone_else = p
        .population
        .debtors()
        .iter()
        .find(|d| d.kind == DebtorKind::Person && d.id_number != debtor.id_number)
        .unwrap();
    let cases = [
        (
            freeze_body(CASE, someone_else, &h, 100),
            "ACCOUNT_NOT_OWNED",
        ),
        (
            freeze_body(
                CASE,
                &DebtorRecord {
                    name: "王五".into(),
                    ..debtor.clone()
                },
                &h,
                100,
            ),
            "CERT_NAME_MISMATCH",
        ),
    ];
    for (i, (body, code)) in cases.into_iter().enumerate() {
        let key = format!("k-refused-{i}");
        let (status, answer) = p.post(FREEZES_PATH, &key, &body).await;
        assert_eq!(
            (status, answer["result_code"].as_str()),
            (StatusCode::OK, Some(code))
        );
        assert!(!answer.to_string().contains(&debtor.id_number), "{answer}");
        let (status, answer) = p.status(&key).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer["result_code"], "INSTRUCTION_NOT_FOUND");
    }
    let mut wrong_product = freeze_body(CASE, &debtor, &h, 100);
    wrong_product["product"] = json!("GOLD");
    let (_, answer) = p.post(FREEZES_PATH, "k-gold", &wrong_product).await;
    assert_eq!(answer["result_code"], "ACCOUNT_NOT_OWNED");
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 0);
}

#[tokio::test]
async fn a_replayed_key_freezes_once_and_a_reused_key_is_refused() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let first = p
        .post(FREEZES_PATH, "k-1", &freeze_body(CASE, &debtor, &h, 1_000))
        .await;
    let mut retried = freeze_body(CASE, &debtor, &h, 1_000);
    retried["request_id"] = json!("req-retry");
    let again = p.post(FREEZES_PATH, "k-1", &retried).await;
    assert_eq!(first.1["freeze"], again.1["freeze"]);
    assert_eq!(again.1["request_id"], "req-retry");
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 1_000);

    let (status, answer) = p
        .post(FREEZES_PATH, "k-1", &freeze_body(CASE, &debtor, &h, 2_000))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["result_code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 1_000);
}

#[tokio::test]
async fn a_second_courts_freeze_queues_until_the_first_is_released() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let (_, first) = p
        .post(
            FREEZES_PATH,
            "k-a",
            &freeze_body(CASE, &debtor, &h, h.amount_fen + 500),
        )
        .await;
    assert_eq!(first["freeze"]["status"], "FROZEN");
    assert_eq!(first["freeze"]["frozen_fen"], h.amount_fen);
    let remark = first["freeze"]["remark"].as_str().unwrap();
    assert!(remark.contains("only"), "{remark}");
    let a = first["freeze"]["freeze_no"].as_str().unwrap().to_string();

    let (_, second) = p
        .post(
            FREEZES_PATH,
            "k-b",
            &freeze_body(OTHER_CASE, &debtor, &h, 3_000),
        )
        .await;
    assert_eq!(second["freeze"]["status"], "QUEUED");
    assert_eq!(second["freeze"]["queue_position"], 1);
    assert_eq!(second["freeze"]["frozen_fen"], 0);

    // The second court cannot release the first court's freeze.
    let (_, refused) = p
        .post(
            &format!("{FREEZES_PATH}/{a}/release"),
            "k-b-release-a",
            &body(OTHER_CASE, &debtor, &h, json!({})),
        )
        .await;
    assert_eq!(refused["result_code"], "NOT_FREEZE_HOLDER");

    p.act(
        "release",
        &a,
        "k-a-release",
        &body(CASE, &debtor, &h, json!({})),
    )
    .await;
    let (_, now) = p.status("k-b").await;
    assert_eq!(now["freeze"]["status"], "FROZEN");
    assert_eq!(now["freeze"]["frozen_fen"], 3_000);
    assert!(now["freeze"].get("queue_position").is_none());
}

#[tokio::test]
async fn refuses_bad_amounts_dates_and_states() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let (_, answer) = p
        .post(FREEZES_PATH, "k-f", &freeze_body(CASE, &debtor, &h, 1_000))
        .await;
    let no = answer["freeze"]["freeze_no"].as_str().unwrap().to_string();
    let deduct = |fen: i64| json!({"amount_fen": fen, "case_account": "420116-0001"});
    let (status, answer) = p
        .post(
            &format!("{FREEZES_PATH}/{no}/deduct"),
            "k-d",
            &body(CASE, &debtor, &h, deduct(1_001)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result_code"], "AMOUNT_EXCEEDS_FROZEN");
    let (_, answer) = p
        .post(
            &format!("{FREEZES_PATH}/NOPE000001/release"),
            "k-n",
            &body(CASE, &debtor, &h, json!({})),
        )
        .await;
    assert_eq!(answer["result_code"], "FREEZE_NOT_FOUND");

    let bad: [(&str, Value); 6] = [
        (FREEZES_PATH, freeze_body(CASE, &debtor, &h, 0)),
        (
            FREEZES_PATH,
            body(
                CASE,
                &debtor,
                &h,
                json!({"amount_fen": 1, "end_date": days(400)}),
            ),
        ),
        (
            FREEZES_PATH,
            body(
                CASE,
                &debtor,
                &h,
                json!({"amount_fen": 1, "end_date": days(0)}),
            ),
        ),
        (
            FREEZES_PATH,
            body(CASE, &debtor, &h, json!({"amount_fen": 1})),
        ),
        (
            FREEZES_PATH,
            freeze_body("(2024)鄂0116民初1号", &debtor, &h, 1),
        ),
        (
            &format!("{FREEZES_PATH}/{no}/deduct"),
            body(CASE, &debtor, &h, json!({"amount_fen": 1})),
        ),
    ];
    for (i, (path, body)) in bad.iter().enumerate() {
        let (status, answer) = p.post(path, &format!("k-bad-{i}"), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{i}: {answer}");
        assert!(
            matches!(
                answer["result_code"].as_str(),
                Some("INVALID_PARAMETER" | "MISSING_PARAMETER")
            ),
            "{i}: {answer}"
        );
    }
    let without_key = p
        .http
        .post(format!("{}{FREEZES_PATH}", p.agency.base_url()))
        .bearer_auth(&p.token)
        .json(&freeze_body(CASE, &debtor, &h, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(without_key.status(), StatusCode::BAD_REQUEST);

    // A day past its end date the freeze has expired: no renewal any more.
    p.agency.knobs.set_clock_offset_days(181);
    let (_, answer) = p
        .post(
            &format!("{FREEZES_PATH}/{no}/renew"),
            "k-late",
            &body(CASE, &debtor, &h, json!({"end_date": days(400)})),
        )
        .await;
    assert_eq!(answer["result_code"], "FREEZE_STATE_INVALID");
    let (_, now) = p.status("k-f").await;
    assert_eq!(now["freeze"]["status"], "EXPIRED");
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 0);
}

#[tokio::test]
async fn control_calls_share_the_inquiry_quota() {
    let p = Platform::start(Settings {
        quota_per_sec: 2,
        ..Settings::demo(0)
    })
    .await;
    let (debtor, h) = p.debtor();
    p.holding(&debtor, &h.account_id).await;
    let (status, _) = p
        .post(FREEZES_PATH, "k-q1", &freeze_body(CASE, &debtor, &h, 100))
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = p
        .http
        .post(format!("{}{FREEZES_PATH}", p.agency.base_url()))
        .bearer_auth(&p.token)
        .header("Idempotency-Key", "k-q2")
        .json(&freeze_body(CASE, &debtor, &h, 100))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result_code"], "QUOTA_EXCEEDED");
    assert_eq!(p.status("k-q1").await.0, StatusCode::TOO_MANY_REQUESTS);
}

impl Platform {
    /// Posts as is with `seal` and expects the seal refusal `code`; nothing may be recorded.
    async fn refused(&self, path: &str, key: &str, body: &Value, seal: Option<&str>, code: &str) {
        let (status, answer) = self.post_sealed(path, key, body, seal).await;
        assert_eq!(
            (status, answer["result_code"].as_str()),
            (StatusCode::FORBIDDEN, Some(code)),
            "{answer}"
        );
        assert!(answer.get("freeze").is_none(), "{answer}");
        let (status, _) = self.status(key).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing recorded for {key}");
    }
}

#[tokio::test]
async fn refuses_unsealed_tampered_stale_and_foreign_instructions_before_acting() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let demo = crate::demo_keys::instruction_signer();
    let now = now_secs();
    let body = freeze_body(CASE, &debtor, &h, 1_000);
    let seal = |signer: &InstructionSigner, at: i64, key: &str, body: &Value| {
        seal_header(signer, at, FREEZES_PATH, key, body).expect("an instruction")
    };

    p.refused(FREEZES_PATH, "k-u", &body, None, "SEAL_MISSING")
        .await;

    // Sealed, then altered on the way: the amount, the account, the key.
    let sealed = seal(&demo, now, "k-t", &body);
    let mut more = body.clone();
    more["amount_fen"] = json!(1_000_000);
    p.refused(FREEZES_PATH, "k-t", &more, Some(&sealed), "SEAL_INVALID")
        .await;
    let mut elsewhere = body.clone();
    elsewhere["account_id"] = json!("2088000000000000");
    p.refused(
        FREEZES_PATH,
        "k-t",
        &elsewhere,
        Some(&sealed),
        "SEAL_INVALID",
    )
    .await;
    p.refused(FREEZES_PATH, "k-t2", &body, Some(&sealed), "SEAL_INVALID")
        .await;
    for garbled in [
        "keyId=demo-1,t=1,sig=not base64".to_string(),
        "demo-1 abc".to_string(),
        sealed.replace(",t=", ",t=x"),
        format!("{sealed},t={now}"),
    ] {
        p.refused(FREEZES_PATH, "k-g", &body, Some(&garbled), "SEAL_INVALID")
            .await;
    }

    let stale = seal(&demo, now - FRESHNESS_SECS - 60, "k-s", &body);
    p.refused(FREEZES_PATH, "k-s", &body, Some(&stale), "SEAL_STALE")
        .await;

    let stranger = InstructionSigner::from_seed("demo-1", &B64.encode([7u8; 32])).unwrap();
    let forged = seal(&stranger, now, "k-f", &body);
    p.refused(FREEZES_PATH, "k-f", &body, Some(&forged), "SEAL_INVALID")
        .await;
    let unknown = InstructionSigner::from_seed("court-9", &B64.encode([7u8; 32])).unwrap();
    let foreign = seal(&unknown, now, "k-f", &body);
    p.refused(FREEZES_PATH, "k-f", &body, Some(&foreign), "SEAL_INVALID")
        .await;

    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 0);

    // Properly sealed it freezes; the release is sealed over its freeze number too.
    let (status, answer) = p.post(FREEZES_PATH, "k-ok", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let no = answer["freeze"]["freeze_no"].as_str().unwrap().to_string();
    let release = body_for_release(&debtor, &h);
    let path = format!("{FREEZES_PATH}/{no}/release");
    p.refused(&path, "k-r", &release, None, "SEAL_MISSING")
        .await;
    let sealed = seal_header(&demo, now, &path, "k-r", &release).unwrap();
    let other = format!("{FREEZES_PATH}/PAY-TEST-JF999999/release");
    p.refused(&other, "k-r", &release, Some(&sealed), "SEAL_INVALID")
        .await;
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 1_000);
    let (status, answer) = p.post_sealed(&path, "k-r", &release, Some(&sealed)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["freeze"]["status"], "RELEASED");
}

fn body_for_release(debtor: &DebtorRecord, h: &Holding) -> Value {
    body(CASE, debtor, h, json!({}))
}

#[tokio::test]
async fn a_fresh_resend_is_a_replay_and_a_stale_one_is_refused() {
    let p = Platform::start(Settings::demo(0)).await;
    let (debtor, h) = p.debtor();
    let body = freeze_body(CASE, &debtor, &h, 500);
    let now = now_secs();
    let seal = seal_header(
        &crate::demo_keys::instruction_signer(),
        now,
        FREEZES_PATH,
        "k",
        &body,
    )
    .unwrap();
    let (_, first) = p.post_sealed(FREEZES_PATH, "k", &body, Some(&seal)).await;
    let (status, again) = p.post_sealed(FREEZES_PATH, "k", &body, Some(&seal)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["freeze"], again["freeze"]);
    let old = seal_header(
        &crate::demo_keys::instruction_signer(),
        now - FRESHNESS_SECS - 60,
        FREEZES_PATH,
        "k",
        &body,
    )
    .unwrap();
    let (status, answer) = p.post_sealed(FREEZES_PATH, "k", &body, Some(&old)).await;
    assert_eq!(
        (status, answer["result_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("SEAL_STALE"))
    );
    assert_eq!(p.holding(&debtor, &h.account_id).await["frozen_fen"], 500);
}

#[tokio::test]
async fn trusts_the_configured_keys_instead_of_the_demo_key() {
    let court = InstructionSigner::from_seed("court-2", &B64.encode([3u8; 32])).unwrap();
    let p = Platform::start(Settings {
        instruction_keys: vec![InstructionKey {
            key_id: "court-2".into(),
            public_key: court.public_key(),
        }],
        ..Settings::demo(0)
    })
    .await;
    let (debtor, h) = p.debtor();
    let body = freeze_body(CASE, &debtor, &h, 100);
    p.refused(FREEZES_PATH, "k", &body, None, "SEAL_MISSING")
        .await;
    let demo = seal_header(
        &crate::demo_keys::instruction_signer(),
        now_secs(),
        FREEZES_PATH,
        "k",
        &body,
    );
    p.refused(FREEZES_PATH, "k", &body, demo.as_deref(), "SEAL_INVALID")
        .await;
    let sealed = seal_header(&court, now_secs(), FREEZES_PATH, "k", &body);
    let (status, answer) = p
        .post_sealed(FREEZES_PATH, "k", &body, sealed.as_deref())
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
