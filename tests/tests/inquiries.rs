//! Agencies that answer later (issue 13), with paused time: the search hub, its inquiry book
//! and SQLite ledger, driven against an in-memory agency that answers an inquiry only after
//! its delay, gives a repeated key the same ticket, and counts the distinct inquiries it was
//! asked per debtor — the oracle the stories check "asked once" against. Ten minutes of an
//! agency's work pass in microseconds: tokio's clock (and so the hub's) jumps forward at once
//! ([`skip`]) and runs normally around the jump, as in `expiry.rs` (while paused, a task waiting
//! for the ledger's SQLite worker thread would let tokio auto-advance to the pool's timeout).

use assethub_connectors::domain::{
    AccountStatus, Asset, AssetDetail, AssetKind, AssetRef, CaseNumber, Debtor, DebtorId,
    DepositAccount, DepositType, Fen, SourceId,
};
use assethub_connectors::{
    CallContext, Capability, Connector, ConnectorError, ErrorClass, QueryAnswer, ReadyPage,
};
use assethub_hub::cache::AnswerCache;
use assethub_hub::clock::Clock;
use assethub_hub::inquiries::{FollowPolicy, Inquiries, InquiryFilter, InquiryState};
use assethub_hub::orders::ledger::EventBody;
use assethub_hub::orders::Ledger;
use assethub_hub::registry::Registry;
use assethub_hub::retry::RetryPolicy;
use assethub_hub::search::{Outcome, Search, SearchHub, SourceReport};
use assethub_proto::v1 as pb;
use assethub_tests::CASE;
use async_trait::async_trait;
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const SOURCE: &str = "bank-later";
const ID: &str = "11010519491231002X";
const NAME: &str = "张伟";
const TEN_MINUTES: Duration = Duration::from_secs(600);

/// What the agency does with the inquiries it is asked.
#[derive(Default)]
struct Books {
    /// Ticket by inquiry key: a repeated key gets its ticket again.
    by_key: HashMap<String, String>,
    /// When each ticket's answer is ready.
    ready: HashMap<String, Instant>,
    /// Distinct inquiry keys per debtor id.
    distinct: HashMap<String, HashSet<String>>,
    /// Tickets it forgot (lost).
    lost: HashSet<String>,
    /// Tickets still to lose: each new ticket is lost while this is above 0.
    to_lose: u32,
    /// Never answers anything.
    silent: bool,
    /// Keys received whose senders never heard back (the call hangs).
    hang_next: bool,
    /// Names no time when taking an inquiry, and notifies when an answer is ready.
    notifies: bool,
    /// Takes the next inquiry but answers 503 (the answer lost on the way back).
    fail_next: bool,
    queries: u32,
    looks: u32,
}

/// A bank that answers inquiries `delay` after it took them.
struct SlowBank {
    id: SourceId,
    delay: Duration,
    books: Mutex<Books>,
}

impl SlowBank {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            id: SourceId::new(SOURCE).unwrap(),
            delay,
            books: Mutex::default(),
        })
    }

    fn distinct(&self, debtor: &str) -> usize {
        self.books
            .lock()
            .unwrap()
            .distinct
            .get(debtor)
            .map_or(0, HashSet::len)
    }

    fn queries(&self) -> u32 {
        self.books.lock().unwrap().queries
    }

    fn with(&self, change: impl FnOnce(&mut Books)) {
        change(&mut self.books.lock().unwrap());
    }
}

fn account() -> Asset {
    Asset {
        asset_ref: AssetRef::parse(&format!("{SOURCE}:6222000011112222")).unwrap(),
        detail: AssetDetail::Deposit(DepositAccount {
            account_number: "6222000011112222".into(),
            deposit_type: DepositType::Demand,
            currency: "CNY".into(),
            balance: Fen(1_234_500),
            frozen: Fen(0),
            status: AccountStatus::Normal,
            branch: "武汉分行".into(),
        }),
    }
}

#[async_trait]
impl Connector for SlowBank {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        AssetKind::BANK
    }
    fn connector_type(&self) -> &'static str {
        "slow-bank"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }
    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let (ticket, ready, hang) = {
            let mut books = self.books.lock().unwrap();
            books.queries += 1;
            books
                .distinct
                .entry(debtor.id.as_str().to_string())
                .or_default()
                .insert(ctx.request_id.clone());
            let ticket = match books.by_key.get(&ctx.request_id) {
                Some(ticket) => ticket.clone(),
                None => {
                    let ticket = format!("T{:04}", books.by_key.len() + 1);
                    books.by_key.insert(ctx.request_id.clone(), ticket.clone());
                    books
                        .ready
                        .insert(ticket.clone(), Instant::now() + self.delay);
                    if books.to_lose > 0 {
                        books.to_lose -= 1;
                        books.lost.insert(ticket.clone());
                    }
                    ticket
                }
            };
            let ready = books.ready[&ticket];
            (ticket, ready, std::mem::take(&mut books.hang_next))
        };
        if hang {
            std::future::pending::<()>().await;
        }
        if std::mem::take(&mut self.books.lock().unwrap().fail_next) {
            return Err(ConnectorError::new(
                ErrorClass::Server,
                "503 from the gateway",
            ));
        }
        let notifies = self.books.lock().unwrap().notifies;
        Ok(QueryAnswer::Pending {
            ticket,
            expected_in: (!notifies).then(|| ready.saturating_duration_since(Instant::now())),
        })
    }
    /// The tickets ready by now, after `cursor` (an index into the tickets in order).
    async fn ready_tickets(&self, cursor: &str) -> Result<ReadyPage, ConnectorError> {
        let books = self.books.lock().unwrap();
        if !books.notifies {
            return Err(ConnectorError::new(
                ErrorClass::Unsupported,
                "no notifications",
            ));
        }
        let mut ready: Vec<(&String, &Instant)> = books
            .ready
            .iter()
            .filter(|(_, at)| **at <= Instant::now())
            .collect();
        ready.sort();
        let seen: usize = cursor.parse().unwrap_or(0);
        Ok(ReadyPage {
            tickets: ready
                .iter()
                .skip(seen)
                .map(|(t, _)| t.to_string())
                .collect(),
            cursor: ready.len().to_string(),
        })
    }
    async fn query_status(
        &self,
        _: &CallContext,
        ticket: &str,
    ) -> Result<QueryAnswer, ConnectorError> {
        let mut books = self.books.lock().unwrap();
        books.looks += 1;
        if books.lost.contains(ticket) || !books.ready.contains_key(ticket) {
            return Err(ConnectorError::new(
                ErrorClass::Rejected,
                format!("unknown ticket {ticket}"),
            ));
        }
        let ready = books.ready[ticket];
        if books.silent || Instant::now() < ready {
            return Ok(QueryAnswer::Pending {
                ticket: ticket.to_string(),
                expected_in: None,
            });
        }
        Ok(QueryAnswer::Found(vec![account()]))
    }
}

/// One hub's search and inquiry book over a ledger in `dir`.
struct Hub {
    search: Arc<SearchHub>,
    inquiries: Arc<Inquiries>,
    ledger: Ledger,
    clock: Arc<Clock>,
}

async fn hub(
    dir: &tempfile::TempDir,
    bank: &Arc<SlowBank>,
    clock: Arc<Clock>,
    expiry: Duration,
) -> Hub {
    let connector: Arc<dyn Connector> = bank.clone();
    hub_over(dir, connector, clock, expiry).await
}

/// The hub with `connector` as its one (asynchronous) source.
async fn hub_over(
    dir: &tempfile::TempDir,
    connector: Arc<dyn Connector>,
    clock: Arc<Clock>,
    expiry: Duration,
) -> Hub {
    let ledger = Ledger::open(&format!("sqlite://{}/ledger.db", dir.path().display()))
        .await
        .unwrap();
    let id = connector.id().to_string();
    let mut registry = Registry::from_connectors(vec![(connector, Duration::from_secs(3600), 4)]);
    assert!(registry.set_asynchronous(&id, expiry));
    let registry = Arc::new(registry);
    let cache = AnswerCache::new(100);
    let inquiries = Inquiries::new(
        ledger.clone(),
        registry.clone(),
        cache.clone(),
        clock.clone(),
        FollowPolicy::default(),
    );
    let retry = RetryPolicy {
        max_attempts: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let search = Arc::new(SearchHub::new(registry, cache, retry).with_inquiries(inquiries.clone()));
    inquiries.resume().await.unwrap();
    Hub {
        search,
        inquiries,
        ledger,
        clock,
    }
}

fn search(fresh: bool) -> Arc<Search> {
    Arc::new(Search {
        case: CaseNumber::parse(CASE).unwrap(),
        debtor: Debtor {
            id: DebtorId::parse(ID).unwrap(),
            name: NAME.into(),
        },
        kinds: vec![],
        fresh,
        deadline: Instant::now() + Duration::from_secs(3600),
        request_id: "req-1".into(),
    })
}

async fn ask(hub: &Hub, fresh: bool) -> SourceReport {
    hub.search.collect(search(fresh)).await.remove(0)
}

fn answer(report: &SourceReport) -> &QueryAnswer {
    match &report.outcome {
        Outcome::Answer(a) => &a.answer,
        other => panic!("no answer: {other:?}"),
    }
}

/// Moves tokio's clock (and so the hub's calendar) forward by `by`, in steps shorter than the
/// ledger pool's acquire timeout with a moment of real time between them, so work waiting for
/// the ledger is not timed out by the jump itself.
async fn skip(by: Duration) {
    let step = Duration::from_secs(10);
    let mut left = by;
    while !left.is_zero() {
        let now = left.min(step);
        tokio::time::pause();
        tokio::time::advance(now).await;
        tokio::time::resume();
        tokio::time::sleep(Duration::from_millis(2)).await;
        left -= now;
    }
}

/// Waits (real time, bounded) until the follower has asked the agency anew and recorded the
/// new ticket: the next jump of the clock must come after the new ticket's expected time was
/// set, or that time would be set past the jump and never reached (a loaded machine showed it).
async fn asked_anew(hub: &Hub, id: &str) {
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let now = hub.inquiries.get(id).await.unwrap().expect("recorded");
            if now.reasked >= 1 && now.state == InquiryState::Pending && !now.ticket.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    waited.expect("asked anew in time");
}

/// The inquiry once settled, waiting at most a few real seconds for the follower's work.
async fn settled(hub: &Hub, id: &str) -> assethub_hub::inquiries::Inquiry {
    tokio::time::timeout(Duration::from_secs(20), hub.inquiries.wait_settled(id))
        .await
        .expect("settled in time")
        .unwrap()
}

fn inquiry_events(
    events: &[assethub_hub::orders::ledger::Event],
    state: &str,
) -> Vec<assethub_hub::orders::ledger::InquiryPayload> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Inquiry(i) if i.state == state => Some(i.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_inquiry_answered_after_ten_minutes_reaches_the_feed_and_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;

    let first = ask(&hub, false).await;
    assert!(matches!(answer(&first), QueryAnswer::Pending { ticket, .. } if ticket == "T0001"));
    let open = first.inquiry.clone().expect("the pending inquiry");
    assert_eq!(open.ticket, "T0001");
    assert!(open.expected_at_ms >= hub.clock.now_ms() + 590_000);
    assert_eq!(first.attempts, 1);

    // Asked again while the agency works, fresh or not: the same inquiry, the agency left alone.
    for fresh in [false, true] {
        let again = ask(&hub, fresh).await;
        assert_eq!(
            again.inquiry.as_ref().map(|o| &o.inquiry_id),
            Some(&open.inquiry_id)
        );
        assert_eq!(again.attempts, 0);
    }
    assert_eq!(bank.queries(), 1);

    // Nine minutes on: still pending.
    skip(Duration::from_secs(540)).await;
    let waiting = ask(&hub, false).await;
    assert!(waiting.inquiry.is_some());
    skip(Duration::from_secs(61)).await;
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered);
    assert_eq!(done.asset_count(), 1);

    let events = hub.ledger.events_after(0, Some(CASE), 100).await.unwrap();
    let answered = inquiry_events(&events, "answered");
    assert_eq!(answered.len(), 1, "one answered event");
    assert_eq!(answered[0].inquiry_id, open.inquiry_id);
    assert_eq!(answered[0].asset_count, 1);
    assert!(!answered[0].debtor_masked.contains(ID), "masked");
    assert!(!answered[0].debtor_masked.contains(NAME), "masked");

    let cached = ask(&hub, false).await;
    assert!(cached.cached);
    assert_eq!(cached.attempts, 0);
    assert!(matches!(answer(&cached), QueryAnswer::Found(assets) if assets == &vec![account()]));
    assert_eq!(bank.distinct(ID), 1);
    assert_eq!(bank.queries(), 1);
}

#[tokio::test]
async fn a_restart_while_inquiries_are_pending_loses_none_and_asks_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    let clock = Arc::new(Clock::new());
    let before = hub(&dir, &bank, clock.clone(), Duration::from_secs(86_400)).await;
    let open = ask(&before, false).await.inquiry.expect("pending");
    // The hub stops (its followers with it) while the agency works.
    before.inquiries.stop();
    drop(before);
    skip(Duration::from_secs(300)).await;
    // A new hub on the same ledger, with an empty cache, on the same calendar.
    let after = hub(
        &dir,
        &bank,
        Arc::new(Clock::starting_at(clock.now_ms())),
        Duration::from_secs(86_400),
    )
    .await;
    let again = ask(&after, false).await;
    assert_eq!(
        again.inquiry.map(|o| o.inquiry_id),
        Some(open.inquiry_id.clone()),
        "reported, not asked"
    );
    skip(Duration::from_secs(301)).await;
    let done = settled(&after, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered);
    assert_eq!(bank.distinct(ID), 1);
    assert_eq!(bank.queries(), 1);

    // Restarted once more within the source's TTL: the answer comes from the store, not the agency.
    after.inquiries.stop();
    drop(after);
    let third = hub(
        &dir,
        &bank,
        Arc::new(Clock::starting_at(clock.now_ms())),
        Duration::from_secs(86_400),
    )
    .await;
    let served = ask(&third, false).await;
    assert!(served.cached);
    assert!(matches!(answer(&served), QueryAnswer::Found(assets) if assets.len() == 1));
    assert_eq!(bank.queries(), 1);
}

#[tokio::test]
async fn a_crash_between_recording_and_the_ticket_is_resumed_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    let clock = Arc::new(Clock::new());
    let before = hub(&dir, &bank, clock.clone(), Duration::from_secs(86_400)).await;
    // The agency takes the inquiry but the hub never hears back: the search gives up.
    bank.with(|b| b.hang_next = true);
    let mut short = (*search(false)).clone();
    short.deadline = Instant::now() + Duration::from_millis(300);
    let report = before.search.collect(Arc::new(short)).await.remove(0);
    assert!(matches!(report.outcome, Outcome::TimedOut));
    let sending = before
        .inquiries
        .list(&InquiryFilter {
            states: vec![InquiryState::Sending],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sending.len(), 1, "written before it was sent");
    before.inquiries.stop();
    drop(before);

    let after = hub(
        &dir,
        &bank,
        Arc::new(Clock::starting_at(clock.now_ms())),
        Duration::from_secs(86_400),
    )
    .await;
    // Resent under its key at once: the same ticket, no second inquiry.
    skip(Duration::from_secs(601)).await;
    let done = settled(&after, &sending[0].inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered, "{}", done.reason);
    assert_eq!(done.ticket, "T0001");
    assert_eq!(bank.distinct(ID), 1);
    assert_eq!(bank.queries(), 2, "sent, then resent under the same key");
}

#[tokio::test]
async fn an_agency_that_never_answers_is_reported_expired() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    bank.with(|b| b.silent = true);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(3600),
    )
    .await;
    let open = ask(&hub, false).await.inquiry.expect("pending");
    for _ in 0..7 {
        skip(Duration::from_secs(600)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Expired);
    assert!(done.reason.contains("never answered"), "{}", done.reason);
    let events = hub.ledger.events_after(0, Some(CASE), 100).await.unwrap();
    let expired = inquiry_events(&events, "expired");
    assert_eq!(expired.len(), 1);
    assert!(expired[0].reason.contains("never answered"));
    let listed = hub
        .inquiries
        .list(&InquiryFilter {
            case_number: Some(CASE.into()),
            states: vec![InquiryState::Expired],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|i| &i.inquiry_id).collect::<Vec<_>>(),
        vec![&open.inquiry_id]
    );
    // Looked at more than once along the way, never asked again.
    assert!(bank.books.lock().unwrap().looks >= 2);
    assert_eq!(bank.queries(), 1);
}

#[tokio::test]
async fn a_lost_ticket_is_asked_again_once_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    bank.with(|b| b.to_lose = 1);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;
    let open = ask(&hub, false).await.inquiry.expect("pending");
    skip(Duration::from_secs(601)).await;
    asked_anew(&hub, &open.inquiry_id).await;
    skip(Duration::from_secs(601)).await;
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered, "{}", done.reason);
    assert_eq!(done.reasked, 1);
    assert_eq!(done.ticket, "T0002");
    assert_eq!(bank.distinct(ID), 2, "asked anew, under a new key");
}

#[tokio::test]
async fn a_ticket_lost_twice_fails_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    bank.with(|b| b.to_lose = 2);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;
    let open = ask(&hub, false).await.inquiry.expect("pending");
    skip(Duration::from_secs(601)).await;
    asked_anew(&hub, &open.inquiry_id).await;
    skip(Duration::from_secs(601)).await;
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Failed);
    assert!(done.reason.contains("lost"), "{}", done.reason);
    assert!(done.reason.contains("T0002"), "{}", done.reason);
    let events = hub.ledger.events_after(0, Some(CASE), 100).await.unwrap();
    assert_eq!(inquiry_events(&events, "failed").len(), 1);
    assert_eq!(bank.distinct(ID), 2);
}

#[tokio::test]
async fn a_stream_query_open_when_the_answer_arrives_receives_it() {
    use assethub_hub::audit::{AuditLog, CallAudit};
    use assethub_hub::cases::model::{CaseDebtor, NewCase};
    use assethub_hub::cases::{CaseBook, CaseStore};
    use assethub_hub::identity::{Caller, Role};
    use assethub_hub::service::{HubService, ServiceLimits};
    use assethub_hub::validate::DeadlinePolicy;
    // The hub's own stubs: the service is called here as tonic calls it.
    use assethub_proto::served::v1 as served;
    use served::asset_hub_server::AssetHub;

    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;
    let store = CaseStore::new(hub.ledger.pool().clone());
    let new = NewCase {
        case: CaseNumber::parse(CASE).unwrap(),
        debtors: vec![CaseDebtor {
            id: ID.into(),
            name: NAME.into(),
        }],
        claim_fen: 100_000_000,
        account: "HB0116-ZX-2024-1234".into(),
    };
    store.register(&new, "test").await.unwrap();
    let service = HubService::new(
        hub.search.clone(),
        ServiceLimits {
            deadlines: DeadlinePolicy {
                default: Duration::from_secs(10),
                max: Duration::from_secs(7200),
            },
            batch_concurrency: 4,
            max_batch_items: 10,
        },
        CallAudit::new(AuditLog::new(
            hub.ledger.pool().clone(),
            b"test-audit-key-0123456789abcdef",
        )),
        Arc::new(CaseBook::new(store)),
        hub.clock.clone(),
    )
    .with_inquiries(hub.inquiries.clone());
    let mut request = tonic::Request::new(served::QueryRequest {
        case_number: CASE.into(),
        debtor: Some(served::Debtor {
            id_number: ID.into(),
            name: NAME.into(),
        }),
        deadline_ms: 3_600_000,
        ..Default::default()
    });
    request.extensions_mut().insert(Caller {
        iss: "test".into(),
        sub: "case-system".into(),
        officer: String::new(),
        court: "鄂0116".into(),
        role: Role::CaseSystem,
    });
    let mut stream = service.stream_query(request).await.unwrap().into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.status, pb::SourceStatus::Pending as i32);
    assert_eq!(first.ticket, "T0001");
    assert!(
        first.reason.contains("T0001") && first.reason.contains("expected by"),
        "{}",
        first.reason
    );
    assert!(!first.inquiry_id.is_empty());
    skip(Duration::from_secs(601)).await;
    let second = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("the answer in time")
        .unwrap()
        .unwrap();
    assert_eq!(second.source, SOURCE);
    assert_eq!(second.status, pb::SourceStatus::Ok as i32);
    assert_eq!(second.inquiry_id, first.inquiry_id);
    assert_eq!(second.assets.len(), 1);
    // Every pending source settled: the stream ends.
    assert!(tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn the_mock_bank_answering_later_is_followed_through_its_connector() {
    use assethub_mocks::bank::Settings;
    use assethub_mocks::{AgencyConfig, FamilySettings, Population};

    let config = AgencyConfig {
        name: "bank-later".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Bank(Settings {
            answer_delay_ms: Some(600_000),
            ..Settings::demo(0)
        }),
    };
    let agency = assethub_mocks::start(&config, Arc::new(Population::generate(7, 50)))
        .await
        .unwrap();
    let mut settings = toml::Table::new();
    settings.insert("base_url".into(), agency.base_url().into());
    settings.insert("api_key".into(), "gx-demo-key".into());
    settings.insert("api_secret".into(), "gx-demo-secret".into());
    let connector = assethub_connectors::factories()
        .build(SourceId::new(SOURCE).unwrap(), "bank", settings)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_over(
        &dir,
        connector,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;

    let first = ask(&hub, false).await;
    let open = first.inquiry.clone().expect("pending");
    assert!(open.ticket.starts_with("365CX"), "{}", open.ticket);
    assert!(open.expected_at_ms >= hub.clock.now_ms() + 590_000);
    skip(Duration::from_secs(601)).await;
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered, "{}", done.reason);
    assert!(done.asset_count() > 0);
    let cached = ask(&hub, false).await;
    assert!(cached.cached);
    assert_eq!(agency.knobs.distinct_inquiries(ID, CASE), 1);
}

#[tokio::test]
async fn an_agency_that_notifies_is_asked_when_it_says_the_answer_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    bank.with(|b| b.notifies = true);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;
    let started = hub.clock.now_ms();
    let open = ask(&hub, false).await.inquiry.expect("pending");
    assert_eq!(open.expected_at_ms, 0, "the agency named no time");
    let mut listening = assethub_hub::inquiries::ready::Listening::default();
    skip(Duration::from_secs(300)).await;
    assert_eq!(
        hub.inquiries.listen_once(&mut listening).await,
        0,
        "nothing ready yet"
    );
    // Looked at after 30 s, then 150 s and 390 s; the next look would be at 870 s.
    skip(Duration::from_secs(301)).await;
    assert_eq!(hub.inquiries.listen_once(&mut listening).await, 1);
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered);
    assert!(
        done.updated_at_ms - started < 700_000,
        "answered when notified, not at the next poll: {} ms",
        done.updated_at_ms - started
    );
    // Read from its cursor: the same ticket wakes nothing again.
    assert_eq!(hub.inquiries.listen_once(&mut listening).await, 0);
}

#[tokio::test]
async fn a_send_that_failed_on_the_way_back_is_resent_by_key_not_asked_anew() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SlowBank::new(TEN_MINUTES);
    bank.with(|b| b.fail_next = true);
    let hub = hub(
        &dir,
        &bank,
        Arc::new(Clock::new()),
        Duration::from_secs(86_400),
    )
    .await;
    let failed = ask(&hub, false).await;
    assert!(matches!(failed.outcome, Outcome::Failed(_)));
    // The inquiry stays open: the next search reports it rather than asking again.
    let again = ask(&hub, false).await;
    let open = again.inquiry.expect("still open");
    assert_eq!(bank.queries(), 1);
    skip(Duration::from_secs(31)).await;
    skip(Duration::from_secs(600)).await;
    let done = settled(&hub, &open.inquiry_id).await;
    assert_eq!(done.state, InquiryState::Answered, "{}", done.reason);
    assert_eq!(done.ticket, "T0001");
    assert_eq!(bank.distinct(ID), 1, "resent under its key");
}
