//! What a case holds, read from its orders: frozen, deducted, asked and not decided, queued
//! (each in fen of yuan, foreign-currency orders at their recorded rate), its claim and
//! reservation, and the holds it has in force. Read-only; the figures of a report and of a
//! case page come from here.

use super::{rows, Ledger, LedgerError};
use crate::orders::model::{Order, State};
use sqlx::Row;

/// A case's money, in fen of yuan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFigures {
    /// The registered claim (0 when the case is not registered).
    pub claim_fen: i64,
    /// The reservation against the claim, as the case row keeps it.
    pub reserved_fen: i64,
    /// Frozen now under the case's freezes.
    pub frozen_fen: i64,
    /// Moved into the case's account.
    pub deducted_fen: i64,
    /// Freezes asked and not decided yet (awaiting approval, not sent, awaiting the agency).
    pub pending_fen: i64,
    /// Freezes queued behind other courts' holds.
    pub queued_fen: i64,
}

impl CaseFigures {
    /// Frozen and deducted: what the case holds.
    pub fn held_fen(&self) -> i64 {
        self.frozen_fen + self.deducted_fen
    }

    /// Adds one freeze order's part.
    fn add(&mut self, o: &Order) {
        self.frozen_fen += o.value(o.frozen_fen);
        self.deducted_fen += o.value(o.deducted_fen);
        let asked_rest = o.value(o.amount_fen.max(o.frozen_fen + o.deducted_fen))
            - o.value(o.frozen_fen + o.deducted_fen);
        match o.state {
            State::AwaitingApproval | State::Requested | State::AwaitingAgency => {
                self.pending_fen += asked_rest
            }
            State::Queued => self.queued_fen += asked_rest,
            _ => {}
        }
    }
}

const LIVE: &str =
    "('awaiting_approval', 'requested', 'awaiting_agency', 'effective', 'partial', 'queued')";

impl Ledger {
    /// The money of `case` now.
    pub async fn case_figures(&self, case: &str) -> Result<CaseFigures, LedgerError> {
        let mut figures = CaseFigures::default();
        if let Some(row) =
            sqlx::query("SELECT claim_fen, reserved_fen FROM cases WHERE case_number = $1")
                .bind(case)
                .fetch_optional(&self.pool)
                .await?
        {
            figures.claim_fen = row.try_get(0)?;
            figures.reserved_fen = row.try_get(1)?;
        }
        let rows = sqlx::query(&format!(
            "{} WHERE case_number = $1 AND action = 'freeze'",
            rows::SELECT_ORDER
        ))
        .bind(case)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            figures.add(&rows::order_from(row)?);
        }
        Ok(figures)
    }

    /// The case's holds (freezes, seals, watches) in force, queued or on their way, newest first.
    pub async fn live_holds_of_case(&self, case: &str) -> Result<Vec<Order>, LedgerError> {
        let rows = sqlx::query(&format!(
            "{} WHERE case_number = $1 AND action IN ('freeze', 'seal', 'watch') AND state IN {LIVE} ORDER BY created_at_ms DESC",
            rows::SELECT_ORDER
        ))
        .bind(case)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::order_from).collect()
    }

    /// Release, deduct and renew orders on `target` the agency has not answered yet.
    pub async fn pending_actions_on(&self, target: &str) -> Result<Vec<Order>, LedgerError> {
        let rows = sqlx::query(&format!(
            "{} WHERE target_order_id = $1 AND state IN ('awaiting_approval', 'requested', 'awaiting_agency')",
            rows::SELECT_ORDER
        ))
        .bind(target)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::order_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_split_a_freeze_into_held_pending_and_queued() {
        let base = crate::orders::ledger::tests::order("o", "c", 10_000);
        let mut figures = CaseFigures::default();
        figures.add(&Order {
            state: State::AwaitingAgency,
            ..base.clone()
        });
        figures.add(&Order {
            state: State::Partial,
            frozen_fen: 3_000,
            deducted_fen: 1_000,
            ..base.clone()
        });
        figures.add(&Order {
            state: State::Queued,
            ..base.clone()
        });
        // USD at 7.1234: 100.00 USD frozen is 712.34 yuan.
        figures.add(&Order {
            state: State::Effective,
            frozen_fen: 10_000,
            currency: "USD".into(),
            rate_micro: 7_123_400,
            ..base
        });
        assert_eq!(figures.pending_fen, 10_000);
        assert_eq!(figures.queued_fen, 10_000);
        assert_eq!(figures.frozen_fen, 3_000 + 71_234);
        assert_eq!(figures.deducted_fen, 1_000);
    }
}
