//! Hold expiry with paused time: the order desk, its SQLite ledger and its follow-up round,
//! driven with an in-memory registry that seals whatever it is asked to, so a month of a
//! seal's period passes in microseconds on the hub's calendar.

use assethub_connectors::domain::{
    AssetKind, AssetRef, CaseNumber, CivilDate, Debtor, DebtorId, SourceId,
};
use assethub_connectors::{
    CallContext, Capability, Connector, ConnectorError, ControlAnswer, ControlInstruction,
    HoldStatus, QueryAnswer,
};
use assethub_hub::cache::AnswerCache;
use assethub_hub::cases::model::{CaseDebtor, NewCase};
use assethub_hub::cases::CaseStore;
use assethub_hub::clock::Clock;
use assethub_hub::config::MaxDays;
use assethub_hub::orders::execute::Executor;
use assethub_hub::orders::ledger::EventBody;
use assethub_hub::orders::policy::HoldPolicy;
use assethub_hub::orders::{Action, Authority, Desk, HoldRequest, Ledger, State};
use assethub_hub::registry::Registry;
use assethub_hub::retry::RetryPolicy;
use assethub_hub::search::SearchHub;
use assethub_tests::CASE;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The flat the story seals.
const FLAT: &str = "registry-x:鄂(2019)武汉市不动产权第1号";

/// A registry that seals at once and remembers its answers by key.
struct SealingRegistry {
    id: SourceId,
    answers: Mutex<HashMap<String, ControlAnswer>>,
}

#[async_trait]
impl Connector for SealingRegistry {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        AssetKind::REAL_ESTATE
    }
    fn connector_type(&self) -> &'static str {
        "sealing"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query, Capability::Seal]
    }
    /// Every debtor owns the one flat the story seals.
    async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        let flat = assethub_connectors::domain::Asset {
            asset_ref: AssetRef::parse(FLAT).expect("an asset ref"),
            detail: assethub_connectors::domain::AssetDetail::Property(
                assethub_connectors::domain::RealEstateProperty {
                    certificate_number: "鄂(2019)武汉市不动产权第1号".into(),
                    address: "武汉市".into(),
                    area_centi_m2: 8_950,
                    ownership_share: "100%".into(),
                    usage: "住宅".into(),
                    encumbrances: Vec::new(),
                },
            ),
        };
        Ok(QueryAnswer::Found(vec![flat]))
    }
    async fn control(
        &self,
        _: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let until = match &instruction.action {
            assethub_connectors::ControlAction::Seal { until } => *until,
            other => panic!("unexpected {other:?}"),
        };
        let answer = ControlAnswer {
            held_quantity: Default::default(),
            hold: format!("CF-{}", instruction.key),
            status: HoldStatus::Effective,
            held: assethub_connectors::domain::Fen(0),
            deducted: assethub_connectors::domain::Fen(0),
            until: Some(until),
            message: String::new(),
        };
        let mut answers = self.answers.lock().unwrap();
        Ok(answers
            .entry(instruction.key.clone())
            .or_insert(answer)
            .clone())
    }
    async fn control_status(
        &self,
        _: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        Ok(self.answers.lock().unwrap().get(key).cloned())
    }
}

/// The desk, its ledger (in `data`) and the registered case, on `clock`.
struct Story {
    desk: Desk,
    ledger: Ledger,
    case: assethub_hub::cases::model::CaseRecord,
    _data: tempfile::TempDir,
}

async fn story(clock: Arc<Clock>) -> Story {
    let data = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&format!("sqlite://{}/ledger.db", data.path().display()))
        .await
        .unwrap();
    let connector: Arc<dyn Connector> = Arc::new(SealingRegistry {
        id: SourceId::new("registry-x").unwrap(),
        answers: Mutex::default(),
    });
    let registry = Arc::new(Registry::from_connectors(vec![(
        connector,
        Duration::from_secs(60),
        4,
    )]));
    let cache = AnswerCache::new(100);
    let retry = RetryPolicy {
        max_attempts: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let search = Arc::new(SearchHub::new(registry.clone(), cache.clone(), retry));
    let executor = Arc::new(Executor::new(
        ledger.clone(),
        registry.clone(),
        cache,
        Duration::from_secs(5),
        Duration::from_millis(10),
        assethub_mocks::demo_keys::instruction_signer(),
        None,
    ));
    let desk = Desk::new(
        ledger.clone(),
        registry,
        search,
        HoldPolicy {
            max_days: MaxDays::default(),
        },
        clock,
        executor,
    );
    // The case, as its court's case system registered it.
    let cases = CaseStore::new(ledger.pool().clone());
    let debtor = CaseDebtor {
        id: "11010519491231002X".into(),
        name: "张伟".into(),
    };
    let new = NewCase {
        case: CaseNumber::parse(CASE).unwrap(),
        debtors: vec![debtor],
        claim_fen: 100_000_000,
        account: "HB0116-ZX-2024-1234".into(),
    };
    cases.register(&new, "test").await.unwrap();
    let case = cases.get(CASE).await.unwrap().unwrap();
    Story {
        desk,
        ledger,
        case,
        _data: data,
    }
}

/// A request to seal the flat for `days` under idempotency key `key`.
fn seal_request(key: &str, days: u32) -> HoldRequest {
    HoldRequest {
        authority: Authority {
            case: CaseNumber::parse(CASE).unwrap(),
            ruling: "(2024)鄂0116执1234号之一".into(),
            officer: "王法官".into(),
            officer_id: "demo/judge@鄂0116".into(),
            key: key.into(),
        },
        action: Action::Seal,
        asset: AssetRef::parse(FLAT).unwrap(),
        debtor: Debtor {
            id: DebtorId::parse("11010519491231002X").unwrap(),
            name: "张伟".into(),
        },
        amount: assethub_connectors::domain::Fen(0),
        days,
        currency: String::new(),
    }
}

#[tokio::test]
async fn a_seal_expires_on_the_hub_calendar_the_day_after_its_period_ends() {
    let clock = Arc::new(Clock::new());
    let Story {
        desk, ledger, case, ..
    } = story(clock.clone()).await;
    let request = seal_request("k-expiry", 30);
    let deadline = Instant::now() + Duration::from_secs(5);
    let seal = desk.place_hold(request, &case, deadline).await.unwrap();
    assert_eq!(seal.state, State::Effective);
    let first_day = clock.today();
    assert_eq!(seal.end_day, first_day.plus_days(30).days());

    // The last day of the period: still in force.
    skip(Duration::from_secs(30 * 86_400)).await;
    desk.follow_up_once().await.unwrap();
    assert_eq!(
        desk.get(&seal.order_id).await.unwrap().state,
        State::Effective
    );

    // The day after: expired, and the feed says so.
    skip(Duration::from_secs(86_400)).await;
    desk.follow_up_once().await.unwrap();
    let expired = desk.get(&seal.order_id).await.unwrap();
    assert_eq!(expired.state, State::Expired);
    let events = ledger.events_after(0, None, 100).await.unwrap();
    match &events.last().unwrap().body {
        EventBody::Order(o) => assert_eq!(
            (o.order_id.as_str(), o.state),
            (seal.order_id.as_str(), State::Expired)
        ),
        other => panic!("{other:?}"),
    }
}

/// 2026-07-01T00:00:00Z, 08:00 in Beijing (Unix ms computed with Python's `datetime`): the UTC
/// date changes there, Beijing's does not.
const EIGHT_CST: i64 = 1_782_864_000_000;

#[tokio::test]
async fn at_eight_in_the_morning_in_beijing_the_hold_dates_do_not_change() {
    // 07:59:57 in Beijing on 1 July (the UTC date is still 30 June).
    let clock = Arc::new(Clock::starting_at(EIGHT_CST - 3_000));
    let Story { desk, case, .. } = story(clock.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let before = desk
        .place_hold(seal_request("k-0759", 10), &case, deadline)
        .await
        .unwrap();
    assert!(clock.now_ms() < EIGHT_CST, "placed before 08:00 in Beijing");
    // Days left as the API computes them: the end day less the hub's today.
    let days_left = |order: &assethub_hub::orders::Order| order.end_day - clock.today().days();
    assert_eq!(
        (
            CivilDate::from_days(before.start_day).to_string(),
            CivilDate::from_days(before.end_day).to_string(),
            days_left(&before)
        ),
        ("2026-07-01".to_string(), "2026-07-11".to_string(), 10)
    );

    // 08:00 in Beijing: same day, same days left, and a new hold starts that day too.
    skip(Duration::from_millis(
        u64::try_from(EIGHT_CST - clock.now_ms()).unwrap_or(0),
    ))
    .await;
    assert!(clock.now_ms() >= EIGHT_CST);
    assert_eq!(clock.today().to_string(), "2026-07-01");
    assert_eq!(days_left(&desk.get(&before.order_id).await.unwrap()), 10);
    // A hold placed at 08:00 (on another hub's desk: the flat is sealed here) starts then too.
    let eight = Arc::new(Clock::starting_at(EIGHT_CST));
    let other = story(eight.clone()).await;
    let after = other
        .desk
        .place_hold(seal_request("k-0800", 10), &other.case, deadline)
        .await
        .unwrap();
    assert_eq!(
        (after.start_day, after.end_day),
        (before.start_day, before.end_day)
    );
    assert_eq!(after.end_day - eight.today().days(), 10);
}

/// Moves tokio's clock (and so the hub's calendar) forward by `by` at once. Time runs normally
/// around the jump: while paused, a task waiting for the ledger's SQLite worker thread would
/// let tokio auto-advance to the connection pool's acquire timeout.
async fn skip(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}
