//! A circuit breaker per source, so an agency that is down is not hammered and callers are
//! told at once instead of waiting for timeouts. Judged on the tokio clock.
//!
//! State machine:
//! - **Closed**: calls pass; `failures` consecutive failures (connect errors, timeouts, 5xx,
//!   429) open it; a success resets the count.
//! - **Open** for `cooldown`: calls fail fast (no agency call).
//! - **Half-open** after the cool-down: one probe call passes, the others fail fast; the
//!   probe's success closes the breaker, its failure opens it again for another cool-down.
//!   A probe that never reports (its caller gave up) is replaced by a new one after another
//!   cool-down, so the breaker cannot stay half-open forever.
//!
//! Answers the agency gives (found, not found, refusals) are successes: the agency is up.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    consecutive_failures: u32,
    opened_at: Instant,
    /// When the current half-open probe was let through, if one is out.
    probe_since: Option<Instant>,
}

#[derive(Debug)]
pub struct Breaker {
    failures: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

/// What the breaker said about one call.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; report the result with [`Breaker::record`].
    Pass,
    /// Fail fast: the source is considered down for this long still.
    Refuse(Duration),
}

impl Breaker {
    /// Opens after `failures` consecutive failures (0: never) for `cooldown`.
    pub fn new(failures: u32, cooldown: Duration) -> Self {
        Self {
            failures,
            cooldown,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                opened_at: Instant::now(),
                probe_since: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> BreakerState {
        let mut inner = self.lock();
        self.advance(&mut inner);
        inner.state
    }

    fn advance(&self, inner: &mut Inner) {
        if inner.state == BreakerState::Open && inner.opened_at.elapsed() >= self.cooldown {
            inner.state = BreakerState::HalfOpen;
            inner.probe_since = None;
        }
    }

    /// May a call go to the agency now?
    pub fn admit(&self) -> Admission {
        let mut inner = self.lock();
        self.advance(&mut inner);
        match inner.state {
            BreakerState::Closed => Admission::Pass,
            BreakerState::HalfOpen
                if inner
                    .probe_since
                    .is_none_or(|since| since.elapsed() >= self.cooldown) =>
            {
                inner.probe_since = Some(Instant::now());
                Admission::Pass
            }
            BreakerState::HalfOpen => Admission::Refuse(Duration::ZERO),
            BreakerState::Open => {
                Admission::Refuse(self.cooldown.saturating_sub(inner.opened_at.elapsed()))
            }
        }
    }

    /// The result of an admitted call: `true` if the agency answered (whatever it said).
    pub fn record(&self, agency_answered: bool) {
        let mut inner = self.lock();
        if agency_answered {
            inner.state = BreakerState::Closed;
            inner.consecutive_failures = 0;
            inner.probe_since = None;
            return;
        }
        inner.consecutive_failures += 1;
        let trip = inner.state == BreakerState::HalfOpen
            || (self.failures > 0 && inner.consecutive_failures >= self.failures);
        if trip {
            inner.state = BreakerState::Open;
            inner.opened_at = Instant::now();
            inner.probe_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_on_consecutive_failures_probes_after_the_cooldown_and_closes_on_success() {
        let breaker = Breaker::new(3, Duration::from_secs(10));
        for _ in 0..2 {
            assert_eq!(breaker.admit(), Admission::Pass);
            breaker.record(false);
        }
        // A success in between resets the count.
        breaker.record(true);
        for _ in 0..3 {
            assert_eq!(breaker.admit(), Admission::Pass);
            breaker.record(false);
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.admit(), Admission::Refuse(Duration::from_secs(10)));
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(breaker.admit(), Admission::Refuse(Duration::from_secs(6)));
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert_eq!(breaker.admit(), Admission::Pass, "one probe");
        assert_eq!(
            breaker.admit(),
            Admission::Refuse(Duration::ZERO),
            "only one"
        );
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert_eq!(breaker.admit(), Admission::Pass);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_it_again_for_a_full_cooldown() {
        let breaker = Breaker::new(1, Duration::from_secs(5));
        breaker.record(false);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(breaker.admit(), Admission::Pass);
        breaker.record(false);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.admit(), Admission::Refuse(Duration::from_secs(5)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_never_reports_is_replaced_after_a_cooldown() {
        let breaker = Breaker::new(1, Duration::from_secs(5));
        breaker.record(false);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            breaker.admit(),
            Admission::Pass,
            "the probe, then its caller gives up"
        );
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(breaker.admit(), Admission::Refuse(Duration::ZERO));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(breaker.admit(), Admission::Pass, "a new probe");
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn zero_failures_never_opens() {
        let breaker = Breaker::new(0, Duration::from_secs(5));
        for _ in 0..100 {
            breaker.record(false);
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
