//! Control actions through the connector against the mock bank (freezes decided 50 ms after
//! they are accepted), and the mapping of control answers the mock never gives.

use super::super::control::convert;
use super::super::wire::ControlData;
use super::fixed_server::FixedServer;
use super::{connector, ctx, debtor, CASE, SOURCE};
use crate::domain::{AssetDetail, CaseNumber, CivilDate, Debtor, Fen};
use crate::signature::{InstructionSigner, FRESHNESS_SECS};
use crate::{
    CallContext, Capability, Connector, ControlAction, ControlAnswer, ControlInstruction,
    ErrorClass, HoldStatus, QueryAnswer,
};
use assethub_mocks::bank::{self, Account, AccountStatus, Settings};
use assethub_mocks::{AgencyConfig, FamilySettings, Population, RunningAgency};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SEED: u64 = 20_241_116;
const CASE_B: &str = "(2024)鄂01执88号";

fn settings() -> Settings {
    Settings {
        freeze_decision_ms: 50,
        ..Settings::demo(0)
    }
}

struct Bank {
    agency: RunningAgency,
    population: Arc<Population>,
    connector: Arc<dyn Connector>,
}

async fn start(settings: Settings) -> Bank {
    let population = Arc::new(Population::generate(SEED, 200));
    let config = AgencyConfig {
        name: SOURCE.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Bank(settings),
    };
    let agency = assethub_mocks::server::start(&config, population.clone())
        .await
        .expect("mock bank starts");
    let connector = connector(&agency.base_url());
    Bank {
        agency,
        population,
        connector,
    }
}

impl Bank {
    /// A debtor of the bank and one of their accounts matching `wanted`.
    fn debtor_with(&self, wanted: impl Fn(&Account) -> bool) -> (Debtor, Account) {
        self.population
            .debtors()
            .iter()
            .find_map(|record| {
                let held =
                    bank::holdings(SOURCE, &settings(), &self.population, &record.id_number)?;
                let account = held.accounts.into_iter().find(|a| wanted(a))?;
                Some((debtor(&record.id_number, &record.name), account))
            })
            .expect("the population has such an account")
    }

    async fn control(
        &self,
        ins: &ControlInstruction,
    ) -> Result<ControlAnswer, crate::ConnectorError> {
        self.connector.control(&ctx(), ins).await
    }

    /// Polls the status of `key` until the bank has decided it (bounded).
    async fn decided(&self, key: &str) -> ControlAnswer {
        for _ in 0..500 {
            let answer = self
                .connector
                .control_status(&ctx(), key)
                .await
                .expect("status")
                .expect("the bank knows the key");
            if answer.status != HoldStatus::Pending {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{key} was never decided");
    }

    /// Freezes and waits for the bank's decision.
    async fn frozen(&self, ins: &ControlInstruction) -> ControlAnswer {
        let answer = self.control(ins).await.expect("accepted");
        assert_eq!(answer.status, HoldStatus::Pending, "{answer:?}");
        self.decided(&ins.key).await
    }

    /// The account's frozen amount and balance as the inquiry reports them now.
    async fn reported(&self, who: &Debtor, acct_no: &str) -> (Fen, Fen) {
        let QueryAnswer::Found(assets) = self.connector.query(&ctx(), who).await.expect("query")
        else {
            panic!("found expected");
        };
        assets
            .iter()
            .find_map(|asset| match &asset.detail {
                AssetDetail::Deposit(d) if d.account_number == acct_no => {
                    Some((d.frozen, d.balance))
                }
                _ => None,
            })
            .expect("the account is reported")
    }
}

/// A plain CNY account with money on it and nothing frozen.
fn plain(account: &Account) -> bool {
    account.status == AccountStatus::Normal
        && account.currency == "CNY"
        && account.frozen == 0
        && account.balance >= 10_000
}

fn until(days: i64) -> CivilDate {
    CivilDate::today().plus_days(days)
}

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

/// An instruction sealed by the demo hub key now.
fn instruction(
    key: &str,
    case: &str,
    who: &Debtor,
    asset: &str,
    action: ControlAction,
) -> ControlInstruction {
    let ins = ControlInstruction {
        key: key.into(),
        case: CaseNumber::parse(case).expect("case"),
        ruling: format!("{case}之一"),
        officer: "王法官".into(),
        asset: asset.into(),
        debtor: who.clone(),
        action,
        signature: None,
    };
    sealed_by(
        &assethub_mocks::demo_keys::instruction_signer(),
        now_secs(),
        ins,
    )
}

fn freeze(key: &str, case: &str, who: &Debtor, asset: &str, fen: i64) -> ControlInstruction {
    let action = ControlAction::Freeze {
        amount: Fen(fen),
        until: until(300),
    };
    instruction(key, case, who, asset, action)
}

#[tokio::test]
async fn a_freeze_is_pending_then_effective_and_the_query_shows_it() {
    let bank = start(settings()).await;
    assert_eq!(
        bank.connector.capabilities(),
        [
            Capability::Query,
            Capability::Freeze,
            Capability::Release,
            Capability::Deduct,
            Capability::Renew
        ]
    );
    let (who, account) = bank.debtor_with(plain);
    let ins = freeze("k-1", CASE, &who, &account.acct_no, 5_000);
    let accepted = bank.control(&ins).await.expect("accepted");
    assert_eq!(accepted.status, HoldStatus::Pending);
    assert!(accepted.hold.starts_with("365DJ"), "{accepted:?}");
    let decided = bank.decided("k-1").await;
    assert_eq!(
        decided,
        ControlAnswer {
            hold: accepted.hold.clone(),
            status: HoldStatus::Effective,
            held: Fen(5_000),
            deducted: Fen(0),
            held_quantity: 0,
            until: Some(until(300)),
            message: String::new(),
        }
    );
    let (frozen, balance) = bank.reported(&who, &account.acct_no).await;
    assert_eq!((frozen, balance), (Fen(5_000), Fen(account.balance)));
}

#[tokio::test]
async fn a_closed_account_is_rejected_when_decided() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(|a| a.status == AccountStatus::Closed);
    let decided = bank
        .frozen(&freeze("k-c", CASE, &who, &account.acct_no, 100))
        .await;
    assert_eq!(decided.status, HoldStatus::Rejected);
    assert!(decided.message.contains("销户"), "{decided:?}");
}

#[tokio::test]
async fn an_account_that_is_not_the_debtors_is_rejected() {
    let bank = start(settings()).await;
    let (owner, account) = bank.debtor_with(plain);
    let stranger = bank
        .population
        .debtors()
        .iter()
        .find(|r| r.id_number != owner.id.as_str())
        .map(|r| debtor(&r.id_number, &r.name))
        .expect("someone else");
    let error = bank
        .control(&freeze("k-x", CASE, &stranger, &account.acct_no, 100))
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Rejected, "{error}");
    assert!(!error.is_retryable());
    assert!(error.message.contains("BIZ2001"), "{error}");
    assert!(
        !error.message.contains(stranger.id.as_str()),
        "no personal data: {error}"
    );
    assert!(
        !error.message.contains(&stranger.name),
        "no personal data: {error}"
    );
    assert_eq!(bank.connector.control_status(&ctx(), "k-x").await, Ok(None));
}

#[tokio::test]
async fn a_replay_answers_the_same_hold_once_and_a_reused_key_is_rejected() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(plain);
    let ins = freeze("k-r", CASE, &who, &account.acct_no, 3_000);
    let first = bank.frozen(&ins).await;
    let replay = bank.control(&ins).await.expect("replayed");
    assert_eq!(replay, first);
    assert_eq!(bank.reported(&who, &account.acct_no).await.0, Fen(3_000));
    let reused = freeze("k-r", CASE, &who, &account.acct_no, 4_000);
    let error = bank.control(&reused).await.expect_err("reused key");
    assert_eq!(error.class, ErrorClass::Rejected, "{error}");
    assert!(error.message.contains("BIZ2006"), "{error}");
}

#[tokio::test]
async fn a_second_court_queues_first_in_line_and_takes_effect_after_the_release() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(plain);
    let acct = account.acct_no.as_str();
    let first = bank
        .frozen(&freeze("a", CASE, &who, acct, account.balance))
        .await;
    assert_eq!(first.status, HoldStatus::Effective);
    let second = bank.frozen(&freeze("b", CASE_B, &who, acct, 1_000)).await;
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    let release = ControlAction::Release {
        hold: first.hold.clone(),
    };
    let released = bank
        .control(&instruction("r", CASE, &who, acct, release))
        .await
        .expect("released");
    assert_eq!(
        (released.status, released.held),
        (HoldStatus::Released, Fen(0))
    );
    let ctx_b = CallContext {
        case: CaseNumber::parse(CASE_B).expect("case"),
        request_id: "req-b".into(),
    };
    let second = bank
        .connector
        .control_status(&ctx_b, "b")
        .await
        .expect("status")
        .expect("known");
    assert_eq!(
        (second.status, second.held),
        (HoldStatus::Effective, Fen(1_000))
    );
}

#[tokio::test]
async fn freezing_more_than_available_freezes_what_is_there() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(plain);
    let ins = freeze("k-m", CASE, &who, &account.acct_no, account.balance + 100);
    let decided = bank.frozen(&ins).await;
    assert_eq!(decided.status, HoldStatus::Effective);
    assert_eq!(decided.held, Fen(account.balance));
    assert!(decided.message.contains("available"), "{decided:?}");
}

#[tokio::test]
async fn deducts_up_to_the_frozen_money_and_renews() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(plain);
    let acct = account.acct_no.as_str();
    let hold = bank
        .frozen(&freeze("f", CASE, &who, acct, 5_000))
        .await
        .hold;
    let deduct = |key: &str, fen: i64| {
        let action = ControlAction::Deduct {
            hold: hold.clone(),
            amount: Fen(fen),
            into_account: "42010000000088001".into(),
        };
        instruction(key, CASE, &who, acct, action)
    };
    let error = bank
        .control(&deduct("d0", 5_001))
        .await
        .expect_err("too much");
    assert_eq!(error.class, ErrorClass::Rejected, "{error}");
    assert!(error.message.contains("BIZ2002"), "{error}");
    let part = bank.control(&deduct("d1", 2_000)).await.expect("deducted");
    assert_eq!(
        (part.status, part.held, part.deducted),
        (HoldStatus::Effective, Fen(3_000), Fen(2_000))
    );
    assert_eq!(
        bank.reported(&who, acct).await,
        (Fen(3_000), Fen(account.balance - 2_000))
    );
    let renew = ControlAction::Renew {
        hold: hold.clone(),
        until: until(600),
    };
    let renewed = bank
        .control(&instruction("n1", CASE, &who, acct, renew))
        .await
        .expect("renewed");
    assert_eq!(
        (renewed.status, renewed.until),
        (HoldStatus::Effective, Some(until(600)))
    );
    let rest = bank.control(&deduct("d2", 3_000)).await.expect("deducted");
    assert_eq!((rest.status, rest.held), (HoldStatus::Deducted, Fen(0)));
    let status = bank
        .connector
        .control_status(&ctx(), "d1")
        .await
        .expect("status");
    assert_eq!(status.map(|a| a.deducted), Some(Fen(2_000)));
}

#[tokio::test]
async fn the_status_of_an_unknown_key_is_none() {
    let bank = start(settings()).await;
    assert_eq!(
        bank.connector.control_status(&ctx(), "never-sent").await,
        Ok(None)
    );
}

#[tokio::test]
async fn an_injected_503_on_a_control_call_is_retryable() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(plain);
    bank.agency.knobs.fail_next(1);
    let ins = freeze("k-5", CASE, &who, &account.acct_no, 100);
    let error = bank.control(&ins).await.expect_err("503");
    assert_eq!(error.class, ErrorClass::Server, "{error}");
    assert!(error.is_retryable());
    assert_eq!(
        bank.control(&ins).await.map(|a| a.status),
        Ok(HoldStatus::Pending)
    );
}

#[tokio::test]
async fn seals_and_watches_are_unsupported_without_calling_the_bank() {
    let server = FixedServer::json("{}").await;
    let connector = connector(&server.base_url);
    let who = debtor("11010519491231002X", "张伟");
    for action in [
        ControlAction::Seal { until: until(30) },
        ControlAction::Watch { until: until(30) },
    ] {
        let error = connector
            .control(
                &ctx(),
                &instruction("k", CASE, &who, "6236510123456789012", action),
            )
            .await
            .expect_err("unsupported");
        assert_eq!(error.class, ErrorClass::Unsupported, "{error}");
    }
    assert!(server.last_request().is_none(), "no HTTP call was made");
}

/// Expects `ins` refused for its seal with `code`, and nothing recorded or frozen.
async fn seal_refused(bank: &Bank, ins: &ControlInstruction, code: &str) {
    let error = bank.control(ins).await.expect_err("refused");
    assert_eq!(error.class, ErrorClass::Rejected, "{error}");
    assert!(!error.is_retryable(), "{error}");
    assert!(error.message.contains(code), "{error}");
    assert_eq!(
        bank.connector.control_status(&ctx(), &ins.key).await,
        Ok(None),
        "nothing recorded for {}",
        ins.key
    );
}

#[tokio::test]
async fn the_seal_travels_in_the_body_and_the_bank_refuses_bad_ones() {
    let bank = start(settings()).await;
    let (who, account) = bank.debtor_with(plain);
    let acct = account.acct_no.as_str();

    let mut unsigned = freeze("s-u", CASE, &who, acct, 100);
    unsigned.signature = None;
    seal_refused(&bank, &unsigned, "SEAL001").await;

    let mut tampered = freeze("s-t", CASE, &who, acct, 100);
    tampered.action = ControlAction::Freeze {
        amount: Fen(1_000_000),
        until: until(300),
    };
    seal_refused(&bank, &tampered, "SEAL002").await;
    let mut moved = freeze("s-m", CASE, &who, acct, 100);
    moved.asset = "6236510000000000000".into();
    seal_refused(&bank, &moved, "SEAL002").await;

    let stale = sealed_by(
        &assethub_mocks::demo_keys::instruction_signer(),
        now_secs() - FRESHNESS_SECS - 60,
        freeze("s-s", CASE, &who, acct, 100),
    );
    seal_refused(&bank, &stale, "SEAL003").await;

    let stranger = InstructionSigner::from_seed("demo-1", &B64.encode([5u8; 32])).expect("seed");
    let forged = sealed_by(&stranger, now_secs(), freeze("s-f", CASE, &who, acct, 100));
    seal_refused(&bank, &forged, "SEAL002").await;
    let unknown = InstructionSigner::from_seed("court-9", &B64.encode([5u8; 32])).expect("seed");
    let foreign = sealed_by(&unknown, now_secs(), freeze("s-k", CASE, &who, acct, 100));
    seal_refused(&bank, &foreign, "SEAL002").await;

    assert_eq!(bank.reported(&who, acct).await.0, Fen(0), "nothing frozen");
    let good = bank.frozen(&freeze("s-ok", CASE, &who, acct, 100)).await;
    assert_eq!((good.status, good.held), (HoldStatus::Effective, Fen(100)));
}

#[tokio::test]
async fn the_seal_fields_are_in_the_body_the_hmac_covers() {
    let server = FixedServer::json("{}").await;
    let connector = connector(&server.base_url);
    let who = debtor("11010519491231002X", "张伟");
    let ins = freeze("k", CASE, &who, "6236510123456789012", 100);
    let _ = connector.control(&ctx(), &ins).await;
    let request = server.last_request().expect("one request");
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    let seal = ins.signature.expect("sealed");
    assert_eq!(body["sealKeyId"], "demo-1");
    assert_eq!(body["sealTime"], seal.signed_at);
    assert_eq!(body["sealSig"], seal.signature.as_str());
    let mut unsigned = freeze("k2", CASE, &who, "6236510123456789012", 100);
    unsigned.signature = None;
    let _ = connector.control(&ctx(), &unsigned).await;
    let body: serde_json::Value =
        serde_json::from_slice(&server.last_request().expect("request").body).expect("JSON");
    assert!(
        body.get("sealKeyId").is_none() && body.get("sealSig").is_none(),
        "{body}"
    );
}

fn data(status: &str, queue_no: Option<u32>) -> ControlData {
    ControlData {
        biz_no: Some("k".into()),
        freeze_no: "365DJ000001".into(),
        ctrl_status: status.into(),
        queue_no,
        frozen_amt: "12.34".into(),
        deduct_amt: None,
        end_date: Some("20300101".into()),
        remark: String::new(),
    }
}

#[test]
fn converts_control_answers_exactly_and_refuses_what_it_cannot_read() {
    let answer = convert("k", data("11", Some(2))).expect("valid");
    assert_eq!(answer.status, HoldStatus::Queued { position: 2 });
    assert_eq!(answer.held, Fen(1_234));
    assert_eq!(answer.until, CivilDate::parse("2030-01-01").ok());
    for (key, broken) in [
        ("k", data("11", None)),
        ("k", data("77", None)),
        ("other", data("10", None)),
        (
            "k",
            ControlData {
                frozen_amt: "1.234".into(),
                ..data("10", None)
            },
        ),
        (
            "k",
            ControlData {
                end_date: Some("2030-01-01".into()),
                ..data("10", None)
            },
        ),
        (
            "k",
            ControlData {
                freeze_no: " ".into(),
                ..data("10", None)
            },
        ),
    ] {
        let error = convert(key, broken).expect_err("malformed");
        assert_eq!(error.class, ErrorClass::Malformed, "{error}");
    }
}
