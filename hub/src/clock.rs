//! The hub's calendar for hold periods and expiry: the wall-clock date when the hub started,
//! advanced by the tokio clock, so tests with paused time can move it forward, plus an offset
//! in days for demonstrations. Nothing else in the hub reads the system date for holds.

use assethub_connectors::domain::CivilDate;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug)]
pub struct Clock {
    started_ms: i64,
    started: Instant,
    offset_days: AtomicI64,
}

impl Clock {
    pub fn new() -> Self {
        let started_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self {
            started_ms,
            started: Instant::now(),
            offset_days: AtomicI64::new(0),
        }
    }

    pub fn today(&self) -> CivilDate {
        let now_ms = self.started_ms + self.started.elapsed().as_millis() as i64;
        CivilDate::from_days(now_ms.div_euclid(DAY_MS) + self.offset_days.load(Ordering::Relaxed))
    }

    /// Shifts the calendar by `days` (tests and demonstrations of expiry).
    pub fn set_offset_days(&self, days: i64) {
        self.offset_days.store(days, Ordering::Relaxed);
    }
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
}
