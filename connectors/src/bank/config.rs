//! The bank connector's settings: the gateway's base URL, the API key and secret the bank
//! issued to the court system, and the per-attempt timeout. Parsed strictly (unknown keys are
//! typos) and validated before any call is made.

use super::wire::INQUIRY_PATH;
use crate::domain::SourceId;
use crate::error::{ConfigError, ConnectorError};
use crate::http;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use std::fmt;

/// Longest accepted per-attempt timeout (ten minutes).
const MAX_TIMEOUT_MS: u64 = 600_000;

/// The settings table as written in the hub's configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    base_url: String,
    api_key: String,
    api_secret: String,
    #[serde(default = "http::default_timeout_ms")]
    timeout_ms: u64,
    /// Speak HTTP/2 without negotiating it (cleartext agencies known to speak it).
    #[serde(default)]
    http2_prior_knowledge: bool,
}

/// Validated settings of one bank source.
pub(super) struct BankConfig {
    /// The gateway's base URL, without a trailing slash; endpoint paths are appended.
    pub base: String,
    pub api_key: HeaderValue,
    pub api_secret: Vec<u8>,
    pub timeout_ms: u64,
    pub http2_prior_knowledge: bool,
}

impl fmt::Debug for BankConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankConfig")
            .field("base", &self.base)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl BankConfig {
    /// The URL of the endpoint at `path` (one of the wire paths); its `path()` is what the
    /// signature covers.
    pub(super) fn url(&self, path: &str) -> Result<reqwest::Url, ConnectorError> {
        reqwest::Url::parse(&format!("{}{path}", self.base)).map_err(|e| {
            ConnectorError::new(crate::ErrorClass::Rejected, format!("endpoint URL: {e}"))
        })
    }

    pub(super) fn parse(id: &SourceId, settings: toml::Table) -> Result<Self, ConfigError> {
        let source = id.as_str();
        let error = |message: String| ConfigError {
            source_id: source.to_string(),
            message,
        };
        let raw: RawSettings = http::parse_settings(source, settings)?;
        let base = http::base_url(source, &raw.base_url)?;
        let endpoint = reqwest::Url::parse(&format!("{base}{INQUIRY_PATH}"))
            .map_err(|e| error(format!("base_url {:?}: {e}", raw.base_url)))?;
        if endpoint.query().is_some() || endpoint.fragment().is_some() {
            return Err(error(format!(
                "base_url {:?} must not carry a query or fragment",
                raw.base_url
            )));
        }
        let key = raw.api_key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(error(
                "api_key must be non-empty printable ASCII without spaces".into(),
            ));
        }
        let api_key = HeaderValue::from_str(key)
            .map_err(|_| error("api_key is not a valid header value".into()))?;
        if raw.api_secret.is_empty() {
            return Err(error("api_secret must not be empty".into()));
        }
        if !(1..=MAX_TIMEOUT_MS).contains(&raw.timeout_ms) {
            return Err(error(format!(
                "timeout_ms must be between 1 and {MAX_TIMEOUT_MS}, got {}",
                raw.timeout_ms
            )));
        }
        Ok(Self {
            base,
            api_key,
            api_secret: raw.api_secret.into_bytes(),
            timeout_ms: raw.timeout_ms,
            http2_prior_knowledge: raw.http2_prior_knowledge,
        })
    }
}
