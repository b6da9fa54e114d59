//! One agency call through a source's layers (see [`crate::guard`] for the order): breaker,
//! bulkhead, rate gate, then the call, and the breaker told how it went. Lives with the
//! registry because it needs a whole [`Source`]; the layers themselves are `guard`'s.

use super::Source;
use crate::breaker::Admission;
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
