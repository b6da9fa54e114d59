//! A retry budget per source, so retries cannot multiply the load on an agency that is failing:
//! every first attempt deposits `ratio` of a token, every retry spends a whole one, and a small
//! floor (`min_per_sec`, accrued over time) keeps a quiet source able to retry at all. With the
//! default ratio 0.2, retries add at most ~20 % to what callers ask during an outage, instead of
//! the `max_attempts`-fold of retrying each call blindly. Judged on the tokio clock.

use std::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    min_per_sec: f64,
    cap: f64,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    tokens: f64,
    refilled: Instant,
}

impl RetryBudget {
    /// Retries allowed: `ratio` per first attempt plus `min_per_sec`, never more than `cap`
    /// saved up. A ratio below zero disables the budget (every retry allowed).
    pub fn new(ratio: f64, min_per_sec: f64, cap: f64) -> Self {
        Self {
            ratio,
            min_per_sec: min_per_sec.max(0.0),
            cap: cap.max(1.0),
            inner: Mutex::new(Inner {
                tokens: cap.max(1.0),
                refilled: Instant::now(),
            }),
        }
    }

    /// No budget: retries limited only by the retry policy.
    pub fn unlimited() -> Self {
        Self::new(-1.0, 0.0, 1.0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refill(&self, inner: &mut Inner) {
        let now = Instant::now();
        let elapsed = now.duration_since(inner.refilled);
        inner.refilled = now;
        inner.tokens = (inner.tokens + elapsed.as_secs_f64() * self.min_per_sec).min(self.cap);
    }

    /// A first attempt was made.
    pub fn deposit(&self) {
        if self.ratio < 0.0 {
            return;
        }
        let mut inner = self.lock();
        self.refill(&mut inner);
        inner.tokens = (inner.tokens + self.ratio).min(self.cap);
    }

    /// May one retry be made now? Spends a token if so.
    pub fn try_spend(&self) -> bool {
        if self.ratio < 0.0 {
            return true;
        }
        let mut inner = self.lock();
        self.refill(&mut inner);
        if inner.tokens >= 1.0 {
            inner.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whole retries available now.
    pub fn available(&self) -> u32 {
        if self.ratio < 0.0 {
            return u32::MAX;
        }
        let mut inner = self.lock();
        self.refill(&mut inner);
        inner.tokens as u32
    }

    /// Share of first attempts that may be retried (below zero: unlimited).
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn during_an_outage_retries_stay_a_fraction_of_the_calls() {
        let budget = RetryBudget::new(0.2, 0.0, 10.0);
        // Drain the saved-up tokens first.
        while budget.try_spend() {}
        let mut retries = 0;
        for _ in 0..1_000 {
            budget.deposit();
            // Every call fails and would retry twice.
            for _ in 0..2 {
                if budget.try_spend() {
                    retries += 1;
                }
            }
        }
        assert!((199..=200).contains(&retries), "{retries} retries");
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_source_earns_retries_over_time_up_to_the_cap() {
        let budget = RetryBudget::new(0.2, 2.0, 5.0);
        while budget.try_spend() {}
        assert!(!budget.try_spend());
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(budget.try_spend(), "one retry per half second at 2/s");
        assert!(!budget.try_spend());
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(budget.available(), 5);
    }

    #[test]
    fn unlimited_always_allows() {
        let budget = RetryBudget::unlimited();
        assert!((0..10_000).all(|_| budget.try_spend()));
    }
}
