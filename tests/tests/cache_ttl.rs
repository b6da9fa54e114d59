//! Cache expiry with paused time: the hub's search path (registry, cache, retries) driven with
//! an in-memory connector that counts its calls, so hours of TTL pass in microseconds.

use assethub_connectors::domain::{AssetKind, CaseNumber, Debtor, DebtorId, SourceId};
use assethub_connectors::{CallContext, Capability, Connector, ConnectorError, QueryAnswer};
use assethub_hub::cache::AnswerCache;
use assethub_hub::registry::Registry;
use assethub_hub::retry::RetryPolicy;
use assethub_hub::search::{Outcome, Search, SearchHub, SourceReport};
use async_trait::async_trait;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

struct CountingAgency {
    id: SourceId,
    kind: AssetKind,
    calls: Arc<AtomicU32>,
}

#[async_trait]
impl Connector for CountingAgency {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        self.kind
    }
    fn connector_type(&self) -> &'static str {
        "counting"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }
    async fn query(
        &self,
        _ctx: &CallContext,
        _debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        Ok(QueryAnswer::Found(vec![]))
    }
}

fn agency(
    id: &str,
    kind: AssetKind,
    ttl_secs: u64,
    calls: &Arc<AtomicU32>,
) -> (Arc<dyn Connector>, Duration, u32) {
    let connector = CountingAgency {
        id: SourceId::new(id).unwrap(),
        kind,
        calls: calls.clone(),
    };
    (Arc::new(connector), Duration::from_secs(ttl_secs), 4)
}

fn search(fresh: bool) -> Arc<Search> {
    Arc::new(Search {
        case: CaseNumber::parse("(2024)鄂0116执1234号").unwrap(),
        debtor: Debtor {
            id: DebtorId::parse("11010519491231002X").unwrap(),
            name: "张伟".into(),
        },
        kinds: vec![],
        fresh,
        deadline: Instant::now() + Duration::from_secs(5),
        request_id: "test".into(),
    })
}

fn cached_flags(reports: &[SourceReport]) -> Vec<bool> {
    reports.iter().map(|r| r.cached).collect()
}

#[tokio::test(start_paused = true)]
async fn each_source_expires_after_its_own_ttl() {
    let bank_calls = Arc::new(AtomicU32::new(0));
    let registry_calls = Arc::new(AtomicU32::new(0));
    let registry = Registry::from_connectors(vec![
        agency("bank-a", AssetKind::BANK, 60, &bank_calls),
        agency("registry-a", AssetKind::REAL_ESTATE, 3600, &registry_calls),
    ]);
    let retry = RetryPolicy {
        max_attempts: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let hub = Arc::new(SearchHub::new(
        Arc::new(registry),
        AnswerCache::new(1000),
        retry,
    ));

    assert_eq!(
        cached_flags(&hub.collect(search(false)).await),
        [false, false]
    );

    tokio::time::advance(Duration::from_secs(59)).await;
    let reports = hub.collect(search(false)).await;
    assert_eq!(cached_flags(&reports), [true, true]);
    assert!(reports[0].age >= Duration::from_secs(59));

    // Past the bank's 60 s, well inside the registry's hour.
    tokio::time::advance(Duration::from_secs(2)).await;
    let reports = hub.collect(search(false)).await;
    assert_eq!(cached_flags(&reports), [false, true]);
    assert!(matches!(reports[0].outcome, Outcome::Answer(_)));
    assert_eq!(reports[0].age, Duration::ZERO);

    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(
        cached_flags(&hub.collect(search(false)).await),
        [false, false]
    );

    // A fresh search asks again even within the TTL.
    assert_eq!(
        cached_flags(&hub.collect(search(true)).await),
        [false, false]
    );

    assert_eq!(bank_calls.load(Ordering::SeqCst), 4);
    assert_eq!(registry_calls.load(Ordering::SeqCst), 3);
}
