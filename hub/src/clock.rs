//! The hub's calendar for everything legal that is a date (hold periods and their start and end
//! dates, expiry, `days_left`, case-number years, birth dates): the date in Beijing
//! (`Asia/Shanghai`, from the time zone database bundled with `jiff`) of the instant the hub
//! started, advanced by the tokio clock, so tests with paused time can move it forward and tests
//! can start it at a chosen instant, plus an offset in days for demonstrations. Nothing else in
//! the hub reads the system date for these.
//!
//! Also the wall-clock timestamps records carry ([`now_ms`], [`now_secs`]: when a ledger row,
//! an audit entry or a revocation was written, when a token expires): the system clock, read
//! here and nowhere else in the hub. A leaf: imports nothing of the hub.

use assethub_connectors::domain::civil::now_unix_ms;
use assethub_connectors::domain::CivilDate;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::time::Instant;

#[derive(Debug)]
pub struct Clock {
    started_ms: i64,
    started: Instant,
    offset_days: AtomicI64,
}

impl Clock {
    /// A clock starting now by the system clock.
    pub fn new() -> Self {
        Self::starting_at(now_unix_ms())
    }

    /// A clock whose time is `unix_ms` (milliseconds since the Unix epoch) now, advanced by the
    /// tokio clock from here: a test's hub at a chosen instant.
    pub fn starting_at(unix_ms: i64) -> Self {
        Self {
            started_ms: unix_ms,
            started: Instant::now(),
            offset_days: AtomicI64::new(0),
        }
    }

    /// Now by this clock, in milliseconds since the Unix epoch (without the day offset).
    pub fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.started_ms.saturating_add(elapsed)
    }

    /// Today's date in Beijing by this clock.
    pub fn today(&self) -> CivilDate {
        CivilDate::beijing_at(self.now_ms()).plus_days(self.offset_days.load(Ordering::Relaxed))
    }

    /// Shifts the calendar by `days` (tests and demonstrations of expiry).
    pub fn set_offset_days(&self, days: i64) {
        self.offset_days.store(days, Ordering::Relaxed);
    }
}

/// Now by the system clock, in milliseconds since the Unix epoch: the time records are stamped
/// with (ledger rows, audit entries, events, checkpoints).
pub fn now_ms() -> i64 {
    now_unix_ms()
}

/// Now by the system clock, in seconds since the Unix epoch: what tokens' `iat`/`exp` and
/// revocations are compared with.
pub fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_calendar_follows_the_tokio_clock() {
        let clock = Clock::new();
        let today = clock.today();
        tokio::time::advance(Duration::from_secs(2 * 86_400)).await;
        assert_eq!(clock.today(), today.plus_days(2));
        clock.set_offset_days(10);
        assert_eq!(clock.today(), today.plus_days(12));
    }

    /// Instants as Unix ms (computed with Python's `datetime`) and the dates in Beijing.
    #[tokio::test(start_paused = true)]
    async fn the_date_turns_at_midnight_in_beijing_not_in_utc() {
        // 2026-12-31T15:59:59Z is 23:59:59 on 31 December in Beijing; one second later it is
        // 2027-01-01 there, while the UTC date is still 2026-12-31.
        let clock = Clock::starting_at(1_798_732_799_000);
        assert_eq!(clock.today().to_string(), "2026-12-31");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(clock.today().to_string(), "2027-01-01");
        // 2026-06-30T23:59:59Z and a second later (07:59:59 and 08:00 in Beijing): the UTC
        // date changes, Beijing's does not.
        let clock = Clock::starting_at(1_782_863_999_000);
        assert_eq!(clock.today().to_string(), "2026-07-01");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(clock.today().to_string(), "2026-07-01");
        tokio::time::advance(Duration::from_secs(16 * 3600 - 1)).await;
        assert_eq!(clock.today().to_string(), "2026-07-01");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(clock.today().to_string(), "2026-07-02");
    }
}
