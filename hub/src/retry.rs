//! Retrying one agency call with backon: exponential backoff with jitter, only for retryable
//! failures (connect errors, timeouts, 5xx, 429), a 429's `Retry-After` honoured in place of
//! the backoff, and never past the caller's deadline: a wait that would end after the deadline
//! is not started, and the error is returned at once so the caller can report it. Each retry
//! also needs a token of the source's [`RetryBudget`], so an outage cannot multiply the load.

use crate::config::RetryConfig;
use crate::guard::RetryBudget;
use assethub_connectors::ConnectorError;
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl From<&RetryConfig> for RetryPolicy {
    fn from(c: &RetryConfig) -> Self {
        Self {
            max_attempts: c.max_attempts,
            min_delay: Duration::from_millis(c.min_delay_ms),
            max_delay: Duration::from_millis(c.max_delay_ms),
        }
    }
}

/// Runs `attempt` until it succeeds, fails permanently, runs out of attempts or retry budget,
/// or the next wait would pass `deadline`. (The caller counts the agency calls it makes: an
/// attempt an open breaker refuses makes none.)
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    budget: &RetryBudget,
    deadline: Instant,
    attempt: F,
) -> Result<T, ConnectorError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ConnectorError>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1))
        .with_jitter();
    budget.deposit();
    attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(ConnectorError::is_retryable)
        .adjust(|error, backoff_delay| {
            // Out of attempts: stop, whatever the agency asked for.
            let delay = match (backoff_delay, error.retry_after) {
                (None, _) => return None,
                (Some(_), Some(asked)) => asked,
                (Some(computed), None) => computed,
            };
            if Instant::now() + delay >= deadline {
                return None;
            }
            if !budget.try_spend() {
                tracing::debug!(error = %error, "retry budget spent: not retrying");
                return None;
            }
            Some(delay)
        })
        .notify(|error, delay| {
            tracing::debug!(error = %error, delay_ms = delay.as_millis() as u64, "retrying agency call");
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_connectors::ErrorClass;
    use std::sync::Mutex;

    fn policy(max_attempts: usize) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }

    /// Replays a script of results, recording when each attempt happened.
    fn scripted(
        script: Vec<Result<u32, ConnectorError>>,
        log: &Mutex<Vec<Instant>>,
    ) -> impl FnMut() -> std::future::Ready<Result<u32, ConnectorError>> + '_ {
        let script = Mutex::new(script.into_iter());
        move || {
            log.lock().unwrap().push(Instant::now());
            let next = script.lock().unwrap().next();
            std::future::ready(next.unwrap_or(Ok(0)))
        }
    }

    fn server_error() -> ConnectorError {
        ConnectorError::new(ErrorClass::Server, "503")
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retryable_failures_then_succeeds() {
        let log = Mutex::new(vec![]);
        let deadline = Instant::now() + Duration::from_secs(10);
        let result = with_retries(
            &policy(3),
            &RetryBudget::unlimited(),
            deadline,
            scripted(vec![Err(server_error()), Err(server_error()), Ok(7)], &log),
        )
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(log.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_permanent_failures() {
        let log = Mutex::new(vec![]);
        let deadline = Instant::now() + Duration::from_secs(10);
        let auth = ConnectorError::new(ErrorClass::Auth, "bad key");
        let result = with_retries(
            &policy(3),
            &RetryBudget::unlimited(),
            deadline,
            scripted(vec![Err(auth.clone())], &log),
        )
        .await;
        assert_eq!(result, Err(auth));
        assert_eq!(log.lock().unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn honours_retry_after() {
        let log = Mutex::new(vec![]);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(10);
        let throttled = ConnectorError::rate_limited(Some(Duration::from_secs(2)), "429");
        let result = with_retries(
            &policy(3),
            &RetryBudget::unlimited(),
            deadline,
            scripted(vec![Err(throttled), Ok(1)], &log),
        )
        .await;
        assert_eq!(result, Ok(1));
        let times = log.lock().unwrap();
        assert_eq!(times[1] - times[0], Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn never_waits_past_the_deadline() {
        let log = Mutex::new(vec![]);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(1);
        let throttled = ConnectorError::rate_limited(Some(Duration::from_secs(5)), "429");
        let result = with_retries(
            &policy(3),
            &RetryBudget::unlimited(),
            deadline,
            scripted(vec![Err(throttled.clone())], &log),
        )
        .await;
        assert_eq!(result, Err(throttled));
        assert_eq!(log.lock().unwrap().len(), 1);
        assert_eq!(Instant::now(), start, "gave up at once instead of sleeping");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_after_max_attempts() {
        let log = Mutex::new(vec![]);
        let deadline = Instant::now() + Duration::from_secs(60);
        let script = vec![
            Err(server_error()),
            Err(server_error()),
            Err(server_error()),
            Ok(1),
        ];
        let unlimited = RetryBudget::unlimited();
        let result = with_retries(&policy(3), &unlimited, deadline, scripted(script, &log)).await;
        assert_eq!(result, Err(server_error()));
        assert_eq!(log.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_budget_stops_retries_but_never_first_attempts() {
        let budget = RetryBudget::new(0.5, 0.0, 1.0);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut made = Vec::new();
        for _ in 0..4 {
            let log = Mutex::new(vec![]);
            let failing = vec![Err(server_error()); 3];
            let result = with_retries(&policy(3), &budget, deadline, scripted(failing, &log)).await;
            assert_eq!(result, Err(server_error()));
            made.push(log.lock().unwrap().len());
        }
        // One token saved up (the cap), then half a token per call: a retry every other call.
        assert_eq!(made, vec![2, 1, 2, 1]);
    }
}
