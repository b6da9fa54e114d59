//! A registry source's configuration: the registry's base URL, the access token it issued to
//! the court gateway, and the per-attempt timeout. Validated once, when the hub builds the
//! connector.

use crate::domain::SourceId;
use crate::error::ConfigError;
use crate::http;
use reqwest::header::HeaderValue;
use serde::Deserialize;

/// Path of the registry's 权利人查询 endpoint, below the base URL.
pub const INQUIRY_PATH: &str = "/bdc/api/cx/qlrcx";
/// Longest per-attempt timeout accepted (the hub's deadlines are far shorter).
const MAX_TIMEOUT_MS: u64 = 600_000;

/// The settings table as written in the hub's configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    token: String,
    #[serde(default = "http::default_timeout_ms")]
    timeout_ms: u64,
    /// Speak HTTP/2 without negotiating it (cleartext agencies known to speak it).
    #[serde(default)]
    http2_prior_knowledge: bool,
}

/// Validated configuration.
pub struct Config {
    /// The registry's base URL, without a trailing slash (control endpoints live below it).
    pub base: String,
    /// Full URL of the inquiry endpoint.
    pub endpoint: String,
    /// The `X-BDC-Token` value, marked sensitive so it never shows in debug output.
    pub token: HeaderValue,
    pub timeout_ms: u64,
    pub http2_prior_knowledge: bool,
}

impl Config {
    pub fn parse(id: &SourceId, settings: toml::Table) -> Result<Self, ConfigError> {
        let raw: RawConfig = http::parse_settings(id.as_str(), settings)?;
        let error = |message: &str| ConfigError::new(id.as_str(), message);
        let base = http::base_url(id.as_str(), &raw.base_url)?;
        let token = raw.token.trim();
        if token.is_empty() {
            return Err(error("token must not be empty"));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(error(
                "token must be visible ASCII (it is sent as a header)",
            ));
        }
        let mut token = HeaderValue::from_str(token)
            .map_err(|_| error("token must be visible ASCII (it is sent as a header)"))?;
        token.set_sensitive(true);
        let timeout_ms = http::timeout_ms(id.as_str(), raw.timeout_ms, MAX_TIMEOUT_MS)?;
        Ok(Self {
            endpoint: format!("{base}{INQUIRY_PATH}"),
            base,
            token,
            timeout_ms,
            http2_prior_knowledge: raw.http2_prior_knowledge,
        })
    }
}
