//! Control instructions through the payment connector against the mock platform (in process,
//! port 0): each action, the platform's refusals as `Rejected`, idempotent replays, the queue
//! between courts, status by key, and what the inquiry shows afterwards.

use super::build;
use crate::connector::{CallContext, Capability, QueryAnswer};
use crate::control::{ControlAction, ControlAnswer, ControlInstruction, HoldStatus};
use crate::domain::{AssetDetail, CaseNumber, CivilDate, Debtor, DebtorId, Fen, SourceId};
use crate::error::{ConnectorError, ErrorClass};
use crate::signature::{InstructionSigner, FRESHNESS_SECS};
use crate::Connector;
use assethub_mocks::payment::data::{self, Holding};
use assethub_mocks::payment::Settings;
use assethub_mocks::population::{DebtorKind, DebtorRecord, Wealth};
use assethub_mocks::server::{start, RunningAgency};
use assethub_mocks::{AgencyConfig, FamilySettings, Population};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SOURCE: &str = "pay-xinfu";
const CASE: &str = "(2024)鄂0116执1234号";
const OTHER_CASE: &str = "(2024)鄂0102执77号";

struct Platform {
    agency: RunningAgency,
    connector: Arc<dyn Connector>,
    debtor: Debtor,
    holding: Holding,
    population: Arc<Population>,
}

impl Platform {
    async fn start(settings: Settings) -> Self {
        let population = Arc::new(Population::generate(7, 200));
        let config = AgencyConfig {
            name: SOURCE.into(),
            host: "127.0.0.1".into(),
            port: 0,
            latency_ms: 0,
            jitter_ms: 0,
            settings: FamilySettings::Payment(settings),
        };
        let agency = start(&config, population.clone()).await.unwrap();
        let text = format!(
            "base_url = {:?}\nclient_id = \"xinfu-court-client\"\n\
             client_secret = \"xinfu-demo-secret\"\n",
            agency.base_url()
        );
        let connector = build(
            SourceId::new(SOURCE).unwrap(),
            toml::from_str(&text).unwrap(),
        )
        .expect("connector builds");
        let (record, holding) = free_balance(&population);
        Self {
            agency,
            connector,
            debtor: debtor_of(&record),
            holding,
            population,
        }
    }

    async fn demo() -> Self {
        Self::start(Settings::demo(0)).await
    }

    fn asset(&self) -> String {
        format!(
            "{}:{}",
            self.holding.account_id,
            self.holding.product.code()
        )
    }

    /// An instruction sealed by the demo hub key now.
    fn instruction(&self, key: &str, case: &str, action: ControlAction) -> ControlInstruction {
        sealed(ControlInstruction {
            key: key.into(),
            case: CaseNumber::parse(case).unwrap(),
            ruling: format!("{case}之一"),
            officer: "李法官".into(),
            asset: self.asset(),
            debtor: self.debtor.clone(),
            action,
            signature: None,
        })
    }

    async fn control(&self, key: &str, action: ControlAction) -> ControlAnswer {
        self.try_control(key, CASE, action)
            .await
            .expect("the platform accepts")
    }

    async fn try_control(
        &self,
        key: &str,
        case: &str,
        action: ControlAction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let instruction = self.instruction(key, case, action);
        self.connector.control(&ctx(), &instruction).await
    }

    /// The balance's (balance, frozen) as the inquiry reports it now.
    async fn balance(&self) -> (Fen, Fen) {
        let QueryAnswer::Found(assets) = self.connector.query(&ctx(), &self.debtor).await.unwrap()
        else {
            panic!("debtor not found");
        };
        let asset = assets
            .into_iter()
            .find(|a| a.asset_ref.local == self.asset())
            .expect("balance reported");
        let AssetDetail::Payment(balance) = asset.detail else {
            panic!("not a payment balance");
        };
        (balance.balance, balance.frozen)
    }
}

/// A person with an unencumbered balance of at least 100 yuan on this platform.
fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// `ins` sealed by `signer` at `signed_at`, as the hub seals what it sends.
fn sealed_by(
    signer: &InstructionSigner,
    signed_at: i64,
    mut ins: ControlInstruction,
) -> ControlInstruction {
    ins.signature = Some(signer.sign(&ins, signed_at));
    ins
}

/// `ins` (re)sealed by the demo hub key now.
fn sealed(ins: ControlInstruction) -> ControlInstruction {
    sealed_by(
        &assethub_mocks::demo_keys::instruction_signer(),
        now_secs(),
        ins,
    )
}

fn free_balance(population: &Population) -> (DebtorRecord, Holding) {
    population
        .debtors()
        .iter()
        .filter(|d| d.kind == DebtorKind::Person && d.wealth != Wealth::None)
        .find_map(|d| {
            let account = data::account_for(SOURCE, population, d);
            let h = account
                .holdings
                .into_iter()
                .find(|h| h.frozen_fen == 0 && h.amount_fen >= 10_000)?;
            Some((d.clone(), h))
        })
        .expect("someone keeps a free balance")
}

fn debtor_of(record: &DebtorRecord) -> Debtor {
    Debtor {
        id: DebtorId::parse(&record.id_number).unwrap(),
        name: record.name.clone(),
    }
}

fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse(CASE).unwrap(),
        request_id: "req-7".into(),
    }
}

fn days(n: i64) -> CivilDate {
    CivilDate::today().plus_days(n)
}

fn freeze(fen: i64) -> ControlAction {
    ControlAction::Freeze {
        amount: Fen(fen),
        until: days(180),
    }
}

fn deduct(hold: &str, fen: i64) -> ControlAction {
    ControlAction::Deduct {
        hold: hold.into(),
        amount: Fen(fen),
        into_account: "420116-0001".into(),
    }
}

fn release(hold: &str) -> ControlAction {
    ControlAction::Release { hold: hold.into() }
}

fn assert_rejected(result: Result<ControlAnswer, ConnectorError>, code: &str) -> ConnectorError {
    let error = result.expect_err("the platform refuses");
    assert_eq!(error.class, ErrorClass::Rejected, "{error}");
    assert!(error.message.contains(code), "{error}");
    assert!(!error.is_retryable());
    error
}

#[tokio::test]
async fn lists_what_a_payment_platform_supports() {
    let p = Platform::demo().await;
    assert_eq!(
        p.connector.capabilities(),
        [
            Capability::Query,
            Capability::Freeze,
            Capability::Release,
            Capability::Deduct,
            Capability::Renew
        ]
    );
    for action in [
        ControlAction::Seal { until: days(30) },
        ControlAction::Watch { until: days(30) },
    ] {
        let error = p.try_control("k-seal", CASE, action).await.unwrap_err();
        assert_eq!(error.class, ErrorClass::Unsupported, "{error}");
    }
    assert_eq!(
        p.agency.knobs.requests(),
        0,
        "no HTTP call for unsupported actions"
    );
}

#[tokio::test]
async fn freezes_renews_deducts_and_releases() {
    let p = Platform::demo().await;
    let (balance, frozen) = p.balance().await;
    assert_eq!((balance, frozen), (Fen(p.holding.amount_fen), Fen(0)));

    let frozen = p.control("k-freeze", freeze(5_000)).await;
    assert_eq!(frozen.status, HoldStatus::Effective);
    assert_eq!(frozen.held, Fen(5_000));
    assert_eq!(frozen.deducted, Fen(0));
    assert_eq!(frozen.until, Some(days(180)));
    assert_eq!(frozen.message, "");
    assert!(frozen.hold.starts_with("PAY-XINFU-JF"), "{}", frozen.hold);
    assert_eq!(p.balance().await, (balance, Fen(5_000)));

    let renew = ControlAction::Renew {
        hold: frozen.hold.clone(),
        until: days(400),
    };
    let renewed = p.control("k-renew", renew).await;
    assert_eq!(renewed.hold, frozen.hold);
    assert_eq!(renewed.status, HoldStatus::Effective);
    assert_eq!(renewed.until, Some(days(400)));

    let deducted = p.control("k-deduct", deduct(&frozen.hold, 2_000)).await;
    assert_eq!(deducted.deducted, Fen(2_000));
    assert_eq!(deducted.held, Fen(3_000));
    assert_eq!(deducted.status, HoldStatus::Effective);
    assert_eq!(p.balance().await, (Fen(balance.0 - 2_000), Fen(3_000)));

    let released = p.control("k-release", release(&frozen.hold)).await;
    assert_eq!(released.status, HoldStatus::Released);
    assert_eq!(released.held, Fen(0));
    assert_eq!(p.balance().await, (Fen(balance.0 - 2_000), Fen(0)));

    // Deducting everything ends the freeze.
    let again = p.control("k-freeze-2", freeze(1_000)).await;
    let all = p.control("k-deduct-all", deduct(&again.hold, 1_000)).await;
    assert_eq!(
        (all.status, all.held, all.deducted),
        (HoldStatus::Deducted, Fen(0), Fen(1_000))
    );
}

#[tokio::test]
async fn refuses_an_asset_that_is_not_the_debtors() {
    let p = Platform::demo().await;
    let other = p
        .population
        .debtors()
        .iter()
        .find(|d| d.kind == DebtorKind::Person && d.id_number != p.debtor.id.as_str())
        .unwrap();
    let mut instruction = p.instruction("k-other", CASE, freeze(100));
    instruction.debtor = debtor_of(other);
    let error = assert_rejected(
        p.connector
            .control(&ctx(), &sealed(instruction.clone()))
            .await,
        "ACCOUNT_NOT_OWNED",
    );
    assert!(!error.message.contains(&other.id_number), "{error}");
    assert!(!error.message.contains(&other.name), "{error}");
    instruction.debtor = Debtor {
        name: "王五".into(),
        ..p.debtor.clone()
    };
    assert_rejected(
        p.connector
            .control(&ctx(), &sealed(instruction.clone()))
            .await,
        "CERT_NAME_MISMATCH",
    );
    instruction.asset = "no-product-here".into();
    let before = p.agency.knobs.requests();
    assert_rejected(
        p.connector.control(&ctx(), &instruction).await,
        "account:product",
    );
    assert_eq!(p.agency.knobs.requests(), before);
    assert_eq!(
        p.connector.control_status(&ctx(), "k-other").await,
        Ok(None)
    );
    assert_eq!(p.balance().await.1, Fen(0));
}

#[tokio::test]
async fn a_replay_answers_the_same_freeze_and_a_reused_key_is_rejected() {
    let p = Platform::demo().await;
    let first = p.control("k-1", freeze(1_000)).await;
    let again = p.control("k-1", freeze(1_000)).await;
    assert_eq!(first, again);
    assert_eq!(p.balance().await.1, Fen(1_000));
    assert_rejected(
        p.try_control("k-1", CASE, freeze(2_000)).await,
        "IDEMPOTENCY_KEY_REUSED",
    );
    assert_eq!(p.balance().await.1, Fen(1_000));
}

#[tokio::test]
async fn a_second_courts_freeze_queues_and_takes_effect_on_release() {
    let p = Platform::demo().await;
    let amount = p.holding.amount_fen;
    let first = p.control("k-a", freeze(amount + 500)).await;
    assert_eq!(first.status, HoldStatus::Effective);
    assert_eq!(first.held, Fen(amount));
    assert!(first.message.contains("only"), "{}", first.message);

    let second = p
        .try_control("k-b", OTHER_CASE, freeze(3_000))
        .await
        .unwrap();
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    assert_eq!(second.held, Fen(0));
    assert_rejected(
        p.try_control("k-b-steals", OTHER_CASE, release(&first.hold))
            .await,
        "NOT_FREEZE_HOLDER",
    );

    p.control("k-a-release", release(&first.hold)).await;
    let now = p
        .connector
        .control_status(&ctx(), "k-b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.hold, second.hold);
    assert_eq!(now.status, HoldStatus::Effective);
    assert_eq!(now.held, Fen(3_000));
    assert_eq!(p.balance().await.1, Fen(3_000));
}

#[tokio::test]
async fn a_deduction_above_the_frozen_amount_is_rejected() {
    let p = Platform::demo().await;
    let frozen = p.control("k-f", freeze(1_000)).await;
    assert_rejected(
        p.try_control("k-d", CASE, deduct(&frozen.hold, 1_001))
            .await,
        "AMOUNT_EXCEEDS_FROZEN",
    );
    assert_rejected(
        p.try_control("k-x", CASE, release("PAY-XINFU-JF999999"))
            .await,
        "FREEZE_NOT_FOUND",
    );
    let before = p.agency.knobs.requests();
    assert_rejected(
        p.try_control("k-y", CASE, release("../holdings")).await,
        "not a freeze number",
    );
    assert_eq!(p.agency.knobs.requests(), before);
    assert_eq!(p.balance().await.1, Fen(1_000));
}

#[tokio::test]
async fn status_by_key_follows_the_freeze() {
    let p = Platform::demo().await;
    assert_eq!(
        p.connector.control_status(&ctx(), "never-sent").await,
        Ok(None)
    );
    let frozen = p.control("k-s", freeze(1_000)).await;
    let status = p.connector.control_status(&ctx(), "k-s").await.unwrap();
    assert_eq!(status, Some(frozen.clone()));
    // A day past its end date the freeze has expired, and renewal is refused.
    p.agency.knobs.set_clock_offset_days(181);
    let now = p
        .connector
        .control_status(&ctx(), "k-s")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((now.status, now.held), (HoldStatus::Expired, Fen(0)));
    assert!(now.status.is_final());
    let renew = ControlAction::Renew {
        hold: frozen.hold,
        until: days(400),
    };
    assert_rejected(
        p.try_control("k-late", CASE, renew).await,
        "FREEZE_STATE_INVALID",
    );
}

#[tokio::test]
async fn quota_and_gateway_failures_are_retryable() {
    let p = Platform::start(Settings {
        quota_per_sec: 1,
        ..Settings::demo(0)
    })
    .await;
    p.control("k-1", freeze(100)).await;
    let error = p.try_control("k-2", CASE, freeze(100)).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::RateLimited, "{error}");
    assert_eq!(error.retry_after, Some(Duration::from_secs(1)));
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    p.agency.knobs.fail_next(1);
    let error = p.try_control("k-2", CASE, freeze(100)).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::Server, "{error}");
    assert!(error.is_retryable());
    let error = p.connector.control_status(&ctx(), "k-2").await;
    assert!(matches!(error, Ok(None)), "{error:?}");
}

#[tokio::test]
async fn a_revoked_token_is_replaced_for_control_too() {
    let p = Platform::demo().await;
    p.control("k-1", freeze(100)).await;
    let revoke = format!(
        "{}{}",
        p.agency.base_url(),
        assethub_mocks::payment::ADMIN_REVOKE_PATH
    );
    reqwest::Client::new().post(revoke).send().await.unwrap();
    let released = p
        .control("k-2", release(&p.control("k-1", freeze(100)).await.hold))
        .await;
    assert_eq!(released.status, HoldStatus::Released);
    assert_eq!(p.balance().await.1, Fen(0));
}

/// Expects `ins` refused for its seal with `code`, and nothing recorded or frozen.
async fn seal_refused(p: &Platform, ins: &ControlInstruction, code: &str) {
    let error = assert_rejected(p.connector.control(&ctx(), ins).await, code);
    assert!(error.message.contains("SEAL_"), "{error}");
    assert_eq!(
        p.connector.control_status(&ctx(), &ins.key).await,
        Ok(None),
        "nothing recorded for {}",
        ins.key
    );
}

#[tokio::test]
async fn the_seal_travels_in_a_header_and_the_platform_refuses_bad_ones() {
    let p = Platform::demo().await;
    let mut unsigned = p.instruction("k-u", CASE, freeze(100));
    unsigned.signature = None;
    seal_refused(&p, &unsigned, "SEAL_MISSING").await;

    let mut more = p.instruction("k-t", CASE, freeze(100));
    more.action = freeze(1_000_000);
    seal_refused(&p, &more, "SEAL_INVALID").await;
    let mut other_case = p.instruction("k-c", CASE, freeze(100));
    other_case.case = CaseNumber::parse(OTHER_CASE).unwrap();
    seal_refused(&p, &other_case, "SEAL_INVALID").await;

    let stale = sealed_by(
        &assethub_mocks::demo_keys::instruction_signer(),
        now_secs() - FRESHNESS_SECS - 60,
        p.instruction("k-s", CASE, freeze(100)),
    );
    seal_refused(&p, &stale, "SEAL_STALE").await;

    let stranger = InstructionSigner::from_seed("demo-1", &B64.encode([5u8; 32])).unwrap();
    let forged = sealed_by(
        &stranger,
        now_secs(),
        p.instruction("k-f", CASE, freeze(100)),
    );
    seal_refused(&p, &forged, "SEAL_INVALID").await;
    let unknown = InstructionSigner::from_seed("court-9", &B64.encode([5u8; 32])).unwrap();
    let foreign = sealed_by(
        &unknown,
        now_secs(),
        p.instruction("k-k", CASE, freeze(100)),
    );
    seal_refused(&p, &foreign, "SEAL_INVALID").await;

    // A key id that cannot be written in the header is refused without a call.
    let mut odd = p.instruction("k-o", CASE, freeze(100));
    if let Some(seal) = odd.signature.as_mut() {
        seal.key_id = "a,b".into();
    }
    let before = p.agency.knobs.requests();
    assert_rejected(p.connector.control(&ctx(), &odd).await, "X-Court-Seal");
    assert_eq!(p.agency.knobs.requests(), before);

    assert_eq!(p.balance().await.1, Fen(0), "nothing frozen");
    let frozen = p.control("k-ok", freeze(100)).await;
    assert_eq!(frozen.status, HoldStatus::Effective);
    let mut other_hold = p.instruction("k-r", CASE, release(&frozen.hold));
    other_hold.action = release("PAY-XINFU-JF999999");
    seal_refused(&p, &other_hold, "SEAL_INVALID").await;
    assert_eq!(p.balance().await.1, Fen(100));
}

#[test]
fn odd_answers_are_malformed_and_refusals_rejected() {
    let ok = r#"{"result_code":"SUCCESS","request_id":"req-7","idempotency_key":"k",
        "freeze":{"freeze_no":"F1","status":"QUEUED","queue_position":2,"frozen_fen":0,
        "deducted_fen":0,"end_date":"2030-01-31"}}"#;
    let answer = super::control::convert_json(&ctx(), "k", ok).unwrap();
    assert_eq!(answer.status, HoldStatus::Queued { position: 2 });
    assert_eq!(answer.until, Some(CivilDate::parse("2030-01-31").unwrap()));
    let malformed = [
        ok.replace(r#""queue_position":2,"#, ""),
        ok.replace("QUEUED", "ON_HOLD"),
        ok.replace(r#""idempotency_key":"k""#, r#""idempotency_key":"other""#),
        ok.replace("req-7", "req-8"),
        ok.replace(r#""frozen_fen":0"#, r#""frozen_fen":-1"#),
        ok.replace("2030-01-31", "2030-02-31"),
        r#"{"result_code":"SUCCESS"}"#.to_string(),
        r#"{"result_code":"SYSTEM_BUSY","result_msg":"later"}"#.to_string(),
    ];
    for body in malformed {
        let error = super::control::convert_json(&ctx(), "k", &body).unwrap_err();
        assert_eq!(error.class, ErrorClass::Malformed, "{body}: {error}");
    }
    let refused = r#"{"result_code":"FREEZE_STATE_INVALID","result_msg":"hold is Expired"}"#;
    let error = super::control::convert_json(&ctx(), "k", refused).unwrap_err();
    assert_eq!(error.class, ErrorClass::Rejected);
    assert_eq!(error.message, "FREEZE_STATE_INVALID: hold is Expired");
}
