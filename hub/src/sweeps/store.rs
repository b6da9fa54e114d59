//! Sweeps and their items in the ledger's database (tables `sweeps`, `sweep_items` of
//! migration 0009; portable SQL on SQLite and PostgreSQL). Items are written in chunked
//! transactions as they arrive and read back in windows: nothing here holds a whole sweep in
//! memory. An item is marked `asking` (in one transaction per window) before any agency is
//! asked about it, so a restart finds exactly the items that may have been asked.

use super::model::{Counts, ItemRow, ItemState, NewItem, NewSweep, SweepRow, SweepState};
use sqlx::{AnyPool, Row};

#[derive(Debug, thiserror::Error)]
pub enum SweepStoreError {
    #[error("sweep database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored sweep unreadable: {0}")]
    Corrupt(String),
}

type Result<T> = std::result::Result<T, SweepStoreError>;

#[derive(Clone)]
pub struct SweepStore {
    pool: AnyPool,
}

const SELECT_SWEEP: &str = "SELECT id, court, client_key, caller_subject, caller_role, caller_officer, caller_issuer, state, kinds, fresh, item_deadline_ms, total, started_at_ms, finished_at_ms FROM sweeps";
const SELECT_ITEM: &str = "SELECT idx, case_number, debtor_id, debtor_name, state, attempts, summary, error_code, error_message FROM sweep_items";

impl SweepStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Records a new sweep in state `receiving`, or finds the one the court submitted under
    /// the same key before: `(sweep, created)`.
    pub async fn create(&self, new: &NewSweep) -> Result<(SweepRow, bool)> {
        if let Some(existing) = self.by_key(&new.court, &new.client_key).await? {
            return Ok((existing, false));
        }
        let inserted = sqlx::query(
            "INSERT INTO sweeps (id, court, client_key, caller_subject, caller_role, caller_officer, caller_issuer, state, kinds, fresh, item_deadline_ms, total, started_at_ms, finished_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, 0)",
        )
        .bind(&new.id)
        .bind(&new.court)
        .bind(&new.client_key)
        .bind(&new.caller.sub)
        .bind(new.caller.role.as_str())
        .bind(&new.caller.officer)
        .bind(&new.caller.iss)
        .bind(SweepState::Receiving.as_str())
        .bind(new.kinds.join(","))
        .bind(i64::from(new.fresh))
        .bind(new.item_deadline_ms)
        .bind(new.started_at_ms)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => {}
            // Submitted concurrently under the same key: the first one wins.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                if let Some(existing) = self.by_key(&new.court, &new.client_key).await? {
                    return Ok((existing, false));
                }
                return Err(sqlx::Error::Database(e).into());
            }
            Err(e) => return Err(e.into()),
        }
        let row = self
            .get(&new.id)
            .await?
            .ok_or_else(|| SweepStoreError::Corrupt(format!("sweep {} vanished", new.id)))?;
        Ok((row, true))
    }

    async fn by_key(&self, court: &str, key: &str) -> Result<Option<SweepRow>> {
        let row = sqlx::query(&format!(
            "{SELECT_SWEEP} WHERE court = $1 AND client_key = $2"
        ))
        .bind(court)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| sweep_from(&r)).transpose()
    }

    pub async fn get(&self, id: &str) -> Result<Option<SweepRow>> {
        let row = sqlx::query(&format!("{SELECT_SWEEP} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| sweep_from(&r)).transpose()
    }

    /// Writes one chunk of items (indexes from `first`) in one transaction.
    pub async fn add_items(&self, sweep: &str, first: u64, items: &[NewItem]) -> Result<()> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        for (offset, item) in items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO sweep_items (sweep_id, idx, case_number, debtor_id, debtor_name, state, attempts, summary, error_code, error_message, next_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, '', '', '', 0)",
            )
            .bind(sweep)
            .bind(index_i64(first + offset as u64))
            .bind(&item.case_number)
            .bind(&item.debtor_id)
            .bind(&item.debtor_name)
            .bind(ItemState::Waiting.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The sweep has all its items: it starts running.
    pub async fn seal(&self, sweep: &str, total: u64) -> Result<()> {
        sqlx::query("UPDATE sweeps SET state = $1, total = $2 WHERE id = $3 AND state = $4")
            .bind(SweepState::Running.as_str())
            .bind(index_i64(total))
            .bind(sweep)
            .bind(SweepState::Receiving.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets a sweep whose submission did not complete (its items too).
    pub async fn discard(&self, sweep: &str) -> Result<()> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM sweep_items WHERE sweep_id = $1")
            .bind(sweep)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sweeps WHERE id = $1 AND state = $2")
            .bind(sweep)
            .bind(SweepState::Receiving.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sweeps whose submission a crash interrupted (never sealed), started before
    /// `started_before_ms`: to be discarded.
    pub async fn unsealed(&self, started_before_ms: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM sweeps WHERE state = $1 AND started_at_ms < $2 ORDER BY started_at_ms",
        )
        .bind(SweepState::Receiving.as_str())
        .bind(started_before_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    /// Sweeps the worker has to work on.
    pub async fn active(&self) -> Result<Vec<String>> {
        self.ids_in(&[SweepState::Running, SweepState::Awaiting])
            .await
    }

    async fn ids_in(&self, states: &[SweepState]) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for state in states {
            let rows = sqlx::query("SELECT id FROM sweeps WHERE state = $1 ORDER BY started_at_ms")
                .bind(state.as_str())
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                ids.push(row.try_get(0)?);
            }
        }
        Ok(ids)
    }

    /// Items left `asking` by an earlier run (a crash or a stop): asked again under the same
    /// request id. At most `limit`, from index `after` on.
    pub async fn left_asking(&self, sweep: &str, after: i64, limit: usize) -> Result<Vec<ItemRow>> {
        let rows = sqlx::query(&format!(
            "{SELECT_ITEM} WHERE sweep_id = $1 AND state = $2 AND idx > $3 ORDER BY idx LIMIT $4"
        ))
        .bind(sweep)
        .bind(ItemState::Asking.as_str())
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from).collect()
    }

    /// Takes the next `limit` waiting items: marks them `asking` in one transaction and
    /// returns them (none: nothing waits).
    pub async fn claim(&self, sweep: &str, limit: usize) -> Result<Vec<ItemRow>> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let rows = sqlx::query(&format!(
            "{SELECT_ITEM} WHERE sweep_id = $1 AND state = $2 ORDER BY idx LIMIT $3"
        ))
        .bind(sweep)
        .bind(ItemState::Waiting.as_str())
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await?;
        let items: Vec<ItemRow> = rows.iter().map(item_from).collect::<Result<_>>()?;
        if let (Some(first), Some(last)) = (items.first(), items.last()) {
            sqlx::query(
                "UPDATE sweep_items SET state = $1 WHERE sweep_id = $2 AND state = $3 AND idx >= $4 AND idx <= $5",
            )
            .bind(ItemState::Asking.as_str())
            .bind(sweep)
            .bind(ItemState::Waiting.as_str())
            .bind(index_i64(first.index))
            .bind(index_i64(last.index))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(items)
    }

    /// Awaiting or failed items due for another look at `now_ms`, at most `limit`.
    pub async fn due(&self, sweep: &str, now_ms: i64, limit: usize) -> Result<Vec<ItemRow>> {
        let rows = sqlx::query(&format!(
            "{SELECT_ITEM} WHERE sweep_id = $1 AND state IN ($2, $3) AND next_at_ms > 0 AND next_at_ms <= $4 ORDER BY next_at_ms, idx LIMIT $5"
        ))
        .bind(sweep)
        .bind(ItemState::Awaiting.as_str())
        .bind(ItemState::Failed.as_str())
        .bind(now_ms)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from).collect()
    }

    /// Items that will be looked at again (awaiting, or failed with rounds left).
    pub async fn pending_later(&self, sweep: &str) -> Result<u64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM sweep_items WHERE sweep_id = $1 AND state IN ($2, $3) AND next_at_ms > 0",
        )
        .bind(sweep)
        .bind(ItemState::Awaiting.as_str())
        .bind(ItemState::Failed.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)?.max(0) as u64)
    }

    /// Writes the results of several items in one transaction.
    pub async fn record(&self, sweep: &str, results: &[ItemRow]) -> Result<()> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        for item in results {
            sqlx::query(
                "UPDATE sweep_items SET state = $1, attempts = $2, summary = $3, error_code = $4, error_message = $5, next_at_ms = $6 WHERE sweep_id = $7 AND idx = $8",
            )
            .bind(item.state.as_str())
            .bind(i64::from(item.attempts))
            .bind(&item.summary)
            .bind(&item.error_code)
            .bind(&item.error_message)
            .bind(item.next_at_ms)
            .bind(sweep)
            .bind(index_i64(item.index))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Items per state.
    pub async fn counts(&self, sweep: &str) -> Result<Counts> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) FROM sweep_items WHERE sweep_id = $1 GROUP BY state",
        )
        .bind(sweep)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Counts::default();
        for row in rows {
            let state: String = row.try_get(0)?;
            let n = row.try_get::<i64, _>(1)?.max(0) as u64;
            match ItemState::parse(&state) {
                Some(ItemState::Waiting | ItemState::Asking) => counts.waiting += n,
                Some(ItemState::Done) => counts.done += n,
                Some(ItemState::Awaiting) => counts.awaiting += n,
                Some(ItemState::Failed) => counts.failed += n,
                Some(ItemState::Refused) => counts.refused += n,
                None => return Err(SweepStoreError::Corrupt(format!("item state {state:?}"))),
            }
        }
        Ok(counts)
    }

    /// Moves the sweep to `state` (from any active one); `finished_at_ms` 0 while it runs.
    pub async fn set_state(
        &self,
        sweep: &str,
        state: SweepState,
        finished_at_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sweeps SET state = $1, finished_at_ms = $2 WHERE id = $3 AND state IN ($4, $5)",
        )
        .bind(state.as_str())
        .bind(finished_at_ms)
        .bind(sweep)
        .bind(SweepState::Running.as_str())
        .bind(SweepState::Awaiting.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Items with an index greater than `after` (all with `None`), at most `limit`.
    pub async fn results(
        &self,
        sweep: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ItemRow>> {
        let after = after.map_or(-1, index_i64);
        let rows = sqlx::query(&format!(
            "{SELECT_ITEM} WHERE sweep_id = $1 AND idx > $2 ORDER BY idx LIMIT $3"
        ))
        .bind(sweep)
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from).collect()
    }
}

fn index_i64(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

fn sweep_from(row: &sqlx::any::AnyRow) -> Result<SweepRow> {
    let state: String = row.try_get(7)?;
    let role: String = row.try_get(4)?;
    let kinds: String = row.try_get(8)?;
    Ok(SweepRow {
        id: row.try_get(0)?,
        court: row.try_get(1)?,
        client_key: row.try_get(2)?,
        caller: crate::identity::Caller {
            sub: row.try_get(3)?,
            role: crate::identity::Role::parse(&role)
                .ok_or_else(|| SweepStoreError::Corrupt(format!("role {role:?}")))?,
            officer: row.try_get(5)?,
            iss: row.try_get(6)?,
            court: row.try_get(1)?,
        },
        state: SweepState::parse(&state)
            .ok_or_else(|| SweepStoreError::Corrupt(format!("sweep state {state:?}")))?,
        kinds: kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
        fresh: row.try_get::<i64, _>(9)? != 0,
        item_deadline_ms: row.try_get(10)?,
        total: row.try_get::<i64, _>(11)?.max(0) as u64,
        started_at_ms: row.try_get(12)?,
        finished_at_ms: row.try_get(13)?,
    })
}

fn item_from(row: &sqlx::any::AnyRow) -> Result<ItemRow> {
    let state: String = row.try_get(4)?;
    Ok(ItemRow {
        index: row.try_get::<i64, _>(0)?.max(0) as u64,
        case_number: row.try_get(1)?,
        debtor_id: row.try_get(2)?,
        debtor_name: row.try_get(3)?,
        state: ItemState::parse(&state)
            .ok_or_else(|| SweepStoreError::Corrupt(format!("item state {state:?}")))?,
        attempts: u32::try_from(row.try_get::<i64, _>(5)?.max(0)).unwrap_or(u32::MAX),
        summary: row.try_get(6)?,
        error_code: row.try_get(7)?,
        error_message: row.try_get(8)?,
        next_at_ms: 0,
    })
}
