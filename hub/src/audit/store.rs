//! [`AuditLog`]: the audit tables over the shared `AnyPool` (SQLite or PostgreSQL, portable
//! SQL with `$n` parameters), and appending to them. Appends lock the head row first, so
//! appenders on every hub sharing the database take turns; a lost race on the entry number is
//! retried anyway. Walking the chain is `walk`'s business, listing `list`'s.
//!
//! Group commit: appends from concurrent calls are queued to one writer task, which writes
//! whatever has queued up (up to [`GROUP`] entries) in one transaction — one fsync for the
//! group instead of one per call — and answers each caller only once its entry is committed,
//! so an entry is as durable when `append` returns as before. An embedded (SQLite) ledger's
//! writer is a thread with its own connection instead (`sqlite_writer`).

use super::chain;
use super::{AuditEntry, AuditError, AuditRecord};
use crate::clock::now_ms;
use sqlx::{AnyPool, Row};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most entries written in one transaction.
pub(super) const GROUP: usize = 256;
/// Entries waiting for the writer before appenders wait for room.
pub(super) const QUEUE: usize = 4096;

/// An entry waiting for the writer, and where to say its number once committed.
pub(super) type Waiting = (AuditEntry, oneshot::Sender<Result<u64, AuditError>>);

/// The columns of a stored entry, in [`record_from`]'s order.
pub(super) const SELECT_RECORD: &str = "SELECT seq, at_ms, actor, court, role, method, case_number, debtor_ref, decision, outcome, detail, prev_hash, hash FROM audit_log";

/// The audit log. Cheap to clone; every clone appends to the same chain.
#[derive(Clone)]
pub struct AuditLog {
    pool: AnyPool,
    key: Arc<[u8]>,
    /// The writer's queue: an embedded ledger's writer thread ([`AuditLog::open`]), or
    /// a task on the pool started by the first append (inside the runtime).
    writer: Arc<OnceLock<mpsc::Sender<Waiting>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

impl AuditLog {
    /// The log in `pool`'s database (migrated by `Ledger::open`), with `key` for the keyed
    /// debtor references: keep it secret and stable, or references stop matching.
    pub fn new(pool: AnyPool, key: &[u8]) -> Self {
        Self {
            pool,
            key: Arc::from(key),
            writer: Arc::default(),
        }
    }

    /// The log in `pool`'s database, with `key` as [`AuditLog::new`]; with `sqlite_file` (an
    /// embedded ledger's file, the database `pool` is on) the entries are written by a thread
    /// of their own ([`super::sqlite_writer`]), otherwise (PostgreSQL) through the pool.
    pub fn open(
        pool: AnyPool,
        sqlite_file: Option<&std::path::Path>,
        key: &[u8],
    ) -> Result<Self, AuditError> {
        let log = Self::new(pool, key);
        if let Some(file) = sqlite_file {
            let _ = log.writer.set(super::sqlite_writer::start(file)?);
        }
        Ok(log)
    }

    /// The reference under which a debtor appears in the log: HMAC-SHA256 of the identity
    /// number under the audit key, hex, 32 characters; empty for an empty id.
    pub fn debtor_ref(&self, id: &str) -> String {
        chain::debtor_ref(&self.key, id)
    }

    /// The database the log lives in.
    pub(super) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Appends one entry and returns its number once it is committed (with the entries of
    /// other calls that queued up meanwhile: one transaction for the group and the head).
    /// Every text field is bounded first ([`super::bounded`]): at most 256 bytes, no control
    /// characters.
    pub async fn append(&self, entry: AuditEntry) -> Result<u64, AuditError> {
        let mut entry = entry;
        super::bounded::bound_entry(&mut entry);
        if entry.at_ms == 0 {
            entry.at_ms = now_ms();
        }
        let writer = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_groups(self.pool.clone(), rx));
            tx
        });
        let (done, committed) = oneshot::channel();
        writer
            .send((entry, done))
            .await
            .map_err(|_| AuditError::Append("the audit writer stopped".into()))?;
        committed
            .await
            .map_err(|_| AuditError::Append("the audit writer stopped".into()))?
    }
}

pub(super) fn record_from(row: &sqlx::any::AnyRow) -> Result<AuditRecord, AuditError> {
    let seq: i64 = row.try_get(0)?;
    let seq = u64::try_from(seq).map_err(|_| AuditError::Corrupt(format!("entry number {seq}")))?;
    Ok(AuditRecord {
        seq,
        entry: AuditEntry {
            at_ms: row.try_get(1)?,
            actor: row.try_get(2)?,
            court: row.try_get(3)?,
            role: row.try_get(4)?,
            method: row.try_get(5)?,
            case_number: row.try_get(6)?,
            debtor_ref: row.try_get(7)?,
            decision: row.try_get(8)?,
            outcome: row.try_get(9)?,
            detail: row.try_get(10)?,
        },
        prev_hash: row.try_get(11)?,
        hash: row.try_get(12)?,
    })
}

/// The writer task: takes what has queued up, appends it as one group, answers each caller.
async fn write_groups(pool: AnyPool, mut queue: mpsc::Receiver<Waiting>) {
    let mut group: Vec<Waiting> = Vec::with_capacity(GROUP);
    while queue.recv_many(&mut group, GROUP).await > 0 {
        let (entries, waiters): (Vec<AuditEntry>, Vec<_>) = group.drain(..).unzip();
        let result = append_group(&pool, &entries).await;
        for (n, done) in waiters.into_iter().enumerate() {
            let answer = match &result {
                Ok(numbers) => Ok(numbers[n]),
                Err(e) => Err(AuditError::Append(e.to_string())),
            };
            let _ = done.send(answer);
        }
    }
}

/// Appends `entries` in order in one transaction (retried when another hub took the numbers).
async fn append_group(pool: &AnyPool, entries: &[AuditEntry]) -> Result<Vec<u64>, AuditError> {
    let mut tries = 0u64;
    loop {
        tries += 1;
        match try_append_group(pool, entries).await {
            Err(AuditError::Db(sqlx::Error::Database(e)))
                if tries < 8
                    && (e.is_unique_violation() || e.code().as_deref() == Some("40001")) =>
            {
                tokio::time::sleep(Duration::from_millis(5 * tries)).await;
            }
            other => return other,
        }
    }
}

async fn try_append_group(pool: &AnyPool, entries: &[AuditEntry]) -> Result<Vec<u64>, AuditError> {
    let mut tx = crate::db::begin_write(pool).await?;
    // Appenders wait here for each other instead of racing for the number.
    let head = sqlx::query(LOCK_HEAD)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AuditError::Corrupt("the audit head row is missing".into()))?;
    let group = Chained::after(
        head.try_get(0)?,
        head.try_get(1)?,
        head.try_get(2)?,
        entries,
    );
    let rows = &group.rows;
    // The whole group in one statement: one round trip to the database, not one per entry.
    for chunk in entries.chunks(INSERT_ROWS).zip(rows.chunks(INSERT_ROWS)) {
        let (entries, rows) = chunk;
        let sql = insert_sql(entries.len());
        let mut insert = sqlx::query(&sql);
        for (entry, (seq, prev, hash)) in entries.iter().zip(rows) {
            insert = insert
                .bind(*seq)
                .bind(entry.at_ms)
                .bind(&entry.actor)
                .bind(&entry.court)
                .bind(&entry.role)
                .bind(&entry.method)
                .bind(&entry.case_number)
                .bind(&entry.debtor_ref)
                .bind(&entry.decision)
                .bind(&entry.outcome)
                .bind(&entry.detail)
                .bind(prev)
                .bind(hash);
        }
        insert.execute(&mut *tx).await?;
    }
    sqlx::query(UPDATE_HEAD)
        .bind(group.last_seq())
        .bind(group.last_hash())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(group.numbers())
}

/// Locks the head (a no-op write: PostgreSQL's row lock, SQLite's write lock) and reads it
/// with the highest stored number in the same statement.
const LOCK_HEAD: &str = "UPDATE audit_head SET last_seq = last_seq WHERE id = 1 \
     RETURNING last_seq, last_hash, (SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_log)";
/// Moves the head to the group's last entry.
pub(super) const UPDATE_HEAD: &str =
    "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1";

/// A group of entries placed in the chain after the head: each one's number, previous hash
/// and hash.
pub(super) struct Chained {
    pub(super) rows: Vec<(i64, String, String)>,
    head_hash: String,
}

impl Chained {
    /// `entries` numbered and hashed after a head at `head_seq` / `head_hash` with `max_seq`
    /// the highest stored number. The head is the authority on the previous hash: newest rows
    /// deleted behind its back leave a gap that appending cannot paper over. Rows beyond the
    /// head (not written by the hub) are stepped over, and break the chain at the new entry.
    pub(super) fn after(
        head_seq: i64,
        head_hash: String,
        max_seq: i64,
        entries: &[AuditEntry],
    ) -> Self {
        let first = head_seq.max(max_seq) + 1;
        let mut prev_hash = head_hash;
        let mut rows = Vec::with_capacity(entries.len());
        for (n, entry) in entries.iter().enumerate() {
            let seq = first + n as i64;
            let hash = chain::entry_hash(&prev_hash, seq as u64, entry);
            rows.push((seq, std::mem::replace(&mut prev_hash, hash.clone()), hash));
        }
        Self {
            rows,
            head_hash: prev_hash,
        }
    }

    pub(super) fn last_seq(&self) -> i64 {
        self.rows.last().map_or(0, |r| r.0)
    }

    pub(super) fn last_hash(&self) -> &str {
        &self.head_hash
    }

    pub(super) fn numbers(&self) -> Vec<u64> {
        self.rows.iter().map(|r| r.0 as u64).collect()
    }
}

/// Columns bound per entry in [`insert_sql`].
const INSERT_COLUMNS: usize = 13;
/// Most rows in one INSERT: 13 × 64 = 832 parameters, far below SQLite's and PostgreSQL's
/// limits (32,766 and 65,535).
const INSERT_ROWS: usize = 64;

/// `INSERT INTO audit_log (...) VALUES ($1, ..., $13), ($14, ...)` for `rows` entries.
fn insert_sql(rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::from(
        "INSERT INTO audit_log (seq, at_ms, actor, court, role, method, case_number, debtor_ref, decision, outcome, detail, prev_hash, hash) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..INSERT_COLUMNS {
            let sep = if column == 0 { "" } else { ", " };
            let _ = write!(sql, "{sep}${}", row * INSERT_COLUMNS + column + 1);
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod insert_tests {
    use super::insert_sql;

    #[test]
    fn the_insert_numbers_its_parameters_row_by_row() {
        let sql = insert_sql(2);
        assert!(sql.ends_with(
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13), \
             ($14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)"
        ));
    }
}
