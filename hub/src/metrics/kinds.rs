//! Series per asset kind, and how many per-source series a hub exports: what keeps a scrape
//! small at thousands of sources without losing what an operator needs about each one.
//!
//! - Always: every source report aggregated by kind (latency histogram, outcomes, cache
//!   results), the sources of each kind by breaker state, calls in flight per kind, and the
//!   HTTP clients built for agencies.
//! - Per source, by [`PerSource`]: `all` keeps every per-source series (a few KB per source
//!   per scrape); `notable` keeps only those about a source needing attention (its errors and
//!   timeouts, its retries, a breaker not closed, calls in flight, a retry budget spent);
//!   `auto` (the default) is `all` up to [`AUTO_ALL_UP_TO`] sources and `notable` above.

use super::handles::Shape;
use super::{histogram, CallOutcome, HistogramFamily, SourceCall};
use crate::breaker::BreakerState;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};

/// Sources up to which `auto` exports every per-source series.
pub const AUTO_ALL_UP_TO: usize = 200;

/// Which per-source series the hub exports (`[metrics] per_source`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PerSource {
    /// Every per-source series, whatever the number of sources.
    All,
    /// `all` up to [`AUTO_ALL_UP_TO`] sources, `notable` above.
    #[default]
    Auto,
    /// Only series about sources needing attention.
    Notable,
}

impl PerSource {
    /// Whether a hub of `sources` sources exports every per-source series.
    pub fn all_for(self, sources: usize) -> bool {
        match self {
            PerSource::All => true,
            PerSource::Auto => sources <= AUTO_ALL_UP_TO,
            PerSource::Notable => false,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindCallLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindOutcomeLabels {
    kind: &'static str,
    outcome: &'static str,
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindCacheLabels {
    kind: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindStateLabels {
    kind: &'static str,
    state: &'static str,
}

/// The per-kind series.
pub(super) struct KindSeries {
    call_duration: HistogramFamily<KindCallLabels>,
    outcomes: Family<KindOutcomeLabels, Counter>,
    cache: Family<KindCacheLabels, Counter>,
    breakers: Family<KindStateLabels, Gauge>,
    in_flight: Family<KindLabels, Gauge>,
    http_clients: Gauge,
}

impl KindSeries {
    pub(super) fn register(r: &mut Registry) -> Self {
        let series = Self {
            call_duration: Family::new_with_constructor(histogram),
            outcomes: Family::default(),
            cache: Family::default(),
            breakers: Family::default(),
            in_flight: Family::default(),
            http_clients: Gauge::default(),
        };
        r.register(
            "kind_call_duration_seconds",
            "Time from asking a source to its report (retries included), every source of a kind together, by outcome",
            series.call_duration.clone(),
        );
        r.register(
            "kind_outcomes",
            "Source reports of every source of a kind, by outcome and, for errors, class",
            series.outcomes.clone(),
        );
        r.register(
            "kind_cache_requests",
            "Answer cache lookups for every source of a kind: hit, miss, bypass",
            series.cache.clone(),
        );
        r.register(
            "kind_breakers",
            "Sources of each kind by the state of their circuit breaker (closed, half_open, open)",
            series.breakers.clone(),
        );
        r.register(
            "kind_in_flight",
            "Agency calls in flight to the sources of each kind",
            series.in_flight.clone(),
        );
        r.register(
            "agency_http_clients",
            "HTTP clients built for agencies (one per distinct client setting, shared by the sources having it)",
            series.http_clients.clone(),
        );
        series
    }

    /// The kind's series a report of `shape` lands in: its duration histogram, its outcome
    /// counter and its cache counter (handles sharing the families' values).
    pub(super) fn series(&self, shape: Shape) -> (Histogram, Counter, Counter) {
        let Shape {
            kind,
            outcome,
            class,
            result,
        } = shape;
        (
            self.call_duration
                .get_or_create(&KindCallLabels { kind, outcome })
                .clone(),
            self.outcomes
                .get_or_create(&KindOutcomeLabels {
                    kind,
                    outcome,
                    class,
                })
                .clone(),
            self.cache
                .get_or_create(&KindCacheLabels { kind, result })
                .clone(),
        )
    }

    /// Scrape time: the sources of `kind` by breaker state (all three, zeros included) and
    /// their calls in flight.
    pub(super) fn set_kind(&self, kind: &'static str, breakers: [i64; 3], in_flight: i64) {
        for (state, count) in ["closed", "half_open", "open"].into_iter().zip(breakers) {
            self.breakers
                .get_or_create(&KindStateLabels { kind, state })
                .set(count);
        }
        self.in_flight
            .get_or_create(&KindLabels { kind })
            .set(in_flight);
    }

    pub(super) fn set_http_clients(&self, built: u64) {
        self.http_clients
            .set(i64::try_from(built).unwrap_or(i64::MAX));
    }
}

/// A report per-source series record in `notable` mode: an error or a timeout.
pub(super) fn notable(call: &SourceCall<'_>) -> bool {
    !call.cached && matches!(call.outcome, CallOutcome::Failed(_) | CallOutcome::TimedOut)
}

/// The index of `state` in [`KindSeries::set_kind`]'s counts.
pub fn breaker_index(state: BreakerState) -> usize {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    }
}
