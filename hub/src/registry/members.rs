//! The hubs sharing a PostgreSQL ledger, counted so that together they keep each agency's
//! quota: each hub beats every [`BEAT`] (a row in `hub_members` stamped with the database's
//! clock, so the hubs' own clocks do not matter), counts the hubs seen within [`LEASE`], and
//! its rate gates pace at `1 / count` of the configured quota ([`Share`]).
//!
//! Membership-based division rather than a token bucket in the database: it costs one short
//! transaction per hub per second instead of one per agency call, and the agency call path
//! stays free of database round trips. What it gives up: a hub that joins is counted by the
//! others when they hear its notification (at once, through [`crate::db::MEMBERS_CHANNEL`],
//! or at their next beat), and a killed hub's share is idle until its row ages out (at most
//! [`LEASE`]) — the quota is under-used then, never exceeded. Per-caller limits stay per hub:
//! a caller kept on one hub by its connection would otherwise get only its share.

use crate::db::PG_NOW_MS as DB_NOW_MS;
use crate::guard::Share;
use sqlx::AnyPool;
use std::time::Duration;

/// How often a hub says it is alive and counts the others.
pub const BEAT: Duration = Duration::from_secs(1);
/// How long a hub that stopped beating still counts.
pub const LEASE: Duration = Duration::from_secs(3);

/// This hub's membership among the hubs of its ledger.
pub struct Members {
    pool: AnyPool,
    id: String,
    share: Share,
}

impl Members {
    /// The membership of hub `id` on the PostgreSQL ledger `url`, keeping `share`; `None` for
    /// an embedded ledger (one hub: the whole quota).
    pub fn for_ledger(url: &str, pool: AnyPool, id: &str, share: Share) -> Option<Self> {
        crate::db::is_shared(url).then(|| Self {
            pool,
            id: id.to_string(),
            share,
        })
    }

    /// Joins (telling the others at once) and counts.
    pub async fn join(&self) -> Result<u32, sqlx::Error> {
        let hubs = self.beat().await?;
        crate::db::notify_peers(
            &mut *self.pool.acquire().await?,
            crate::db::MEMBERS_CHANNEL,
            &self.id,
        )
        .await?;
        tracing::info!(hub = %self.id, hubs, "joined the hubs of the ledger: each paces the agencies at 1/{hubs} of their quota");
        Ok(hubs)
    }

    /// Says this hub is alive, and sets the share to the hubs alive now (this one included).
    pub async fn beat(&self) -> Result<u32, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO hub_members (hub_id, seen_at_ms) VALUES ($1, {DB_NOW_MS}) \
             ON CONFLICT (hub_id) DO UPDATE SET seen_at_ms = EXCLUDED.seen_at_ms"
        ))
        .bind(&self.id)
        .execute(&mut *tx)
        .await?;
        // Rows of hubs long gone (killed) are tidied by whoever beats.
        sqlx::query(&format!(
            "DELETE FROM hub_members WHERE seen_at_ms < {DB_NOW_MS} - 600000"
        ))
        .execute(&mut *tx)
        .await?;
        let hubs: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM hub_members WHERE seen_at_ms >= {DB_NOW_MS} - $1"
        ))
        .bind(LEASE.as_millis() as i64)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let hubs = u32::try_from(hubs).unwrap_or(u32::MAX).max(1);
        let was = self.share.hubs();
        self.share.set(hubs);
        if was != hubs {
            tracing::info!(hub = %self.id, hubs, was, "hubs sharing the agencies' quotas");
        }
        Ok(hubs)
    }

    /// Beats until the hub stops (the task is aborted); a failed beat keeps the last count.
    pub async fn beat_forever(self: std::sync::Arc<Self>) {
        loop {
            tokio::time::sleep(BEAT).await;
            if let Err(e) = self.beat().await {
                tracing::warn!(error = %e, "cannot count the hubs of the ledger; keeping the last count");
            }
        }
    }

    /// Leaves (a clean stop): the others take its share at once.
    pub async fn leave(&self) {
        let left = async {
            let mut conn = self.pool.acquire().await?;
            sqlx::query("DELETE FROM hub_members WHERE hub_id = $1")
                .bind(&self.id)
                .execute(&mut *conn)
                .await?;
            crate::db::notify_peers(&mut conn, crate::db::MEMBERS_CHANNEL, &self.id).await
        };
        if let Err(e) = left.await {
            tracing::warn!(error = %e, "cannot leave the hubs of the ledger; its row ages out");
        }
    }
}
