//! The ledger database's shared helpers, for every store living in it (orders, cases,
//! inquiries, sweeps, the audit log): how a write transaction begins, where an embedded
//! (SQLite) ledger's file is, and the claim that keeps a second hub process off it. A leaf:
//! imports nothing of the hub.

use sqlx::AnyPool;
use std::collections::HashMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

/// A transaction that will write, on any store in the ledger's database. On SQLite it is
/// `BEGIN IMMEDIATE`: the write lock is taken first (waiting for it under the busy timeout), so
/// a transaction that reads before it writes cannot find its snapshot overtaken by another
/// connection's commit (the audit writer's, another process's) and fail with SQLITE_BUSY.
/// Elsewhere a plain `BEGIN` (PostgreSQL locks rows as they are written).
pub async fn begin_write(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// The PostgreSQL channel on which a commit that appended events names its newest event
/// number, for the other hubs sharing the ledger (their feeds and caches).
pub const EVENTS_CHANNEL: &str = "assethub_events";
/// The channel on which a commit that changed a registered case names it.
pub const CASES_CHANNEL: &str = "assethub_cases";
/// The channel on which a hub that joins or leaves the ledger's hubs names itself.
pub const MEMBERS_CHANNEL: &str = "assethub_members";

/// Tells the other hubs sharing a PostgreSQL ledger about this transaction's change, when (and
/// only if) it commits: PostgreSQL delivers a transaction's notifications at its commit, in
/// commit order, and drops them on rollback. Nothing on SQLite (one hub per embedded ledger).
pub async fn notify_peers(
    conn: &mut sqlx::AnyConnection,
    channel: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The database's clock in Unix milliseconds (PostgreSQL), so that hubs whose own clocks
/// differ agree on who holds what.
pub const PG_NOW_MS: &str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

/// Whether `url` names a PostgreSQL ledger (several hubs may share it).
pub fn is_shared(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// This hub's leases on work several hubs could do (migration 0013): at most one holder per
/// name at a time, until its lease runs out on the database's clock. PostgreSQL only: on an
/// embedded ledger there is one hub and nothing to share.
#[derive(Debug)]
pub struct Leases {
    pool: AnyPool,
    holder: String,
}

impl Leases {
    /// Leases held as `holder` (a name unique to this hub process).
    pub fn new(pool: AnyPool, holder: String) -> Self {
        Self { pool, holder }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews the lease `name` for `ttl`: `true` when this hub holds it now (it was
    /// free, run out, or already this hub's), `false` when another hub holds it.
    pub async fn claim(&self, name: &str, ttl: std::time::Duration) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(&format!(
            "INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, {PG_NOW_MS} + $3) \
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until_ms = EXCLUDED.until_ms \
             WHERE leases.holder = EXCLUDED.holder OR leases.until_ms < {PG_NOW_MS}"
        ))
        .bind(name)
        .bind(&self.holder)
        .bind(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether this hub may do the work behind lease `name` now: always without leases (alone
    /// on its ledger); otherwise when it takes or renews the lease for `ttl` — not when another
    /// hub holds it, nor when the database cannot say (logged).
    pub async fn may_work(leases: Option<&Leases>, name: &str, ttl: std::time::Duration) -> bool {
        let Some(leases) = leases else {
            return true;
        };
        match leases.claim(name, ttl).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(lease = name, error = %e, "cannot take a lease; leaving the work for now");
                false
            }
        }
    }

    /// Gives the lease `name` up, if this hub holds it.
    pub async fn release(&self, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(&self.holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The file of a `sqlite:` ledger URL, or `None` (PostgreSQL, or an in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// This process's hold on an embedded ledger: an exclusive lock on `<ledger file>.lock`,
/// released when the last hub of the process using that file lets go of it (or the process
/// dies: the kernel drops the lock with it, so a SIGKILLed hub never leaves a stale claim).
///
/// An embedded ledger is one hub's: the order executor, the follow-up loop, the audit chain
/// and the agency quotas all assume no other process writes to it. Several hubs share a
/// ledger only on PostgreSQL.
#[derive(Debug)]
pub struct EmbeddedClaim {
    _lock: std::fs::File,
    path: PathBuf,
}

/// Why an embedded ledger could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("the embedded ledger {file} is in use by another hub process{}; an embedded (SQLite) ledger serves one hub — stop that one, or share a PostgreSQL ledger between several", .pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    InUse { file: String, pid: Option<u32> },
    #[error("cannot create or lock {0}: {1}")]
    Io(String, std::io::Error),
}

/// Claims the embedded ledger in `file` for this process: refuses when another process holds
/// it. Hubs inside one process (tests restarting a hub in place) share the claim.
pub fn claim_embedded(file: &Path) -> Result<Arc<EmbeddedClaim>, ClaimError> {
    static CLAIMS: Mutex<Option<HashMap<PathBuf, Weak<EmbeddedClaim>>>> = Mutex::new(None);
    let mut lock_path = std::path::absolute(file)
        .map_err(|e| ClaimError::Io(file.display().to_string(), e))?
        .into_os_string();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let shown = lock_path.display().to_string();
    let mut claims = CLAIMS.lock().unwrap_or_else(|e| e.into_inner());
    let claims = claims.get_or_insert_with(HashMap::new);
    claims.retain(|_, claim| claim.strong_count() > 0);
    if let Some(held) = claims.get(&lock_path).and_then(Weak::upgrade) {
        return Ok(held);
    }
    assethub_client::private_files::create_file(&lock_path)
        .map_err(|e| ClaimError::Io(shown.clone(), e))?;
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(|e| ClaimError::Io(shown.clone(), e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = (&lock).take(16).read_to_string(&mut text);
            return Err(ClaimError::InUse {
                file: file.display().to_string(),
                pid: text.trim().parse().ok(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(ClaimError::Io(shown, e)),
    }
    // Who holds it, for the refusal another process prints.
    let written = lock
        .set_len(0)
        .and_then(|()| lock.rewind())
        .and_then(|()| write!(lock, "{}", std::process::id()));
    written.map_err(|e| ClaimError::Io(shown, e))?;
    let claim = Arc::new(EmbeddedClaim {
        _lock: lock,
        path: lock_path.clone(),
    });
    claims.insert(lock_path, Arc::downgrade(&claim));
    Ok(claim)
}

impl EmbeddedClaim {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_of_an_embedded_ledger_is_read_from_its_url() {
        let cases = [
            (
                "sqlite:///tmp/a/ledger.db?mode=rwc",
                Some("/tmp/a/ledger.db"),
            ),
            ("sqlite://data/ledger.db", Some("data/ledger.db")),
            ("sqlite:ledger.db?mode=rwc", Some("ledger.db")),
            ("sqlite::memory:", None),
            ("sqlite://:memory:", None),
            ("postgres://postgres@127.0.0.1/x", None),
        ];
        for (url, want) in cases {
            assert_eq!(
                super::sqlite_file(url),
                want.map(std::path::PathBuf::from),
                "{url}"
            );
        }
    }
}
