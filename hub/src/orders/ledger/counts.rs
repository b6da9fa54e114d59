//! Counting orders by state and action (for the metrics endpoint): one GROUP BY query over
//! the orders table, portable across SQLite and PostgreSQL.

use super::{Ledger, LedgerError};
use crate::orders::model::{Action, State};
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
