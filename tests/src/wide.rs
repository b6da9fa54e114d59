//! The hub at width: many bank sources (thousands) pointed at a few mock bank listeners, the
//! hub run as a real process, and what one fresh query over all of them costs: start-up time,
//! resident memory, the size of a `/metrics` scrape, the latency of a fresh `Query`, the hub's
//! CPU per agency call (from `/proc/<pid>/stat`) and the TCP connections the agencies accepted.
//! Used by `tests/tests/wide.rs` (a small counted run always, the 4,000-source run on demand).

use crate::hub_process::HubProcess;
use crate::{clients_as, demo_person_query, register_standard_cases, Role, COURT};
use assethub_hub::HubConfig;
use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::{demo_agencies, start_all, Population, RunningAgency};
use assethub_proto::v1 as pb;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The shape of a wide run.
#[derive(Debug, Clone)]
pub struct WideOptions {
    /// Bank sources the hub is configured with.
    pub sources: usize,
    /// Mock bank listeners they are spread over (round robin).
    pub listeners: usize,
    /// Every agency's fixed latency (no jitter).
    pub agency_latency_ms: u64,
    /// Fresh queries of the demo person, one after the other.
    pub queries: usize,
}

/// What a wide run measured.
#[derive(Debug, Clone)]
pub struct WideReport {
    pub sources: usize,
    /// From starting the process to its health check answering SERVING.
    pub startup: Duration,
    pub rss_ready_kib: u64,
    pub rss_after_kib: u64,
    /// Each fresh query's latency, in order.
    pub query_latencies: Vec<Duration>,
    /// Sources answering `Ok` in the last query.
    pub ok_sources: usize,
    /// Bytes of one `/metrics` scrape after the queries.
    pub metrics_bytes: usize,
    /// The whole last scrape (for tests reading its series).
    pub metrics_text: String,
    /// Agency calls (inquiries the mocks answered) during the queries.
    pub agency_calls: u64,
    /// Hub CPU (user + system) during the queries, per agency call.
    pub cpu_per_call: Duration,
    /// TCP connections the mock listeners accepted during the queries.
    pub connections: u64,
}

impl WideReport {
    /// One line per figure, for a test's output and the README.
    pub fn summary(&self) -> String {
        let ms: Vec<String> = self
            .query_latencies
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
            .collect();
        format!(
            "sources {}: start-up {:.2} s; RSS ready {} MB, after queries {} MB; fresh query ms [{}]; \
             ok {}; /metrics {} bytes; agency calls {}; hub CPU per agency call {:.1} µs; \
             connections accepted {}",
            self.sources,
            self.startup.as_secs_f64(),
            self.rss_ready_kib / 1024,
            self.rss_after_kib / 1024,
            ms.join(", "),
            self.ok_sources,
            self.metrics_bytes,
            self.agency_calls,
            self.cpu_per_call.as_secs_f64() * 1e6,
            self.connections,
        )
    }
}

/// Mock bank listeners: `n` copies of the demo's first bank at `latency_ms`, ephemeral ports.
pub async fn bank_listeners(
    n: usize,
    latency_ms: u64,
    population: Arc<Population>,
) -> Vec<RunningAgency> {
    let bank = demo_agencies(0)
        .into_iter()
        .find(|a| a.name == "bank-gongxin")
        .expect("the demo line-up has bank-gongxin");
    let lineup: Vec<_> = (0..n)
        .map(|i| {
            let mut agency = bank.clone();
            agency.name = format!("bank-wide-{i}");
            agency.latency_ms = latency_ms;
            agency.jitter_ms = 0;
            agency
        })
        .collect();
    start_all(&lineup, population)
        .await
        .expect("mock banks start")
}

/// The demo configuration with its sources replaced by `sources` bank sources (ids
/// `bank-0000`..) spread round robin over `banks`, each with the demo bank's settings.
pub fn wide_config(banks: &[RunningAgency], sources: usize) -> HubConfig {
    let mut config = assethub_demo::config();
    let template = config
        .sources
        .iter()
        .find(|s| s.id.as_str() == "bank-gongxin")
        .expect("the demo configuration has bank-gongxin")
        .clone();
    config.sources = (0..sources)
        .map(|i| {
            let mut source = template.clone();
            source.id = assethub_connectors::domain::SourceId::new(&format!("bank-{i:04}"))
                .expect("a valid source id");
            source.settings.insert(
                "base_url".into(),
                toml::Value::String(banks[i % banks.len()].base_url()),
            );
            source
        })
        .collect();
    config.metrics.listen = free_port();
    config.ledger.url = "sqlite://data/ledger.db".into();
    config
}

/// Starts the banks and the hub process, registers the standard cases, runs the fresh
/// queries and measures (see [`WideReport`]). `tweak` adjusts the configuration first.
pub async fn run(options: &WideOptions, tweak: impl FnOnce(&mut HubConfig)) -> WideReport {
    let population = Arc::new(Population::generate(DEFAULT_SEED, 50));
    let banks = bank_listeners(
        options.listeners,
        options.agency_latency_ms,
        population.clone(),
    )
    .await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = wide_config(&banks, options.sources);
    // The query's deadline is the caller's; give the hub room for 4,000 sources.
    tweak(&mut config);
    let metrics_addr = config.metrics.listen;
    let started = Instant::now();
    let hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
    let startup = started.elapsed();
    let rss_ready_kib = hub.rss_kib().unwrap_or(0);
    let channel = tonic::transport::Channel::from_shared(hub.url())
        .expect("hub url")
        .connect()
        .await
        .expect("client connects");
    register_standard_cases(&channel, &population).await;
    let (client, _) = clients_as(&channel, Role::Judge, COURT);
    let mut client = client.max_decoding_message_size(64 * 1024 * 1024);

    let calls_before: u64 = banks.iter().map(|b| b.knobs.inquiries()).sum();
    let connections_before: u64 = banks.iter().map(|b| b.knobs.connections()).sum();
    let cpu_before = cpu_of(hub.pid());
    let mut query_latencies = Vec::new();
    let mut ok_sources = 0;
    for _ in 0..options.queries {
        let mut request = demo_person_query();
        request.fresh = true;
        request.deadline_ms = 30_000;
        let asked = Instant::now();
        let response = client
            .query(request)
            .await
            .unwrap_or_else(|s| panic!("query: {s:?}\n{}", hub.log_tail()))
            .into_inner();
        query_latencies.push(asked.elapsed());
        assert_eq!(response.sources.len(), options.sources);
        ok_sources = response
            .sources
            .iter()
            .filter(|s| s.status == pb::SourceStatus::Ok as i32)
            .count();
    }
    let cpu = cpu_of(hub.pid()).saturating_sub(cpu_before);
    let agency_calls = banks.iter().map(|b| b.knobs.inquiries()).sum::<u64>() - calls_before;
    let connections = banks.iter().map(|b| b.knobs.connections()).sum::<u64>() - connections_before;
    let rss_after_kib = hub.rss_kib().unwrap_or(0);
    let metrics_text = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .expect("the metrics endpoint answers")
        .text()
        .await
        .expect("the exposition");
    WideReport {
        sources: options.sources,
        startup,
        rss_ready_kib,
        rss_after_kib,
        query_latencies,
        ok_sources,
        metrics_bytes: metrics_text.len(),
        metrics_text,
        agency_calls,
        cpu_per_call: cpu / u32::try_from(agency_calls.max(1)).unwrap_or(u32::MAX),
        connections,
    }
}

/// A loopback address with a port free right now.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("the bound address")
}

/// CPU time (user + system) process `pid` has used, from `/proc/<pid>/stat` (Linux; zero
/// elsewhere).
pub fn cpu_of(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_sec())
}

fn clock_ticks_per_sec() -> f64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}
