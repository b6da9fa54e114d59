//! Mapping between ledger rows and orders or events, and the row-level statements the
//! ledger's transactions are made of.

use super::LedgerError;
use crate::orders::model::{Action, Order, State};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

pub const SELECT_ORDER: &str = "SELECT order_id, action, state, case_number, court, ruling, officer, source, asset_local, debtor_id, debtor_name, debtor_masked, amount_fen, frozen_fen, deducted_fen, reserved_fen, start_day, end_day, queue_position, agency_ref, target_order_id, group_id, case_account, detail, client_key, attempts, created_at_ms, updated_at_ms, version, currency, rate_micro, rate_date, officer_id, approver_id, approver, kind, quantity, held_quantity, unit FROM control_orders";

/// A watched vehicle seen: the event payload of a sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SightingPayload {
    pub order_id: String,
    pub plate: String,
    pub place: String,
    pub seen_at: String,
}

/// An inquiry to an agency that answers later changed state: the event payload (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryPayload {
    pub inquiry_id: String,
    pub source: String,
    /// "pending", "answered", "expired", "failed".
    pub state: String,
    pub debtor_masked: String,
    pub asset_count: u32,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    /// The order as it stood after the change (personal data masked).
    Order(Box<Order>),
    Sighting(SightingPayload),
    Inquiry(InquiryPayload),
}

/// One entry of the event feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: u64,
    pub at_ms: i64,
    pub case_number: String,
    pub body: EventBody,
}

pub(super) fn bad(what: &str) -> LedgerError {
    LedgerError::Db(sqlx::Error::Decode(what.to_string().into()))
}

pub fn order_from(row: &AnyRow) -> Result<Order, LedgerError> {
    let action: String = row.try_get("action")?;
    let state: String = row.try_get("state")?;
    Ok(Order {
        order_id: row.try_get("order_id")?,
        action: Action::parse(&action).ok_or_else(|| bad("unknown action"))?,
        state: State::parse(&state).ok_or_else(|| bad("unknown state"))?,
        case_number: row.try_get("case_number")?,
        court: row.try_get("court")?,
        ruling: row.try_get("ruling")?,
        officer: row.try_get("officer")?,
        source: row.try_get("source")?,
        asset_local: row.try_get("asset_local")?,
        debtor_id: row.try_get("debtor_id")?,
        debtor_name: row.try_get("debtor_name")?,
        debtor_masked: row.try_get("debtor_masked")?,
        amount_fen: row.try_get("amount_fen")?,
        frozen_fen: row.try_get("frozen_fen")?,
        deducted_fen: row.try_get("deducted_fen")?,
        reserved_fen: row.try_get("reserved_fen")?,
        start_day: row.try_get("start_day")?,
        end_day: row.try_get("end_day")?,
        queue_position: u32::try_from(row.try_get::<i64, _>("queue_position")?).unwrap_or(0),
        agency_ref: row.try_get("agency_ref")?,
        target_order_id: row.try_get("target_order_id")?,
        group_id: row.try_get("group_id")?,
        case_account: row.try_get("case_account")?,
        detail: row.try_get("detail")?,
        client_key: row.try_get("client_key")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        version: row.try_get("version")?,
        currency: row.try_get("currency")?,
        rate_micro: row.try_get("rate_micro")?,
        rate_date: row.try_get("rate_date")?,
        officer_id: row.try_get("officer_id")?,
        approver_id: row.try_get("approver_id")?,
        approver: row.try_get("approver")?,
        kind: row.try_get("kind")?,
        quantity: row.try_get("quantity")?,
        held_quantity: row.try_get("held_quantity")?,
        unit: row.try_get("unit")?,
    })
}

pub async fn insert_order(tx: &mut Transaction<'_, Any>, o: &Order) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO control_orders (order_id, action, state, case_number, court, ruling, officer, source, asset_local, debtor_id, debtor_name, debtor_masked, amount_fen, frozen_fen, deducted_fen, reserved_fen, start_day, end_day, queue_position, agency_ref, target_order_id, group_id, case_account, detail, client_key, attempts, created_at_ms, updated_at_ms, version, currency, rate_micro, rate_date, officer_id, approver_id, approver, kind, quantity, held_quantity, unit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39)",
    )
    .bind(&o.order_id)
    .bind(o.action.as_str())
    .bind(o.state.as_str())
    .bind(&o.case_number)
    .bind(&o.court)
    .bind(&o.ruling)
    .bind(&o.officer)
    .bind(&o.source)
    .bind(&o.asset_local)
    .bind(&o.debtor_id)
    .bind(&o.debtor_name)
    .bind(&o.debtor_masked)
    .bind(o.amount_fen)
    .bind(o.frozen_fen)
    .bind(o.deducted_fen)
    .bind(o.reservation())
    .bind(o.start_day)
    .bind(o.end_day)
    .bind(i64::from(o.queue_position))
    .bind(&o.agency_ref)
    .bind(&o.target_order_id)
    .bind(&o.group_id)
    .bind(&o.case_account)
    .bind(&o.detail)
    .bind(&o.client_key)
    .bind(i64::from(o.attempts))
    .bind(o.created_at_ms)
    .bind(o.updated_at_ms)
    .bind(o.version)
    .bind(&o.currency)
    .bind(o.rate_micro)
    .bind(&o.rate_date)
    .bind(&o.officer_id)
    .bind(&o.approver_id)
    .bind(&o.approver)
    .bind(&o.kind)
    .bind(o.quantity)
    .bind(o.held_quantity)
    .bind(&o.unit)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the mutable fields of `o` if the stored version is still `version`.
pub async fn update_order(
    tx: &mut Transaction<'_, Any>,
    o: &Order,
    version: i64,
) -> Result<bool, LedgerError> {
    let done = sqlx::query(
        "UPDATE control_orders SET state = $1, amount_fen = $2, frozen_fen = $3, deducted_fen = $4, reserved_fen = $5, start_day = $6, end_day = $7, queue_position = $8, agency_ref = $9, detail = $10, attempts = $11, updated_at_ms = $12, approver_id = $13, approver = $14, held_quantity = $15, version = version + 1 WHERE order_id = $16 AND version = $17",
    )
    .bind(o.state.as_str())
    .bind(o.amount_fen)
    .bind(o.frozen_fen)
    .bind(o.deducted_fen)
    .bind(o.reserved_fen)
    .bind(o.start_day)
    .bind(o.end_day)
    .bind(i64::from(o.queue_position))
    .bind(&o.agency_ref)
    .bind(&o.detail)
    .bind(i64::from(o.attempts))
    .bind(o.updated_at_ms)
    .bind(&o.approver_id)
    .bind(&o.approver)
    .bind(o.held_quantity)
    .bind(&o.order_id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn append(
    tx: &mut Transaction<'_, Any>,
    case: &str,
    order_id: &str,
    kind: &str,
    payload: String,
) -> Result<u64, LedgerError> {
    // Takes the counter row's lock until commit (migration 0011): call it last in a
    // transaction, after the case and order rows it writes, so locks are always taken in the
    // same order.
    let next: i64 = sqlx::query(
        "UPDATE control_event_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq",
    )
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    sqlx::query(
        "INSERT INTO control_events (seq, at_ms, case_number, order_id, kind, payload) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(next)
    .bind(super::now_ms())
    .bind(case)
    .bind(order_id)
    .bind(kind)
    .bind(payload)
    .execute(&mut **tx)
    .await?;
    crate::db::notify_peers(tx, crate::db::EVENTS_CHANNEL, &next.to_string()).await?;
    Ok(next as u64)
}

/// Appends the order's new state to the feed; returns the event number.
pub async fn append_event(tx: &mut Transaction<'_, Any>, o: &Order) -> Result<u64, LedgerError> {
    let payload = serde_json::to_string(o).map_err(|e| bad(&e.to_string()))?;
    append(tx, &o.case_number, &o.order_id, "order", payload).await
}

pub async fn append_sighting(
    tx: &mut Transaction<'_, Any>,
    watch: &Order,
    sighting: &SightingPayload,
) -> Result<u64, LedgerError> {
    let payload = serde_json::to_string(sighting).map_err(|e| bad(&e.to_string()))?;
    append(tx, &watch.case_number, &watch.order_id, "sighting", payload).await
}

/// Appends an inquiry's change of state to the feed of its case (in the transaction that
/// records the change); returns the event number.
pub async fn append_inquiry(
    tx: &mut Transaction<'_, Any>,
    case: &str,
    inquiry: &InquiryPayload,
) -> Result<u64, LedgerError> {
    let payload = serde_json::to_string(inquiry).map_err(|e| bad(&e.to_string()))?;
    append(tx, case, &inquiry.inquiry_id, "inquiry", payload).await
}

pub fn event_from(row: &AnyRow) -> Result<Event, LedgerError> {
    let kind: String = row.try_get("kind")?;
    let payload: String = row.try_get("payload")?;
    let body = match kind.as_str() {
        "order" => EventBody::Order(Box::new(
            serde_json::from_str(&payload).map_err(|e| bad(&e.to_string()))?,
        )),
        "sighting" => {
            EventBody::Sighting(serde_json::from_str(&payload).map_err(|e| bad(&e.to_string()))?)
        }
        "inquiry" => {
            EventBody::Inquiry(serde_json::from_str(&payload).map_err(|e| bad(&e.to_string()))?)
        }
        other => return Err(bad(&format!("unknown event kind {other}"))),
    };
    Ok(Event {
        seq: row.try_get::<i64, _>("seq")? as u64,
        at_ms: row.try_get("at_ms")?,
        case_number: row.try_get("case_number")?,
        body,
    })
}
