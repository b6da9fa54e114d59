//! Counting orders by state and action (for the metrics endpoint): one GROUP BY query over
//! the orders table, portable across SQLite and PostgreSQL; read by the metrics at each scrape
//! (the ledger is a [`ScrapeSource`]).

use super::{Ledger, LedgerError};
use crate::metrics::{Metrics, ScrapeSource};
use crate::orders::model::{Action, State};
use futures::future::BoxFuture;
use sqlx::Row;

/// How many orders stand in one state for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCount {
    pub state: State,
    pub action: Action,
    pub count: i64,
}

impl Ledger {
    /// Orders by (state, action); pairs without orders are absent.
    pub async fn order_counts(&self) -> Result<Vec<OrderCount>, LedgerError> {
        let rows = sqlx::query(
            "SELECT state, action, CAST(COUNT(*) AS BIGINT) FROM control_orders GROUP BY state, action",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get(0)?;
                let action: String = row.try_get(1)?;
                let bad = |what: &str| LedgerError::Db(sqlx::Error::Decode(what.into()));
                Ok(OrderCount {
                    state: State::parse(&state).ok_or_else(|| bad("unknown state"))?,
                    action: Action::parse(&action).ok_or_else(|| bad("unknown action"))?,
                    count: row.try_get(2)?,
                })
            })
            .collect()
    }
}

/// At each scrape: every (state, action) pair, zero when there is no such order. A ledger that
/// cannot be read drops the series (stale counts would mislead) and is logged.
impl ScrapeSource for Ledger {
    fn refresh<'a>(&'a self, metrics: &'a Metrics) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match self.order_counts().await {
                Ok(counts) => {
                    for state in State::ALL {
                        for action in Action::ALL {
                            let n = counts
                                .iter()
                                .find(|c| c.state == state && c.action == action)
                                .map_or(0, |c| c.count);
                            metrics.order_count(state.as_str(), action.as_str(), n);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: cannot count orders in the ledger");
                    metrics.order_counts_unknown();
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::ledger::NewRequest;
    use crate::orders::model::Order;

    fn order(id: &str, action: Action, state: State) -> Order {
        Order {
            action,
            state,
            ..crate::orders::ledger::tests::order(id, "(2024)鄂0116执1234号", 0)
        }
    }

    #[tokio::test]
    async fn counts_orders_by_state_and_action() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&format!("sqlite://{}/ledger.db", dir.path().display()))
            .await
            .unwrap();
        assert!(ledger.order_counts().await.unwrap().is_empty());
        let orders = [
            order("o1", Action::Freeze, State::Requested),
            order("o2", Action::Freeze, State::Requested),
            order("o3", Action::Seal, State::Effective),
        ];
        let request = NewRequest {
            court: "鄂0116".into(),
            client_key: "k1".into(),
            request_hash: "h".into(),
            result_id: "o1".into(),
            purpose: crate::cases::Purpose::Act,
            approval_above: None,
        };
        crate::orders::ledger::tests::register(&ledger, "(2024)鄂0116执1234号", 1_000_000).await;
        ledger.create(&request, &orders).await.unwrap();
        let mut counts = ledger.order_counts().await.unwrap();
        counts.sort_by_key(|c| (c.action.as_str(), c.state.as_str()));
        assert_eq!(
            counts,
            vec![
                OrderCount {
                    state: State::Requested,
                    action: Action::Freeze,
                    count: 2
                },
                OrderCount {
                    state: State::Effective,
                    action: Action::Seal,
                    count: 1
                },
            ]
        );
    }
}
