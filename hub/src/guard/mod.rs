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

mod budget;
mod rate;

pub use budget::RetryBudget;
pub use rate::RateGate;

use crate::breaker::Admission;
use crate::registry::Source;
use assethub_connectors::{ConnectorError, ErrorClass};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// Makes one agency call through `source`'s breaker, bulkhead and rate gate, and tells the
/// breaker how it went. `deadline` bounds the wait for a rate slot.
pub async fn call<T, F, Fut>(
    source: &Source,
    deadline: Instant,
    call: F,
) -> Result<T, ConnectorError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, ConnectorError>>,
{
    if let Admission::Refuse(wait) = source.breaker.admit() {
        return Err(circuit_open(source.id(), wait));
    }
    let Ok(_permit) = source.limiter.acquire().await else {
        return Err(ConnectorError::new(
            ErrorClass::Server,
            format!("source {} is shutting down", source.id()),
        ));
    };
    if let Err(wait) = source.rate.ready_before(deadline).await {
        return Err(ConnectorError::rate_limited(
            Some(wait),
            format!(
                "source {} is at its agency's quota; next call in {} ms, after the deadline",
                source.id(),
                wait.as_millis()
            ),
        ));
    }
    let result = call().await;
    source
        .breaker
        .record(!matches!(&result, Err(e) if e.is_retryable()));
    result
}

/// The fail-fast error of an open breaker (not retried: no call was made).
pub fn circuit_open(source: &str, wait: Duration) -> ConnectorError {
    ConnectorError::new(
        ErrorClass::CircuitOpen,
        format!(
            "source {source} failed repeatedly; circuit open, next probe in {} ms",
            wait.as_millis()
        ),
    )
}
