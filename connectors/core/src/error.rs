//! Connector errors, classified so the hub can decide what to do without knowing the agency:
//! retry (connect errors, timeouts, 5xx, 429 with its `Retry-After`) or report and stop.

use std::time::Duration;

/// What went wrong, in terms the hub can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Could not connect, or the connection broke before an answer.
    Connect,
    /// The agency did not answer within the connector's per-attempt timeout.
    Timeout,
    /// The agency's quota is exceeded (HTTP 429 or its own equivalent).
    RateLimited,
    /// The agency failed on its side (HTTP 5xx or its own equivalent).
    Server,
    /// Our credentials or signature were refused.
    Auth,
    /// The agency refused the request as invalid (HTTP 4xx other than the above).
    Rejected,
    /// The agency's answer could not be understood.
    Malformed,
    /// The connector does not support the requested action.
    Unsupported,
    /// The hub's circuit breaker for the source is open: no call was made.
    CircuitOpen,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::Auth => "auth",
            Self::Rejected => "rejected",
            Self::Malformed => "malformed",
            Self::Unsupported => "unsupported",
            Self::CircuitOpen => "circuit_open",
        }
    }
}

/// An error from one agency call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} error: {message}", class.as_str())]
pub struct ConnectorError {
    pub class: ErrorClass,
    pub message: String,
    /// How long the agency asked us to wait before trying again (429 `Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ConnectorError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn rate_limited(retry_after: Option<Duration>, message: impl Into<String>) -> Self {
        Self {
            class: ErrorClass::RateLimited,
            message: message.into(),
            retry_after,
        }
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Malformed, message)
    }

    /// Whether the same call may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::Connect
                | ErrorClass::Timeout
                | ErrorClass::RateLimited
                | ErrorClass::Server
        )
    }
}

/// A connector could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connector {source_id}: {message}")]
pub struct ConfigError {
    pub source_id: String,
    pub message: String,
}

impl ConfigError {
    /// An error about the settings of source `source_id`.
    pub fn new(source_id: &str, message: impl Into<String>) -> Self {
        Self {
            source_id: source_id.to_string(),
            message: message.into(),
        }
    }
}
