//! The wide query: a second hub process configured with `width` bank sources (copies of the
//! demo's `bank-gongxin`, all pointed at its one mock, answering after 50 ms), started from
//! scratch, then asked a few fresh queries for the demo person one at a time: start-up time,
//! resident memory when ready and after the queries, each query's latency, the hub's CPU per
//! query and per agency call, a bare Health/Check on the same listener, and the size of one
//! `/metrics` scrape.

use crate::driver::{drive, Sample, Shape, Stop};
use crate::procfs;
use crate::setup::{channel, connect, raise_limits, Bench};
use assethub_proto::v1 as pb;
use assethub_tests::hub_process::HubProcess;
use assethub_tests::{config_for, demo_person_query};
use std::time::{Duration, Instant};
use tonic_health::pb::HealthCheckRequest;

/// The mock every wide source asks.
const TEMPLATE: &str = "bank-gongxin";

pub struct Wide {
    pub width: usize,
    pub startup: Duration,
    pub rss_ready_mib: f64,
    pub check: Sample,
    /// The fresh queries (latencies, hub CPU, RSS after).
    pub queries: Sample,
    /// Sources that answered OK, over all queries.
    pub sources_ok: usize,
    pub agency_calls: u64,
    pub metrics_bytes: usize,
    /// A bare client making as many calls at once to a stand-in agency (filled in by the
    /// caller, with only the bare client and that agency running).
    pub bare: Option<crate::floor::Drive>,
}

pub async fn run(bench: &Bench, width: usize, queries: usize) -> Wide {
    let mut config = config_for(&bench.agencies);
    let template = config
        .sources
        .iter()
        .find(|s| s.id.as_str() == TEMPLATE)
        .expect("the demo configuration has bank-gongxin")
        .clone();
    config.sources = (0..width)
        .map(|i| {
            let mut source = template.clone();
            source.id = assethub_connectors::domain::SourceId::new(&format!("bank-w{i:05}"))
                .expect("a valid source id");
            source
        })
        .collect();
    raise_limits(&mut config);
    let metrics = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    config.metrics.listen = metrics.local_addr().expect("its address");
    drop(metrics);
    let dir = bench.dir.path().join("wide");
    std::fs::create_dir_all(&dir).expect("the wide hub's directory");

    let started = Instant::now();
    let hub = HubProcess::start(&config, "127.0.0.1:0".parse().expect("loopback"), &dir).await;
    let startup = started.elapsed();
    let pid = hub.pid();
    let rss_ready_mib = procfs::rss_mib(pid);
    assethub_tests::register_standard_cases(&channel(&hub.url()).await, &bench.population).await;

    let connection = connect(&hub.url()).await;
    let health = connection.health.clone();
    let check = drive(Shape::ONE, Stop::Calls(200), pid, move |_, _| {
        let mut health = health.clone();
        async move {
            health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .is_ok()
        }
    })
    .await;

    let agency = bench
        .agencies
        .iter()
        .find(|a| a.name == TEMPLATE)
        .expect("the template agency runs");
    let calls_before = agency.knobs.inquiries();
    let ok = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (search, counted) = (connection.search.clone(), ok.clone());
    let sample = drive(Shape::ONE, Stop::Calls(queries), pid, move |_, _| {
        let (mut search, counted) = (search.clone(), counted.clone());
        async move {
            let mut request = demo_person_query();
            request.fresh = true;
            let Ok(response) = search.query(request).await else {
                return false;
            };
            let answered = response
                .get_ref()
                .sources
                .iter()
                .filter(|s| s.status == pb::SourceStatus::Ok as i32)
                .count();
            counted.fetch_add(answered, std::sync::atomic::Ordering::Relaxed);
            response.get_ref().sources.len() == width
        }
    })
    .await;
    let agency_calls = agency.knobs.inquiries() - calls_before;
    let metrics_bytes = reqwest::get(format!("http://{}/metrics", config.metrics.listen))
        .await
        .expect("the wide hub's metrics answer")
        .bytes()
        .await
        .map(|b| b.len())
        .unwrap_or(0);
    Wide {
        width,
        startup,
        rss_ready_mib,
        check,
        queries: sample,
        sources_ok: ok.load(std::sync::atomic::Ordering::Relaxed),
        agency_calls,
        metrics_bytes,
        bare: None,
    }
}
