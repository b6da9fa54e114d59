//! The audit writer of an embedded (SQLite) ledger: one OS thread with its own connection to
//! the ledger's file, which takes whatever appends have queued up and writes them in one
//! transaction (`BEGIN IMMEDIATE`, head read under the write lock, rows inserted by a cached statement,
//! head moved, commit with `synchronous = FULL`), then answers each caller.
//!
//! Why not the shared `sqlx` pool: there every statement of the group is a hand-off to the
//! pool's worker thread and back (five of them per group), each a pair of wake-ups; here the
//! group costs one wake-up of this thread and one of each caller. The rows, the hashes and the
//! durability are the same as [`super::store`]'s: a caller is answered only once its entry is
//! committed. Other writers of the same file (the ledger's pool) take turns with this one on
//! SQLite's write lock (`busy_timeout`).

use super::store::{Chained, Waiting, GROUP, QUEUE};
use super::{AuditEntry, AuditError};
use rusqlite::{params, Connection, TransactionBehavior};
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the writer waits for another writer of the file to let go of the write lock.
const BUSY: Duration = Duration::from_secs(30);

const INSERT: &str = "INSERT INTO audit_log (seq, at_ms, actor, court, role, method, case_number, \
     debtor_ref, decision, outcome, detail, prev_hash, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
/// The head and the highest stored number. A plain read: `BEGIN IMMEDIATE` already holds the
/// file's write lock, so no other writer can move the head before this group's commit (the
/// pool's `UPDATE … RETURNING` would also buffer its result in an ephemeral table per group).
const READ_HEAD: &str = "SELECT last_seq, last_hash, \
     (SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_log) FROM audit_head WHERE id = 1";
const UPDATE_HEAD: &str = "UPDATE audit_head SET last_seq = ?1, last_hash = ?2 WHERE id = 1";

/// Opens the ledger file at `path` and starts the writer thread; the queue it returns ends the
/// thread when its last sender is dropped.
pub(super) fn start(path: &Path) -> Result<mpsc::Sender<Waiting>, AuditError> {
    let connection = open(path).map_err(|e| {
        AuditError::Append(format!("opening {} for the audit: {e}", path.display()))
    })?;
    let (tx, rx) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || write_groups(connection, rx))
        .map_err(|e| AuditError::Append(format!("starting the audit writer: {e}")))?;
    Ok(tx)
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY)?;
    // Per connection: every commit of this writer reaches the disk before callers hear of it.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.set_prepared_statement_cache_capacity(4);
    Ok(connection)
}

fn write_groups(mut connection: Connection, mut queue: mpsc::Receiver<Waiting>) {
    let mut group: Vec<Waiting> = Vec::with_capacity(GROUP);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let (entries, waiters): (Vec<AuditEntry>, Vec<_>) = group.drain(..).unzip();
        let result = append_group(&mut connection, &entries);
        for (n, done) in waiters.into_iter().enumerate() {
            let answer = match &result {
                Ok(numbers) => Ok(numbers[n]),
                Err(e) => Err(AuditError::Append(e.to_string())),
            };
            let _ = done.send(answer);
        }
    }
}

fn append_group(connection: &mut Connection, entries: &[AuditEntry]) -> rusqlite::Result<Vec<u64>> {
    // IMMEDIATE: the write lock is taken first, so the head read below cannot go stale.
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (head_seq, head_hash, max_seq) = tx
        .prepare_cached(READ_HEAD)?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    let group = Chained::after(head_seq, head_hash, max_seq, entries);
    {
        let mut insert = tx.prepare_cached(INSERT)?;
        for (entry, (seq, prev, hash)) in entries.iter().zip(&group.rows) {
            insert.execute(params![
                seq,
                entry.at_ms,
                entry.actor,
                entry.court,
                entry.role,
                entry.method,
                entry.case_number,
                entry.debtor_ref,
                entry.decision,
                entry.outcome,
                entry.detail,
                prev,
                hash
            ])?;
        }
        tx.prepare_cached(UPDATE_HEAD)?
            .execute(params![group.last_seq(), group.last_hash()])?;
    }
    tx.commit()?;
    Ok(group.numbers())
}
