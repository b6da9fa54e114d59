//! A vehicle-administration source's configuration: base URL, the app key and app secret the
//! administration issued to the court gateway, and the per-attempt timeout. Validated once,
//! when the hub builds the connector.

use crate::domain::SourceId;
use crate::error::ConfigError;
use crate::http;
use reqwest::header::HeaderValue;
use serde::Deserialize;

/// Path of the judicial vehicle query, below the base URL.
pub const QUERY_PATH: &str = "/vehicle/judicial/query";
/// Longest per-attempt timeout accepted (the hub's deadlines are far shorter).
const MAX_TIMEOUT_MS: u64 = 600_000;

/// The settings table as written in the hub's configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    app_key: String,
    app_secret: String,
    #[serde(default = "http::default_timeout_ms")]
    timeout_ms: u64,
    /// Speak HTTP/2 without negotiating it (cleartext agencies known to speak it).
    #[serde(default)]
    http2_prior_knowledge: bool,
}

/// Validated configuration.
pub struct Config {
    /// Full URL of the query endpoint.
    pub endpoint: String,
    /// The base URL, without a trailing slash (control and sightings paths go below it).
    pub base: String,
    pub app_key: String,
    /// The `appKey` header value.
    pub app_key_header: HeaderValue,
    pub app_secret: String,
    pub timeout_ms: u64,
    pub http2_prior_knowledge: bool,
}

impl Config {
    pub fn parse(id: &SourceId, settings: toml::Table) -> Result<Self, ConfigError> {
        let raw: RawConfig = http::parse_settings(id.as_str(), settings)?;
        let error = |message: &str| ConfigError::new(id.as_str(), message);
        let base = http::base_url(id.as_str(), &raw.base_url)?;
        let app_key = raw.app_key.trim().to_string();
        if app_key.is_empty() || !app_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(error(
                "app_key must be non-empty visible ASCII (it is sent as a header)",
            ));
        }
        let app_key_header =
            HeaderValue::from_str(&app_key).map_err(|_| error("app_key is not a header value"))?;
        if raw.app_secret.is_empty() {
            return Err(error("app_secret must not be empty"));
        }
        let timeout_ms = http::timeout_ms(id.as_str(), raw.timeout_ms, MAX_TIMEOUT_MS)?;
        Ok(Self {
            endpoint: format!("{base}{QUERY_PATH}"),
            base,
            app_key,
            app_key_header,
            app_secret: raw.app_secret,
            timeout_ms,
            http2_prior_knowledge: raw.http2_prior_knowledge,
        })
    }
}
