//! The durable ledger of control orders (sqlx): SQLite in a data directory by default,
//! PostgreSQL when several hubs share it; the same portable SQL for both (`$n` parameters,
//! TEXT and BIGINT, event numbers taken from one counter row last in the writing transaction,
//! so they commit in order and never collide).
//!
//! Owns the invariants that must hold across crashes and replicas:
//! - an order is written (with its event) before any agency is called;
//! - a client key belongs to one request per court;
//! - the money rules of `case_tx`: a registered case in a state that allows the act, a
//!   reservation within the registered claim, four-eyes by case, one live hold per case and
//!   asset — decided in the transaction that records the orders;
//! - every recorded change of an order appends exactly one event, in the same transaction.
//!
//! It does not call agencies or decide states; the desk does.

use super::model::{Order, State};
use crate::cases::model::{Purpose, Refusal};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::time::Duration;
use tokio::sync::watch;

mod case_tx;
mod counts;
mod figures;
mod rows;

pub use counts::OrderCount;
pub use figures::CaseFigures;
pub use rows::{append_inquiry, Event, EventBody, InquiryPayload, SightingPayload};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("ledger migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create or make private the ledger file {0}: {1}")]
    File(String, std::io::Error),
    /// The client key was used before by this court for another request.
    #[error("idempotency key already used")]
    KeyTaken,
    /// The act would take the case over its registered claim.
    #[error("the case's claim is {claim_fen} fen and it holds or has asked {reserved_fen} fen")]
    OverCap { claim_fen: i64, reserved_fen: i64 },
    /// The case may not be named for this act (not registered, not open).
    #[error("{0}")]
    Case(Refusal),
    /// A deduction would take more than the hold has frozen, counting the deductions on it
    /// under way or awaiting approval.
    #[error("the hold has {frozen_fen} frozen, and deductions of {pending_fen} on it are under way or awaiting approval")]
    OverFrozen { frozen_fen: i64, pending_fen: i64 },
    /// The case already holds the asset with a live hold of that kind.
    #[error("the case already holds this asset with order {order_id} ({state})")]
    AlreadyHeld { order_id: String, state: String },
    /// Someone else changed the order meanwhile; re-read and retry.
    #[error("order {0} changed concurrently")]
    Conflict(String),
}

/// A request seen before under its client key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub request_hash: String,
    pub result_id: String,
}

/// A new client request and the orders it creates, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub court: String,
    pub client_key: String,
    pub request_hash: String,
    pub result_id: String,
    /// What the orders do with their case (which case states allow it).
    pub purpose: Purpose,
    /// Four-eyes: the orders wait for approval when one of them, or the case's total after
    /// them, is worth more than this many fen of yuan.
    pub approval_above: Option<i64>,
}

/// Filters for listing orders.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this court's orders.
    pub court: Option<String>,
    pub case_number: Option<String>,
    pub states: Vec<State>,
    /// Only live holds ending on or before this day.
    pub ending_by_day: Option<i64>,
    pub limit: u32,
}

#[derive(Clone)]
pub struct Ledger {
    pool: AnyPool,
    latest: watch::Sender<u64>,
    /// The database file of an embedded (SQLite) ledger.
    sqlite_file: Option<std::path::PathBuf>,
}

/// Kept here for existing callers; the clock owns it.
pub use crate::clock::now_ms;

impl Ledger {
    /// Opens (creating if needed) the ledger at `url` and applies pending migrations.
    /// `sqlite://path/to/file.db` creates the file and its directory.
    pub async fn open(url: &str) -> Result<Self, LedgerError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let sqlite_file = crate::db::sqlite_file(url);
        let url = if sqlite {
            prepare_sqlite(url)?
        } else {
            url.to_string()
        };
        // SQLite takes one writer at a time; one connection serialises the hub's writes
        // instead of failing them with SQLITE_BUSY.
        // PostgreSQL: a call waits at most 10 s for a connection, so that while the database is
        // gone callers hear UNAVAILABLE within their deadline rather than after it.
        let options = AnyPoolOptions::new()
            .max_connections(if sqlite { 1 } else { 8 })
            .acquire_timeout(Duration::from_secs(if sqlite { 30 } else { 10 }));
        // An embedded file needs no liveness pings nor recycling.
        let options = if sqlite {
            options
                .test_before_acquire(false)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            options
        };
        let pool = options.connect(&url).await?;
        if sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&pool)
                .await?;
        }
        sqlx::migrate!("./migrations").run(&pool).await?;
        let latest =
            sqlx::query("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM control_events")
                .fetch_one(&pool)
                .await?
                .try_get::<i64, _>(0)?;
        Ok(Self {
            pool,
            latest: watch::channel(latest as u64).0,
            sqlite_file,
        })
    }

    /// The database file of an embedded (SQLite) ledger; `None` for PostgreSQL or an
    /// in-memory database.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The connection pool, for other hub stores that live in the same database (the audit
    /// log).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Notified with the newest event number after each commit that added events.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// A transaction on the ledger's database, for another store living in it that appends
    /// events in the transaction of its own change (inquiries: [`append_inquiry`]); call
    /// [`Ledger::committed`] with the event number after committing.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, LedgerError> {
        Ok(crate::db::begin_write(&self.pool).await?)
    }

    /// Tells the feed's followers that event `seq` was committed.
    pub fn committed(&self, seq: u64) {
        self.notify(seq);
    }

    fn notify(&self, seq: u64) {
        self.latest.send_if_modified(|latest| {
            let newer = seq > *latest;
            if newer {
                *latest = seq;
            }
            newer
        });
    }

    pub async fn find_request(
        &self,
        court: &str,
        client_key: &str,
    ) -> Result<Option<StoredRequest>, LedgerError> {
        let row = sqlx::query(
            "SELECT request_hash, result_id FROM control_requests WHERE court = $1 AND client_key = $2",
        )
        .bind(court)
        .bind(client_key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(StoredRequest {
                request_hash: r.try_get(0)?,
                result_id: r.try_get(1)?,
            }),
            None => None,
        })
    }

    /// Records a request and its orders, reserving their amounts against the case's claim,
    /// with one event per order. All or nothing. Returns the orders as recorded (four-eyes may
    /// have made them wait for approval).
    pub async fn create(
        &self,
        request: &NewRequest,
        orders: &[Order],
    ) -> Result<Vec<Order>, LedgerError> {
        retrying(|| self.try_create(request, orders)).await
    }

    async fn try_create(
        &self,
        request: &NewRequest,
        orders: &[Order],
    ) -> Result<Vec<Order>, LedgerError> {
        let mut orders = orders.to_vec();
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let taken =
            sqlx::query("SELECT 1 FROM control_requests WHERE court = $1 AND client_key = $2")
                .bind(&request.court)
                .bind(&request.client_key)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(LedgerError::KeyTaken);
        }
        sqlx::query(
            "INSERT INTO control_requests (court, client_key, request_hash, result_id, created_at_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&request.court)
        .bind(&request.client_key)
        .bind(&request.request_hash)
        .bind(&request.result_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        // Each case once, locked in one order for every request: two requests over the same
        // cases never wait for each other's locks in a cycle.
        let mut cases: Vec<String> = orders.iter().map(|o| o.case_number.clone()).collect();
        cases.sort();
        cases.dedup();
        for case in &cases {
            let mine: Vec<&Order> = orders.iter().filter(|o| o.case_number == *case).collect();
            let delta: i64 = mine.iter().map(|o| o.reservation()).sum();
            let locked = case_tx::reserve(&mut tx, case, delta, request.purpose).await?;
            for order in mine
                .iter()
                .filter(|o| o.action == super::model::Action::Deduct)
            {
                case_tx::check_deduction(&mut tx, &locked, case, order).await?;
            }
            let wait = request.approval_above.is_some_and(|above| {
                let mine: Vec<Order> = mine.iter().map(|o| (*o).clone()).collect();
                case_tx::needs_approval(&mine, &locked, above)
            });
            if wait {
                case_tx::hold_for_approval(&mut orders);
            }
        }
        for order in &orders {
            case_tx::check_not_held(&mut tx, order).await?;
            rows::insert_order(&mut tx, order).await?;
        }
        // Events last: numbering takes the feed's lock until commit.
        let mut seq = 0;
        for order in &orders {
            seq = rows::append_event(&mut tx, order).await?;
        }
        tx.commit().await?;
        self.notify(seq);
        Ok(orders)
    }

    /// Records changed orders (each `next` must carry the version read), adjusting case
    /// reservations and appending one event per order. All or nothing.
    pub async fn update(&self, changes: &[(Order, Order)]) -> Result<Vec<Order>, LedgerError> {
        retrying(|| self.try_update(changes)).await
    }

    /// Records a supervisor's approval (`next`, read as `before`), once the case's claim — as it
    /// stands now — still covers the order (checked in the same transaction as the write).
    pub async fn approve(&self, before: &Order, next: &Order) -> Result<Order, LedgerError> {
        let changes = [(before.clone(), next.clone())];
        let mut saved = retrying(|| self.try_write(&changes, Guard::Approval)).await?;
        Ok(saved.remove(0))
    }

    /// Records the agency's view of a hold in force (`next`, read as `before`), unless an
    /// action on the hold has been sent and not answered, or the hold changed since it was
    /// read: then nothing is written and `false` returned. The check and the write are one
    /// transaction, so an action's answer is never overwritten by an older view.
    pub async fn reconcile(&self, before: &Order, next: &Order) -> Result<bool, LedgerError> {
        let changes = [(before.clone(), next.clone())];
        match retrying(|| self.try_write(&changes, Guard::Quiet)).await {
            Ok(_) => Ok(true),
            Err(LedgerError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn try_update(&self, changes: &[(Order, Order)]) -> Result<Vec<Order>, LedgerError> {
        self.try_write(changes, Guard::None).await
    }

    async fn try_write(
        &self,
        changes: &[(Order, Order)],
        guard: Guard,
    ) -> Result<Vec<Order>, LedgerError> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        if guard == Guard::Approval {
            for (before, _) in changes {
                case_tx::check_approval(&mut tx, before).await?;
            }
        }
        if guard == Guard::Quiet {
            for (before, _) in changes {
                let busy = sqlx::query(
                    "SELECT 1 FROM control_orders WHERE target_order_id = $1 AND state IN ('requested', 'awaiting_agency')",
                )
                .bind(&before.order_id)
                .fetch_optional(&mut *tx)
                .await?;
                if busy.is_some() {
                    return Err(LedgerError::Conflict(before.order_id.clone()));
                }
            }
        }
        let mut saved = Vec::with_capacity(changes.len());
        let mut seq = 0;
        for (before, next) in changes {
            let mut next = next.clone();
            next.reserved_fen = next.reservation();
            next.updated_at_ms = now_ms();
            let delta = next.reserved_fen - before.reserved_fen;
            if delta != 0 {
                sqlx::query(
                    "UPDATE cases SET reserved_fen = reserved_fen + $1 WHERE case_number = $2",
                )
                .bind(delta)
                .bind(&next.case_number)
                .execute(&mut *tx)
                .await?;
            }
            if !rows::update_order(&mut tx, &next, before.version).await? {
                return Err(LedgerError::Conflict(next.order_id.clone()));
            }
            next.version = before.version + 1;
            saved.push(next);
        }
        // Events last: numbering takes the feed's lock until commit.
        for next in &saved {
            seq = rows::append_event(&mut tx, next).await?;
        }
        tx.commit().await?;
        self.notify(seq);
        Ok(saved)
    }

    pub async fn get(&self, order_id: &str) -> Result<Option<Order>, LedgerError> {
        let row = sqlx::query(&format!("{} WHERE order_id = $1", rows::SELECT_ORDER))
            .bind(order_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::order_from).transpose()
    }

    /// Orders of a one-click freeze, in plan order.
    pub async fn group(&self, group_id: &str) -> Result<Vec<Order>, LedgerError> {
        let rows = sqlx::query(&format!(
            "{} WHERE group_id = $1 ORDER BY order_id",
            rows::SELECT_ORDER
        ))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::order_from).collect()
    }

    /// Orders matching `filter`, newest first.
    pub async fn list(&self, filter: &OrderFilter) -> Result<Vec<Order>, LedgerError> {
        let mut sql = format!("{} WHERE 1 = 1", rows::SELECT_ORDER);
        let mut n = 0;
        let mut param = || {
            n += 1;
            format!("${n}")
        };
        if filter.court.is_some() {
            sql += &format!(" AND court = {}", param());
        }
        if filter.case_number.is_some() {
            sql += &format!(" AND case_number = {}", param());
        }
        if !filter.states.is_empty() {
            let list: Vec<String> = filter.states.iter().map(|_| param()).collect();
            sql += &format!(" AND state IN ({})", list.join(", "));
        }
        if filter.ending_by_day.is_some() {
            sql += &format!(
                " AND end_day > 0 AND end_day <= {} AND state IN ('effective', 'partial', 'queued')",
                param()
            );
        }
        sql += &format!(
            " ORDER BY created_at_ms DESC, order_id DESC LIMIT {}",
            param()
        );
        let mut query = sqlx::query(&sql);
        if let Some(court) = &filter.court {
            query = query.bind(court.clone());
        }
        if let Some(case) = &filter.case_number {
            query = query.bind(case.clone());
        }
        for state in &filter.states {
            query = query.bind(state.as_str());
        }
        if let Some(day) = filter.ending_by_day {
            query = query.bind(day);
        }
        let rows = query
            .bind(i64::from(filter.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::order_from).collect()
    }

    /// Orders the hub must still follow: not answered, queued, or holds in force past their
    /// end (`end_day` before `today`). Holds in force within their period are not read, so a
    /// round costs what is left to do, not the number of holds ever placed.
    pub async fn unfinished(&self, today: i64) -> Result<Vec<Order>, LedgerError> {
        let rows = sqlx::query(&format!(
            "{} WHERE state IN ('requested', 'awaiting_agency', 'queued') \
             OR (state IN ('effective', 'partial') AND end_day > 0 AND end_day < $1) \
             ORDER BY created_at_ms",
            rows::SELECT_ORDER
        ))
        .bind(today)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::order_from).collect()
    }

    /// Holds in force (effective or partial) after `after` in order-id order, at most `limit`:
    /// the reconciliation round walks them a page at a time.
    pub async fn holds_in_force(&self, after: &str, limit: u32) -> Result<Vec<Order>, LedgerError> {
        let rows = sqlx::query(&format!(
            "{} WHERE state IN ('effective', 'partial') AND action IN ('freeze', 'seal', 'watch') AND order_id > $1 ORDER BY order_id LIMIT $2",
            rows::SELECT_ORDER
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::order_from).collect()
    }

    /// Events after `cursor`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        cursor: u64,
        case: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Event>, LedgerError> {
        let sql = match case {
            Some(_) => "SELECT seq, at_ms, case_number, kind, payload FROM control_events WHERE seq > $1 AND case_number = $2 ORDER BY seq LIMIT $3",
            None => "SELECT seq, at_ms, case_number, kind, payload FROM control_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        };
        let mut query = sqlx::query(sql).bind(cursor as i64);
        if let Some(case) = case {
            query = query.bind(case.to_string());
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(rows::event_from).collect()
    }

    /// Events after `cursor` (of `case`, or every case), oldest first: at most `limit`, and
    /// no more than `max_bytes` of payload and case number together, except that a page always
    /// holds the next event however large. The sizes are read first, so only the page itself
    /// is ever loaded.
    pub async fn events_page(
        &self,
        cursor: u64,
        case: Option<&str>,
        limit: u32,
        max_bytes: u64,
    ) -> Result<Vec<Event>, LedgerError> {
        let (filter, next) = match case {
            Some(_) => ("seq > $1 AND case_number = $2", 3),
            None => ("seq > $1", 2),
        };
        let sizes = format!(
            "SELECT seq, CAST(octet_length(payload) + octet_length(case_number) AS BIGINT) FROM control_events WHERE {filter} ORDER BY seq LIMIT ${next}"
        );
        let mut query = sqlx::query(&sizes).bind(cursor as i64);
        if let Some(case) = case {
            query = query.bind(case.to_string());
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await?;
        let mut last = None;
        let mut total: u64 = 0;
        for row in &rows {
            let seq: i64 = row.try_get(0)?;
            let size = u64::try_from(row.try_get::<i64, _>(1)?).unwrap_or(0);
            if last.is_some() && total.saturating_add(size) > max_bytes {
                break;
            }
            total = total.saturating_add(size);
            last = Some(seq);
        }
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        let page = format!(
            "SELECT seq, at_ms, case_number, kind, payload FROM control_events WHERE {filter} AND seq <= ${next} ORDER BY seq"
        );
        let mut query = sqlx::query(&page).bind(cursor as i64);
        if let Some(case) = case {
            query = query.bind(case.to_string());
        }
        let rows = query.bind(last).fetch_all(&self.pool).await?;
        rows.iter().map(rows::event_from).collect()
    }

    pub async fn sightings_cursor(&self, source: &str) -> Result<String, LedgerError> {
        let row = sqlx::query("SELECT cursor_text FROM sighting_cursors WHERE source = $1")
            .bind(source)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => String::new(),
        })
    }

    /// Appends sighting events and moves the source's cursor, in one transaction, so a
    /// restart neither loses nor repeats a sighting.
    pub async fn record_sightings(
        &self,
        source: &str,
        cursor: &str,
        sightings: &[(Order, SightingPayload)],
    ) -> Result<(), LedgerError> {
        retrying(|| self.try_record_sightings(source, cursor, sightings)).await
    }

    async fn try_record_sightings(
        &self,
        source: &str,
        cursor: &str,
        sightings: &[(Order, SightingPayload)],
    ) -> Result<(), LedgerError> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM sighting_cursors WHERE source = $1")
            .bind(source)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sighting_cursors (source, cursor_text) VALUES ($1, $2)")
            .bind(source)
            .bind(cursor)
            .execute(&mut *tx)
            .await?;
        // Events last: numbering takes the feed's lock until commit.
        let mut seq = 0;
        for (order, payload) in sightings {
            seq = rows::append_sighting(&mut tx, order, payload).await?;
        }
        tx.commit().await?;
        self.notify(seq);
        Ok(())
    }

    /// The watch order an agency's watch reference belongs to.
    pub async fn order_by_agency_ref(
        &self,
        source: &str,
        agency_ref: &str,
    ) -> Result<Option<Order>, LedgerError> {
        let row = sqlx::query(&format!(
            "{} WHERE source = $1 AND agency_ref = $2 AND action = 'watch'",
            rows::SELECT_ORDER
        ))
        .bind(source)
        .bind(agency_ref)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::order_from).transpose()
    }
}

/// What a write checks first, in its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    None,
    /// Reconciliation: nothing under way on the hold.
    Quiet,
    /// Four-eyes: the claim still covers the order.
    Approval,
}

/// Transactions that lost a race on a unique key (two hubs recording the same client key or
/// placing the same hold, on PostgreSQL), a serialization failure or a deadlock are run again
/// from the start: the new run sees the winner's rows. Only those races are retried; every
/// other error is returned. (Event numbers no longer race: writers wait on the counter row.)
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, LedgerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, LedgerError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(LedgerError::Db(sqlx::Error::Database(e)))
                if tries < 8
                    && (e.is_unique_violation()
                        || matches!(e.code().as_deref(), Some("40001" | "40P01"))) =>
            {
                tokio::time::sleep(Duration::from_millis(5 * tries)).await;
            }
            other => return other,
        }
    }
}

/// Makes sure a SQLite URL creates its file, and that the file and its directory exist and
/// are private before SQLite opens them: the ledger holds identity numbers and names. SQLite
/// gives its `-wal` and `-shm` files the database file's mode; ones left wider by an older
/// version are narrowed.
fn prepare_sqlite(url: &str) -> Result<String, LedgerError> {
    if let Some(file) = crate::db::sqlite_file(url) {
        let file = file.as_path();
        crate::private_files::create_file(file)
            .map_err(|e| LedgerError::File(file.display().to_string(), e))?;
        for suffix in ["-wal", "-shm"] {
            let mut companion = file.as_os_str().to_owned();
            companion.push(suffix);
            crate::private_files::narrow(std::path::Path::new(&companion))
                .map_err(|e| LedgerError::File(file.display().to_string(), e))?;
        }
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

#[cfg(test)]
pub(crate) mod tests;
