//! The registry connector's control path against the mock registry: seal, renew, release and
//! status by key, refusals, idempotent replays, the queue of a second court, expiry, actions a
//! registry cannot take, canned broken answers, and the electronic seal: unsealed, altered,
//! stale and foreign-key instructions are `Rejected` and nothing is registered.

use super::control_wire::KzRequest;
use super::tests::{canned, connector, ctx, debtor, fixture, http_200, Fixture, SOURCE, TOKEN};
use crate::connector::{CallContext, QueryAnswer};
use crate::control::{ControlAction, ControlAnswer, ControlInstruction, HoldStatus};
use crate::domain::{AssetDetail, CaseNumber, CivilDate, Debtor, EncumbranceKind, Fen};
use crate::error::ErrorClass;
use crate::signature::{InstructionSigner, FRESHNESS_SECS};
use assethub_mocks::population::{
    DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::real_estate::{data, Settings};
use base64::Engine as _;

const CASE: &str = "(2024)鄂0116执1234号";
const OTHER_CASE: &str = "(2024)鄂0102执77号";

fn person() -> Debtor {
    debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME)
}

fn in_days(days: i64) -> CivilDate {
    CivilDate::today().plus_days(days)
}

impl Fixture {
    /// The first certificate registered to `id` at the mock registry that no court has
    /// sealed in the registry's older records (a new seal there would only queue).
    fn certificate(&self, id: &str) -> String {
        data::holdings_for(SOURCE, &Settings::demo(0), &self.population, id)
            .and_then(|held| {
                held.iter()
                    .find(|p| p.seals.is_empty())
                    .map(|p| p.certificate_number.clone())
            })
            .expect("the demo debtors hold unsealed property")
    }

    async fn send(&self, instruction: &ControlInstruction) -> ControlAnswer {
        self.connector
            .control(&ctx(), instruction)
            .await
            .unwrap_or_else(|e| panic!("{} succeeds: {e}", instruction.action.name()))
    }

    async fn status(&self, key: &str) -> Option<ControlAnswer> {
        self.connector
            .control_status(&ctx(), key)
            .await
            .expect("status answered")
    }

    /// The demo person's property `certificate` as the inquiry reports it now.
    async fn encumbrances(&self, certificate: &str) -> Vec<(EncumbranceKind, String)> {
        let QueryAnswer::Found(assets) = self
            .connector
            .query(&ctx(), &person())
            .await
            .expect("query succeeds")
        else {
            panic!("expected Found");
        };
        assets
            .into_iter()
            .find_map(|a| match a.detail {
                AssetDetail::Property(p) if p.certificate_number == certificate => Some(
                    p.encumbrances
                        .into_iter()
                        .filter(|e| e.kind != EncumbranceKind::Mortgage)
                        .map(|e| (e.kind, e.holder))
                        .collect(),
                ),
                _ => None,
            })
            .expect("the property is reported")
    }
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
        case: CaseNumber::parse(case).expect("case number"),
        ruling: format!("{case}之一"),
        officer: "王法官".into(),
        asset: asset.into(),
        debtor: person(),
        action,
        signature: None,
    }
}

fn seal(until: i64) -> ControlAction {
    ControlAction::Seal {
        until: in_days(until),
    }
}

fn release(hold: &str) -> ControlAction {
    ControlAction::Release { hold: hold.into() }
}

#[tokio::test]
async fn seals_renews_and_releases_a_property() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let sealed = f.send(&instruction("k-seal", CASE, &cert, seal(365))).await;
    assert_eq!(sealed.status, HoldStatus::Effective);
    assert_eq!((sealed.held, sealed.deducted), (Fen::ZERO, Fen::ZERO));
    assert_eq!(sealed.until, Some(in_days(365)));
    assert!(!sealed.hold.is_empty());
    assert_eq!(f.status("k-seal").await, Some(sealed.clone()));

    let renew = ControlAction::Renew {
        hold: sealed.hold.clone(),
        until: in_days(800),
    };
    let renewed = f.send(&instruction("k-renew", CASE, &cert, renew)).await;
    assert_eq!(renewed.hold, sealed.hold);
    assert_eq!(renewed.status, HoldStatus::Effective);
    assert_eq!(renewed.until, Some(in_days(800)));

    let released = f
        .send(&instruction(
            "k-release",
            CASE,
            &cert,
            release(&sealed.hold),
        ))
        .await;
    assert_eq!(released.status, HoldStatus::Released);
    let now = f.status("k-seal").await.expect("known key");
    assert_eq!(now.status, HoldStatus::Released);
    assert_eq!(f.agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn an_unknown_key_is_none() {
    let f = fixture().await;
    assert_eq!(f.status("never-sent").await, None);
}

#[tokio::test]
async fn a_property_not_the_debtors_is_rejected() {
    let f = fixture().await;
    let company = f.certificate(DEMO_COMPANY_ID);
    let error = f
        .connector
        .control(&ctx(), &instruction("k-1", CASE, &company, seal(30)))
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert!(!error.is_retryable());
    assert!(error.message.contains("4001"), "{}", error.message);
    assert!(!error.message.contains(DEMO_PERSON_ID) && !error.message.contains(DEMO_PERSON_NAME));
    let mut wrong_name = instruction("k-2", CASE, &f.certificate(DEMO_PERSON_ID), seal(30));
    wrong_name.debtor = debtor(DEMO_PERSON_ID, DEMO_COMPANY_NAME);
    let wrong_name = signed(wrong_name);
    let error = f
        .connector
        .control(&ctx(), &wrong_name)
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert_eq!(f.status("k-1").await, None, "nothing registered");
}

#[tokio::test]
async fn a_replay_seals_once_and_a_reused_key_is_rejected() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let order = instruction("k-1", CASE, &cert, seal(365));
    let first = f.send(&order).await;
    let again = f.send(&order).await;
    assert_eq!(first, again);
    let ours = format!("鄂0116 {CASE}");
    let seals = f.encumbrances(&cert).await;
    assert_eq!(
        seals.iter().filter(|(_, holder)| *holder == ours).count(),
        1,
        "{seals:?}"
    );
    assert!(seals.contains(&(EncumbranceKind::Seal, ours)));

    let changed = instruction("k-1", CASE, &cert, seal(300));
    let error = f
        .connector
        .control(&ctx(), &changed)
        .await
        .expect_err("reused");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert!(error.message.contains("4004"), "{}", error.message);
}

#[tokio::test]
async fn a_second_courts_seal_queues_until_the_first_is_released() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let first = f.send(&instruction("k-a", CASE, &cert, seal(365))).await;
    let second = f
        .send(&instruction("k-b", OTHER_CASE, &cert, seal(365)))
        .await;
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    assert_ne!(second.hold, first.hold);
    let seals = f.encumbrances(&cert).await;
    assert!(seals.contains(&(EncumbranceKind::QueuedSeal, format!("鄂0102 {OTHER_CASE}"))));

    f.send(&instruction("k-c", CASE, &cert, release(&first.hold)))
        .await;
    let now = f.status("k-b").await.expect("known key");
    assert_eq!(now.status, HoldStatus::Effective);
    assert_eq!(now.hold, second.hold);
}

#[tokio::test]
async fn an_expired_seal_cannot_be_renewed() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let sealed = f.send(&instruction("k-1", CASE, &cert, seal(10))).await;
    f.agency.knobs.set_clock_offset_days(11);
    assert_eq!(
        f.status("k-1").await.map(|a| a.status),
        Some(HoldStatus::Expired)
    );
    let renew = ControlAction::Renew {
        hold: sealed.hold,
        until: in_days(300),
    };
    let error = f
        .connector
        .control(&ctx(), &instruction("k-2", CASE, &cert, renew))
        .await
        .expect_err("expired");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert!(error.message.contains("4003"), "{}", error.message);
}

#[tokio::test]
async fn a_term_beyond_three_years_is_rejected() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let error = f
        .connector
        .control(&ctx(), &instruction("k-1", CASE, &cert, seal(4 * 365)))
        .await
        .expect_err("too long");
    assert_eq!(error.class, ErrorClass::Rejected);
    assert!(error.message.contains("2004"), "{}", error.message);
}

#[tokio::test]
async fn actions_a_registry_cannot_take_are_unsupported_without_a_call() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let actions = [
        ControlAction::Freeze {
            amount: Fen(100),
            until: in_days(30),
        },
        ControlAction::Watch { until: in_days(30) },
        ControlAction::Deduct {
            hold: "CF0001-000001".into(),
            amount: Fen(100),
            into_account: "1234".into(),
        },
    ];
    for action in actions {
        let error = f
            .connector
            .control(&ctx(), &instruction("k", CASE, &cert, action))
            .await
            .expect_err("unsupported");
        assert_eq!(error.class, ErrorClass::Unsupported);
    }
    assert_eq!(f.agency.knobs.requests(), 0);
    assert!(f.connector.sightings("").await.is_err());
}

#[tokio::test]
async fn an_injected_503_is_retryable() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    f.agency.knobs.fail_next(1);
    let order = instruction("k-1", CASE, &cert, seal(30));
    let error = f.connector.control(&ctx(), &order).await.expect_err("503");
    assert_eq!(error.class, ErrorClass::Server);
    assert!(error.is_retryable());
    assert_eq!(f.status("k-1").await, None, "the agency never saw it");
    f.send(&order).await;
}

#[tokio::test]
async fn broken_control_answers_are_malformed() {
    let answer = |code: &str, body: &str| {
        format!("<KzResponse><Head><Code>{code}</Code><Msg>m</Msg><Qqbh>req-0001</Qqbh><Ywlsh>k-1</Ywlsh></Head>{body}</KzResponse>")
    };
    let cases = [
        answer("0", ""),
        answer(
            "0",
            "<Body><Cfbh>CF1</Cfbh><Zt>轮候查封</Zt><Cfjssj>20300101</Cfjssj></Body>",
        ),
        answer("0", "<Body><Cfbh>CF1</Cfbh><Zt>冻结</Zt></Body>"),
        answer("0", "<Body><Cfbh></Cfbh><Zt>已查封</Zt></Body>"),
        answer(
            "0",
            "<Body><Cfbh>CF1</Cfbh><Zt>已查封</Zt><Cfjssj>20300231</Cfjssj></Body>",
        ),
        answer("7777", ""),
        answer("1003", "").replace("k-1", "k-2"),
        "<html>gateway</html>".to_string(),
    ];
    let order = instruction("k-1", CASE, "鄂(2021)武汉市不动产权第0123456号", seal(30));
    for body in cases {
        let base = canned(http_200(&body)).await;
        let error = connector(&base, TOKEN)
            .control(&ctx(), &order)
            .await
            .expect_err("malformed");
        assert_eq!(error.class, ErrorClass::Malformed, "{body}: {error}");
    }
    // A never-received answer to a control request is not an answer to it.
    let base = canned(http_200(&answer("1003", ""))).await;
    let error = connector(&base, TOKEN)
        .control(&ctx(), &order)
        .await
        .expect_err("1003");
    assert_eq!(error.class, ErrorClass::Malformed);
    // The well-formed queued answer converts.
    let queued = answer(
        "0",
        "<Body><Cfbh>CF1</Cfbh><Zt>轮候查封</Zt><Lhsx>2</Lhsx><Cfjssj>20300101</Cfjssj><Sm>轮候第2位</Sm></Body>",
    );
    let base = canned(http_200(&queued)).await;
    let got = connector(&base, TOKEN)
        .control(&ctx(), &order)
        .await
        .expect("converts");
    assert_eq!(got.status, HoldStatus::Queued { position: 2 });
    assert_eq!(got.until, CivilDate::parse("2030-01-01").ok());
    assert_eq!(got.message, "轮候第2位");
}

#[test]
fn the_request_carries_key_ruling_officer_and_term() {
    let ctx = CallContext {
        request_id: "req-7".into(),
        ..ctx()
    };
    let mut order = instruction("key-7", CASE, "鄂(2021)武汉市不动产权第0123456号", seal(0));
    order.action = ControlAction::Renew {
        hold: "CF1-000001".into(),
        until: CivilDate::parse("2027-11-15").expect("date"),
    };
    order.debtor = debtor(DEMO_COMPANY_ID, DEMO_COMPANY_NAME);
    order.signature = Some(crate::signature::InstructionSignature {
        key_id: "demo-1".into(),
        signed_at: 1_731_650_000,
        signature: "c2ln".into(),
    });
    let (path, request) = KzRequest::control(&ctx, &order).expect("encodable");
    assert_eq!(path, assethub_mocks::real_estate::RENEW_PATH);
    let xml = request.to_xml().expect("encodes");
    for part in [
        "<Qqbh>req-7</Qqbh><Ywlsh>key-7</Ywlsh>",
        "<Fy>鄂0116</Fy><Cdwh>(2024)鄂0116执1234号之一</Cdwh><Cbr>王法官</Cbr>",
        "<Zjzl>7</Zjzl>",
        "<Cfbh>CF1-000001</Cfbh><Cfjssj>20271115</Cfjssj>",
        "<Cbr>王法官</Cbr><Qz><Mybh>demo-1</Mybh><Qzsj>1731650000</Qzsj><Qzz>c2ln</Qzz></Qz></Head>",
    ] {
        assert!(xml.contains(part), "{part}: {xml}");
    }
    let status = KzRequest::status(&ctx, "key-7").to_xml().expect("encodes");
    assert!(!status.contains("<Body>") && status.contains("<Ywlsh>key-7</Ywlsh>"));
    assert!(!status.contains("<Qz>"), "a result query is not sealed");
    order.signature = None;
    let (_, bare) = KzRequest::control(&ctx, &order).expect("encodable");
    assert!(!bare.to_xml().expect("encodes").contains("<Qz>"));
    assert_eq!(
        super::control_wire::STATUS_PATH,
        assethub_mocks::real_estate::STATUS_PATH
    );
    assert_eq!(
        super::control_wire::SEAL_PATH,
        assethub_mocks::real_estate::SEAL_PATH
    );
    assert_eq!(
        super::control_wire::RELEASE_PATH,
        assethub_mocks::real_estate::RELEASE_PATH
    );
}

impl Fixture {
    /// Sends `order` as it is and expects a `Rejected` refusal with `code`; nothing registered.
    async fn refused(&self, order: &ControlInstruction, code: &str) {
        let error = self
            .connector
            .control(&ctx(), order)
            .await
            .expect_err("refused");
        assert_eq!(error.class, ErrorClass::Rejected, "{error:?}");
        assert!(!error.is_retryable());
        assert!(error.message.contains(code), "{}", error.message);
        assert_eq!(self.status(&order.key).await, None, "nothing registered");
    }
}

#[tokio::test]
async fn an_unsealed_instruction_is_rejected_and_nothing_is_registered() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    f.refused(&unsigned("k-bare", CASE, &cert, seal(365)), "4005")
        .await;
    assert!(f.encumbrances(&cert).await.is_empty());
    let sealed = f.send(&instruction("k-bare", CASE, &cert, seal(365))).await;
    assert_eq!(
        sealed.status,
        HoldStatus::Effective,
        "sealed, it goes through"
    );
}

#[tokio::test]
async fn an_instruction_altered_after_sealing_is_rejected() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let sealed = instruction("k-alt", CASE, &cert, seal(365));
    let mut longer = sealed.clone();
    longer.action = seal(366);
    f.refused(&longer, "4006").await;
    let mut other_property = sealed.clone();
    other_property.asset = f.certificate(DEMO_COMPANY_ID);
    f.refused(&other_property, "4006").await;
    let mut other_officer = sealed.clone();
    other_officer.officer = "李法官".into();
    f.refused(&other_officer, "4006").await;
    assert!(f.encumbrances(&cert).await.is_empty());
}

#[tokio::test]
async fn a_stale_instruction_is_rejected() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let mut old = unsigned("k-old", CASE, &cert, seal(365));
    old.signature = Some(
        assethub_mocks::demo_keys::instruction_signer()
            .sign(&old, now_secs() - FRESHNESS_SECS - 60),
    );
    f.refused(&old, "4007").await;
    assert!(f.encumbrances(&cert).await.is_empty());
}

#[tokio::test]
async fn an_instruction_sealed_with_another_key_is_rejected() {
    let f = fixture().await;
    let cert = f.certificate(DEMO_PERSON_ID);
    let seed = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    for key_id in ["demo-1", "court-2"] {
        let signer = InstructionSigner::from_seed(key_id, &seed).expect("key");
        let mut order = unsigned("k-key", CASE, &cert, seal(365));
        order.signature = Some(signer.sign(&order, now_secs()));
        f.refused(&order, "4006").await;
    }
    assert!(f.encumbrances(&cert).await.is_empty());
}
