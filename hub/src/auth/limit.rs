//! Keyed rate limits: a token bucket per key (a caller's identity, a peer's address), so one
//! misbehaving case system or address cannot starve the others. State machine per key: the
//! bucket refills at `rate` tokens per second up to `burst`; a request takes one token or is
//! refused. Refill is judged on the tokio clock.
//!
//! The buckets live in a bounded cache (moka) with per-key locking: a bucket idle long enough
//! to have refilled completely (`burst / rate` seconds) expires, since a new one would be the
//! same, and past `capacity` keys the least used are evicted (such a key starts again with a
//! full bucket). No call ever scans the buckets.
//!
//! Hubs sharing a ledger share the limit ([`RateLimiter::shared`]): each allows a key `1/N`
//! of the rate and burst, N the hubs counted by `registry::members`, so a caller whose calls
//! are balanced over the hubs gets what the configuration says in all, not N times it.

use crate::guard::Share;
use moka::sync::Cache;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Keys tracked at most by default.
pub const DEFAULT_CAPACITY: u64 = 100_000;

/// Tokens left and when they were counted.
type Bucket = Arc<Mutex<(f64, Instant)>>;

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Cache<String, Bucket>,
    /// How many hubs share the limit.
    share: Share,
}

impl RateLimiter {
    /// `rate` requests per second sustained, `burst` at once; rate 0 disables the limit.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self::with_capacity(rate, burst, DEFAULT_CAPACITY)
    }

    /// As [`RateLimiter::new`], tracking at most `capacity` keys.
    pub fn with_capacity(rate: u32, burst: u32, capacity: u64) -> Self {
        let burst = f64::from(burst.max(1));
        let refilled = if rate == 0 {
            Duration::from_secs(1)
        } else {
            Duration::from_secs_f64((burst / f64::from(rate)).max(1.0))
        };
        Self {
            rate: f64::from(rate),
            burst,
            buckets: Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(refilled)
                .build(),
            share: Share::default(),
        }
    }

    /// Shares the limit with the other hubs `share` counts: each allows 1/N of it.
    pub fn shared(mut self, share: Share) -> Self {
        self.share = share;
        self
    }

    /// Whether the limit applies at all.
    pub fn enabled(&self) -> bool {
        self.rate > 0.0
    }

    /// Takes a token for `key`, or says no.
    pub fn admit(&self, key: &str) -> bool {
        self.take(key, true)
    }

    /// Whether `key` has a token left, without taking it.
    pub fn has_token(&self, key: &str) -> bool {
        self.take(key, false)
    }

    fn take(&self, key: &str, take: bool) -> bool {
        if !self.enabled() {
            return true;
        }
        let now = Instant::now();
        if !take && !self.buckets.contains_key(key) {
            return true;
        }
        let hubs = f64::from(self.share.hubs());
        let (rate, burst) = (self.rate / hubs, (self.burst / hubs).max(1.0));
        let bucket = self
            .buckets
            .get_with_by_ref(key, || Arc::new(Mutex::new((burst, now))));
        let mut bucket = bucket.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = &mut *bucket;
        let refilled = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
        *last = now;
        *tokens = refilled;
        if refilled < 1.0 {
            return false;
        }
        if take {
            *tokens -= 1.0;
        }
        true
    }

    /// Keys tracked now (after pending evictions).
    pub fn tracked(&self) -> u64 {
        self.buckets.run_pending_tasks();
        self.buckets.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Admitted calls of one caller asking every 10 ms for 10 s.
    async fn admitted_in_ten_seconds(limiter: &RateLimiter) -> u32 {
        let mut admitted = 0;
        for _ in 0..1000 {
            admitted += u32::from(limiter.admit("a"));
            tokio::time::advance(Duration::from_millis(10)).await;
        }
        admitted
    }

    #[tokio::test(start_paused = true)]
    async fn hubs_sharing_the_limit_each_allow_their_share() {
        // 10 a second, 4 at once: alone, about 4 + 10 × 10.
        let alone = admitted_in_ten_seconds(&RateLimiter::new(10, 4)).await;
        assert!((100..=106).contains(&alone), "{alone}");
        // Among two hubs: 2 + 5 × 10 on this one, so the caller gets the limit in all.
        let share = Share::default();
        share.set(2);
        let limiter = RateLimiter::new(10, 4).shared(share.clone());
        let halved = admitted_in_ten_seconds(&limiter).await;
        assert!((50..=54).contains(&halved), "{halved}");
        // A hub leaving gives the caller the whole limit here again.
        share.set(1);
        let after = admitted_in_ten_seconds(&limiter).await;
        assert!((98..=106).contains(&after), "{after}");
    }

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

    #[tokio::test(start_paused = true)]
    async fn looking_takes_nothing() {
        let limiter = RateLimiter::new(1, 2);
        assert!(limiter.has_token("a"), "an unknown key has a full bucket");
        assert!(limiter.admit("a"));
        assert!(limiter.has_token("a"));
        assert!(limiter.has_token("a"), "looking twice takes nothing");
        assert!(limiter.admit("a"));
        assert!(!limiter.has_token("a"));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(limiter.has_token("a"));
    }

    #[test]
    fn the_buckets_stay_bounded_however_many_callers_come() {
        // The old limiter kept every bucket that had been used: 50,000 callers, 50,000 buckets.
        let limiter = RateLimiter::with_capacity(10, 5, 1_000);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            for caller in 0..50_000 {
                assert!(limiter.admit(&format!("caller-{caller}")));
            }
        });
        let tracked = limiter.tracked();
        assert!(tracked <= 1_000, "{tracked} buckets tracked");
    }

    #[test]
    fn zero_rate_admits_everyone_and_tracks_nobody() {
        let limiter = RateLimiter::new(0, 0);
        for _ in 0..100 {
            assert!(limiter.admit("a"));
        }
        assert_eq!(limiter.tracked(), 0);
    }
}
