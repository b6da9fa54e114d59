//! Mock payment platform (Alipay- / WeChat-Pay-like) and its judicial-assistance open API:
//! the platform's settings and router. The API itself:
//!
//! - `POST /oauth2/token`: OAuth2 client credentials (RFC 6749 §4.4). Client id and secret in
//!   HTTP Basic auth only (credentials in the form body are refused), form body
//!   `grant_type=client_credentials`. Answers `{"access_token","token_type":"Bearer",
//!   "expires_in","scope"}`; errors are RFC 6749 `{"error","error_description"}`
//!   (`invalid_client` 401, `invalid_request` / `unsupported_grant_type` 400).
//! - `GET /v3/judicial/holdings?cert_type=IDCARD|USCC&cert_no=&name=&case_no=&request_id=`
//!   with `Authorization: Bearer <token>`: what the holder of a certificate keeps on the
//!   platform, amounts in integer fen. Business answers carry `result_code` (`SUCCESS`,
//!   `USER_NOT_EXIST`, `CERT_NAME_MISMATCH`, all HTTP 200; `MISSING_PARAMETER` /
//!   `INVALID_PARAMETER` 400; `QUOTA_EXCEEDED` 429 with `Retry-After`); token problems are
//!   RFC 6750 401s (`invalid_token` for unknown or expired tokens).
//! - `GET /__admin/oauth2` (token statistics) and `POST /__admin/oauth2/revoke` (revoke every
//!   token, as a key rotation would): test and demo controls, not part of the platform's API.
//!
//! Files: `oauth.rs` (token issue and validation), `quota.rs` (per-client request quota),
//! `data.rs` (what the platform holds, derived from the population), `api.rs` (the inquiry).

mod api;
pub mod data;
mod oauth;
mod quota;
#[cfg(test)]
mod tests;

pub use oauth::TokenStats;

use crate::{Knobs, Population};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// Path of the holdings inquiry.
pub const HOLDINGS_PATH: &str = "/v3/judicial/holdings";
/// Admin path answering token statistics as [`TokenStats`] JSON.
pub const ADMIN_TOKENS_PATH: &str = "/__admin/oauth2";
/// Admin path revoking every issued token.
pub const ADMIN_REVOKE_PATH: &str = "/__admin/oauth2/revoke";

/// One payment platform's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The platform's display name (e.g. 信付).
    pub platform_name: String,
    /// The one client (the court system) allowed to use the judicial API.
    pub client_id: String,
    pub client_secret: String,
    /// Lifetime of an access token.
    #[serde(default = "default_token_ttl_secs")]
    pub token_ttl_secs: u64,
    /// Inquiries the client may make per one-second window; 0 means unlimited.
    #[serde(default = "default_quota_per_sec")]
    pub quota_per_sec: u32,
}

pub const DEFAULT_TOKEN_TTL_SECS: u64 = 300;
pub const DEFAULT_QUOTA_PER_SEC: u32 = 50;

fn default_token_ttl_secs() -> u64 {
    DEFAULT_TOKEN_TTL_SECS
}

fn default_quota_per_sec() -> u32 {
    DEFAULT_QUOTA_PER_SEC
}

impl Settings {
    /// Settings of the demo instance number `instance`: 0 is 信付, 1 (and above) 微钱.
    ///
    /// The demo quotas are far above the platform default so that the demo and the uncached
    /// benchmark (agencies at 0 ms latency) measure the hub rather than the quota; tests that
    /// exercise the quota set their own.
    pub fn demo(instance: usize) -> Self {
        match instance {
            0 => Self {
                platform_name: "信付".into(),
                client_id: "xinfu-court-client".into(),
                client_secret: "xinfu-demo-secret".into(),
                token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
                quota_per_sec: 5_000,
            },
            _ => Self {
                platform_name: "微钱".into(),
                client_id: "weiqian-court-client".into(),
                client_secret: "weiqian-demo-secret".into(),
                token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
                quota_per_sec: 5_000,
            },
        }
    }

    fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_secs)
    }
}

/// Shared state of one running platform.
pub(crate) struct Platform {
    /// Agency instance name: keys the population's random streams.
    pub name: String,
    pub settings: Settings,
    pub population: Arc<Population>,
    pub knobs: Arc<Knobs>,
    pub tokens: oauth::TokenStore,
    pub quota: quota::Quota,
}

/// The platform's API: token endpoint, holdings inquiry and the token admin routes.
pub fn router(
    name: &str,
    settings: &Settings,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
) -> Router {
    let platform = Arc::new(Platform {
        name: name.to_string(),
        settings: settings.clone(),
        population,
        knobs,
        tokens: oauth::TokenStore::new(settings.token_ttl()),
        quota: quota::Quota::new(settings.quota_per_sec),
    });
    Router::new()
        .route(TOKEN_PATH, post(oauth::token))
        .route(HOLDINGS_PATH, get(api::holdings))
        .route(ADMIN_TOKENS_PATH, get(oauth::stats))
        .route(ADMIN_REVOKE_PATH, post(oauth::revoke))
        .with_state(platform)
}
