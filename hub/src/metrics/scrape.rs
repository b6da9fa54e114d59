//! What a scrape reads at that moment instead of having it pushed: each [`ScrapeSource`]
//! (the registry's breaker states and calls in flight, the ledger's orders by state and
//! action, the answer cache's size) sets its gauges through the plain-value setters here, then every series is encoded.
//! The sources are implemented where that state lives; this module knows none of them.

use super::{Metrics, OrderLabels, SourceLabels};
use crate::breaker::BreakerState;
use futures::future::BoxFuture;
use std::sync::Arc;

/// State a scrape reads at that moment, owned by a module above the metrics.
pub trait ScrapeSource: Send + Sync {
    /// Sets this source's gauges in `metrics` (through [`Metrics::source_state`],
    /// [`Metrics::order_count`], [`Metrics::order_counts_unknown`]).
    fn refresh<'a>(&'a self, metrics: &'a Metrics) -> BoxFuture<'a, ()>;
}

/// Renders the hub's metrics for one scrape.
#[derive(Clone)]
pub struct Exporter {
    metrics: Arc<Metrics>,
    sources: Vec<Arc<dyn ScrapeSource>>,
}

impl Exporter {
    /// `sources`: what is read at each scrape (the registry; the ledger, when orders are
    /// counted).
    pub fn new(metrics: Arc<Metrics>, sources: Vec<Arc<dyn ScrapeSource>>) -> Self {
        Self { metrics, sources }
    }

    /// The exposition, with the scrape-time series refreshed first.
    pub async fn render(&self) -> Result<String, std::fmt::Error> {
        let _one_at_a_time = self.metrics.scrape.lock().await;
        for source in &self.sources {
            source.refresh(&self.metrics).await;
        }
        self.metrics.encode()
    }
}

impl Metrics {
    /// One source's scrape-time gauges: its breaker, calls in flight and the retries its
    /// budget still allows (`None`: unlimited).
    pub fn source_state(
        &self,
        source: &str,
        breaker: BreakerState,
        in_flight: u32,
        retry_budget: Option<u32>,
    ) {
        let notable = breaker != BreakerState::Closed || in_flight > 0 || retry_budget == Some(0);
        if !self.per_source_all && !notable {
            return;
        }
        let labels = SourceLabels {
            source: self.sources.name(source),
        };
        self.breaker_state
            .get_or_create(&labels)
            .set(breaker_value(breaker));
        self.in_flight
            .get_or_create(&labels)
            .set(i64::from(in_flight));
        self.retry_budget
            .get_or_create(&labels)
            .set(retry_budget.map_or(-1, i64::from));
    }

    /// The answer cache's size at this scrape: entries and their weight in bytes.
    pub fn cache_size(&self, entries: u64, bytes: u64) {
        self.cache_entries
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
        self.cache_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// Starts a scrape's per-source states: without every per-source series, the states of
    /// the last scrape are dropped (a source no longer needing attention leaves the export).
    pub fn begin_source_states(&self) {
        if !self.per_source_all {
            self.breaker_state.clear();
            self.in_flight.clear();
            self.retry_budget.clear();
        }
    }

    /// The sources of `kind` by breaker state (counts indexed by [`super::breaker_index`]) and
    /// their calls in flight.
    pub fn kind_state(&self, kind: &'static str, breakers: [i64; 3], in_flight: i64) {
        self.kinds.set_kind(kind, breakers, in_flight);
    }

    /// HTTP clients built for agencies so far.
    pub fn agency_http_clients(&self, built: u64) {
        self.kinds.set_http_clients(built);
    }

    /// How many orders stand in `state` for `action` now (0 too: a state emptying shows as 0
    /// rather than as a vanished series).
    pub fn order_count(&self, state: &'static str, action: &'static str, count: i64) {
        self.orders
            .get_or_create(&OrderLabels { state, action })
            .set(count);
    }

    /// The orders could not be counted: the series are dropped (stale counts would mislead).
    pub fn order_counts_unknown(&self) {
        self.orders.clear();
    }
}

fn breaker_value(state: BreakerState) -> i64 {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    }
}
