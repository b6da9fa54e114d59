//! Per-caller rate limit: a token bucket per caller id, so one misbehaving case system cannot
//! starve the others. State machine per caller: the bucket refills at `rate` tokens per second
//! up to `burst`; a request takes one token or is refused. Judged on the tokio clock.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::time::Instant;

/// Callers tracked before idle buckets are dropped.
const MAX_TRACKED: usize = 10_000;

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` requests per second sustained, `burst` at once; rate 0 disables the limit.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self {
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes a token for `caller`, or says no.
    pub fn admit(&self, caller: &str) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > MAX_TRACKED {
            let burst = self.burst;
            buckets.retain(|_, (tokens, _)| *tokens < burst);
        }
        let (tokens, last) = buckets
            .entry(caller.to_string())
            .or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            true
        } else {
            *tokens = refilled;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_the_sustained_rate_and_callers_are_apart() {
        let limiter = RateLimiter::new(10, 5);
        for _ in 0..5 {
            assert!(limiter.admit("a"));
        }
        assert!(!limiter.admit("a"));
        assert!(limiter.admit("b"), "another caller is not affected");
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(limiter.admit("a"));
        assert!(!limiter.admit("a"));
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..5 {
            assert!(limiter.admit("a"));
        }
        assert!(!limiter.admit("a"));
    }
}
