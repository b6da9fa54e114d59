//! A fifth kind of asset added by configuration alone: a securities depository, configured
//! under `[control.kinds.securities]` (other property rights, counted in shares), served by an
//! in-process fake connector. The story: a search shows the position through the generic
//! detail; 12,000 shares are frozen by quantity and the ledger and the answer say so; a freeze
//! without a quantity, a bank freeze with one, a period past the legal three years and actions
//! the kind or the source does not take are all refused before anything is recorded.
//!
//! The oracles are written here: the share counts, the 1095-day maximum of DOMAIN rule 1 for
//! other property rights, the kind's label and unit as the configuration spells them.

use assethub_connectors::domain::{
    AccountStatus, Asset, AssetDetail, AssetKind, AssetRef, Attribute, AttributeValue, CaseNumber,
    Debtor, DebtorId, DepositAccount, DepositType, Fen, GenericDetail, KindSpec, LegalClass,
    SourceId,
};
use assethub_connectors::{
    CallContext, Capability, Connector, ConnectorError, ControlAction, ControlAnswer,
    ControlInstruction, HoldStatus, QueryAnswer,
};
use assethub_hub::cache::AnswerCache;
use assethub_hub::cases::model::{CaseDebtor, CaseRecord, NewCase};
use assethub_hub::cases::CaseStore;
use assethub_hub::clock::Clock;
use assethub_hub::config::HubConfig;
use assethub_hub::orders::execute::Executor;
use assethub_hub::orders::policy::HoldPolicy;
use assethub_hub::orders::{
    ActRequest, Action, Authority, Desk, DeskError, HoldRequest, Ledger, State,
};
use assethub_hub::registry::Registry;
use assethub_hub::retry::RetryPolicy;
use assethub_hub::search::{Search, SearchHub};
use assethub_proto::v1 as pb;
use assethub_tests::CASE;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The demo person's position: 50,000 shares of 600000, none frozen.
const POSITION: &str = "csdc-x:A123456789-600000";
const ACCOUNT: &str = "bank-x:6228480000000001";
const PERSON: &str = "11010519491231002X";

/// The configuration an operator writes for the new kind (and nothing else changes).
const KINDS: &str = r#"
[control.kinds.securities]
label = "证券"
class = "other_rights"
unit = "shares"
actions = ["freeze", "release", "renew"]

[[sources]]
id = "csdc-x"
type = "securities"
"#;

/// A securities depository that freezes what it is asked at once and remembers the
/// instructions it was given. It declares seal (which its kind does not allow) and no renew
/// (which its kind allows), so each refusal shows whose rule it is.
struct Depository {
    id: SourceId,
    kind: AssetKind,
    seen: Mutex<Vec<ControlAction>>,
    answers: Mutex<HashMap<String, ControlAnswer>>,
}

#[async_trait]
impl Connector for Depository {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        self.kind
    }
    fn connector_type(&self) -> &'static str {
        "securities"
    }
    fn capabilities(&self) -> &[Capability] {
        &[
            Capability::Query,
            Capability::Freeze,
            Capability::Seal,
            Capability::Release,
        ]
    }
    async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        let position = GenericDetail {
            kind: self.kind,
            title: "600000 浦发银行".into(),
            attributes: vec![
                Attribute::new(
                    "security_code",
                    "证券代码",
                    AttributeValue::Text("600000".into()),
                ),
                Attribute::new("quantity", "持有数量", AttributeValue::Integer(50_000))
                    .with_unit("shares"),
                Attribute::new(
                    "market_value",
                    "市值",
                    AttributeValue::Money(Fen(43_500_000)),
                ),
            ],
            value: Some(Fen(43_500_000)),
            quantity: Some(50_000),
            frozen_quantity: Some(0),
        };
        Ok(QueryAnswer::Found(vec![Asset {
            asset_ref: AssetRef::parse(POSITION).unwrap(),
            detail: AssetDetail::Other(position),
        }]))
    }
    async fn control(
        &self,
        _: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        self.seen.lock().unwrap().push(instruction.action.clone());
        let (held_quantity, until) = match &instruction.action {
            ControlAction::FreezeQuantity { quantity, until } => (*quantity, Some(*until)),
            other => panic!("the hub sent {other:?}"),
        };
        let answer = ControlAnswer {
            hold: format!("SZ-{}", instruction.key),
            status: HoldStatus::Effective,
            held: Fen(0),
            deducted: Fen(0),
            held_quantity,
            until,
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

/// A bank that holds one account for everybody (only its kind's rules matter here).
struct Bank {
    id: SourceId,
}

#[async_trait]
impl Connector for Bank {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        AssetKind::BANK
    }
    fn connector_type(&self) -> &'static str {
        "bank"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query, Capability::Freeze, Capability::Release]
    }
    async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        Ok(QueryAnswer::Found(vec![Asset {
            asset_ref: AssetRef::parse(ACCOUNT).unwrap(),
            detail: AssetDetail::Deposit(DepositAccount {
                account_number: "6228480000000001".into(),
                deposit_type: DepositType::Demand,
                currency: "CNY".into(),
                balance: Fen(1_000_000),
                frozen: Fen(0),
                status: AccountStatus::Normal,
                branch: "武汉分行".into(),
            }),
        }]))
    }
}

struct Story {
    desk: Desk,
    ledger: Ledger,
    search: Arc<SearchHub>,
    depository: Arc<Depository>,
    case: CaseRecord,
    _data: tempfile::TempDir,
}

async fn story() -> Story {
    // The table as the hub reads it (the rest of a hub's configuration plays no part here).
    let config: HubConfig = toml::from_str(KINDS).expect("the kinds table parses");
    let kinds = config.control.kinds().expect("the kinds");
    let data = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&format!("sqlite://{}/ledger.db", data.path().display()))
        .await
        .unwrap();
    let depository = Arc::new(Depository {
        id: SourceId::new("csdc-x").unwrap(),
        kind: AssetKind::lookup("securities").expect("registered by the configuration"),
        seen: Mutex::default(),
        answers: Mutex::default(),
    });
    let bank: Arc<dyn Connector> = Arc::new(Bank {
        id: SourceId::new("bank-x").unwrap(),
    });
    let ttl = Duration::from_secs(60);
    let registry = Arc::new(
        Registry::with_kinds(
            vec![
                (depository.clone() as Arc<dyn Connector>, ttl, 4),
                (bank, ttl, 4),
            ],
            kinds,
        )
        .expect("every source's kind is configured"),
    );
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
        registry.clone(),
        search.clone(),
        HoldPolicy::new(registry.kinds().clone()),
        Arc::new(Clock::new()),
        executor,
    );
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
        search,
        depository,
        case,
        _data: data,
    }
}

fn debtor() -> Debtor {
    Debtor {
        id: DebtorId::parse(PERSON).unwrap(),
        name: "张伟".into(),
    }
}

fn authority(key: &str) -> Authority {
    Authority {
        case: CaseNumber::parse(CASE).unwrap(),
        ruling: "(2024)鄂0116执1234号之一".into(),
        officer: "王法官".into(),
        officer_id: "demo/judge@鄂0116".into(),
        key: key.into(),
    }
}

fn hold(key: &str, action: Action, asset: &str, amount: i64, quantity: u64) -> HoldRequest {
    HoldRequest {
        authority: authority(key),
        action,
        asset: AssetRef::parse(asset).unwrap(),
        debtor: debtor(),
        amount: Fen(amount),
        days: 0,
        currency: String::new(),
        quantity,
    }
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

fn refusal(result: Result<assethub_hub::orders::Order, DeskError>) -> String {
    match result {
        Err(DeskError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_securities_position_is_searched_shown_generically_and_frozen_by_quantity() {
    let s = story().await;
    let search = Arc::new(Search {
        case: CaseNumber::parse(CASE).unwrap(),
        debtor: debtor(),
        kinds: vec![AssetKind::lookup("securities").unwrap()],
        fresh: false,
        deadline: deadline(),
        request_id: "kinds-test".into(),
    });
    let reports = s.search.collect(search).await;
    assert_eq!(reports.len(), 1, "only the securities source is asked");
    let result = assethub_hub::convert::source_result(&reports[0]);
    assert_eq!(result.kind_name, "securities");
    assert_eq!(result.kind, pb::AssetKind::Unspecified as i32);
    let asset = &result.assets[0].asset().expect("the served asset decodes");
    assert!(
        asset.detail.is_none(),
        "no built-in detail for a fifth kind"
    );
    let shown = asset.generic.as_ref().expect("the generic detail");
    assert_eq!(
        (
            shown.kind_name.as_str(),
            shown.kind_label.as_str(),
            shown.unit.as_str()
        ),
        ("securities", "证券", "shares")
    );
    assert_eq!(shown.title, "600000 浦发银行");
    assert_eq!(
        (shown.quantity, shown.frozen_quantity, shown.value_fen),
        (Some(50_000), Some(0), Some(43_500_000))
    );
    let units: Vec<(&str, &str)> = shown
        .attributes
        .iter()
        .map(|a| (a.key.as_str(), a.unit.as_str()))
        .collect();
    assert_eq!(
        units,
        [
            ("security_code", ""),
            ("quantity", "shares"),
            ("market_value", "")
        ]
    );

    // 12,000 shares frozen by quantity: sent as such, answered, recorded.
    let order = s
        .desk
        .place_hold(
            hold("k-shares", Action::Freeze, POSITION, 0, 12_000),
            &s.case,
            deadline(),
        )
        .await
        .expect("the freeze is recorded");
    assert_eq!(order.state, State::Effective);
    assert_eq!(
        (order.quantity, order.held_quantity, order.amount_fen),
        (12_000, 12_000, 0)
    );
    assert_eq!(
        (order.kind.as_str(), order.unit.as_str()),
        ("securities", "shares")
    );
    let until = s.desk.ledger().get(&order.order_id).await.unwrap().unwrap();
    assert_eq!(
        (until.quantity, until.held_quantity, until.kind.as_str()),
        (12_000, 12_000, "securities")
    );
    // Other property rights: at most three years (1095 days) from today.
    assert_eq!(order.end_day - order.start_day, 1095);
    let sent = s.depository.seen.lock().unwrap().clone();
    assert!(
        matches!(
            sent.as_slice(),
            [ControlAction::FreezeQuantity {
                quantity: 12_000,
                ..
            }]
        ),
        "{sent:?}"
    );
    // A freeze by quantity holds no fen: it counts nothing against the case's claim.
    let figures = s.ledger.case_figures(CASE).await.unwrap();
    assert_eq!(figures.reserved_fen, 0, "{figures:?}");
}

#[tokio::test]
async fn quantities_periods_and_actions_are_judged_by_the_kind_before_anything_is_recorded() {
    let s = story().await;
    let desk = &s.desk;
    let case = &s.case;
    let missing = desk
        .place_hold(
            hold("k-1", Action::Freeze, POSITION, 0, 0),
            case,
            deadline(),
        )
        .await;
    assert!(refusal(missing).contains("quantity"));
    let money = desk
        .place_hold(
            hold("k-2", Action::Freeze, POSITION, 500_000, 100),
            case,
            deadline(),
        )
        .await;
    assert!(refusal(money).contains("amount_fen 0"));
    let bank_quantity = desk
        .place_hold(
            hold("k-3", Action::Freeze, ACCOUNT, 500_000, 100),
            case,
            deadline(),
        )
        .await;
    assert!(refusal(bank_quantity).contains("counts in fen"));
    let too_many = desk
        .place_hold(
            hold("k-4", Action::Freeze, POSITION, 0, 1_000_000_000_001),
            case,
            deadline(),
        )
        .await;
    assert!(refusal(too_many).contains("1000000000000"));
    // More shares than the search reports the debtor holds (50,000).
    let beyond = desk
        .place_hold(
            hold("k-5", Action::Freeze, POSITION, 0, 50_001),
            case,
            deadline(),
        )
        .await;
    assert!(refusal(beyond).contains("holds 50000"));
    let mut long = hold("k-6", Action::Freeze, POSITION, 0, 100);
    long.days = 1096;
    assert!(refusal(desk.place_hold(long, case, deadline()).await).contains("1095"));
    // The source declares seal, but the kind does not allow it.
    let seal = desk
        .place_hold(hold("k-7", Action::Seal, POSITION, 0, 0), case, deadline())
        .await;
    assert!(refusal(seal).contains("allows freeze, release, renew"));
    assert!(
        s.depository.seen.lock().unwrap().is_empty(),
        "nothing was sent"
    );
    assert_eq!(s.ledger.live_holds_of_case(CASE).await.unwrap().len(), 0);

    // The kind allows renew, but the source does not declare it.
    let frozen = desk
        .place_hold(
            hold("k-8", Action::Freeze, POSITION, 0, 1_000),
            case,
            deadline(),
        )
        .await
        .unwrap();
    let renew = ActRequest {
        authority: authority("k-9"),
        action: Action::Renew,
        order_id: frozen.order_id.clone(),
        amount: Fen(0),
        case_account: String::new(),
        days: 30,
    };
    let refused = refusal(desk.act_on_hold(renew, case, deadline()).await);
    assert!(refused.contains("takes no renew"), "{refused}");
}

/// A connector that describes its own kind (as a remote connector's Describe does).
struct Describing(SourceId, KindSpec);

#[async_trait]
impl Connector for Describing {
    fn id(&self) -> &SourceId {
        &self.0
    }
    fn kind(&self) -> AssetKind {
        self.1.kind
    }
    fn connector_type(&self) -> &'static str {
        "describing"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }
    fn kind_spec(&self) -> Option<KindSpec> {
        Some(self.1.clone())
    }
    async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        Ok(QueryAnswer::NotFound)
    }
}

#[test]
fn a_kind_a_connector_describes_is_added_and_the_configuration_wins() {
    let ship = AssetKind::register("ship_described").unwrap();
    let described = KindSpec::new(ship, "船舶", LegalClass::Movable, &[Capability::Seal]);
    let source = |id: &str| -> (Arc<dyn Connector>, Duration, u32) {
        let connector = Describing(SourceId::new(id).unwrap(), described.clone());
        (Arc::new(connector), Duration::from_secs(1), 1)
    };
    // Described only: taken as described, and shown as such.
    let registry = Registry::with_kinds(vec![source("msa-x")], Default::default()).unwrap();
    let spec = registry.kinds().get(ship).expect("added");
    assert_eq!((spec.max_days, spec.label.as_str()), (730, "船舶"));
    let info = assethub_hub::convert::kind_info(registry.all()[0].spec());
    assert_eq!(
        (
            info.name.as_str(),
            info.legal_class.as_str(),
            info.unit.as_str(),
            info.max_days
        ),
        ("ship_described", "movable", "whole", 730)
    );
    assert_eq!(info.actions, ["seal"]);
    // Configured as well: the configuration's rules win.
    let config: HubConfig = toml::from_str(
        "[control.kinds.ship_described]\nclass = 'movable'\nmax_days = 365\nlabel = '船'\n\
         [[sources]]\nid = 'msa-x'\ntype = 'describing'\n",
    )
    .unwrap();
    let kinds = config.control.kinds().unwrap();
    let registry = Registry::with_kinds(vec![source("msa-x")], kinds).unwrap();
    let spec = registry.kinds().get(ship).unwrap();
    assert_eq!((spec.max_days, spec.label.as_str()), (365, "船"));
    assert_eq!(registry.all()[0].spec().max_days, 365);
}

#[test]
fn a_source_of_a_kind_nobody_describes_does_not_start() {
    struct Stranger(SourceId, AssetKind);
    #[async_trait]
    impl Connector for Stranger {
        fn id(&self) -> &SourceId {
            &self.0
        }
        fn kind(&self) -> AssetKind {
            self.1
        }
        fn connector_type(&self) -> &'static str {
            "stranger"
        }
        fn capabilities(&self) -> &[Capability] {
            &[Capability::Query]
        }
        async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
            Ok(QueryAnswer::NotFound)
        }
    }
    let kind = AssetKind::register("aircraft_undescribed").unwrap();
    let stranger: Arc<dyn Connector> = Arc::new(Stranger(SourceId::new("caac-x").unwrap(), kind));
    let refused = Registry::with_kinds(
        vec![(stranger, Duration::from_secs(1), 1)],
        Default::default(),
    )
    .err()
    .expect("refused");
    let message = refused.to_string();
    assert!(message.contains("caac-x"), "{message}");
    assert!(
        message.contains("[control.kinds.aircraft_undescribed]"),
        "{message}"
    );
}
