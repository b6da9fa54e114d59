//! The `inquiries` table (migration 0008, in the ledger's database): one row per inquiry to an
//! agency that answers later, its state and, once answered, the answer. Row-level statements
//! only; a change of state and its feed event are written in one transaction by the caller
//! ([`super::Inquiries`]). Portable SQL (SQLite and PostgreSQL).

use assethub_connectors::domain::Asset;
use assethub_connectors::QueryAnswer;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

/// Where an inquiry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InquiryState {
    /// Recorded before it was sent; resent under the same key after a crash.
    Sending,
    /// The agency gave a ticket; the answer is awaited.
    Pending,
    Answered,
    /// The agency never answered before `expires_at_ms`.
    Expired,
    /// Refused, or lost by the agency twice.
    Failed,
}

impl InquiryState {
    pub const ALL: [InquiryState; 5] = [
        Self::Sending,
        Self::Pending,
        Self::Answered,
        Self::Expired,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Pending => "pending",
            Self::Answered => "answered",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Sending or pending: the agency may still answer.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sending | Self::Pending)
    }
}

/// An agency's final answer as stored (a ticket is not an answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredAnswer {
    Found(Vec<Asset>),
    NotFound,
    NameMismatch,
}

impl StoredAnswer {
    pub fn of(answer: &QueryAnswer) -> Option<Self> {
        match answer {
            QueryAnswer::Found(assets) => Some(Self::Found(assets.clone())),
            QueryAnswer::NotFound => Some(Self::NotFound),
            QueryAnswer::NameMismatch => Some(Self::NameMismatch),
            QueryAnswer::Pending { .. } => None,
        }
    }

    pub fn answer(&self) -> QueryAnswer {
        match self {
            Self::Found(assets) => QueryAnswer::Found(assets.clone()),
            Self::NotFound => QueryAnswer::NotFound,
            Self::NameMismatch => QueryAnswer::NameMismatch,
        }
    }

    pub fn asset_count(&self) -> u32 {
        match self {
            Self::Found(assets) => u32::try_from(assets.len()).unwrap_or(u32::MAX),
            _ => 0,
        }
    }
}

/// One inquiry as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    pub inquiry_id: String,
    pub source: String,
    pub case_number: String,
    pub court: String,
    pub debtor_id: String,
    pub debtor_name: String,
    pub debtor_masked: String,
    /// The key the agency receives (a repeated key gets the same ticket).
    pub inquiry_key: String,
    pub ticket: String,
    pub state: InquiryState,
    pub expected_at_ms: i64,
    pub expires_at_ms: i64,
    pub answer: Option<StoredAnswer>,
    pub reason: String,
    pub attempts: u32,
    /// Times the agency lost the ticket and the inquiry was asked again under a new key.
    pub reasked: u32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Inquiry {
    pub fn asset_count(&self) -> u32 {
        self.answer.as_ref().map_or(0, StoredAnswer::asset_count)
    }
}

/// Which inquiries to list.
#[derive(Debug, Clone, Default)]
pub struct InquiryFilter {
    pub court: Option<String>,
    pub case_number: Option<String>,
    pub states: Vec<InquiryState>,
    pub limit: u32,
}

const COLUMNS: &str = "inquiry_id, source, case_number, court, debtor_id, debtor_name, debtor_masked, inquiry_key, ticket, state, expected_at_ms, expires_at_ms, answer, asset_count, reason, attempts, reasked, created_at_ms, updated_at_ms";

fn bad(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

fn from_row(row: &AnyRow) -> Result<Inquiry, sqlx::Error> {
    let state: String = row.try_get("state")?;
    let answer: String = row.try_get("answer")?;
    Ok(Inquiry {
        inquiry_id: row.try_get("inquiry_id")?,
        source: row.try_get("source")?,
        case_number: row.try_get("case_number")?,
        court: row.try_get("court")?,
        debtor_id: row.try_get("debtor_id")?,
        debtor_name: row.try_get("debtor_name")?,
        debtor_masked: row.try_get("debtor_masked")?,
        inquiry_key: row.try_get("inquiry_key")?,
        ticket: row.try_get("ticket")?,
        state: InquiryState::parse(&state).ok_or_else(|| bad(format!("state {state:?}")))?,
        expected_at_ms: row.try_get("expected_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        answer: if answer.is_empty() {
            None
        } else {
            Some(serde_json::from_str(&answer).map_err(|e| bad(e.to_string()))?)
        },
        reason: row.try_get("reason")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        reasked: u32::try_from(row.try_get::<i64, _>("reasked")?).unwrap_or(u32::MAX),
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

fn answer_text(inquiry: &Inquiry) -> Result<String, sqlx::Error> {
    match &inquiry.answer {
        Some(answer) => serde_json::to_string(answer).map_err(|e| bad(e.to_string())),
        None => Ok(String::new()),
    }
}

pub async fn insert(pool: &AnyPool, i: &Inquiry) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO inquiries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    ))
    .bind(&i.inquiry_id)
    .bind(&i.source)
    .bind(&i.case_number)
    .bind(&i.court)
    .bind(&i.debtor_id)
    .bind(&i.debtor_name)
    .bind(&i.debtor_masked)
    .bind(&i.inquiry_key)
    .bind(&i.ticket)
    .bind(i.state.as_str())
    .bind(i.expected_at_ms)
    .bind(i.expires_at_ms)
    .bind(answer_text(i)?)
    .bind(i64::from(i.asset_count()))
    .bind(&i.reason)
    .bind(i64::from(i.attempts))
    .bind(i64::from(i.reasked))
    .bind(i.created_at_ms)
    .bind(i.updated_at_ms)
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes `i`'s changing fields if the stored state is still `was`; whether it was.
pub async fn update(
    tx: &mut Transaction<'_, Any>,
    i: &Inquiry,
    was: InquiryState,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE inquiries SET inquiry_key = $1, ticket = $2, state = $3, expected_at_ms = $4, answer = $5, asset_count = $6, reason = $7, attempts = $8, reasked = $9, updated_at_ms = $10 WHERE inquiry_id = $11 AND state = $12",
    )
    .bind(&i.inquiry_key)
    .bind(&i.ticket)
    .bind(i.state.as_str())
    .bind(i.expected_at_ms)
    .bind(answer_text(i)?)
    .bind(i64::from(i.asset_count()))
    .bind(&i.reason)
    .bind(i64::from(i.attempts))
    .bind(i64::from(i.reasked))
    .bind(i.updated_at_ms)
    .bind(&i.inquiry_id)
    .bind(was.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(pool: &AnyPool, inquiry_id: &str) -> Result<Option<Inquiry>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inquiries WHERE inquiry_id = $1"
    ))
    .bind(inquiry_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every inquiry still open (sending or pending): what a starting hub resumes.
pub async fn open(pool: &AnyPool) -> Result<Vec<Inquiry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inquiries WHERE state = 'sending' OR state = 'pending' ORDER BY created_at_ms"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Inquiries answered at or after `since_ms` (a starting hub puts them back in its cache).
pub async fn answered_since(pool: &AnyPool, since_ms: i64) -> Result<Vec<Inquiry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inquiries WHERE state = 'answered' AND updated_at_ms >= $1 ORDER BY updated_at_ms"
    ))
    .bind(since_ms)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Inquiries matching `filter`, newest first, at most `filter.limit`.
pub async fn list(pool: &AnyPool, filter: &InquiryFilter) -> Result<Vec<Inquiry>, sqlx::Error> {
    let mut sql = format!("SELECT {COLUMNS} FROM inquiries WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if filter.court.is_some() {
        sql.push_str(&format!(" AND court = {}", next()));
    }
    if filter.case_number.is_some() {
        sql.push_str(&format!(" AND case_number = {}", next()));
    }
    if !filter.states.is_empty() {
        let marks: Vec<String> = filter.states.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND state IN ({})", marks.join(", ")));
    }
    sql.push_str(&format!(
        " ORDER BY created_at_ms DESC, inquiry_id LIMIT {}",
        next()
    ));
    let mut query = sqlx::query(&sql);
    if let Some(court) = &filter.court {
        query = query.bind(court);
    }
    if let Some(case) = &filter.case_number {
        query = query.bind(case);
    }
    for state in &filter.states {
        query = query.bind(state.as_str());
    }
    let rows = query.bind(i64::from(filter.limit)).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}
