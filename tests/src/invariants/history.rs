//! The story of the orders a check found in mismatch, read from the ledger's event feed (each
//! event carries the order as it was written): how each one's state and money moved, and its
//! target's, so a rare chaos failure can be read after the fact instead of reproduced.

use super::Report;
use assethub_hub::orders::{Order, State};
use sqlx::Row;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Every version of each order named by a mismatch in `report` (and of the hold it acts on),
/// oldest first, one line each; empty when nothing mismatched.
pub async fn of_mismatches(url: &str, report: &Report) -> String {
    let mut ids: BTreeSet<String> = report
        .mismatches
        .iter()
        .map(|m| m.order_id.clone())
        .collect();
    if ids.is_empty() {
        return String::new();
    }
    sqlx::any::install_default_drivers();
    let pool = match sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
    {
        Ok(pool) => pool,
        Err(e) => return format!("history unavailable: {e}\n"),
    };
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    while let Some(id) = ids.pop_first() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let rows = sqlx::query(
            "SELECT seq, at_ms, payload FROM control_events WHERE order_id = $1 AND kind = 'order' ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
        let _ = writeln!(out, "history of {id}:");
        for row in rows {
            let seq: i64 = row.get(0);
            let at: i64 = row.get(1);
            let payload: String = row.get(2);
            match serde_json::from_str::<Order>(&payload) {
                Ok(o) => {
                    let _ = writeln!(out, "  #{seq} @{at} {}", line(&o));
                    if !o.target_order_id.is_empty() && !seen.contains(&o.target_order_id) {
                        ids.insert(o.target_order_id.clone());
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "  #{seq} @{at} unreadable: {e}");
                }
            }
        }
    }
    pool.close().await;
    out
}

fn line(o: &Order) -> String {
    let state: State = o.state;
    format!(
        "{} {} v{} attempts {} asked {} frozen {} deducted {} hold {:?} end {} {:?}",
        o.action.as_str(),
        state.as_str(),
        o.version,
        o.attempts,
        o.amount_fen,
        o.frozen_fen,
        o.deducted_fen,
        o.agency_ref,
        o.end_day,
        o.detail
    )
}
