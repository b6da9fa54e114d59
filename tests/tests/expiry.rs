//! Hold expiry with paused time: the order desk, its SQLite ledger and its follow-up round,
//! driven with an in-memory registry that seals whatever it is asked to, so a month of a
//! seal's period passes in microseconds on the hub's calendar.

use assethub_connectors::domain::{AssetKind, AssetRef, CaseNumber, Debtor, DebtorId, SourceId};
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
        AssetKind::RealEstate
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

#[tokio::test]
async fn a_seal_expires_on_the_hub_calendar_the_day_after_its_period_ends() {
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
    let clock = Arc::new(Clock::new());
    let executor = Arc::new(Executor::new(
        ledger.clone(),
        registry.clone(),
        cache,
        Duration::from_secs(5),
        Duration::from_millis(10),
        assethub_connectors::signature::InstructionSigner::demo(),
        None,
    ));
    let desk = Desk::new(
        ledger.clone(),
        registry,
        search,
        HoldPolicy {
            max_days: MaxDays::default(),
        },
        clock.clone(),
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
    let request = HoldRequest {
        authority: Authority {
            case: CaseNumber::parse(CASE).unwrap(),
            ruling: "(2024)鄂0116执1234号之一".into(),
            officer: "王法官".into(),
            officer_id: "demo/judge@鄂0116".into(),
            key: "k-expiry".into(),
        },
        action: Action::Seal,
        asset: AssetRef::parse(FLAT).unwrap(),
        debtor: Debtor {
            id: DebtorId::parse("11010519491231002X").unwrap(),
            name: "张伟".into(),
        },
        amount: assethub_connectors::domain::Fen(0),
        days: 30,
        currency: String::new(),
    };
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

/// Moves tokio's clock (and so the hub's calendar) forward by `by` at once. Time runs normally
/// around the jump: while paused, a task waiting for the ledger's SQLite worker thread would
/// let tokio auto-advance to the connection pool's acquire timeout.
async fn skip(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}
