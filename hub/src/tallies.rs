//! Each court's searches and its agencies' answers, per Beijing civil day, for the command
//! centre (`Cases.CourtFigures`): counted in memory as searches run, and added to the ledger's
//! database every two seconds, one upsert per court and source, so that the hubs sharing a
//! ledger add up. Figures, not records: what a killed hub had not yet written (two seconds at
//! most) is lost; every search itself is in the audit log.

use crate::clock::Clock;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A call answered within this is fast (the first bar of the centre's answer times).
pub const FAST_MS: i64 = 500;
/// A call that took longer than this is slow.
pub const SLOW_MS: i64 = 2_000;

/// The counts of one court's day with one source (or, for the source `""`, its searches).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Answers the source gave, from the cache or not (for `""`: debtor searches).
    pub answers: i64,
    /// Answers that found something.
    pub hits: i64,
    /// Answers the agency was asked for (not from the cache), with their outcome and time.
    pub calls: i64,
    pub errors: i64,
    pub timeouts: i64,
    /// Milliseconds over all `calls`.
    pub latency_ms: i64,
    /// Calls answered within [`FAST_MS`], and over [`SLOW_MS`].
    pub fast: i64,
    pub slow: i64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.answers += other.answers;
        self.hits += other.hits;
        self.calls += other.calls;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.latency_ms += other.latency_ms;
        self.fast += other.fast;
        self.slow += other.slow;
    }
}

/// How a source answered one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Assets found.
    Found,
    /// An answer without assets (none, another name, pending).
    Empty,
    Failed,
    TimedOut,
}

/// One source's answer to one search, as counted.
#[derive(Debug, Clone, Copy)]
pub struct SourceAnswer<'a> {
    pub source: &'a str,
    pub kind: &'a str,
    pub answered: Answered,
    pub cached: bool,
    pub latency: Duration,
}

/// One row of a court's day: a source (its kind) and its counts; the source `""` counts the
/// searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    pub source: String,
    pub kind: String,
    pub tally: Tally,
}

/// Unwritten counts: day → court → source → (kind, counts). Nested so that counting into an
/// entry that exists allocates nothing (a search's hot path).
type Pending = HashMap<i64, HashMap<String, HashMap<String, (String, Tally)>>>;

/// The counts not yet written, and where they go.
pub struct Tallies {
    pool: AnyPool,
    clock: Arc<Clock>,
    pending: Mutex<Pending>,
}

impl Tallies {
    pub fn new(pool: AnyPool, clock: Arc<Clock>) -> Self {
        Self {
            pool,
            clock,
            pending: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count(&self, court: &str, source: &str, kind: &str, tally: Tally) {
        let day = self.clock.today().days();
        add(&mut self.lock(), day, court, source, kind, &tally);
    }

    /// One debtor searched for `court`.
    pub fn search(&self, court: &str) {
        self.count(
            court,
            "",
            "",
            Tally {
                answers: 1,
                ..Tally::default()
            },
        );
    }

    /// One source's answer to a search for `court`.
    pub fn answer(&self, court: &str, a: &SourceAnswer<'_>) {
        let mut t = Tally {
            answers: 1,
            hits: i64::from(a.answered == Answered::Found),
            ..Tally::default()
        };
        if !a.cached {
            let ms = i64::try_from(a.latency.as_millis()).unwrap_or(i64::MAX);
            t.calls = 1;
            t.errors = i64::from(a.answered == Answered::Failed);
            t.timeouts = i64::from(a.answered == Answered::TimedOut);
            t.latency_ms = ms;
            t.fast = i64::from(ms <= FAST_MS);
            t.slow = i64::from(ms > SLOW_MS);
        }
        self.count(court, a.source, a.kind, t);
    }

    /// Adds what was counted since the last flush to the database; what could not be written is
    /// kept for the next one.
    pub async fn flush(&self) -> Result<(), sqlx::Error> {
        let taken = std::mem::take(&mut *self.lock());
        let mut failed = None;
        let mut left = Vec::new();
        for (day, courts) in taken {
            for (court, sources) in courts {
                for (source, (kind, tally)) in sources {
                    if failed.is_none() {
                        match self.write(day, &court, &source, &kind, &tally).await {
                            Ok(()) => continue,
                            Err(e) => failed = Some(e),
                        }
                    }
                    left.push((day, court.clone(), source, kind, tally));
                }
            }
        }
        if !left.is_empty() {
            let mut pending = self.lock();
            for (day, court, source, kind, tally) in left {
                add(&mut pending, day, &court, &source, &kind, &tally);
            }
        }
        failed.map_or(Ok(()), Err)
    }

    async fn write(
        &self,
        day: i64,
        court: &str,
        source: &str,
        kind: &str,
        t: &Tally,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO search_tallies (day, court, source, kind, answers, hits, calls, errors, timeouts, latency_ms, fast, slow) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (day, court, source) DO UPDATE SET \
             answers = search_tallies.answers + excluded.answers, hits = search_tallies.hits + excluded.hits, \
             calls = search_tallies.calls + excluded.calls, errors = search_tallies.errors + excluded.errors, \
             timeouts = search_tallies.timeouts + excluded.timeouts, latency_ms = search_tallies.latency_ms + excluded.latency_ms, \
             fast = search_tallies.fast + excluded.fast, slow = search_tallies.slow + excluded.slow",
        )
        .bind(day)
        .bind(court)
        .bind(source)
        .bind(kind)
        .bind(t.answers)
        .bind(t.hits)
        .bind(t.calls)
        .bind(t.errors)
        .bind(t.timeouts)
        .bind(t.latency_ms)
        .bind(t.fast)
        .bind(t.slow)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Flushes every `every` until dropped (a final flush is the server's, on stopping).
    pub async fn flush_forever(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush().await {
                tracing::warn!(error = %e, "search figures not written yet; kept for the next round");
            }
        }
    }

    /// `court`'s counts on `day` (Beijing civil day number), every hub's, this one's unwritten
    /// counts included; searches first, then sources by id.
    pub async fn of_day(&self, court: &str, day: i64) -> Result<Vec<DayRow>, sqlx::Error> {
        self.flush().await?;
        let rows = sqlx::query(
            "SELECT source, kind, answers, hits, calls, errors, timeouts, latency_ms, fast, slow \
             FROM search_tallies WHERE day = $1 AND court = $2 ORDER BY source",
        )
        .bind(day)
        .bind(court)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DayRow {
                    source: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    tally: Tally {
                        answers: r.try_get(2)?,
                        hits: r.try_get(3)?,
                        calls: r.try_get(4)?,
                        errors: r.try_get(5)?,
                        timeouts: r.try_get(6)?,
                        latency_ms: r.try_get(7)?,
                        fast: r.try_get(8)?,
                        slow: r.try_get(9)?,
                    },
                })
            })
            .collect()
    }
}

/// Adds `tally` to the unwritten counts of (`day`, `court`, `source`).
fn add(pending: &mut Pending, day: i64, court: &str, source: &str, kind: &str, tally: &Tally) {
    let courts = pending.entry(day).or_default();
    if !courts.contains_key(court) {
        courts.insert(court.to_string(), HashMap::new());
    }
    let Some(sources) = courts.get_mut(court) else {
        return;
    };
    if !sources.contains_key(source) {
        sources.insert(source.to_string(), (kind.to_string(), Tally::default()));
    }
    if let Some((_, counts)) = sources.get_mut(source) {
        counts.add(tally);
    }
}
