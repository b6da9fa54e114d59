//! A sweep across an agency that answers later: the agency takes each inquiry with a ticket
//! (`pending`) and has the answer on the next look. The sweep reports the item `awaiting` with
//! its ticket, looks at it again after `recheck_secs` — for that source only, not afresh, under
//! the item's same request id — and finishes once the agency has answered; the other sources are
//! asked once.

use assethub_connectors::domain::{AssetKind, Debtor, SourceId};
use assethub_connectors::{
    CallContext, Capability, ConfigError, Connector, ConnectorError, ConnectorFactory, QueryAnswer,
};
use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::Population;
use assethub_proto::v1 as pb;
use assethub_tests::{config_for, instant_agencies, register_case, sweep, Role, CASE, COURT};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Calls per request id: the first is answered with a ticket, later ones with "not found".
#[derive(Default)]
struct Seen(Mutex<HashMap<String, u32>>);

struct Later {
    id: SourceId,
    seen: Arc<Seen>,
}

#[async_trait]
impl Connector for Later {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        AssetKind::BANK
    }
    fn connector_type(&self) -> &'static str {
        "later"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }
    async fn query(&self, ctx: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        let mut seen = self.seen.0.lock().unwrap();
        let calls = seen.entry(ctx.request_id.clone()).or_default();
        *calls += 1;
        Ok(if *calls == 1 {
            QueryAnswer::Pending {
                ticket: format!("T-{}", ctx.request_id),
                expected_in: Some(Duration::from_secs(1)),
            }
        } else {
            QueryAnswer::NotFound
        })
    }
}

struct LaterFactory(Arc<Seen>);

#[async_trait]
impl ConnectorFactory for LaterFactory {
    fn type_name(&self) -> &str {
        "later"
    }
    async fn build(&self, id: SourceId, _: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
        Ok(Arc::new(Later {
            id,
            seen: self.0.clone(),
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_waits_for_the_agency_that_answers_later_and_only_it_is_asked_again() {
    let population = Arc::new(Population::generate(DEFAULT_SEED, 50));
    let agencies = instant_agencies(population.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(&agencies);
    config.ledger.url = format!("sqlite://{}/ledger.db", dir.path().display());
    config.audit.checkpoint_file = dir.path().join("checkpoints.jsonl");
    config.sweeps.recheck_secs = 3;
    let table: toml::Table =
        toml::from_str("id = \"bank-later\"\ntype = \"later\"\ncache_ttl_secs = 1\n").unwrap();
    config
        .sources
        .push(toml::Value::Table(table).try_into().unwrap());
    let seen = Arc::new(Seen::default());
    let factories = assethub_connectors::factories().with(LaterFactory(seen.clone()));
    let hub = assethub_hub::spawn_with(config, &factories, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the hub starts");
    let channel = assethub_client::channel(&hub.url(), Duration::from_secs(5), None)
        .await
        .unwrap();
    let debtors: Vec<(String, String)> = population
        .debtors()
        .iter()
        .take(20)
        .map(|d| (d.id_number.clone(), d.name.clone()))
        .collect();
    register_case(&channel, CASE, &debtors, 1_000_000, "HB0116-ZX-2024-1234").await;
    let mut client = sweep::client(&channel, Role::CaseSystem, COURT);
    let items = debtors
        .iter()
        .map(|d| sweep::item(CASE, d))
        .collect::<Vec<_>>();
    let id = client
        .submit_sweep(sweep::chunks(
            sweep::header("later", true),
            items.into_iter(),
        ))
        .await
        .unwrap()
        .into_inner()
        .id;

    // First every item waits for the later agency, with its ticket.
    let awaiting = loop {
        let now = client
            .get_sweep(pb::GetSweepRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner();
        if now.waiting == 0 || now.state == pb::SweepState::Finished as i32 {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(awaiting.awaiting, 20, "{awaiting:?}");
    let first = &sweep::results(&mut client, &id).await[0];
    assert_eq!(first.state, pb::SweepItemState::Awaiting as i32);
    let later = first
        .sources
        .iter()
        .find(|s| s.source == "bank-later")
        .unwrap();
    assert_eq!(later.status, "pending");
    assert_eq!(later.ticket, format!("T-swp-{id}-0"));
    assert!(first
        .sources
        .iter()
        .filter(|s| s.source != "bank-later")
        .all(|s| s.status == "ok" || s.status == "not_found"));

    let done = sweep::settled(&mut client, &id, Duration::from_secs(30)).await;
    assert_eq!((done.done, done.awaiting), (20, 0), "{done:?}");
    for result in sweep::results(&mut client, &id).await {
        let later = result
            .sources
            .iter()
            .find(|s| s.source == "bank-later")
            .unwrap();
        assert_eq!(later.status, "not_found", "{result:?}");
        assert!(later.ticket.is_empty());
    }
    // The later agency: two calls per item (the inquiry and the look), same request id.
    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 20);
    for index in 0..20 {
        assert_eq!(seen.get(&format!("swp-{id}-{index}")), Some(&2), "{seen:?}");
    }
    // The other agencies were asked once per debtor.
    let bank = agencies
        .iter()
        .find(|a| a.name == "bank-gongxin")
        .unwrap()
        .knobs
        .inquiry_log()
        .tally();
    assert_eq!((bank.inquiries, bank.pairs_with_several_ids), (20, 0));
}
