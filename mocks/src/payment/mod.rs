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
//!   RFC 6750 401s (`invalid_token` for unknown or expired tokens). Each holding is
//!   `{"product","account_id","amount_fen","frozen_fen"}`; `frozen_fen` includes the court
//!   freezes placed through the control API, `amount_fen` lacks what courts deducted.
//! - `GET /__admin/oauth2` (token statistics) and `POST /__admin/oauth2/revoke` (revoke every
//!   token, as a key rotation would): test and demo controls, not part of the platform's API.
//!
//! Control API (冻结 / 解冻 / 续冻 / 扣划), all synchronous, bearer token as above, each call
//! counted against the same per-client quota as inquiries (429 `QUOTA_EXCEEDED` +
//! `Retry-After`). Every `POST` carries an `Idempotency-Key` header (1-128 visible ASCII
//! characters; missing → 400 `MISSING_PARAMETER`) and a JSON body:
//! `{"request_id","case_no","ruling_no","officer","cert_type","cert_no","name","account_id",
//! "product"}` plus, per action, `amount_fen` (integer fen > 0), `end_date` (`yyyy-MM-dd`) and
//! `case_account` (the court's case account, deductions):
//!
//! - `POST /v3/judicial/freezes` (+ `amount_fen`, `end_date`: after today, at most 366 days
//!   ahead): freezes up to `amount_fen` of the balance; less when less is available (said in
//!   `remark`), queued (`QUEUED`, `queue_position`) when another court froze it all.
//! - `POST /v3/judicial/freezes/{freeze_no}/release`: 解冻; later queued freezes take effect.
//! - `POST /v3/judicial/freezes/{freeze_no}/renew` (+ `end_date`: after the current end date,
//!   at most 366 days past it).
//! - `POST /v3/judicial/freezes/{freeze_no}/deduct` (+ `amount_fen`, `case_account`): moves
//!   frozen money to the court; at most what the freeze holds.
//! - `GET /v3/judicial/instructions?idempotency_key=&request_id=`: the current state of the
//!   freeze an earlier instruction created or acted on; 404 `INSTRUCTION_NOT_FOUND` when the
//!   platform never received that key.
//!
//! **Court seal** (电子签章, DOMAIN rule 8): every control `POST` carries the court system's
//! signature in the header `X-Court-Seal: keyId=<key id>,t=<Unix seconds>,sig=<base64 Ed25519
//! signature>` over the canonical
//! [`SignedFields`](assethub_connectors::signature::SignedFields), which the platform rebuilds
//! from the request as received: `key` = the `Idempotency-Key`, `case` = the normalised
//! `case_no` and `court` its court, `ruling` = `ruling_no`, `officer`, `asset` =
//! `account_id:product` (exactly the asset id the connector was given), `debtor_id` = the
//! normalised `cert_no`, `debtor_name` = `name`, `action` = `freeze` / `release` / `renew` /
//! `deduct`, `amount_fen` (0 when absent), `hold` = the `{freeze_no}` of the path, `until` =
//! `end_date` ("" when absent), `into_account` = `case_account`. Trusted keys are the settings'
//! `instruction_keys` (`[{key_id, public_key}]`, base64), the demo hub key when none are
//! configured; the clock is the system's Unix time (**not** shifted by the knobs' day offset,
//! so a test moving the platform's calendar does not make every seal stale). The seal is
//! checked after the token, quota, key and body checks and before anything else (the holder,
//! the freeze, the hold register and the idempotent replay); its refusals are HTTP 403 and
//! record nothing: `SEAL_MISSING` (no header), `SEAL_INVALID` (altered on the way, signed by
//! another key, unknown `keyId`, malformed header or signature), `SEAL_STALE` (made more than
//! 300 s from the platform's clock: a replay). Replays: the seal covers the idempotency key, so
//! resent signed bytes can only be the same key — an idempotent retry answered as the original
//! while the seal is fresh, refused `SEAL_STALE` after the window (the hub seals every send
//! anew); no register of used seals is needed. Status queries by key need no seal.
//!
//! A success is HTTP 200 `{"result_code":"SUCCESS","result_msg","request_id",
//! "idempotency_key","freeze":{"freeze_no","status","queue_position"?,"frozen_fen",
//! "deducted_fen","end_date","remark"?}}` with `status` one of `FROZEN`, `QUEUED`,
//! `RELEASED`, `DEDUCTED`, `EXPIRED`, `REJECTED`, `PROCESSING`; `deducted_fen` is what that
//! instruction moved. A repeated key with the same instruction answers the freeze as it is
//! now and never acts twice. Refusals: HTTP 200 with `USER_NOT_EXIST`, `CERT_NAME_MISMATCH`,
//! `ACCOUNT_NOT_OWNED` (the account is not the holder's), `FREEZE_NOT_FOUND` (not a freeze on
//! that account), `NOT_FREEZE_HOLDER` (another court's freeze), `FREEZE_STATE_INVALID`,
//! `AMOUNT_EXCEEDS_FROZEN`; HTTP 400 `MISSING_PARAMETER` / `INVALID_PARAMETER`; HTTP 422
//! `IDEMPOTENCY_KEY_REUSED` (the key was used for another instruction).
//!
//! Files: `oauth.rs` (token issue and validation), `quota.rs` (per-client request quota),
//! `data.rs` (what the platform holds, derived from the population), `api.rs` (the inquiry),
//! `checks.rs` (the gate and parameter checks shared by all endpoints), `control_wire.rs` (control request and answer bodies),
//! `control.rs` (the control endpoints on the shared hold register).

mod api;
mod checks;
mod control;
#[cfg(test)]
mod control_tests;
mod control_wire;
pub mod data;
mod oauth;
mod quota;
#[cfg(test)]
mod tests;

pub use oauth::TokenStats;

use crate::{HoldBook, Knobs, Population};
use assethub_connectors::signature::TrustedKeys;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// Path of the holdings inquiry.
pub const HOLDINGS_PATH: &str = "/v3/judicial/holdings";
/// Path of the freeze order; release, renew and deduct are under `/{freeze_no}/`.
pub const FREEZES_PATH: &str = "/v3/judicial/freezes";
/// Path of the status of an instruction by idempotency key.
pub const INSTRUCTIONS_PATH: &str = "/v3/judicial/instructions";
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
    /// Keys whose seals on control instructions the platform accepts; none = the demo hub key.
    #[serde(default)]
    pub instruction_keys: Vec<InstructionKey>,
}

pub use crate::instruction_keys::InstructionKey;

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
                instruction_keys: Vec::new(),
            },
            _ => Self {
                platform_name: "微钱".into(),
                client_id: "weiqian-court-client".into(),
                client_secret: "weiqian-demo-secret".into(),
                token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
                quota_per_sec: 5_000,
                instruction_keys: Vec::new(),
            },
        }
    }

    /// The keys the platform verifies seals with: the configured ones (a malformed one is
    /// logged and left out, so its seals are refused), or the demo hub key when none is.
    pub fn trusted_keys(&self) -> TrustedKeys {
        crate::instruction_keys::trusted(&self.platform_name, &self.instruction_keys)
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
    /// The platform's freeze register (shared rules in `crate::holds`).
    pub book: HoldBook,
    /// The keys whose seals on control instructions the platform accepts.
    pub trusted: TrustedKeys,
}

/// The platform's API: token endpoint, holdings inquiry, control endpoints and the token admin
/// routes. Freeze numbers start with the instance name, e.g. `PAY-XINFU-JF000001`.
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
        tokens: oauth::TokenStore::new(settings.token_ttl()),
        quota: quota::Quota::new(settings.quota_per_sec),
        book: HoldBook::new(&format!("{}-JF", name.to_ascii_uppercase()), knobs.clone()),
        knobs,
        trusted: settings.trusted_keys(),
    });
    platform.knobs.attach_register(&platform.book);
    Router::new()
        .route(TOKEN_PATH, post(oauth::token))
        .route(HOLDINGS_PATH, get(api::holdings))
        .route(FREEZES_PATH, post(control::freeze))
        .route(
            &format!("{FREEZES_PATH}/{{freeze_no}}/release"),
            post(control::release),
        )
        .route(
            &format!("{FREEZES_PATH}/{{freeze_no}}/renew"),
            post(control::renew),
        )
        .route(
            &format!("{FREEZES_PATH}/{{freeze_no}}/deduct"),
            post(control::deduct),
        )
        .route(INSTRUCTIONS_PATH, get(control::instruction))
        .route(ADMIN_TOKENS_PATH, get(oauth::stats))
        .route(ADMIN_REVOKE_PATH, post(oauth::revoke))
        .with_state(platform)
}
