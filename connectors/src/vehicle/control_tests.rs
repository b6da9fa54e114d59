//! The vehicle connector's control path against the mock administration (in process): seal,
//! renew, release and watch with their answers, the inquiry showing seals, replays, key reuse,
//! a second court's queued seal, refusals, status by key, the sightings feed, actions the
//! administration does not offer, and the electronic seal: unsealed, altered, stale and
//! foreign-key instructions are `Rejected` and nothing is done.

use super::build;
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::control::{ControlAction, ControlAnswer, ControlInstruction, HoldStatus};
use crate::domain::{AssetDetail, CaseNumber, CivilDate, Debtor, DebtorId, EncumbranceKind};
use crate::domain::{Encumbrance, Fen, SourceId};
use crate::error::{ConnectorError, ErrorClass};
use crate::signature::{InstructionSigner, FRESHNESS_SECS};
use assethub_mocks::population::{
    DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::server::RunningAgency;
use assethub_mocks::vehicle::{data, Settings, REPORT_PATH};
use assethub_mocks::{AgencyConfig, FamilySettings, Population};
use base64::Engine as _;
use std::sync::Arc;

const SOURCE: &str = "vehicle-hubei";
const CASE: &str = "(2024)鄂0116执1234号";
const OTHER_CASE: &str = "(2025)鄂0102执88号";

struct Fixture {
    agency: RunningAgency,
    connector: Arc<dyn Connector>,
    /// VIN and plate of a demo person's car without earlier seals.
    vin: String,
    plate: String,
    /// A VIN of the demo company's.
    company_vin: String,
}

async fn fixture() -> Fixture {
    let population = Arc::new(Population::generate(20_241_116, 200));
    let config = AgencyConfig {
        name: SOURCE.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Vehicle(Settings {
            sighting_interval_ms: None,
            ..Settings::demo(0)
        }),
    };
    let agency = assethub_mocks::server::start(&config, population.clone())
        .await
        .expect("mock administration starts");
    let settings: toml::Table = toml::from_str(&format!(
        "base_url = \"{}\"\napp_key = \"hb-vehicle-demo\"\napp_secret = \"hb-vehicle-secret\"\n",
        agency.base_url()
    ))
    .expect("settings parse");
    let connector = build(SourceId::new(SOURCE).expect("id"), settings).expect("builds");
    let car = data::holdings_for(SOURCE, &population, DEMO_PERSON_ID)
        .unwrap_or_default()
        .into_iter()
        .find(|v| v.seals.is_empty() && !v.status_codes().contains('E'))
        .expect("the demo person has a plain car");
    let fleet = data::holdings_for(SOURCE, &population, DEMO_COMPANY_ID).unwrap_or_default();
    Fixture {
        agency,
        connector,
        vin: car.vin,
        plate: car.plate,
        company_vin: fleet[0].vin.clone(),
    }
}

fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse(CASE).expect("case"),
        request_id: "req-ctl".into(),
    }
}

fn person() -> Debtor {
    Debtor {
        id: DebtorId::parse(DEMO_PERSON_ID).expect("id"),
        name: DEMO_PERSON_NAME.into(),
    }
}

fn in_days(days: i64) -> CivilDate {
    CivilDate::today().plus_days(days)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `instruction` sealed now with the demo hub's key, as the hub sends it.
fn signed(mut instruction: ControlInstruction) -> ControlInstruction {
    instruction.signature =
        Some(assethub_mocks::demo_keys::instruction_signer().sign(&instruction, now_secs()));
    instruction
}

/// A sealed instruction about the demo person's `asset`.
fn instruction(key: &str, case: &str, asset: &str, action: ControlAction) -> ControlInstruction {
    signed(unsigned(key, case, asset, action))
}

fn unsigned(key: &str, case: &str, asset: &str, action: ControlAction) -> ControlInstruction {
    ControlInstruction {
        key: key.into(),
        case: CaseNumber::parse(case).expect("case"),
        ruling: format!("{case}之一"),
        officer: "王法官".into(),
        asset: asset.into(),
        debtor: person(),
        action,
        signature: None,
    }
}

impl Fixture {
    async fn send(&self, key: &str, case: &str, action: ControlAction) -> ControlAnswer {
        self.try_send(key, case, action).await.expect("answered")
    }

    async fn try_send(
        &self,
        key: &str,
        case: &str,
        action: ControlAction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let order = instruction(key, case, &self.vin, action);
        self.connector.control(&ctx(), &order).await
    }

    /// The car's seals as the inquiry reports them.
    async fn seals(&self) -> Vec<Encumbrance> {
        let Ok(QueryAnswer::Found(assets)) = self.connector.query(&ctx(), &person()).await else {
            panic!("the demo person is found");
        };
        assets
            .into_iter()
            .find_map(|a| match a.detail {
                AssetDetail::Vehicle(v) if v.vin == self.vin => Some(v.encumbrances),
                _ => None,
            })
            .expect("the car is listed")
            .into_iter()
            .filter(|e| e.kind != EncumbranceKind::Mortgage)
            .collect()
    }
}

#[tokio::test]
async fn seal_renew_release_and_the_inquiry_shows_the_seal() {
    let f = fixture().await;
    let until = in_days(300);
    let sealed = f.send("c-seal", CASE, ControlAction::Seal { until }).await;
    assert_eq!(sealed.status, HoldStatus::Effective);
    assert_eq!(sealed.until, Some(until));
    assert_eq!((sealed.held, sealed.deducted), (Fen::ZERO, Fen::ZERO));
    assert!(sealed.hold.starts_with("HBCG"), "{}", sealed.hold);
    let seals = f.seals().await;
    assert_eq!(seals.len(), 1);
    assert_eq!(seals[0].kind, EncumbranceKind::Seal);
    assert_eq!(seals[0].holder, format!("鄂0116 {CASE}"));
    assert_eq!(seals[0].until, Some(until.to_string()));

    let later = in_days(650);
    let hold = sealed.hold.clone();
    let renewed = f
        .send(
            "c-renew",
            CASE,
            ControlAction::Renew {
                hold: hold.clone(),
                until: later,
            },
        )
        .await;
    assert_eq!(
        (renewed.hold.as_str(), renewed.status),
        (hold.as_str(), HoldStatus::Effective)
    );
    assert_eq!(renewed.until, Some(later));
    let now = f.connector.control_status(&ctx(), "c-seal").await;
    assert_eq!(now.expect("status").map(|a| a.until), Some(Some(later)));

    let released = f
        .send(
            "c-release",
            CASE,
            ControlAction::Release { hold: hold.clone() },
        )
        .await;
    assert_eq!(released.status, HoldStatus::Released);
    assert!(f.seals().await.is_empty());
    let late = f
        .try_send(
            "c-renew-2",
            CASE,
            ControlAction::Renew {
                hold,
                until: in_days(700),
            },
        )
        .await
        .expect_err("a released seal cannot be renewed");
    assert_eq!(late.class, ErrorClass::Rejected);
    assert!(!late.is_retryable());
}

#[tokio::test]
async fn another_debtors_vehicle_is_rejected_without_personal_data_in_the_error() {
    let f = fixture().await;
    let order = instruction(
        "c-theirs",
        CASE,
        &f.company_vin,
        ControlAction::Seal {
            until: in_days(100),
        },
    );
    let error = f
        .connector
        .control(&ctx(), &order)
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert!(error.message.contains("3001"), "{}", error.message);
    assert!(!error.message.contains(DEMO_PERSON_ID));
    assert!(!error.message.contains(DEMO_PERSON_NAME));
    let mut wrong_name = instruction(
        "c-name",
        CASE,
        &f.vin,
        ControlAction::Seal {
            until: in_days(100),
        },
    );
    wrong_name.debtor = Debtor {
        id: DebtorId::parse(DEMO_COMPANY_ID).expect("id"),
        name: DEMO_COMPANY_NAME.into(),
    };
    let wrong_name = signed(wrong_name);
    let error = f
        .connector
        .control(&ctx(), &wrong_name)
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert_eq!(
        f.connector.control_status(&ctx(), "c-theirs").await,
        Ok(None)
    );
}

#[tokio::test]
async fn a_replay_returns_the_same_hold_and_a_reused_key_is_rejected() {
    let f = fixture().await;
    let until = in_days(200);
    let first = f.send("c-once", CASE, ControlAction::Seal { until }).await;
    let again = f.send("c-once", CASE, ControlAction::Seal { until }).await;
    assert_eq!(first, again);
    assert_eq!(f.seals().await.len(), 1, "sealed once");
    let reused = f
        .try_send(
            "c-once",
            CASE,
            ControlAction::Seal {
                until: in_days(201),
            },
        )
        .await
        .expect_err("another instruction under the same key");
    assert_eq!(reused.class, ErrorClass::Rejected);
    assert!(reused.message.contains("3004"), "{}", reused.message);
}

#[tokio::test]
async fn a_second_courts_seal_is_queued_then_takes_effect() {
    let f = fixture().await;
    let until = in_days(365);
    let first = f.send("c-a", CASE, ControlAction::Seal { until }).await;
    let second = f
        .send("c-b", OTHER_CASE, ControlAction::Seal { until })
        .await;
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    let kinds: Vec<EncumbranceKind> = f.seals().await.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EncumbranceKind::Seal, EncumbranceKind::QueuedSeal]);
    f.send("c-a-rel", CASE, ControlAction::Release { hold: first.hold })
        .await;
    let now = f
        .connector
        .control_status(&ctx(), "c-b")
        .await
        .expect("status");
    let now = now.expect("the administration knows the key");
    assert_eq!((now.hold, now.status), (second.hold, HoldStatus::Effective));
}

#[tokio::test]
async fn status_of_an_unknown_key_is_none() {
    let f = fixture().await;
    assert_eq!(
        f.connector.control_status(&ctx(), "never-sent").await,
        Ok(None)
    );
}

#[tokio::test]
async fn a_watch_reports_sightings_once_through_the_feed() {
    let f = fixture().await;
    let watch = f
        .send("c-watch", CASE, ControlAction::Watch { until: in_days(30) })
        .await;
    assert_eq!(watch.status, HoldStatus::Effective);
    let reported = reqwest::Client::new()
        .post(format!("{}{REPORT_PATH}", f.agency.base_url()))
        .json(&serde_json::json!({"plate": f.plate, "place": "武汉天地停车场"}))
        .send()
        .await
        .expect("admin answers");
    assert_eq!(reported.status().as_u16(), 200);
    let page = f.connector.sightings("").await.expect("feed");
    assert_eq!(page.sightings.len(), 1);
    let seen = &page.sightings[0];
    assert_eq!(
        (seen.hold.as_str(), seen.plate.as_str()),
        (watch.hold.as_str(), f.plate.as_str())
    );
    assert_eq!(seen.place, "武汉天地停车场");
    assert!(!seen.seen_at.is_empty());
    let next = f.connector.sightings(&page.cursor).await.expect("feed");
    assert!(next.sightings.is_empty());
    assert_eq!(next.cursor, page.cursor);
    assert!(f.seals().await.is_empty(), "a watch is not a seal");
}

#[tokio::test]
async fn freeze_and_deduct_are_unsupported_without_a_call() {
    let f = fixture().await;
    assert_eq!(
        f.connector.capabilities(),
        &[
            Capability::Query,
            Capability::Seal,
            Capability::Release,
            Capability::Renew,
            Capability::Watch
        ]
    );
    let before = f.agency.knobs.requests();
    for action in [
        ControlAction::Freeze {
            amount: Fen(100),
            until: in_days(10),
        },
        ControlAction::Deduct {
            hold: "HBCG000001".into(),
            amount: Fen(100),
            into_account: "1".into(),
        },
    ] {
        let error = f
            .try_send("c-x", CASE, action)
            .await
            .expect_err("unsupported");
        assert_eq!(error.class, ErrorClass::Unsupported);
    }
    assert_eq!(f.agency.knobs.requests(), before);
}

#[tokio::test]
async fn an_injected_503_is_retryable_and_bad_dates_are_rejected() {
    let f = fixture().await;
    f.agency.knobs.fail_next(1);
    let error = f
        .try_send("c-503", CASE, ControlAction::Seal { until: in_days(10) })
        .await
        .expect_err("503");
    assert_eq!(error.class, ErrorClass::Server);
    assert!(error.is_retryable());
    assert_eq!(f.connector.control_status(&ctx(), "c-503").await, Ok(None));
    let error = f
        .try_send(
            "c-far",
            CASE,
            ControlAction::Seal {
                until: in_days(1000),
            },
        )
        .await
        .expect_err("beyond two years");
    assert_eq!(error.class, ErrorClass::Rejected);
}

#[test]
fn control_paths_match_the_administration() {
    use super::control as ours;
    use assethub_mocks::vehicle as theirs;
    assert_eq!(ours::SEAL_PATH, theirs::SEAL_PATH);
    assert_eq!(ours::WATCH_PATH, theirs::WATCH_PATH);
    assert_eq!(ours::RELEASE_PATH, theirs::RELEASE_PATH);
    assert_eq!(ours::RENEW_PATH, theirs::RENEW_PATH);
    assert_eq!(ours::STATUS_PATH, theirs::STATUS_PATH);
    assert_eq!(ours::SIGHTINGS_PATH, theirs::SIGHTINGS_PATH);
}

impl Fixture {
    /// Sends `order` as it is and expects a `Rejected` refusal with `code`; nothing is done.
    async fn refused(&self, order: &ControlInstruction, code: &str) {
        let error = self
            .connector
            .control(&ctx(), order)
            .await
            .expect_err("refused");
        assert_eq!(error.class, ErrorClass::Rejected, "{error:?}");
        assert!(!error.is_retryable());
        assert!(error.message.contains(code), "{}", error.message);
        assert_eq!(
            self.connector.control_status(&ctx(), &order.key).await,
            Ok(None)
        );
        assert!(self.seals().await.is_empty());
    }
}

#[tokio::test]
async fn an_unsealed_instruction_is_rejected_and_nothing_is_done() {
    let f = fixture().await;
    let bare = unsigned(
        "c-bare",
        CASE,
        &f.vin,
        ControlAction::Seal {
            until: in_days(100),
        },
    );
    f.refused(&bare, "3007").await;
    let sealed = f
        .send(
            "c-bare",
            CASE,
            ControlAction::Seal {
                until: in_days(100),
            },
        )
        .await;
    assert_eq!(
        sealed.status,
        HoldStatus::Effective,
        "sealed, it goes through"
    );
}

#[tokio::test]
async fn an_instruction_altered_after_sealing_is_rejected() {
    let f = fixture().await;
    let sealed = instruction(
        "c-alt",
        CASE,
        &f.vin,
        ControlAction::Seal {
            until: in_days(100),
        },
    );
    let mut longer = sealed.clone();
    longer.action = ControlAction::Seal {
        until: in_days(200),
    };
    f.refused(&longer, "3008").await;
    let mut other_car = sealed.clone();
    other_car.asset = f.company_vin.clone();
    f.refused(&other_car, "3008").await;
    let mut other_case = sealed.clone();
    other_case.case = CaseNumber::parse(OTHER_CASE).expect("case");
    f.refused(&other_case, "3008").await;
}

#[tokio::test]
async fn a_stale_instruction_is_rejected() {
    let f = fixture().await;
    let mut old = unsigned(
        "c-old",
        CASE,
        &f.vin,
        ControlAction::Seal {
            until: in_days(100),
        },
    );
    old.signature = Some(
        assethub_mocks::demo_keys::instruction_signer()
            .sign(&old, now_secs() - FRESHNESS_SECS - 60),
    );
    f.refused(&old, "3009").await;
}

#[tokio::test]
async fn an_instruction_sealed_with_another_key_is_rejected() {
    let f = fixture().await;
    let seed = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    for key_id in ["demo-1", "court-2"] {
        let signer = InstructionSigner::from_seed(key_id, &seed).expect("key");
        let mut order = unsigned(
            "c-key",
            CASE,
            &f.vin,
            ControlAction::Watch {
                until: in_days(100),
            },
        );
        order.signature = Some(signer.sign(&order, now_secs()));
        f.refused(&order, "3008").await;
    }
}
