//! The money rules, enforced inside the transaction that records a request's orders, so that
//! neither concurrency, retries, restarts nor several hubs sharing the ledger can get around
//! them:
//!
//! - the case must be registered and in a state that allows the act (DOMAIN rule 7);
//! - its reservation (frozen + deducted + asked + queued, in fen of yuan) never grows beyond its
//!   registered claim, and its deductions — done, under way or awaiting approval — never exceed
//!   the claim nor, on one hold, what the hold has frozen (rule 2); an approval is checked again
//!   against the claim as it stands then;
//! - four-eyes by case (rule 10): an order waits for approval when its own value, or what the
//!   case holds after it, exceeds the court's threshold, so splitting never avoids approval;
//! - one live hold per case, asset and kind of hold (the unique index of migration 0004 catches
//!   what two hubs race past; this check names the order in the way).
//!
//! The case's row is written first (a no-op for acts that reserve nothing), which takes its
//! lock: acts on one case are decided one after another on every backend.

use super::LedgerError;
use crate::cases::model::{CaseState, Purpose, Refusal};
use crate::orders::model::{value_fen, Action, Order, State};
use sqlx::{Any, Row, Transaction};

/// The case as the transaction sees it after taking its lock.
pub(super) struct LockedCase {
    pub state: CaseState,
    pub claim_fen: i64,
    /// After this request's reservation.
    pub reserved_fen: i64,
}

/// Adds `delta` to the case's reservation (taking the case's lock) and checks that the case
/// allows `purpose` and that a growing reservation stays within the claim.
pub(super) async fn reserve(
    tx: &mut Transaction<'_, Any>,
    case: &str,
    delta: i64,
    purpose: Purpose,
) -> Result<LockedCase, LedgerError> {
    let updated =
        sqlx::query("UPDATE cases SET reserved_fen = reserved_fen + $1 WHERE case_number = $2")
            .bind(delta)
            .bind(case)
            .execute(&mut **tx)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(LedgerError::Case(Refusal::NotRegistered(case.to_string())));
    }
    let row =
        sqlx::query("SELECT state, claim_fen, reserved_fen FROM cases WHERE case_number = $1")
            .bind(case)
            .fetch_one(&mut **tx)
            .await?;
    let state: String = row.try_get(0)?;
    let locked = LockedCase {
        state: CaseState::parse(&state).ok_or_else(|| super::rows::bad("unknown case state"))?,
        claim_fen: row.try_get(1)?,
        reserved_fen: row.try_get(2)?,
    };
    locked
        .state
        .allows(purpose, case)
        .map_err(LedgerError::Case)?;
    if delta > 0 && locked.reserved_fen > locked.claim_fen {
        return Err(LedgerError::OverCap {
            claim_fen: locked.claim_fen,
            reserved_fen: locked.reserved_fen - delta,
        });
    }
    Ok(locked)
}

/// Deductions of the case, in fen of yuan: done (moved, as recorded on its freezes) and
/// asked but not answered yet (under way or awaiting approval), except `excluding`.
pub(super) async fn deducted_value(
    tx: &mut Transaction<'_, Any>,
    case: &str,
    excluding: &str,
) -> Result<i64, LedgerError> {
    let rows = sqlx::query(
        "SELECT deducted_fen, rate_micro FROM control_orders WHERE case_number = $1 AND action = 'freeze' AND deducted_fen > 0 \
         UNION ALL SELECT amount_fen, rate_micro FROM control_orders WHERE case_number = $1 AND action = 'deduct' AND state IN ('awaiting_approval', 'requested', 'awaiting_agency') AND order_id <> $2",
    )
    .bind(case)
    .bind(excluding)
    .fetch_all(&mut **tx)
    .await?;
    let mut total = 0i64;
    for row in &rows {
        total = total.saturating_add(value_fen(row.try_get(0)?, row.try_get(1)?));
    }
    Ok(total)
}

/// Refuses a deduction that would take the case's deductions over its claim (after the claim
/// was reduced below what was frozen), or its hold's deductions over what the hold has frozen,
/// counting the deductions under way or awaiting approval besides `order`.
pub(super) async fn check_deduction(
    tx: &mut Transaction<'_, Any>,
    case: &LockedCase,
    case_number: &str,
    order: &Order,
) -> Result<(), LedgerError> {
    let before = deducted_value(tx, case_number, &order.order_id).await?;
    if before.saturating_add(order.value(order.amount_fen)) > case.claim_fen {
        return Err(LedgerError::OverCap {
            claim_fen: case.claim_fen,
            reserved_fen: before,
        });
    }
    let hold = sqlx::query("SELECT frozen_fen FROM control_orders WHERE order_id = $1")
        .bind(&order.target_order_id)
        .fetch_optional(&mut **tx)
        .await?;
    let frozen: i64 = match hold {
        Some(row) => row.try_get(0)?,
        None => 0,
    };
    let pending: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM control_orders WHERE target_order_id = $1 AND action = 'deduct' AND state IN ('awaiting_approval', 'requested', 'awaiting_agency') AND order_id <> $2",
    )
    .bind(&order.target_order_id)
    .bind(&order.order_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if pending.saturating_add(order.amount_fen) > frozen {
        return Err(LedgerError::OverFrozen {
            frozen_fen: frozen,
            pending_fen: pending,
        });
    }
    Ok(())
}

/// An order awaiting approval may still go when the case's claim — perhaps reduced since it
/// was asked — still covers it: the case's reservation (which counts it already) for a freeze,
/// its deductions for a deduction.
pub(super) async fn check_approval(
    tx: &mut Transaction<'_, Any>,
    order: &Order,
) -> Result<(), LedgerError> {
    let purpose = match order.action {
        Action::Release => Purpose::Release,
        Action::Renew => Purpose::Renew,
        _ => Purpose::Act,
    };
    let case = reserve(tx, &order.case_number, 0, purpose).await?;
    match order.action {
        Action::Freeze if case.reserved_fen > case.claim_fen => Err(LedgerError::OverCap {
            claim_fen: case.claim_fen,
            reserved_fen: case.reserved_fen,
        }),
        Action::Deduct => check_deduction(tx, &case, &order.case_number, order).await,
        _ => Ok(()),
    }
}

/// Whether the request's orders wait for a supervisor: one of them is worth more than
/// `above_fen`, or the case holds more than that after them.
pub(super) fn needs_approval(orders: &[Order], case: &LockedCase, above_fen: i64) -> bool {
    orders.iter().any(|o| o.value(o.amount_fen) > above_fen) || case.reserved_fen > above_fen
}

/// Refuses a second live hold of the same kind by the same case on the same asset.
pub(super) async fn check_not_held(
    tx: &mut Transaction<'_, Any>,
    order: &Order,
) -> Result<(), LedgerError> {
    if !order.action.places_hold() {
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT order_id, state FROM control_orders WHERE case_number = $1 AND source = $2 AND asset_local = $3 AND action = $4 AND state IN ('awaiting_approval', 'requested', 'awaiting_agency', 'effective', 'partial', 'queued')",
    )
    .bind(&order.case_number)
    .bind(&order.source)
    .bind(&order.asset_local)
    .bind(order.action.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(row) => Err(LedgerError::AlreadyHeld {
            order_id: row.try_get(0)?,
            state: row.try_get(1)?,
        }),
        None => Ok(()),
    }
}

/// Makes every order of the request that would go out wait for approval instead.
pub(super) fn hold_for_approval(orders: &mut [Order]) {
    for order in orders.iter_mut() {
        if order.state == State::Requested && order.action != Action::Release {
            order.state = State::AwaitingApproval;
        }
    }
}
