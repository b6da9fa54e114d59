//! The metrics as scraped: valid exposition, what each search, control call and feed delivery
//! records, the scrape-time series, the endpoint, and no personal data anywhere.

use super::text::{parse, value, Sample};
use super::*;
use crate::cache::AnswerCache;
use crate::config::MetricsConfig;
use crate::orders::ledger::NewRequest;
use crate::orders::{Action, Ledger, Order, State};
use crate::registry::Registry;
use crate::retry::RetryPolicy;
use crate::search::Outcome;
use crate::search::{Search, SearchHub};
use assethub_connectors::domain::{AssetKind, CaseNumber, Debtor, DebtorId, Fen, SourceId};
use assethub_connectors::HoldStatus;
use assethub_connectors::{CallContext, Capability, Connector, ErrorClass};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const ID_NUMBER: &str = "11010519491231002X";
const NAME: &str = "张伟";

/// Fails its first `failures` calls with a server error, then finds nothing but an empty list.
struct Flaky {
    id: SourceId,
    failures: AtomicU32,
}

#[async_trait::async_trait]
impl Connector for Flaky {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        AssetKind::BANK
    }
    fn connector_type(&self) -> &'static str {
        "flaky"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }
    async fn query(
        &self,
        _ctx: &CallContext,
        _debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(ConnectorError::new(ErrorClass::Server, "agency down"));
        }
        Ok(QueryAnswer::Found(vec![]))
    }
}

pub(super) fn flaky_hub(metrics: &Arc<Metrics>, failures: u32) -> (Arc<SearchHub>, Arc<Registry>) {
    let connector = Flaky {
        id: SourceId::new("bank-a").unwrap(),
        failures: AtomicU32::new(failures),
    };
    let registry = Arc::new(Registry::from_connectors(vec![(
        Arc::new(connector),
        Duration::from_secs(60),
        4,
    )]));
    let retry = RetryPolicy {
        max_attempts: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let hub = SearchHub::new(registry.clone(), AnswerCache::new(100), retry)
        .with_metrics(metrics.clone());
    (Arc::new(hub), registry)
}

pub(super) fn search(fresh: bool) -> Arc<Search> {
    Arc::new(Search {
        case: CaseNumber::parse("(2024)鄂0116执1234号").unwrap(),
        debtor: Debtor {
            id: DebtorId::parse(ID_NUMBER).unwrap(),
            name: NAME.into(),
        },
        kinds: vec![],
        fresh,
        deadline: Instant::now() + Duration::from_secs(5),
        request_id: "r-1".into(),
    })
}

pub(super) fn scrape_now(metrics: &Metrics) -> (String, Vec<Sample>) {
    let text = metrics.encode().unwrap();
    let samples = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, samples)
}

#[tokio::test(start_paused = true)]
async fn searches_record_latency_outcomes_retries_and_cache() {
    let metrics = Arc::new(Metrics::new());
    let (hub, _) = flaky_hub(&metrics, 1);
    hub.collect(search(false)).await;
    hub.collect(search(false)).await;
    hub.collect(search(true)).await;
    let (_, samples) = scrape_now(&metrics);
    let bank = ("source", "bank-a");
    let duration = "assethub_source_call_duration_seconds";
    let ok = [bank, ("kind", "bank"), ("outcome", "ok")];
    assert_eq!(
        value(&samples, &format!("{duration}_count"), &ok),
        Some(2.0)
    );
    // The first search waited 40 ms, failed, backed off 10 ms (plus up to as much jitter)
    // and waited 40 ms again; the fresh one waited 40 ms.
    let first_and_fresh = value(&samples, &format!("{duration}_sum"), &ok).unwrap();
    assert!(
        (0.129..0.151).contains(&first_and_fresh),
        "{first_and_fresh}"
    );
    let cached = [bank, ("outcome", "cached")];
    assert_eq!(
        value(&samples, &format!("{duration}_count"), &cached),
        Some(1.0)
    );
    let outcomes = "assethub_source_outcomes_total";
    assert_eq!(
        value(&samples, outcomes, &[bank, ("outcome", "ok")]),
        Some(2.0)
    );
    assert_eq!(
        value(&samples, outcomes, &[bank, ("outcome", "cached")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "assethub_source_retries_total", &[bank]),
        Some(1.0)
    );
    let cache = "assethub_cache_requests_total";
    assert_eq!(
        value(&samples, cache, &[bank, ("result", "miss")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, cache, &[bank, ("result", "hit")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, cache, &[bank, ("result", "bypass")]),
        Some(1.0)
    );
}

#[tokio::test(start_paused = true)]
async fn errors_are_counted_by_class() {
    let metrics = Arc::new(Metrics::new());
    let (hub, _) = flaky_hub(&metrics, 10);
    hub.collect(search(false)).await;
    let (_, samples) = scrape_now(&metrics);
    let labels = [
        ("source", "bank-a"),
        ("outcome", "error"),
        ("class", "server"),
    ];
    assert_eq!(
        value(&samples, "assethub_source_outcomes_total", &labels),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "assethub_source_retries_total", &[]),
        Some(2.0)
    );
}

#[tokio::test(start_paused = true)]
async fn no_personal_data_in_the_exposition() {
    let metrics = Arc::new(Metrics::new());
    let (hub, registry) = flaky_hub(&metrics, 1);
    hub.collect(search(false)).await;
    metrics.control_call(
        "bank-a",
        Action::Freeze.as_str(),
        &Err(ConnectorError::new(
            ErrorClass::Rejected,
            format!("{NAME} {ID_NUMBER} has no such account"),
        )),
    );
    let exporter = Exporter::new(metrics.clone(), vec![registry]);
    let text = exporter.render().await.unwrap();
    assert!(!text.contains(ID_NUMBER) && !text.contains(NAME), "{text}");
    assert!(!text.contains("鄂"), "no case numbers: {text}");
    for sample in parse(&text).unwrap() {
        for (key, label) in sample.labels.iter().filter(|(k, _)| k != "le") {
            let digits = label.chars().filter(char::is_ascii_digit).count();
            assert!(digits < 4, "{key}={label:?} looks like an identifier");
        }
    }
}

#[test]
fn control_calls_feed_lag_and_rpc_are_recorded() {
    let metrics = Arc::new(Metrics::new());
    let effective = ControlAnswer {
        hold: "H-1".into(),
        status: HoldStatus::Effective,
        held: Fen(100),
        deducted: Fen(0),
        held_quantity: 0,
        until: None,
        message: String::new(),
    };
    metrics.control_call("bank-a", "freeze", &Ok(effective));
    metrics.control_call(
        "bank-a",
        "freeze",
        &Err(ConnectorError::new(ErrorClass::Timeout, "no answer")),
    );
    metrics.feed_delivered(Duration::from_millis(30));
    metrics.feed_delivered(Duration::from_millis(3));
    let subscriber = metrics.feed_subscriber();
    metrics.rpc("Query", "OK");
    let (_, samples) = scrape_now(&metrics);
    let calls = "assethub_control_calls_total";
    let freeze = [("source", "bank-a"), ("action", "freeze")];
    let with = |outcome| [freeze[0], freeze[1], ("outcome", outcome)];
    assert_eq!(value(&samples, calls, &with("effective")), Some(1.0));
    assert_eq!(value(&samples, calls, &with("timeout")), Some(1.0));
    let lag = "assethub_event_feed_lag_seconds";
    assert_eq!(value(&samples, &format!("{lag}_count"), &[]), Some(2.0));
    assert_eq!(
        value(&samples, &format!("{lag}_bucket"), &[("le", "0.005")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "assethub_event_feed_subscribers", &[]),
        Some(1.0)
    );
    let rpc = [("method", "Query"), ("code", "OK")];
    assert_eq!(
        value(&samples, "assethub_rpc_requests_total", &rpc),
        Some(1.0)
    );
    drop(subscriber);
    let (_, samples) = scrape_now(&metrics);
    assert_eq!(
        value(&samples, "assethub_event_feed_subscribers", &[]),
        Some(0.0)
    );
}

#[test]
fn rpc_methods_come_from_a_closed_set() {
    assert_eq!(rpc::method_label("/assethub.v1.AssetHub/Query"), "Query");
    assert_eq!(
        rpc::method_label("/assethub.v1.Orders/FreezeFunds"),
        "FreezeFunds"
    );
    assert_eq!(rpc::method_label("/grpc.health.v1.Health/Check"), "health");
    assert_eq!(
        rpc::method_label("/assethub.v1.AssetHub/11010519491231002X"),
        "other"
    );
    assert_eq!(rpc::method_label("/evil/Query"), "other");
    assert_eq!(rpc::method_label("no-slash"), "other");
}

/// The example sources, pointed at a port nothing listens on; the first opens its breaker at
/// its first failure, the others never do.
pub(super) async fn unreachable_registry() -> Arc<Registry> {
    let mut config = crate::config::test_example();
    for (i, source) in config.sources.iter_mut().enumerate() {
        source.breaker_failures = if i == 0 { 1 } else { 0 };
        source.breaker_cooldown_ms = 600_000;
        source.settings.insert(
            "base_url".into(),
            toml::Value::String("http://127.0.0.1:1".into()),
        );
    }
    Arc::new(Registry::from_config(&config).await.unwrap())
}

#[tokio::test]
async fn breaker_state_and_calls_in_flight_are_read_at_scrape() {
    let metrics = Arc::new(Metrics::new());
    let registry = unreachable_registry().await;
    let exporter = Exporter::new(metrics.clone(), vec![registry.clone()]);
    let (first, second) = (registry.all()[0].clone(), registry.all()[1].clone());
    let (a, b) = (first.id().to_string(), second.id().to_string());
    let breaker = "assethub_source_breaker_state";
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, breaker, &[("source", &a)]), Some(0.0));
    let once = RetryPolicy {
        max_attempts: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let hub = Arc::new(SearchHub::new(
        registry.clone(),
        AnswerCache::new(100),
        once,
    ));
    let reports = hub.collect(search(false)).await;
    assert!(reports
        .iter()
        .all(|r| !matches!(r.outcome, Outcome::Answer(_))));
    let permit = second.limiter.acquire().await.unwrap();
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, breaker, &[("source", &a)]), Some(2.0));
    assert_eq!(value(&samples, breaker, &[("source", &b)]), Some(0.0));
    let in_flight = "assethub_source_in_flight";
    assert_eq!(value(&samples, in_flight, &[("source", &a)]), Some(0.0));
    assert_eq!(value(&samples, in_flight, &[("source", &b)]), Some(1.0));
    drop(permit);
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, in_flight, &[("source", &b)]), Some(0.0));
}

fn order(id: &str, action: Action) -> Order {
    Order {
        action,
        ..crate::orders::ledger::tests::order(id, "(2024)鄂0116执1234号", 0)
    }
}

#[tokio::test]
async fn orders_are_counted_by_state_and_action_at_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&format!("sqlite://{}/ledger.db", dir.path().display()))
        .await
        .unwrap();
    let request = NewRequest {
        court: "鄂0116".into(),
        client_key: "k-1".into(),
        request_hash: "h".into(),
        result_id: "o-1".into(),
        purpose: crate::cases::Purpose::Act,
        approval_above: None,
    };
    let placed = [order("o-1", Action::Seal), order("o-2", Action::Seal)];
    crate::orders::ledger::tests::register(&ledger, "(2024)鄂0116执1234号", 1_000_000).await;
    ledger.create(&request, &placed).await.unwrap();
    let mut effective = placed[1].clone();
    effective.state = State::Effective;
    ledger
        .update(&[(placed[1].clone(), effective)])
        .await
        .unwrap();
    let metrics = Arc::new(Metrics::new());
    let exporter = Exporter::new(
        metrics,
        vec![unreachable_registry().await, Arc::new(ledger)],
    );
    let text = exporter.render().await.unwrap();
    let samples = parse(&text).unwrap();
    let orders: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == "assethub_orders")
        .collect();
    assert_eq!(orders.len(), State::ALL.len() * Action::ALL.len());
    let seal = |state| [("state", state), ("action", "seal")];
    assert_eq!(
        value(&samples, "assethub_orders", &seal("requested")),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "assethub_orders", &seal("effective")),
        Some(1.0)
    );
    let freeze = [("state", "requested"), ("action", "freeze")];
    assert_eq!(value(&samples, "assethub_orders", &freeze), Some(0.0));
    assert!(!text.contains(ID_NUMBER) && !text.contains(NAME));
}

/// One HTTP/1.1 request to `addr`: (status line, headers and body).
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (status, rest) = response.split_once("\r\n").unwrap();
    (status.to_string(), rest.to_string())
}

#[tokio::test]
async fn the_endpoint_serves_the_exposition() {
    let disabled = MetricsConfig {
        enabled: false,
        ..MetricsConfig::default()
    };
    assert!(bind(&disabled).await.is_none());
    let config = MetricsConfig {
        enabled: true,
        listen: "127.0.0.1:0".parse().unwrap(),
        ..MetricsConfig::default()
    };
    let listener = bind(&config).await.expect("binds a free port");
    let addr = listener.local_addr().unwrap();
    let metrics = Arc::new(Metrics::new());
    metrics.rpc("ListSources", "OK");
    let exporter = Exporter::new(metrics, vec![unreachable_registry().await]);
    let server = tokio::spawn(serve(listener, exporter));
    let (status, rest) = http_get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let (head, body) = rest.split_once("\r\n\r\n").unwrap();
    assert!(head
        .to_ascii_lowercase()
        .contains(&format!("content-type: {CONTENT_TYPE}")));
    let samples = parse(body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    let rpc = [("method", "ListSources"), ("code", "OK")];
    assert_eq!(
        value(&samples, "assethub_rpc_requests_total", &rpc),
        Some(1.0)
    );
    assert!(samples
        .iter()
        .any(|s| s.name == "assethub_source_breaker_state"));
    let (status, _) = http_get(addr, "/other").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    server.abort();
}

#[test]
fn the_reader_refuses_malformed_expositions() {
    let good = "# TYPE a counter\na_total{x=\"1\"} 2\n# EOF\n";
    assert!(parse(good).is_ok());
    for bad in [
        "# TYPE a counter\na_total 2\n",
        "# TYPE a counter\na 2\n# EOF\n",
        "b_total 2\n# EOF\n",
        "# TYPE a counter\na_total{x=\"1} 2\n# EOF\n",
        "# TYPE a counter\na_total{x=\"1\",x=\"2\"} 2\n# EOF\n",
        "# TYPE a counter\na_total 2\n# EOF\nmore\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1\n# EOF\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 3\nh_sum 1\n# EOF\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}

#[tokio::test]
async fn the_answer_cache_size_is_read_at_scrape() {
    use crate::cache::CacheKey;
    use std::time::Duration;
    let cache = AnswerCache::bounded(100, 1 << 20);
    let metrics = Arc::new(Metrics::new());
    let exporter = Exporter::new(metrics, vec![Arc::new(cache.clone())]);
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, "assethub_cache_entries", &[]), Some(0.0));
    assert_eq!(value(&samples, "assethub_cache_bytes", &[]), Some(0.0));
    for source in ["bank-a", "bank-b", "bank-c"] {
        let key = CacheKey {
            source: source.into(),
            debtor_id: ID_NUMBER.into(),
            name: NAME.into(),
        };
        cache
            .put(
                key,
                assethub_connectors::QueryAnswer::NotFound,
                Duration::from_secs(60),
                Duration::ZERO,
            )
            .await;
    }
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, "assethub_cache_entries", &[]), Some(3.0));
    // Small answers each weigh the floor that keeps max_entries: 1 MiB / 100.
    assert_eq!(
        value(&samples, "assethub_cache_bytes", &[]),
        Some(3.0 * (1_048_576 / 100) as f64)
    );
}

/// Reports of one shape recorded again and again land in the same series (the handles kept
/// per source and shape share the families' values), in both export modes, beside another
/// source of the same kind and reports of other shapes.
#[test]
fn repeated_reports_add_up_in_kind_and_source_series() {
    use assethub_connectors::{ConnectorError, QueryAnswer};
    let found = QueryAnswer::NotFound;
    let failed = ConnectorError::new(ErrorClass::Server, "HTTP 503");
    let call = |source, outcome, cached| SourceCall {
        source,
        kind: "bank",
        outcome,
        cached,
        fresh: false,
        latency: std::time::Duration::from_millis(20),
        attempts: u32::from(!cached),
    };
    for (metrics, per_source) in [
        (Metrics::new(), true),
        (Metrics::for_sources(PerSource::Notable, 2), false),
    ] {
        for _ in 0..3 {
            metrics.source_call(&call("bank-a", CallOutcome::Answer(&found), true));
        }
        for _ in 0..2 {
            metrics.source_call(&call("bank-a", CallOutcome::Answer(&found), false));
            metrics.source_call(&call("bank-b", CallOutcome::Failed(&failed), false));
        }
        let (_, samples) = scrape_now(&metrics);
        let kind = ("kind", "bank");
        let outcomes = "assethub_kind_outcomes_total";
        for (outcome, count) in [("cached", 3.0), ("not_found", 2.0), ("error", 2.0)] {
            assert_eq!(
                value(&samples, outcomes, &[kind, ("outcome", outcome)]),
                Some(count),
                "{outcome}"
            );
        }
        let cache = "assethub_kind_cache_requests_total";
        assert_eq!(
            value(&samples, cache, &[kind, ("result", "hit")]),
            Some(3.0)
        );
        assert_eq!(
            value(&samples, cache, &[kind, ("result", "miss")]),
            Some(4.0)
        );
        let durations = "assethub_kind_call_duration_seconds_count";
        assert_eq!(
            value(&samples, durations, &[kind, ("outcome", "not_found")]),
            Some(2.0)
        );
        let source = "assethub_source_outcomes_total";
        let a = ("source", "bank-a");
        let b = ("source", "bank-b");
        // A failing source keeps its own series in both modes.
        assert_eq!(
            value(
                &samples,
                source,
                &[b, ("outcome", "error"), ("class", "server")]
            ),
            Some(2.0)
        );
        let expected = per_source.then_some(3.0);
        assert_eq!(
            value(&samples, source, &[a, ("outcome", "cached")]),
            expected
        );
        let expected = per_source.then_some(2.0);
        assert_eq!(
            value(
                &samples,
                "assethub_source_call_duration_seconds_count",
                &[a, ("outcome", "not_found")]
            ),
            expected
        );
        let expected = per_source.then_some(2.0);
        assert_eq!(
            value(
                &samples,
                "assethub_cache_requests_total",
                &[a, ("result", "miss")]
            ),
            expected
        );
    }
}
