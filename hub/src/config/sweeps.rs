//! `[sweeps]`: how the durable sweep worker (`crate::sweeps`) works through its jobs. Parsing
//! and defaults only.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepsConfig {
    /// Items of one sweep searched at once. The agencies' own limits (each source's rate gate
    /// and bulkhead) pace a sweep; this only has to be large enough to keep the slowest
    /// agency busy (its rate × its latency) and small enough that a queued item still gets
    /// its slot within its deadline.
    pub concurrency: usize,
    /// Items read from the ledger and marked `asking` in one transaction.
    pub window: usize,
    /// Most items one sweep may hold.
    pub max_items: u64,
    /// How often items waiting for an agency that answers later are looked at again.
    pub recheck_secs: u64,
    /// Rounds an item whose agency failed (error, timeout) is asked in, same request id.
    pub max_attempts: u32,
    /// Pause before a failed item's next round.
    pub retry_secs: u64,
    /// Deadline of one item's search when the submitter names none (at most
    /// `server.max_deadline_ms`): long enough for an item queued behind `concurrency` others
    /// at the slowest agency's rate.
    pub item_deadline_ms: u64,
}

impl Default for SweepsConfig {
    fn default() -> Self {
        Self {
            concurrency: 256,
            window: 512,
            max_items: 200_000,
            recheck_secs: 30,
            max_attempts: 3,
            retry_secs: 5,
            item_deadline_ms: 30_000,
        }
    }
}

impl SweepsConfig {
    /// Why the settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if self.concurrency == 0 || self.window == 0 || self.max_items == 0 {
            return Some("sweeps.concurrency, window and max_items must be > 0".into());
        }
        if self.max_attempts == 0 || self.recheck_secs == 0 || self.item_deadline_ms == 0 {
            return Some(
                "sweeps.max_attempts, recheck_secs and item_deadline_ms must be > 0".into(),
            );
        }
        None
    }
}
