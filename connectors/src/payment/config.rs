//! Settings of a payment-platform source, as written in the hub's `[[sources]]` table:
//! `base_url`, `client_id`, `client_secret` and the optional per-attempt `timeout_ms`.

use crate::error::ConfigError;
use crate::http;
use serde::Deserialize;
use std::fmt;

/// Raw settings as deserialised; validated by [`Config::from_table`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    client_id: String,
    client_secret: String,
    #[serde(default = "http::default_timeout_ms")]
    timeout_ms: u64,
    /// Speak HTTP/2 without negotiating it (cleartext agencies known to speak it).
    #[serde(default)]
    http2_prior_knowledge: bool,
}

/// Validated settings of one payment-platform source.
#[derive(Clone)]
pub(crate) struct Config {
    /// Normalised, without a trailing slash.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub timeout_ms: u64,
    pub http2_prior_knowledge: bool,
}

/// Longest per-attempt timeout accepted: a payment platform answering slower than this is down.
const MAX_TIMEOUT_MS: u64 = 120_000;

impl Config {
    pub fn from_table(source_id: &str, settings: toml::Table) -> Result<Self, ConfigError> {
        let raw: RawConfig = http::parse_settings(source_id, settings)?;
        let invalid = |message: &str| ConfigError::new(source_id, message);
        let base_url = http::base_url(source_id, &raw.base_url)?;
        if raw.client_id.trim().is_empty() {
            return Err(invalid("client_id must not be empty"));
        }
        if raw.client_id.contains(':') {
            return Err(invalid(
                "client_id must not contain ':' (it is sent with HTTP Basic authentication)",
            ));
        }
        if raw.client_secret.is_empty() {
            return Err(invalid("client_secret must not be empty"));
        }
        let timeout_ms = http::timeout_ms(source_id, raw.timeout_ms, MAX_TIMEOUT_MS)?;
        Ok(Self {
            base_url,
            client_id: raw.client_id,
            client_secret: raw.client_secret,
            timeout_ms,
            http2_prior_knowledge: raw.http2_prior_knowledge,
        })
    }
}

/// The secret stays out of debug output.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}
