//! The platform's per-client request quota: at most `quota_per_sec` inquiries in each
//! one-second window (a window opens with the first request after the previous one closed).
//! A refused request learns when the current window closes, which the API sends as
//! `Retry-After` in whole seconds.
//!
//! Windows run on `tokio::time::Instant`, so tests with paused time can move through them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Length of one quota window.
pub const WINDOW: Duration = Duration::from_secs(1);

pub(crate) struct Quota {
    /// Requests allowed per window; 0 means unlimited.
    limit: u32,
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    opened: Instant,
    used: u32,
}

impl Quota {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Counts one request of `client`; when over quota, how long until the window closes.
    pub fn acquire(&self, client: &str) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry(client.to_string()).or_insert(Window {
            opened: now,
            used: 0,
        });
        if now.duration_since(window.opened) >= WINDOW {
            window.opened = now;
            window.used = 0;
        }
        if window.used >= self.limit {
            return Err(WINDOW.saturating_sub(now.duration_since(window.opened)));
        }
        window.used += 1;
        Ok(())
    }
}

/// `Retry-After` seconds for a wait: rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn refuses_over_quota_until_the_window_closes() {
        let quota = Quota::new(2);
        assert!(quota.acquire("a").is_ok());
        tokio::time::advance(Duration::from_millis(300)).await;
        assert!(quota.acquire("a").is_ok());
        assert_eq!(quota.acquire("a"), Err(Duration::from_millis(700)));
        // Another client has its own window.
        assert!(quota.acquire("b").is_ok());
        tokio::time::advance(Duration::from_millis(700)).await;
        assert!(quota.acquire("a").is_ok());
    }

    #[test]
    fn zero_means_unlimited() {
        let quota = Quota::new(0);
        assert!((0..10_000).all(|_| quota.acquire("a").is_ok()));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(700)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_001)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
