//! Refusals audited per peer and window instead of one entry each: of the calls the gate
//! refuses for no or a bad token or for a limit (UNAUTHENTICATED, RESOURCE_EXHAUSTED), only the
//! first of each peer address and outcome in each window is audited as usual; the others are
//! counted and, once the window has ended, written as one entry (method `gate:refusals`, the
//! outcome's code, `count=<n>` and the peer in the detail). A flood of refused calls therefore
//! adds O(peers × windows) entries to the audit log, not one per call.
//!
//! Windows are judged on the tokio clock. At most [`MAX_PEERS`] peers are tracked per window;
//! beyond them the refusals are counted under the peer `others`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Peers tracked at once; refusals of any further peer are counted together.
pub const MAX_PEERS: usize = 10_000;

/// What to do with one refusal.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Audit it as usual: the first of its peer and outcome in this window.
    Audit,
    /// Counted for the window's aggregated entry.
    Counted,
}

/// Refusals of one peer and outcome not audited one by one, for one aggregated entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// The peer's address, or `others`/`unknown`.
    pub peer: String,
    /// The gRPC code name of the refusals.
    pub outcome: &'static str,
    /// How many were counted (the first one, audited on its own, not included).
    pub count: u64,
    /// The window's length.
    pub window: Duration,
}

struct Window {
    opened: Instant,
    counted: u64,
}

/// The open windows, keyed by peer and outcome.
pub struct RefusalWindows {
    window: Duration,
    open: Mutex<HashMap<(String, &'static str), Window>>,
}

impl RefusalWindows {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            open: Mutex::default(),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Notes one refusal of `peer` with `outcome`: whether to audit it, and the aggregate of
    /// the peer's previous window if that one has ended and counted any.
    pub fn note(
        &self,
        peer: Option<IpAddr>,
        outcome: &'static str,
    ) -> (Refusal, Option<Aggregate>) {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let mut peer = peer.map_or_else(|| "unknown".to_string(), |p| p.to_string());
        if open.len() >= MAX_PEERS && !open.contains_key(&(peer.clone(), outcome)) {
            peer = "others".into();
        }
        let key = (peer, outcome);
        let ended = match open.get_mut(&key) {
            Some(w) if now < w.opened + self.window => {
                w.counted += 1;
                return (Refusal::Counted, None);
            }
            Some(_) => open.remove(&key).and_then(|w| self.aggregate(&key, w)),
            None => None,
        };
        if key.0 == "others" {
            // The shared bucket's first refusal is counted too: no peer is named for it.
            open.insert(
                key,
                Window {
                    opened: now,
                    counted: 1,
                },
            );
            return (Refusal::Counted, ended);
        }
        open.insert(
            key,
            Window {
                opened: now,
                counted: 0,
            },
        );
        (Refusal::Audit, ended)
    }

    /// Takes out the windows that have ended (all of them with `everything`), returning the
    /// aggregates of those that counted refusals.
    pub fn ended(&self, everything: bool) -> Vec<Aggregate> {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let done: Vec<_> = open
            .iter()
            .filter(|(_, w)| everything || now >= w.opened + self.window)
            .map(|(k, _)| k.clone())
            .collect();
        let mut aggregates: Vec<Aggregate> = done
            .into_iter()
            .filter_map(|key| {
                let w = open.remove(&key)?;
                self.aggregate(&key, w)
            })
            .collect();
        aggregates.sort_by(|a, b| (&a.peer, a.outcome).cmp(&(&b.peer, b.outcome)));
        aggregates
    }

    fn aggregate(&self, key: &(String, &'static str), w: Window) -> Option<Aggregate> {
        (w.counted > 0).then(|| Aggregate {
            peer: key.0.clone(),
            outcome: key.1,
            count: w.counted,
            window: self.window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    fn aggregate(peer: &str, outcome: &'static str, count: u64) -> Aggregate {
        Aggregate {
            peer: peer.into(),
            outcome,
            count,
            window: Duration::from_secs(60),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_refusal_of_each_peer_is_audited_and_the_rest_counted_per_window() {
        let windows = RefusalWindows::new(Duration::from_secs(60));
        assert_eq!(windows.note(A, "UNAUTHENTICATED"), (Refusal::Audit, None));
        for _ in 0..999 {
            assert_eq!(windows.note(A, "UNAUTHENTICATED").0, Refusal::Counted);
        }
        assert_eq!(windows.note(B, "UNAUTHENTICATED").0, Refusal::Audit);
        assert_eq!(windows.note(A, "RESOURCE_EXHAUSTED").0, Refusal::Audit);
        assert_eq!(windows.ended(false), vec![], "no window has ended yet");

        tokio::time::advance(Duration::from_secs(60)).await;
        // A's next refusal opens a new window and hands over the old one's count.
        assert_eq!(
            windows.note(A, "UNAUTHENTICATED"),
            (
                Refusal::Audit,
                Some(aggregate("10.0.0.1", "UNAUTHENTICATED", 999))
            )
        );
        // B and A's other outcome counted nothing beyond their first: no aggregate.
        assert_eq!(windows.ended(false), vec![]);
        windows.note(A, "UNAUTHENTICATED");
        assert_eq!(
            windows.ended(true),
            vec![aggregate("10.0.0.1", "UNAUTHENTICATED", 1)],
            "shutting down writes what was counted"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_peer_limit_refusals_are_counted_together() {
        let windows = RefusalWindows::new(Duration::from_secs(60));
        for i in 0..MAX_PEERS as u32 {
            let peer = IpAddr::V4(std::net::Ipv4Addr::from(i));
            assert_eq!(
                windows.note(Some(peer), "UNAUTHENTICATED").0,
                Refusal::Audit
            );
        }
        for _ in 0..5 {
            assert_eq!(windows.note(A, "UNAUTHENTICATED").0, Refusal::Counted);
        }
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(
            windows.ended(false),
            vec![aggregate("others", "UNAUTHENTICATED", 5)]
        );
    }
}
