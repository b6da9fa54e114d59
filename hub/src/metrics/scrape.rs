//! What a scrape reads at that moment instead of having it pushed: each source's breaker state
//! and calls in flight from the registry, and the orders by state and action from the ledger
//! (one GROUP BY query), then the exposition of every series.

use super::{Metrics, OrderLabels, SourceLabels};
use crate::breaker::BreakerState;
use crate::orders::{Action, Ledger, State};
use crate::registry::Registry;
use std::sync::Arc;

/// Renders the hub's metrics for one scrape.
#[derive(Clone)]
pub struct Exporter {
    metrics: Arc<Metrics>,
    registry: Arc<Registry>,
    ledger: Option<Ledger>,
}

impl Exporter {
    /// `ledger`: where orders are counted (`None`: no orders series).
    pub fn new(metrics: Arc<Metrics>, registry: Arc<Registry>, ledger: Option<Ledger>) -> Self {
        Self {
            metrics,
            registry,
            ledger,
        }
    }

    /// The exposition, with the scrape-time series refreshed first.
    pub async fn render(&self) -> Result<String, std::fmt::Error> {
        let _one_at_a_time = self.metrics.scrape.lock().await;
        self.refresh_sources();
        self.refresh_orders().await;
        self.metrics.encode()
    }

    fn refresh_sources(&self) {
        for source in self.registry.all() {
            let labels = SourceLabels {
                source: source.id().to_string(),
            };
            self.metrics
                .breaker_state
                .get_or_create(&labels)
                .set(breaker_value(source.breaker.state()));
            let in_flight = source
                .max_concurrency
                .saturating_sub(u32::try_from(source.limiter.available_permits()).unwrap_or(0));
            self.metrics
                .in_flight
                .get_or_create(&labels)
                .set(i64::from(in_flight));
            let budget = match source.budget.available() {
                u32::MAX => -1,
                n => i64::from(n),
            };
            self.metrics.retry_budget.get_or_create(&labels).set(budget);
        }
    }

    /// Every (state, action) pair is exported, zero when there is no such order, so a state
    /// emptying shows as 0 rather than as a vanished series. A ledger that cannot be read
    /// drops the series (stale counts would mislead) and is logged.
    async fn refresh_orders(&self) {
        let Some(ledger) = &self.ledger else { return };
        let orders = &self.metrics.orders;
        match ledger.order_counts().await {
            Ok(counts) => {
                for state in State::ALL {
                    for action in Action::ALL {
                        let n = counts
                            .iter()
                            .find(|c| c.state == state && c.action == action)
                            .map_or(0, |c| c.count);
                        orders
                            .get_or_create(&OrderLabels {
                                state: state.as_str(),
                                action: action.as_str(),
                            })
                            .set(n);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot count orders in the ledger");
                orders.clear();
            }
        }
    }
}

fn breaker_value(state: BreakerState) -> i64 {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    }
}
