//! A source's request rate, held to the agency's quota so the hub never earns the 429s it would
//! otherwise retry: a GCRA token bucket (`per_sec` sustained, `burst` at once) on the tokio
//! clock. A caller that arrives early waits for its slot; the slot is reserved when it is
//! handed out, so concurrent callers queue fairly instead of stampeding. A caller whose slot
//! would come after its deadline is told at once and reserves nothing, so callers that give
//! up never waste the quota of those that wait.
//!
//! The quota is the agency's, for every hub sharing the ledger: each gate paces at its share,
//! `per_sec / hubs` with a burst of `burst / hubs` (rounded up, at least 1), where `hubs` is the
//! [`Share`] the hub's membership keeps (1 alone).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How many hubs share every agency's quota right now (at least 1); one per hub, shared by
/// all its gates.
#[derive(Debug, Clone)]
pub struct Share(Arc<AtomicU32>);

impl Default for Share {
    fn default() -> Self {
        Self(Arc::new(AtomicU32::new(1)))
    }
}

impl Share {
    pub fn hubs(&self) -> u32 {
        self.0.load(Ordering::Relaxed).max(1)
    }

    pub fn set(&self, hubs: u32) {
        self.0.store(hubs.max(1), Ordering::Relaxed);
    }
}

#[derive(Debug)]
pub struct RateGate {
    /// Time between two requests at the whole sustained rate; `None`: unlimited.
    interval: Option<Duration>,
    /// Theoretical arrival time of the next request on the sustained schedule.
    next: Mutex<Instant>,
    per_sec: u32,
    burst: u32,
    share: Share,
}

impl RateGate {
    /// `per_sec` requests per second sustained (0: unlimited), up to `burst` at once (at least 1).
    pub fn new(per_sec: u32, burst: u32) -> Self {
        Self::shared(per_sec, burst, Share::default())
    }

    /// [`RateGate::new`] for a quota `share` counts the hubs of.
    pub fn shared(per_sec: u32, burst: u32, share: Share) -> Self {
        Self {
            interval: (per_sec > 0).then(|| Duration::from_secs(1) / per_sec),
            next: Mutex::new(Instant::now()),
            per_sec,
            burst: burst.max(1),
            share,
        }
    }

    pub fn per_sec(&self) -> u32 {
        self.per_sec
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Reserves the next slot and says how long to wait for it (zero: go now).
    pub fn reserve(&self) -> Duration {
        self.reserve_before(None).unwrap_or(Duration::MAX)
    }

    /// Reserves the next slot if it comes before `deadline`, and says how long to wait for
    /// it; otherwise reserves nothing and says how long until the next slot.
    pub fn reserve_before(&self, deadline: Option<Instant>) -> Result<Duration, Duration> {
        let Some(whole) = self.interval else {
            return Ok(Duration::ZERO);
        };
        let hubs = self.share.hubs();
        let interval = whole * hubs;
        // How far ahead of the sustained schedule this hub's share of the burst may run.
        let tolerance = interval * (self.burst.div_ceil(hubs) - 1);
        let now = Instant::now();
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let arrival = (*next).max(now);
        let allowed_at = arrival.checked_sub(tolerance).unwrap_or(now).max(now);
        let wait = allowed_at - now;
        if deadline.is_some_and(|d| allowed_at >= d) {
            return Err(wait);
        }
        *next = arrival + interval;
        Ok(wait)
    }

    /// Waits for this caller's slot, or says at once (with the wait) that it would come only
    /// after `deadline`.
    pub async fn ready_before(&self, deadline: Instant) -> Result<(), Duration> {
        let wait = self.reserve_before(Some(deadline))?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn lets_a_burst_through_then_paces_to_the_sustained_rate() {
        let gate = RateGate::new(10, 3);
        let waits: Vec<Duration> = (0..6).map(|_| gate.reserve()).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(waits, vec![ms(0), ms(0), ms(0), ms(100), ms(200), ms(300)]);
    }

    #[tokio::test(start_paused = true)]
    async fn holds_a_second_to_the_quota_whatever_the_callers_do() {
        let gate = std::sync::Arc::new(RateGate::new(50, 5));
        let start = Instant::now();
        let done = std::sync::Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (gate, done) = (gate.clone(), done.clone());
                tokio::spawn(async move {
                    gate.ready_before(start + Duration::from_secs(3600))
                        .await
                        .unwrap();
                    done.lock().unwrap().push(Instant::now() - start);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let mut times = done.lock().unwrap().clone();
        times.sort();
        // In any window of one second: at most the burst plus a second's worth.
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 55, "{in_window} requests within a second");
        }
        assert_eq!(*times.last().unwrap(), Duration::from_millis(195 * 20));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_gate_refills_to_its_burst_not_beyond() {
        let gate = RateGate::new(10, 2);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(gate.reserve(), Duration::ZERO);
        assert_eq!(gate.reserve(), Duration::ZERO);
        assert_eq!(gate.reserve(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_cannot_be_served_before_its_deadline_reserves_nothing() {
        let gate = RateGate::new(10, 1);
        let soon = Instant::now() + Duration::from_millis(150);
        assert_eq!(gate.reserve_before(Some(soon)), Ok(Duration::ZERO));
        assert_eq!(
            gate.reserve_before(Some(soon)),
            Ok(Duration::from_millis(100))
        );
        // The next slot (200 ms) is past the deadline: refused, and not taken from others.
        assert_eq!(
            gate.reserve_before(Some(soon)),
            Err(Duration::from_millis(200))
        );
        assert_eq!(gate.reserve(), Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn hubs_sharing_the_quota_each_pace_at_their_share() {
        let share = Share::default();
        let gate = RateGate::shared(10, 4, share.clone());
        share.set(2);
        // 5 a second each, a burst of 2: together never more than the agency's 10 and 4.
        let waits: Vec<Duration> = (0..5).map(|_| gate.reserve()).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(waits, vec![ms(0), ms(0), ms(200), ms(400), ms(600)]);
        // A hub gone: the survivor takes the whole quota from its next slot on.
        share.set(1);
        tokio::time::advance(ms(1200)).await;
        let waits: Vec<Duration> = (0..5).map(|_| gate.reserve()).collect();
        assert_eq!(waits, vec![ms(0), ms(0), ms(0), ms(0), ms(100)]);
    }

    #[test]
    fn zero_means_unlimited() {
        let gate = RateGate::new(0, 0);
        assert!((0..10_000).all(|_| gate.reserve().is_zero()));
    }
}
