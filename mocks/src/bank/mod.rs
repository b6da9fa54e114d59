//! Mock of a bank's head-office gateway (总行网关) answering court inquiries (司法查询).
//!
//! One endpoint, `POST /gateway/v2/judicial/inquiry`, JSON in and out:
//!
//! - Auth ([`auth`]): `X-Api-Key`, `X-Timestamp` (Unix seconds, ±300 s), `X-Nonce` (single use)
//!   and `X-Signature`, the lowercase hex HMAC-SHA256 under the API secret of
//!   `timestamp \n nonce \n METHOD \n path \n hex(sha256(body))`. Refusals are HTTP 401 with
//!   `AUTH001`..`AUTH004`.
//! - Request and answer ([`api`]): `{reqId, caseNo, custType, idType, idNo, custName}` answered by
//!   an envelope `{retCode, retMsg, reqId, serialNo, data}`; `0000` found (accounts with yuan
//!   decimal strings), `BIZ1001` no such customer, `BIZ1002` name does not match (both HTTP 200),
//!   `PARM00x` invalid input (HTTP 400), `SYS9999` system busy (HTTP 200, when `max_in_flight`
//!   is exceeded).
//! - Data ([`data`]): each customer's accounts, derived from the population per bank instance.

mod api;
mod auth;
mod data;
#[cfg(test)]
mod tests;

pub use data::{holdings, Account, AccountStatus, AccountType, Holdings};

use crate::{Knobs, Population};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;

/// Path of the gateway's judicial inquiry endpoint.
pub const INQUIRY_PATH: &str = "/gateway/v2/judicial/inquiry";

/// One bank instance: its name and code (which lead branch names and account numbers) and the
/// credentials the court system was issued.
#[derive(Clone, Deserialize)]
pub struct Settings {
    /// Display name, e.g. 共信银行; prefixes branch names.
    pub bank_name: String,
    /// Three-digit bank code; part of every account number (non-digits are ignored).
    pub bank_code: String,
    pub api_key: String,
    pub api_secret: String,
    /// Inquiries handled at once before the gateway answers `SYS9999` (system busy);
    /// unlimited when absent.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bank_name", &self.bank_name)
            .field("bank_code", &self.bank_code)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

impl Settings {
    /// Settings of the demo instance number `instance`: 0 is 共信银行, 1 is 恒通银行.
    pub fn demo(instance: usize) -> Self {
        let (bank_name, bank_code, api_key, api_secret) = match instance {
            0 => (
                "共信银行".to_string(),
                "365".to_string(),
                "gx-demo-key".to_string(),
                "gx-demo-secret".to_string(),
            ),
            1 => (
                "恒通银行".to_string(),
                "366".to_string(),
                "ht-demo-key".to_string(),
                "ht-demo-secret".to_string(),
            ),
            n => (
                format!("演示{n}号银行"),
                format!("{:03}", 365 + n % 600),
                format!("demo{n}-key"),
                format!("demo{n}-secret"),
            ),
        };
        Self {
            bank_name,
            bank_code,
            api_key,
            api_secret,
            max_in_flight: None,
        }
    }
}

/// The bank's API: the judicial inquiry endpoint, with its own auth and error answers.
pub fn router(
    name: &str,
    settings: &Settings,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
) -> Router {
    let gateway = api::Gateway::new(name, settings, population, knobs);
    Router::new()
        .route(INQUIRY_PATH, post(api::inquiry))
        .with_state(Arc::new(gateway))
}
