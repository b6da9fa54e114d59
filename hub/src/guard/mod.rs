//! The layers every agency call goes through, per source, in this order:
//!
//! 1. **Circuit breaker** ([`crate::breaker`]): while the agency is down, fail fast without
//!    calling it; one probe after the cool-down.
//! 2. **Bulkhead** (the source's semaphore, `max_concurrency`): at most so many calls in flight
//!    to this agency; a stalled agency fills only its own slots, never another source's.
//! 3. **Rate gate** ([`RateGate`], `rate_limit_per_sec` / `rate_limit_burst`): calls paced to the
//!    agency's quota, so the hub does not earn 429s; a call whose turn would come after its
//!    deadline fails at once as `rate_limited` instead of queueing in vain.
//! 4. The call itself, bounded by the connector's per-attempt timeout (`timeout_ms`).
//!
//! Around these, the caller retries retryable failures ([`crate::retry`]) only while the
//! source's [`RetryBudget`] allows, and never past its deadline. Searches and control orders
//! share every layer of a source.
//!
//! This module owns the layers themselves (the rate gate, the retry budget; the breaker is
//! [`crate::breaker`]); the call through all of them for one source is
//! [`crate::registry::call`], which knows what a source is. Imports nothing above `breaker`.

mod budget;
mod rate;

pub use budget::RetryBudget;
pub use rate::{RateGate, Share};
