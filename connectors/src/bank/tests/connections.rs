//! Connection reuse, counted by the mock bank's listener: calls in flight beyond the old fixed
//! idle cap of 32 keep their connections alive, sources built by one registry of factories
//! share one client (and so one pool per agency host), and a source speaking HTTP/2 by prior
//! knowledge multiplexes every call over one connection.

use super::{ctx, debtor, settings};
use crate::domain::SourceId;
use crate::{Connector, QueryAnswer};
use assethub_mocks::bank::Settings;
use assethub_mocks::population::{DEFAULT_SEED as SEED, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_mocks::{AgencyConfig, FamilySettings, Population, RunningAgency};
use std::sync::Arc;

async fn slow_bank(latency_ms: u64) -> RunningAgency {
    let config = AgencyConfig {
        name: "bank-connections".into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms,
        jitter_ms: 0,
        settings: FamilySettings::Bank(Settings::demo(0)),
    };
    assethub_mocks::server::start(&config, Arc::new(Population::generate(SEED, 20)))
        .await
        .expect("mock bank starts")
}

/// `sources` bank sources built by one registry of the built-in factories, pointed at `base`.
async fn sources(base: &str, n: usize, extra: &str) -> Vec<Arc<dyn Connector>> {
    let factories = crate::factories();
    let mut built = Vec::new();
    for i in 0..n {
        let mut table = settings(base, "gx-demo-key", "gx-demo-secret");
        table.extend(toml::from_str::<toml::Table>(extra).expect("valid TOML"));
        let id = SourceId::new(&format!("bank-{i}")).expect("valid id");
        built.push(factories.build(id, "bank", table).await.expect("builds"));
    }
    built
}

/// `calls` queries of the demo person through `source` in waves of `in_flight` at once, each
/// wave waiting for the last (as fan-outs come: every connection goes idle between waves).
async fn hammer(source: Arc<dyn Connector>, calls: usize, in_flight: usize) {
    for _ in 0..calls / in_flight {
        let wave: Vec<_> = (0..in_flight)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move {
                    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
                    let answer = source.query(&ctx(), &person).await.expect("answered");
                    assert!(matches!(answer, QueryAnswer::Found(_)), "{answer:?}");
                })
            })
            .collect();
        for call in wave {
            call.await.expect("call");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_in_waves_of_a_hundred_reuse_a_hundred_connections() {
    let bank = slow_bank(5).await;
    let source = sources(&bank.base_url(), 1, "").await.remove(0);
    hammer(source, 1_000, 100).await;
    assert_eq!(bank.knobs.inquiries(), 1_000);
    // At most one connection per call in flight, each kept alive for the next wave (a few
    // more when a connection is being opened as another comes free). A pool keeping only 32
    // idle connections closes 68 after each wave and opens them again: ~700.
    let opened = bank.knobs.connections();
    assert!(
        opened <= 100 + 10,
        "{opened} connections opened for 1,000 calls in waves of 100"
    );
}

#[tokio::test]
async fn sources_of_one_registry_share_one_pool_per_agency() {
    let bank = slow_bank(0).await;
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for source in sources(&bank.base_url(), 50, "").await {
        source.query(&ctx(), &person).await.expect("answered");
    }
    assert_eq!(bank.knobs.inquiries(), 50);
    // One after the other: the second source reuses the connection the first opened.
    assert_eq!(bank.knobs.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_by_prior_knowledge_multiplexes_every_call_over_one_connection() {
    let bank = slow_bank(5).await;
    let source = sources(&bank.base_url(), 1, "http2_prior_knowledge = true")
        .await
        .remove(0);
    hammer(source, 500, 100).await;
    assert_eq!(bank.knobs.inquiries(), 500);
    assert_eq!(bank.knobs.connections(), 1);
}
