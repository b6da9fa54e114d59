//! Off-line agencies (issue 13): an agency reached only on paper. The story's county registry
//! (`type = "offline"`) is never called: a seal is issued as a signed notice and waits; the
//! written answer an officer records puts it in force with the period the answer states; a
//! release is a second notice and its answer releases the seal; the hold expires on the stated
//! end date like any hold, and renews by notice. Four-eyes courts need a second officer's
//! matching entry. Bad answers are refused with the right error and change nothing.
//!
//! Driven on the order desk and its SQLite ledger (as `expiry.rs`), with the hub's calendar
//! moved by tokio's clock; the expectations are written from the story (dates computed from
//! the day the story starts), not read back from the code under test.

use assethub_connectors::domain::{
    AssetRef, CaseNumber, CivilDate, Debtor, DebtorId, Fen, SourceId,
};
use assethub_connectors::signature::SignedFields;
use assethub_connectors::{
    CallContext, Capability, Connector, ConnectorError, ControlAnswer, ControlInstruction,
    HoldStatus, QueryAnswer,
};
use assethub_hub::cache::AnswerCache;
use assethub_hub::cases::model::{CaseDebtor, CaseRecord, NewCase};
use assethub_hub::cases::CaseStore;
use assethub_hub::clock::Clock;
use assethub_hub::config::ApprovalRule;
use assethub_hub::identity::{Caller, Role};
use assethub_hub::orders::execute::Executor;
use assethub_hub::orders::ledger::EventBody;
use assethub_hub::orders::paper::{store, Outcome, Recording, WrittenAnswer};
use assethub_hub::orders::policy::HoldPolicy;
use assethub_hub::orders::{
    ActRequest, Action, Authority, Desk, DeskError, HoldRequest, Ledger, Order, State,
};
use assethub_hub::registry::Registry;
use assethub_hub::retry::RetryPolicy;
use assethub_hub::search::SearchHub;
use assethub_tests::{ledger_backends, CASE, COURT};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const PERSON: &str = "11010519491231002X";
/// The flat the county registry's earlier written answer named.
const FLAT: &str = "registry-caidian:CD-2019-0007";
/// An online registry's flat, for the answers that must be refused.
const ONLINE_FLAT: &str = "registry-online:WH-1";
/// The legal maximum of a real-estate seal (three years), in days.
const REAL_ESTATE_MAX_DAYS: i64 = 1095;

/// An online registry that seals at once.
struct OnlineRegistry(SourceId);

#[async_trait]
impl Connector for OnlineRegistry {
    fn id(&self) -> &SourceId {
        &self.0
    }
    fn kind(&self) -> assethub_connectors::domain::AssetKind {
        assethub_connectors::domain::AssetKind::REAL_ESTATE
    }
    fn connector_type(&self) -> &'static str {
        "online-test"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query, Capability::Seal]
    }
    async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        let asset = assethub_connectors::domain::Asset {
            asset_ref: AssetRef::parse(ONLINE_FLAT).unwrap(),
            detail: assethub_connectors::domain::AssetDetail::Other(
                assethub_connectors::domain::GenericDetail {
                    kind: self.kind(),
                    title: "flat".into(),
                    attributes: Vec::new(),
                    value: None,
                    quantity: None,
                    frozen_quantity: None,
                },
            ),
        };
        Ok(QueryAnswer::Found(vec![asset]))
    }
    async fn control(
        &self,
        _: &CallContext,
        i: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        Ok(ControlAnswer {
            hold: format!("H-{}", i.key),
            status: HoldStatus::Effective,
            held: Fen(0),
            deducted: Fen(0),
            held_quantity: 0,
            until: None,
            message: String::new(),
        })
    }
    async fn control_status(
        &self,
        _: &CallContext,
        _: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        Ok(None)
    }
}

struct Story {
    desk: Desk,
    ledger: Ledger,
    case: CaseRecord,
    clock: Arc<Clock>,
    _data: tempfile::TempDir,
}

async fn story(four_eyes: bool) -> Story {
    story_on(four_eyes, None).await
}

/// The story on the ledger at `url` (`None`: a fresh SQLite file).
async fn story_on(four_eyes: bool, url: Option<String>) -> Story {
    let clock = Arc::new(Clock::new());
    let data = tempfile::tempdir().unwrap();
    let url = url.unwrap_or_else(|| format!("sqlite://{}/ledger.db", data.path().display()));
    let ledger = Ledger::open(&url).await.unwrap();
    let settings: toml::Table = toml::from_str(&format!(
        "kind = \"real_estate\"\nagency = \"武汉市蔡甸区不动产登记中心\"\n[[assets]]\ndebtor_id = \"{PERSON}\"\nlocal_id = \"CD-2019-0007\"\ntitle = \"蔡甸区新农大道 7 号 2 栋 301\"\n"
    ))
    .unwrap();
    let offline =
        assethub_connectors::offline::build(SourceId::new("registry-caidian").unwrap(), settings)
            .unwrap();
    let online: Arc<dyn Connector> =
        Arc::new(OnlineRegistry(SourceId::new("registry-online").unwrap()));
    // A rural credit cooperative that is not online either: money, partial holds, deductions.
    let coop: toml::Table = toml::from_str(&format!(
        "kind = \"bank\"\nagency = \"蔡甸区农村信用合作社\"\n[[assets]]\ndebtor_id = \"{PERSON}\"\nlocal_id = \"6217-0001\"\ntitle = \"活期存款 6217-0001\"\n"
    ))
    .unwrap();
    let coop =
        assethub_connectors::offline::build(SourceId::new("coop-caidian").unwrap(), coop).unwrap();
    let registry = Arc::new(Registry::from_connectors(vec![
        (offline, Duration::from_secs(60), 4),
        (online, Duration::from_secs(60), 4),
        (coop, Duration::from_secs(60), 4),
    ]));
    let cache = AnswerCache::new(100);
    let retry = RetryPolicy {
        max_attempts: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let search = Arc::new(SearchHub::new(registry.clone(), cache.clone(), retry));
    let executor = Arc::new(
        Executor::new(
            ledger.clone(),
            registry.clone(),
            cache,
            Duration::from_secs(5),
            Duration::from_millis(10),
            assethub_mocks::demo_keys::instruction_signer(),
            None,
        )
        .with_clock(clock.clone()),
    );
    let desk = Desk::new(
        ledger.clone(),
        registry,
        search,
        HoldPolicy::default(),
        clock.clone(),
        executor,
    )
    .with_approval(vec![ApprovalRule {
        court: COURT.into(),
        above_fen: 0,
        seals: false,
        written_answers: four_eyes,
    }]);
    let cases = CaseStore::new(ledger.pool().clone());
    let new = NewCase {
        case: CaseNumber::parse(CASE).unwrap(),
        debtors: vec![CaseDebtor {
            id: PERSON.into(),
            name: "张伟".into(),
        }],
        claim_fen: 100_000_000,
        account: "HB0116-ZX-2024-1234".into(),
    };
    cases.register(&new, "test").await.unwrap();
    let case = cases.get(CASE).await.unwrap().unwrap();
    Story {
        desk,
        ledger,
        case,
        clock,
        _data: data,
    }
}

fn authority(key: &str) -> Authority {
    Authority {
        case: CaseNumber::parse(CASE).unwrap(),
        ruling: "(2024)鄂0116执1234号之一".into(),
        officer: "王法官".into(),
        officer_id: "demo/judge-wang".into(),
        key: key.into(),
    }
}

fn seal(key: &str, asset: &str) -> HoldRequest {
    HoldRequest {
        authority: authority(key),
        action: Action::Seal,
        asset: AssetRef::parse(asset).unwrap(),
        debtor: Debtor {
            id: DebtorId::parse(PERSON).unwrap(),
            name: "张伟".into(),
        },
        amount: Fen(0),
        days: 0,
        currency: String::new(),
        quantity: 0,
    }
}

fn act(key: &str, action: Action, order_id: &str, days: u32) -> ActRequest {
    ActRequest {
        authority: authority(key),
        action,
        order_id: order_id.into(),
        amount: Fen(0),
        case_account: String::new(),
        days,
    }
}

fn officer(sub: &str, name: &str, role: Role, court: &str) -> Caller {
    Caller {
        iss: "demo".into(),
        sub: sub.into(),
        officer: name.into(),
        court: court.into(),
        role,
    }
}

fn judge() -> Caller {
    officer("judge-wang", "王法官", Role::Judge, COURT)
}

fn supervisor() -> Caller {
    officer("supervisor-li", "李庭长", Role::Supervisor, COURT)
}

/// "The registry sealed it from `from` to `until` under 蔡不动产查封字第7号".
fn held(from: CivilDate, until: CivilDate, answered: CivilDate) -> WrittenAnswer {
    WrittenAnswer {
        outcome: Outcome::Held,
        amount_fen: 0,
        quantity: 0,
        queue_position: 0,
        reason: String::new(),
        agency_ref: "蔡不动产查封字第7号".into(),
        from: Some(from),
        until: Some(until),
        answered_on: answered,
        document: "scan-0007.pdf".into(),
    }
}

fn released(answered: CivilDate) -> WrittenAnswer {
    WrittenAnswer {
        outcome: Outcome::Released,
        agency_ref: "蔡不动产解封字第3号".into(),
        from: None,
        until: None,
        ..held(answered, answered, answered)
    }
}

fn recording(order: &Order, key: &str, answer: WrittenAnswer, caller: Caller) -> Recording {
    Recording {
        order_id: order.order_id.clone(),
        key: key.into(),
        answer,
        caller,
    }
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// Moves the hub's calendar forward (see `expiry.rs`: time runs normally around the jump).
async fn skip(days: u64) {
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(days * 86_400)).await;
    tokio::time::resume();
}

/// The feed's latest state of `order_id`.
async fn fed_state(ledger: &Ledger, order_id: &str) -> Option<State> {
    let events = ledger.events_after(0, None, 1000).await.unwrap();
    events.iter().rev().find_map(|e| match &e.body {
        EventBody::Order(o) if o.order_id == order_id => Some(o.state),
        _ => None,
    })
}

#[tokio::test]
async fn an_offline_seal_is_recorded_from_its_written_answer_and_released_by_a_second_notice() {
    // On SQLite, and on PostgreSQL when ASSETHUB_TEST_PG_URL names a server.
    for (_, url) in ledger_backends().await {
        an_offline_seal_is_recorded_from_its_written_answer_and_released_by_a_second_notice_on(
            story_on(false, url).await,
        )
        .await;
    }
}

async fn an_offline_seal_is_recorded_from_its_written_answer_and_released_by_a_second_notice_on(
    s: Story,
) {
    let today = s.clock.today();
    let started = Instant::now();
    let sealed = s
        .desk
        .place_hold(seal("k-seal", FLAT), &s.case, deadline())
        .await
        .unwrap();
    // Issued as a notice and answered at once (no waiting for an agency that is not online).
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(sealed.state, State::AwaitingAgency);
    assert_eq!(
        sealed.detail,
        format!("notice issued on {today}; awaiting the agency's written answer")
    );
    // The notice carries the hub's signature over the instruction as it would have been sent.
    let notice = store::notice_of(s.ledger.pool(), &sealed.order_id)
        .await
        .unwrap()
        .expect("a notice recorded");
    assert_eq!(notice.issued_day, today.days());
    let fields = SignedFields {
        key: sealed.order_id.clone(),
        case: CASE.into(),
        court: COURT.into(),
        ruling: "(2024)鄂0116执1234号之一".into(),
        officer: "王法官".into(),
        asset: "CD-2019-0007".into(),
        debtor_id: PERSON.into(),
        debtor_name: "张伟".into(),
        action: "seal".into(),
        until: today.plus_days(REAL_ESTATE_MAX_DAYS).to_string(),
        ..SignedFields::default()
    };
    let signature = assethub_connectors::signature::InstructionSignature {
        key_id: notice.key_id.clone(),
        signed_at: notice.signed_at,
        signature: notice.signature.clone(),
    };
    assethub_mocks::demo_keys::trusted_keys()
        .verify(&fields, Some(&signature), notice.signed_at)
        .expect("the notice's signature verifies");
    // The follow-up loop asks nothing and resends nothing.
    s.desk.follow_up_once().await.unwrap();
    let waiting = s.desk.get(&sealed.order_id).await.unwrap();
    assert_eq!((waiting.version, waiting.attempts), (sealed.version, 1));

    // The registry's written answer, dated two days later, states the period it sealed for.
    skip(2).await;
    let answered = today.plus_days(2);
    let until = answered.plus_days(1000);
    let effective = s
        .desk
        .record_answer(&recording(
            &sealed,
            "k-answer",
            held(answered, until, answered),
            judge(),
        ))
        .await
        .unwrap();
    assert_eq!(effective.state, State::Effective);
    assert_eq!(
        (effective.start_day, effective.end_day),
        (answered.days(), until.days())
    );
    assert_eq!(effective.agency_ref, "蔡不动产查封字第7号");
    assert!(
        effective.detail.contains("recorded by 王法官"),
        "{}",
        effective.detail
    );
    assert_eq!(
        fed_state(&s.ledger, &sealed.order_id).await,
        Some(State::Effective)
    );
    // The same call again (a retry) answers the same order and changes nothing.
    let again = s
        .desk
        .record_answer(&recording(
            &sealed,
            "k-answer",
            held(answered, until, answered),
            judge(),
        ))
        .await
        .unwrap();
    assert_eq!(again, effective);

    // The release is a second notice, awaiting its own answer; the seal stays in force.
    let release = s
        .desk
        .act_on_hold(
            act("k-release", Action::Release, &sealed.order_id, 0),
            &s.case,
            deadline(),
        )
        .await
        .unwrap();
    assert_eq!(release.state, State::AwaitingAgency);
    assert!(store::notice_of(s.ledger.pool(), &release.order_id)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        s.desk.get(&sealed.order_id).await.unwrap().state,
        State::Effective
    );
    skip(3).await;
    let done = s
        .desk
        .record_answer(&recording(
            &release,
            "k-release-answer",
            released(today.plus_days(5)),
            judge(),
        ))
        .await
        .unwrap();
    assert_eq!(done.state, State::Effective, "the release is done");
    let seal_after = s.desk.get(&sealed.order_id).await.unwrap();
    assert_eq!(seal_after.state, State::Released);
    assert_eq!(
        fed_state(&s.ledger, &sealed.order_id).await,
        Some(State::Released)
    );
    // A released seal takes no further answer.
    let late = s
        .desk
        .record_answer(&recording(
            &sealed,
            "k-late",
            held(answered, until, answered),
            judge(),
        ))
        .await;
    assert!(matches!(late, Err(DeskError::Refused(_))), "{late:?}");
}

#[tokio::test]
async fn an_offline_hold_expires_on_its_stated_end_date_and_renews_by_notice_under_the_same_rules()
{
    let s = story(false).await;
    let today = s.clock.today();
    let sealed = s
        .desk
        .place_hold(seal("k-seal", FLAT), &s.case, deadline())
        .await
        .unwrap();
    let until = today.plus_days(10);
    s.desk
        .record_answer(&recording(
            &sealed,
            "k-a1",
            held(today, until, today),
            judge(),
        ))
        .await
        .unwrap();
    // A renewal beyond today + the legal maximum is refused as for any hold.
    let too_long = s
        .desk
        .act_on_hold(
            act("k-renew-long", Action::Renew, &sealed.order_id, 1100),
            &s.case,
            deadline(),
        )
        .await;
    assert!(
        matches!(too_long, Err(DeskError::Refused(_))),
        "{too_long:?}"
    );
    // Renewed by 20 days: a notice, and the registry's answer states the new end.
    let renew = s
        .desk
        .act_on_hold(
            act("k-renew", Action::Renew, &sealed.order_id, 20),
            &s.case,
            deadline(),
        )
        .await
        .unwrap();
    assert_eq!(renew.state, State::AwaitingAgency);
    let renewed_until = until.plus_days(20);
    s.desk
        .record_answer(&recording(
            &renew,
            "k-a2",
            WrittenAnswer {
                agency_ref: "蔡不动产续封字第1号".into(),
                ..held(today, renewed_until, today)
            },
            judge(),
        ))
        .await
        .unwrap();
    assert_eq!(
        s.desk.get(&sealed.order_id).await.unwrap().end_day,
        renewed_until.days()
    );
    // In force on its last day, expired the day after, on the hub's calendar.
    skip(30).await;
    s.desk.follow_up_once().await.unwrap();
    assert_eq!(
        s.desk.get(&sealed.order_id).await.unwrap().state,
        State::Effective
    );
    skip(1).await;
    s.desk.follow_up_once().await.unwrap();
    let expired = s.desk.get(&sealed.order_id).await.unwrap();
    assert_eq!(expired.state, State::Expired);
    assert_eq!(
        fed_state(&s.ledger, &sealed.order_id).await,
        Some(State::Expired)
    );
    // An expired hold is not renewed.
    let late = s
        .desk
        .act_on_hold(
            act("k-renew-late", Action::Renew, &sealed.order_id, 10),
            &s.case,
            deadline(),
        )
        .await;
    assert!(matches!(late, Err(DeskError::Refused(_))), "{late:?}");
}

#[tokio::test]
async fn four_eyes_a_recorded_answer_waits_for_a_second_officer_and_the_proposer_cannot_confirm() {
    // On SQLite, and on PostgreSQL when ASSETHUB_TEST_PG_URL names a server.
    for (_, url) in ledger_backends().await {
        four_eyes_a_recorded_answer_waits_for_a_second_officer_and_the_proposer_cannot_confirm_on(
            story_on(true, url).await,
        )
        .await;
    }
}

async fn four_eyes_a_recorded_answer_waits_for_a_second_officer_and_the_proposer_cannot_confirm_on(
    s: Story,
) {
    let today = s.clock.today();
    let sealed = s
        .desk
        .place_hold(seal("k-seal", FLAT), &s.case, deadline())
        .await
        .unwrap();
    let answer = held(today, today.plus_days(365), today);
    let proposed = s
        .desk
        .record_answer(&recording(&sealed, "k-p", answer.clone(), judge()))
        .await
        .unwrap();
    assert_eq!(proposed.state, State::AwaitingAgency);
    assert!(
        proposed.detail.contains("confirms it"),
        "{}",
        proposed.detail
    );
    // The proposer cannot confirm, under another key or another role's token.
    let own = s
        .desk
        .record_answer(&recording(&sealed, "k-p2", answer.clone(), judge()))
        .await;
    assert!(matches!(own, Err(DeskError::Forbidden(_))), "{own:?}");
    let same_person_as_supervisor = officer("judge-wang", "王法官", Role::Supervisor, COURT);
    let own = s
        .desk
        .record_answer(&recording(
            &sealed,
            "k-p3",
            answer.clone(),
            same_person_as_supervisor,
        ))
        .await;
    assert!(matches!(own, Err(DeskError::Forbidden(_))), "{own:?}");
    // Another judge is not a supervisor.
    let other_judge = officer("judge-zhao", "赵法官", Role::Judge, COURT);
    let refused = s
        .desk
        .record_answer(&recording(&sealed, "k-j", answer.clone(), other_judge))
        .await;
    assert!(
        matches!(refused, Err(DeskError::Forbidden(_))),
        "{refused:?}"
    );
    // A supervisor reading another end date off the document: refused, naming the field.
    let misread = WrittenAnswer {
        until: Some(today.plus_days(366)),
        ..answer.clone()
    };
    match s
        .desk
        .record_answer(&recording(&sealed, "k-s1", misread, supervisor()))
        .await
    {
        Err(DeskError::Refused(why)) => assert!(why.contains("held_until"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.desk.get(&sealed.order_id).await.unwrap(), proposed);
    // The supervisor's matching entry puts it in force.
    let confirmed = s
        .desk
        .record_answer(&recording(&sealed, "k-s2", answer, supervisor()))
        .await
        .unwrap();
    assert_eq!(confirmed.state, State::Effective);
    assert_eq!(confirmed.end_day, today.plus_days(365).days());
    assert!(
        confirmed
            .detail
            .contains("recorded by 王法官, confirmed by 李庭长"),
        "{}",
        confirmed.detail
    );
}

#[tokio::test]
async fn an_offline_freeze_follows_the_money_rules_queue_partial_hold_and_deduction() {
    let s = story(false).await;
    let today = s.clock.today();
    let asked = HoldRequest {
        action: Action::Freeze,
        amount: Fen(1_200_000),
        days: 365,
        ..seal("k-freeze", "coop-caidian:6217-0001")
    };
    let freeze = s.desk.place_hold(asked, &s.case, deadline()).await.unwrap();
    assert_eq!(freeze.state, State::AwaitingAgency);
    // Asked and not answered: the case reserves what was asked.
    assert_eq!(freeze.reserved_fen, 1_200_000);
    let money = |amount_fen: i64| WrittenAnswer {
        amount_fen,
        agency_ref: "信合冻字第5号".into(),
        ..held(today, today.plus_days(365), today)
    };
    let over = s
        .desk
        .record_answer(&recording(&freeze, "m-over", money(1_200_001), judge()))
        .await;
    assert!(
        matches!(&over, Err(DeskError::Refused(w)) if w.contains("amount_fen")),
        "{over:?}"
    );
    // First answer: queued behind another court's freeze.
    let queued = s
        .desk
        .record_answer(&recording(
            &freeze,
            "m-queued",
            WrittenAnswer {
                outcome: Outcome::Queued,
                queue_position: 2,
                from: None,
                until: None,
                ..money(0)
            },
            judge(),
        ))
        .await
        .unwrap();
    assert_eq!((queued.state, queued.queue_position), (State::Queued, 2));
    assert_eq!(queued.reserved_fen, 1_200_000);
    // Later answer: 9,000.00 of the 12,000.00 frozen — a partial hold, reserving what it holds.
    let partial = s
        .desk
        .record_answer(&recording(&queued, "m-held", money(900_000), judge()))
        .await
        .unwrap();
    assert_eq!(
        (
            partial.state,
            partial.frozen_fen,
            partial.queue_position,
            partial.reserved_fen
        ),
        (State::Partial, 900_000, 0, 900_000)
    );
    // A deduction of 5,000.00 is a notice; its answer moves the money.
    let deduct = s
        .desk
        .act_on_hold(
            ActRequest {
                amount: Fen(500_000),
                ..act("k-deduct", Action::Deduct, &freeze.order_id, 0)
            },
            &s.case,
            deadline(),
        )
        .await
        .unwrap();
    assert_eq!(deduct.state, State::AwaitingAgency);
    let too_much = s
        .desk
        .record_answer(&recording(
            &deduct,
            "m-d0",
            WrittenAnswer {
                outcome: Outcome::Deducted,
                from: None,
                until: None,
                ..money(500_001)
            },
            judge(),
        ))
        .await;
    assert!(
        matches!(too_much, Err(DeskError::Refused(_))),
        "{too_much:?}"
    );
    let done = s
        .desk
        .record_answer(&recording(
            &deduct,
            "m-d1",
            WrittenAnswer {
                outcome: Outcome::Deducted,
                agency_ref: "信合扣字第2号".into(),
                from: None,
                until: None,
                ..money(500_000)
            },
            judge(),
        ))
        .await
        .unwrap();
    assert_eq!((done.state, done.deducted_fen), (State::Effective, 500_000));
    let hold = s.desk.get(&freeze.order_id).await.unwrap();
    assert_eq!(
        (hold.state, hold.frozen_fen, hold.deducted_fen),
        (State::Partial, 400_000, 500_000)
    );
    let figures = s.ledger.case_figures(CASE).await.unwrap();
    // The case holds 4,000.00 frozen plus 5,000.00 deducted.
    assert_eq!(
        (figures.frozen_fen, figures.deducted_fen, figures.held_fen()),
        (400_000, 500_000, 900_000)
    );
}

/// What a refused answer's error must be.
type Wanted = fn(&DeskError) -> bool;

#[tokio::test]
async fn bad_answers_are_refused_with_the_right_error_and_change_nothing() {
    // On SQLite, and on PostgreSQL when ASSETHUB_TEST_PG_URL names a server.
    for (_, url) in ledger_backends().await {
        bad_answers_are_refused_with_the_right_error_and_change_nothing_on(
            story_on(false, url).await,
        )
        .await;
    }
}

async fn bad_answers_are_refused_with_the_right_error_and_change_nothing_on(s: Story) {
    let today = s.clock.today();
    let sealed = s
        .desk
        .place_hold(seal("k-seal", FLAT), &s.case, deadline())
        .await
        .unwrap();
    let online = s
        .desk
        .place_hold(seal("k-online", ONLINE_FLAT), &s.case, deadline())
        .await
        .unwrap();
    assert_eq!(online.state, State::Effective);
    let events_before = s.ledger.events_after(0, None, 1000).await.unwrap().len();
    let good = held(today, today.plus_days(100), today);
    let unknown = Order {
        order_id: "ord-nope".into(),
        ..sealed.clone()
    };
    let cases: Vec<(&str, Recording, Wanted)> = vec![
        (
            "unknown order",
            recording(&unknown, "k1", good.clone(), judge()),
            |e| matches!(e, DeskError::NotFound(_)),
        ),
        (
            "online order",
            recording(&online, "k2", good.clone(), judge()),
            |e| matches!(e, DeskError::Refused(_)),
        ),
        (
            "another court's officer",
            recording(
                &sealed,
                "k3",
                good.clone(),
                officer("judge-x", "钱法官", Role::Judge, "鄂0102"),
            ),
            |e| matches!(e, DeskError::Forbidden(_)),
        ),
        (
            "end beyond the kind's maximum",
            recording(
                &sealed,
                "k4",
                held(today, today.plus_days(REAL_ESTATE_MAX_DAYS + 1), today),
                judge(),
            ),
            |e| matches!(e, DeskError::Refused(w) if w.contains("held_until")),
        ),
        (
            "an amount on a seal",
            recording(
                &sealed,
                "k5",
                WrittenAnswer {
                    amount_fen: 100,
                    ..good.clone()
                },
                judge(),
            ),
            |e| matches!(e, DeskError::Refused(w) if w.contains("amount_fen")),
        ),
        (
            "answered in the future",
            recording(
                &sealed,
                "k6",
                held(today, today.plus_days(10), today.plus_days(1)),
                judge(),
            ),
            |e| matches!(e, DeskError::Refused(w) if w.contains("answered_on")),
        ),
        (
            "answered before the notice",
            recording(
                &sealed,
                "k7",
                held(today, today.plus_days(10), today.plus_days(-1)),
                judge(),
            ),
            |e| matches!(e, DeskError::Refused(w) if w.contains("answered_on")),
        ),
        (
            "a release outcome for a seal",
            recording(&sealed, "k8", released(today), judge()),
            |e| matches!(e, DeskError::Refused(w) if w.contains("outcome")),
        ),
        (
            "a refusal without its reason",
            recording(
                &sealed,
                "k9",
                WrittenAnswer {
                    outcome: Outcome::Refused,
                    from: None,
                    until: None,
                    ..good.clone()
                },
                judge(),
            ),
            |e| matches!(e, DeskError::Refused(w) if w.contains("reason")),
        ),
    ];
    for (what, r, wanted) in cases {
        let got = s.desk.record_answer(&r).await;
        match got {
            Err(e) if wanted(&e) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    assert_eq!(s.desk.get(&sealed.order_id).await.unwrap(), sealed);
    assert_eq!(
        s.ledger.events_after(0, None, 1000).await.unwrap().len(),
        events_before,
        "no event"
    );
    // A refused key stays free; the right answer under it is taken, once.
    let taken = s
        .desk
        .record_answer(&recording(&sealed, "k4", good.clone(), judge()))
        .await
        .unwrap();
    assert_eq!(taken.state, State::Effective);
    // The same key for another answer is a reused key.
    let reused = s
        .desk
        .record_answer(&recording(
            &sealed,
            "k4",
            held(today, today.plus_days(50), today),
            judge(),
        ))
        .await;
    assert!(matches!(reused, Err(DeskError::KeyReused(_))), "{reused:?}");
    assert_eq!(s.desk.get(&sealed.order_id).await.unwrap(), taken);
}

#[tokio::test]
async fn two_officers_recording_different_answers_at_once_get_one_applied_and_one_refused() {
    let s = story(false).await;
    let today = s.clock.today();
    let sealed = s
        .desk
        .place_hold(seal("k-seal", FLAT), &s.case, deadline())
        .await
        .unwrap();
    let other = officer("judge-zhao", "赵法官", Role::Judge, COURT);
    let first = recording(
        &sealed,
        "k-1",
        held(today, today.plus_days(100), today),
        judge(),
    );
    let second = recording(
        &sealed,
        "k-2",
        held(today, today.plus_days(200), today),
        other,
    );
    let (a, b) = tokio::join!(s.desk.record_answer(&first), s.desk.record_answer(&second));
    let (won, lost) = match (a, b) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("one answer applies, the other is refused: {other:?}"),
    };
    assert!(matches!(lost, DeskError::Refused(_)), "{lost:?}");
    let now = s.desk.get(&sealed.order_id).await.unwrap();
    assert_eq!(now, won);
    assert!([100, 200].contains(&(now.end_day - today.days())));
}
