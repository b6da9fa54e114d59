//! Storage of notices issued to off-line agencies and of the written answers officers record
//! (tables `offline_notices` and `offline_answers`, migration 0010). Portable SQL.

use super::{Outcome, WrittenAnswer};
use crate::orders::ledger::LedgerError;
use assethub_connectors::domain::CivilDate;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row as _};

/// A notice as issued: when, and the hub's signature over the canonical instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub order_id: String,
    pub source: String,
    pub issued_day: i64,
    pub key_id: String,
    pub signed_at: i64,
    pub signature: String,
}

/// Records `notice` unless one was recorded for its order before; answers the one recorded.
pub async fn record_notice(pool: &AnyPool, notice: &Notice) -> Result<Notice, LedgerError> {
    sqlx::query(
        "INSERT INTO offline_notices (order_id, source, issued_day, key_id, signed_at, signature) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(&notice.order_id)
    .bind(&notice.source)
    .bind(notice.issued_day)
    .bind(&notice.key_id)
    .bind(notice.signed_at)
    .bind(&notice.signature)
    .execute(pool)
    .await?;
    notice_of(pool, &notice.order_id)
        .await?
        .ok_or_else(|| LedgerError::Conflict(notice.order_id.clone()))
}

/// The notice issued for `order_id`, if any.
pub async fn notice_of(pool: &AnyPool, order_id: &str) -> Result<Option<Notice>, LedgerError> {
    let row = sqlx::query(
        "SELECT order_id, source, issued_day, key_id, signed_at, signature FROM offline_notices WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Notice {
            order_id: r.try_get(0)?,
            source: r.try_get(1)?,
            issued_day: r.try_get(2)?,
            key_id: r.try_get(3)?,
            signed_at: r.try_get(4)?,
            signature: r.try_get(5)?,
        })
    })
    .transpose()
}

/// Where a recorded answer stands.
pub const PROPOSED: &str = "proposed";
pub const CONFIRMATION: &str = "confirmation";
pub const APPLYING: &str = "applying";
pub const APPLIED: &str = "applied";
pub const SUPERSEDED: &str = "superseded";

/// One recorded call: an answer as one officer recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub answer_id: String,
    pub court: String,
    pub client_key: String,
    pub request_hash: String,
    pub content_hash: String,
    pub order_id: String,
    pub status: String,
    pub proposal_id: String,
    pub answer: WrittenAnswer,
    pub officer_id: String,
    pub officer: String,
}

const SELECT: &str = "SELECT answer_id, court, client_key, request_hash, content_hash, order_id, status, proposal_id, outcome, amount_fen, quantity, queue_position, reason, agency_ref, start_day, end_day, answered_day, document, officer_id, officer FROM offline_answers";

fn row_from(r: &AnyRow) -> Result<Row, LedgerError> {
    let outcome: String = r.try_get(8)?;
    let day = |i: usize| -> Result<Option<CivilDate>, LedgerError> {
        let d: i64 = r.try_get(i)?;
        Ok((d != 0).then(|| CivilDate::from_days(d)))
    };
    let position: i64 = r.try_get(11)?;
    Ok(Row {
        answer_id: r.try_get(0)?,
        court: r.try_get(1)?,
        client_key: r.try_get(2)?,
        request_hash: r.try_get(3)?,
        content_hash: r.try_get(4)?,
        order_id: r.try_get(5)?,
        status: r.try_get(6)?,
        proposal_id: r.try_get(7)?,
        answer: WrittenAnswer {
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Refused),
            amount_fen: r.try_get(9)?,
            quantity: r.try_get(10)?,
            queue_position: u32::try_from(position).unwrap_or(0),
            reason: r.try_get(12)?,
            agency_ref: r.try_get(13)?,
            from: day(14)?,
            until: day(15)?,
            answered_on: day(16)?.unwrap_or(CivilDate::from_days(0)),
            document: r.try_get(17)?,
        },
        officer_id: r.try_get(18)?,
        officer: r.try_get(19)?,
    })
}

/// Records `row`; `false` when the court's client key is taken already.
pub async fn insert(pool: &AnyPool, row: &Row) -> Result<bool, LedgerError> {
    let a = &row.answer;
    let done = sqlx::query(
        "INSERT INTO offline_answers (answer_id, court, client_key, request_hash, content_hash, order_id, status, proposal_id, outcome, amount_fen, quantity, queue_position, reason, agency_ref, start_day, end_day, answered_day, document, officer_id, officer, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) ON CONFLICT (court, client_key) DO NOTHING",
    )
    .bind(&row.answer_id)
    .bind(&row.court)
    .bind(&row.client_key)
    .bind(&row.request_hash)
    .bind(&row.content_hash)
    .bind(&row.order_id)
    .bind(&row.status)
    .bind(&row.proposal_id)
    .bind(a.outcome.as_str())
    .bind(a.amount_fen)
    .bind(a.quantity)
    .bind(i64::from(a.queue_position))
    .bind(&a.reason)
    .bind(&a.agency_ref)
    .bind(a.from.map_or(0, CivilDate::days))
    .bind(a.until.map_or(0, CivilDate::days))
    .bind(a.answered_on.days())
    .bind(&a.document)
    .bind(&row.officer_id)
    .bind(&row.officer)
    .bind(crate::clock::now_ms())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The row recorded under the court's client key.
pub async fn by_key(pool: &AnyPool, court: &str, key: &str) -> Result<Option<Row>, LedgerError> {
    let row = sqlx::query(&format!("{SELECT} WHERE court = $1 AND client_key = $2"))
        .bind(court)
        .bind(key)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(row_from).transpose()
}

pub async fn by_id(pool: &AnyPool, answer_id: &str) -> Result<Option<Row>, LedgerError> {
    let row = sqlx::query(&format!("{SELECT} WHERE answer_id = $1"))
        .bind(answer_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(row_from).transpose()
}

/// The answer proposed for `order_id` and not confirmed yet, if any.
pub async fn proposal_of(pool: &AnyPool, order_id: &str) -> Result<Option<Row>, LedgerError> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE order_id = $1 AND status = $2 ORDER BY created_at_ms DESC"
    ))
    .bind(order_id)
    .bind(PROPOSED)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(row_from).transpose()
}

/// Moves the row `answer_id` from `from` to `to`; `false` when it was not in `from`.
pub async fn set_status(
    pool: &AnyPool,
    answer_id: &str,
    from: &str,
    to: &str,
) -> Result<bool, LedgerError> {
    let done =
        sqlx::query("UPDATE offline_answers SET status = $1 WHERE answer_id = $2 AND status = $3")
            .bind(to)
            .bind(answer_id)
            .bind(from)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}
