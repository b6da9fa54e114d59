//! The hub's Prometheus metrics (issue 5, observability). Owns the `Metrics` handle
//! (shared as `Arc<Metrics>`): the series recorded as the hub works (per-source search latency
//! and outcomes, retries, cache hits, control calls, event-feed lag, gRPC calls), the series
//! read when scraped (`scrape`: breaker state, calls in flight, orders by state, set by the
//! registry, the ledger and the answer cache as [`ScrapeSource`]s), the HTTP
//! endpoint serving them (`http`), and a strict reader of the exposition for tests (`text`).
//!
//! No label ever holds personal data: label values are source ids from the configuration and
//! names from closed sets (asset kinds, outcomes, error classes, order states and actions,
//! gRPC methods and codes). Debtors, cases and officers never appear.
//!
//! A sink: others call it with plain values (source ids, label names, durations); it imports
//! no business module (only `identity` for method names, `grpc` for code names and `breaker`
//! for its states).

mod handles;
mod http;
mod kinds;
mod rpc;
mod scrape;
#[cfg(test)]
mod tests;
pub mod text;
#[cfg(test)]
mod width_tests;

pub use http::{bind, serve, MetricsConfig};
pub use kinds::{breaker_index, PerSource, AUTO_ALL_UP_TO};
pub use rpc::RpcMetricsLayer;
pub use scrape::{Exporter, ScrapeSource};

use assethub_connectors::{ConnectorError, ControlAnswer, QueryAnswer};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// One source's part in one search, in plain values (the fan-out owns what a report is).
pub struct SourceCall<'a> {
    pub source: &'a str,
    /// The source's asset kind (`bank`, `vehicle`, ..).
    pub kind: &'static str,
    pub outcome: CallOutcome<'a>,
    /// Answered from the cache.
    pub cached: bool,
    /// The caller bypassed the cache.
    pub fresh: bool,
    pub latency: Duration,
    /// Agency calls made (0 when cached).
    pub attempts: u32,
}

/// How a source's part in a search ended.
pub enum CallOutcome<'a> {
    Answer(&'a QueryAnswer),
    Failed(&'a ConnectorError),
    TimedOut,
}

/// Histogram buckets (seconds) for agency calls and feed lag: 1 ms to 1 min.
const BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The content type of the exposition (OpenMetrics text, which Prometheus negotiates).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    source: Arc<str>,
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    source: Arc<str>,
    outcome: &'static str,
    /// The error class for `outcome="error"`, empty otherwise.
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    source: Arc<str>,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControlLabels {
    source: Arc<str>,
    action: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DifferenceLabels {
    source: Arc<str>,
    difference: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrderLabels {
    state: &'static str,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
    audit: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Every series the hub exports, registered once.
pub struct Metrics {
    registry: Registry,
    call_duration: HistogramFamily<CallLabels>,
    outcomes: Family<OutcomeLabels, Counter>,
    retries: Family<SourceLabels, Counter>,
    cache: Family<CacheLabels, Counter>,
    control_calls: Family<ControlLabels, Counter>,
    feed_lag: Histogram,
    feed_subscribers: Gauge,
    cache_entries: Gauge,
    cache_bytes: Gauge,
    rpc_requests: Family<RpcLabels, Counter>,
    gate_refusals: Family<RefusalLabels, Counter>,
    breaker_state: Family<SourceLabels, Gauge>,
    in_flight: Family<SourceLabels, Gauge>,
    retry_budget: Family<SourceLabels, Gauge>,
    orders: Family<OrderLabels, Gauge>,
    reconcile_checked: Family<SourceLabels, Counter>,
    reconcile_differences: Family<DifferenceLabels, Counter>,
    /// Every source's reports and states aggregated by kind.
    kinds: kinds::KindSeries,
    /// Every per-source series is exported, not only those of sources needing attention
    /// (see [`PerSource`]).
    per_source_all: bool,
    /// One scrape at a time refreshes the scrape-time gauges and encodes.
    scrape: tokio::sync::Mutex<()>,
    /// Each recorded source's id as a label value and its series by report shape.
    sources: handles::Sources,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Metrics exporting every per-source series.
    pub fn new() -> Self {
        Self::with_per_source(true)
    }

    /// Metrics for a hub of `sources` sources exporting the per-source series `per_source`
    /// asks for.
    pub fn for_sources(per_source: PerSource, sources: usize) -> Self {
        Self::with_per_source(per_source.all_for(sources))
    }

    fn with_per_source(per_source_all: bool) -> Self {
        let mut registry = Registry::with_prefix("assethub");
        let kinds = kinds::KindSeries::register(&mut registry);
        let mut m = Self {
            registry,
            call_duration: Family::new_with_constructor(histogram),
            outcomes: Family::default(),
            retries: Family::default(),
            cache: Family::default(),
            control_calls: Family::default(),
            feed_lag: histogram(),
            feed_subscribers: Gauge::default(),
            cache_entries: Gauge::default(),
            cache_bytes: Gauge::default(),
            rpc_requests: Family::default(),
            gate_refusals: Family::default(),
            breaker_state: Family::default(),
            in_flight: Family::default(),
            retry_budget: Family::default(),
            orders: Family::default(),
            reconcile_checked: Family::default(),
            reconcile_differences: Family::default(),
            kinds,
            per_source_all,
            scrape: tokio::sync::Mutex::new(()),
            sources: handles::Sources::default(),
        };
        let r = &mut m.registry;
        r.register(
            "source_call_duration_seconds",
            "Time from asking a source to its report (retries included), by outcome; outcome cached is an answer served from the cache",
            m.call_duration.clone(),
        );
        r.register(
            "source_outcomes",
            "Source reports by outcome (cached, ok, not_found, name_mismatch, error, timed_out) and, for errors, class",
            m.outcomes.clone(),
        );
        r.register(
            "source_retries",
            "Agency calls beyond the first for one search of one source",
            m.retries.clone(),
        );
        r.register(
            "cache_requests",
            "Answer cache lookups: hit (served from the cache or a concurrent identical call), miss, bypass (fresh requested)",
            m.cache.clone(),
        );
        r.register(
            "control_calls",
            "Control instructions sent to agencies, by the status the agency answered or the error class",
            m.control_calls.clone(),
        );
        r.register(
            "event_feed_lag_seconds",
            "Time from an event's commit to its hand-over to a live WatchEvents subscriber (replayed backlog excluded)",
            m.feed_lag.clone(),
        );
        r.register(
            "event_feed_subscribers",
            "WatchEvents streams open on this hub",
            m.feed_subscribers.clone(),
        );
        r.register(
            "cache_entries",
            "Answers held in the answer cache (read at the scrape)",
            m.cache_entries.clone(),
        );
        r.register(
            "cache_bytes",
            "Weight of the answers held in the answer cache against [cache] max_bytes: each answer's approximate heap bytes, at least max_bytes / max_entries (read at the scrape)",
            m.cache_bytes.clone(),
        );
        r.register(
            "rpc_requests",
            "gRPC calls of the hub's APIs by method and status code",
            m.rpc_requests.clone(),
        );
        r.register(
            "gate_refusals",
            "Calls the gate refused by reason (unauthenticated, rate: over the caller's rate, streams: over the caller's stream cap, peer: the address is over its refusal budget, denied: role or unknown method) and audit (entry: audited on its own, aggregated: counted into one entry per peer and window)",
            m.gate_refusals.clone(),
        );
        r.register(
            "source_breaker_state",
            "Circuit breaker of each source: 0 closed, 1 half open, 2 open",
            m.breaker_state.clone(),
        );
        r.register(
            "source_in_flight",
            "Agency calls in flight to each source",
            m.in_flight.clone(),
        );
        r.register(
            "source_retry_budget",
            "Retries each source's retry budget allows now (-1: no budget)",
            m.retry_budget.clone(),
        );
        r.register(
            "orders",
            "Control orders in the ledger by state and action (ledger-wide: hubs sharing a ledger report the same numbers)",
            m.orders.clone(),
        );
        r.register(
            "reconcile_checked",
            "Holds in force compared with their agency's register by reconciliation",
            m.reconcile_checked.clone(),
        );
        r.register(
            "reconcile_differences",
            "Holds whose agency's register differed from the ledger, by what differed: missing (the agency has no record), released, expired, deducted, queued, effective (the state it has), amount, end_date",
            m.reconcile_differences.clone(),
        );
        m
    }

    /// Records one source's part in one search.
    pub fn source_call(&self, report: &SourceCall<'_>) {
        let (outcome, class) = match &report.outcome {
            _ if report.cached => ("cached", ""),
            CallOutcome::Answer(answer) => (answer_label(answer), ""),
            CallOutcome::Failed(e) => ("error", e.class.as_str()),
            CallOutcome::TimedOut => ("timed_out", ""),
        };
        let result = if report.cached {
            "hit"
        } else if report.fresh {
            "bypass"
        } else {
            "miss"
        };
        let shape = handles::Shape {
            kind: report.kind,
            outcome,
            class,
            result,
        };
        let entry = self.sources.get(report.source);
        let series = entry.series(shape, || {
            self.resolve(&entry.name, shape, kinds::notable(report))
        });
        let seconds = report.latency.as_secs_f64();
        series.kind_duration.observe(seconds);
        series.kind_outcome.inc();
        series.kind_cache.inc();
        if let Some(duration) = &series.duration {
            duration.observe(seconds);
        }
        if let Some(outcomes) = &series.outcome {
            outcomes.inc();
        }
        if let Some(cache) = &series.cache {
            cache.inc();
        }
        if report.attempts > 1 {
            self.retries
                .get_or_create(&SourceLabels {
                    source: entry.name.clone(),
                })
                .inc_by(u64::from(report.attempts - 1));
        }
    }

    /// The series a report of `shape` from source `source` lands in: its kind's always, the
    /// source's own when every per-source series is exported, or (outcomes) when the report is
    /// `notable` (an error or a timeout).
    fn resolve(&self, source: &Arc<str>, shape: handles::Shape, notable: bool) -> handles::Series {
        let all = self.per_source_all;
        let (kind_duration, kind_outcome, kind_cache) = self.kinds.series(shape);
        let handles::Shape {
            kind,
            outcome,
            class,
            result,
        } = shape;
        handles::Series {
            kind_duration,
            kind_outcome,
            kind_cache,
            duration: all.then(|| {
                self.call_duration
                    .get_or_create(&CallLabels {
                        source: source.clone(),
                        kind,
                        outcome,
                    })
                    .clone()
            }),
            outcome: (all || notable).then(|| {
                self.outcomes
                    .get_or_create(&OutcomeLabels {
                        source: source.clone(),
                        outcome,
                        class,
                    })
                    .clone()
            }),
            cache: all.then(|| {
                self.cache
                    .get_or_create(&CacheLabels {
                        source: source.clone(),
                        result,
                    })
                    .clone()
            }),
        }
    }

    /// Records one control instruction sent to `source` and what came of it: the agency's
    /// status for the hold, or the error class.
    pub fn control_call(
        &self,
        source: &str,
        action: &'static str,
        sent: &Result<ControlAnswer, ConnectorError>,
    ) {
        let outcome = match sent {
            Ok(answer) => answer.status.as_str(),
            Err(e) => e.class.as_str(),
        };
        self.control_calls
            .get_or_create(&ControlLabels {
                source: self.sources.name(source),
                action,
                outcome,
            })
            .inc();
    }

    /// Records one hold of `source` compared with its agency's register, and what differed
    /// (`None`: nothing).
    pub fn reconciled(&self, source: &str, difference: Option<&'static str>) {
        let source = self.sources.name(source);
        self.reconcile_checked
            .get_or_create(&SourceLabels {
                source: source.clone(),
            })
            .inc();
        if let Some(difference) = difference {
            self.reconcile_differences
                .get_or_create(&DifferenceLabels { source, difference })
                .inc();
        }
    }

    /// Records an event handed to a live subscriber `lag` after it was committed.
    pub fn feed_delivered(&self, lag: Duration) {
        self.feed_lag.observe(lag.as_secs_f64());
    }

    /// Counts an open WatchEvents stream until the returned guard is dropped.
    pub fn feed_subscriber(self: &std::sync::Arc<Self>) -> SubscriberGuard {
        self.feed_subscribers.inc();
        SubscriberGuard(self.clone())
    }

    /// Records one finished gRPC call.
    pub fn rpc(&self, method: &'static str, code: &'static str) {
        self.rpc_requests
            .get_or_create(&RpcLabels { method, code })
            .inc();
    }

    /// Records one call the gate refused for `reason`, audited on its own or aggregated.
    pub fn gate_refused(&self, reason: &'static str, aggregated: bool) {
        let audit = if aggregated { "aggregated" } else { "entry" };
        self.gate_refusals
            .get_or_create(&RefusalLabels { reason, audit })
            .inc();
    }

    /// The exposition of every series as they stand.
    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Keeps an event-feed subscriber counted while it lives.
pub struct SubscriberGuard(std::sync::Arc<Metrics>);

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        self.0.feed_subscribers.dec();
    }
}

fn answer_label(answer: &QueryAnswer) -> &'static str {
    match answer {
        QueryAnswer::Found(_) => "ok",
        QueryAnswer::NotFound => "not_found",
        QueryAnswer::NameMismatch => "name_mismatch",
        QueryAnswer::Pending { .. } => "pending",
    }
}
