//! Mock of a bank's head-office gateway (总行网关) answering court inquiries (司法查询) and
//! control orders (freeze, release, deduct, renew).
//!
//! The inquiry endpoint, `POST /gateway/v2/judicial/inquiry`, JSON in and out:
//!
//! - Auth ([`auth`]): `X-Api-Key`, `X-Timestamp` (Unix seconds, ±300 s), `X-Nonce` (single use)
//!   and `X-Signature`, the lowercase hex HMAC-SHA256 under the API secret of
//!   `timestamp \n nonce \n METHOD \n path \n hex(sha256(body))`. Refusals are HTTP 401 with
//!   `AUTH001`..`AUTH004`.
//! - Request and answer ([`api`], [`wire`]): `{reqId, caseNo, custType, idType, idNo,
//!   custName}` answered by an envelope `{retCode, retMsg, reqId, serialNo, data}`; `0000`
//!   found (accounts with yuan decimal strings), `BIZ1001` no such customer, `BIZ1002` name
//!   does not match (both HTTP 200), `PARM00x` invalid input (HTTP 400), `SYS9999` system busy
//!   (HTTP 200, when `max_in_flight` is exceeded; control requests included).
//! - Data ([`data`]): each customer's accounts, derived from the population per bank instance.
//!   Inquiry answers reflect the gateway's hold register ([`HoldBook`], ids `{bankCode}DJ000001`):
//!   `frozenAmt` adds the money its freezes hold, `bal` drops what was deducted, and `status`
//!   becomes `1` (frozen) while one of its freezes is in force.
//!
//! Inquiries answered later ([`later`]), when `answer_delay_ms` is set: the inquiry is taken
//! with `0001` (受理成功，处理中) and `data: {ticketNo, expectedSecs}`; a repeated `reqId` gets
//! the same ticket (and counts once). `POST /gateway/v2/judicial/inquiry/result` with
//! `{reqId, caseNo, ticketNo}` answers `0001` again until the delay has passed, then exactly
//! as the inquiry would have (`0000` with data, `BIZ1001`, `BIZ1002`, echoing this `reqId`);
//! an unknown (or lost, fault `lose_ticket_rate`) ticket is `BIZ1004`. Delays run on tokio's
//! clock, so a test with paused time running the mock in its runtime skips them.
//!
//! Control endpoints ([`control`]), all `POST`, signed and answered exactly like the inquiry:
//!
//! | path | action | extra fields |
//! | --- | --- | --- |
//! | `/gateway/v2/judicial/freeze` | freeze (冻结), **asynchronous** | `amt`, `endDate` |
//! | `/gateway/v2/judicial/unfreeze` | release (解冻) | `freezeNo` |
//! | `/gateway/v2/judicial/deduct` | deduct (扣划) into the case account | `freezeNo`, `amt`, `caseAcctNo` |
//! | `/gateway/v2/judicial/renew` | renew (续冻) | `freezeNo`, `endDate` |
//! | `/gateway/v2/judicial/control/query` | the answer to an earlier `bizNo` | only `reqId`, `caseNo`, `bizNo` |
//!
//! Every action body carries `reqId`, `bizNo` (业务流水号, the idempotency key: a repeated `bizNo`
//! with the same instruction gets the original answer and never acts twice; with a different
//! instruction it is refused `BIZ2006`), `caseNo`, `courtCode` (must be the court in `caseNo`),
//! `rulingNo`, `officer`, `custType`, `idType`, `idNo`, `custName` and `acctNo`. Amounts are yuan
//! strings (`"1000.00"`), dates `yyyyMMdd`; a freeze ends at most 366 days after today, a
//! renewal at most 366 days after the freeze's current end date.
//!
//! The answer's `data` is `{bizNo, freezeNo, ctrlStatus, queueNo?, frozenAmt, deductAmt,
//! endDate, remark}`; `ctrlStatus` is `00` processing (处理中), `10` frozen, `11` queued behind
//! other courts (轮候冻结, `queueNo` 1 is next), `20` released, `30` fully deducted, `40`
//! expired, `90` refused (`remark` says why). A freeze is answered `00` with the ticket as
//! `freezeNo`; after `freeze_decision_ms` the bank decides it: refused when the account is
//! closed, otherwise frozen (up to what is available, `remark` saying so) or queued. Release,
//! deduction and renewal are decided at once.
//!
//! Electronic seal (电子签章, DOMAIN rule 8): every action body also carries the court system's
//! signature over the instruction as three more JSON fields, `sealKeyId` (the signing key's
//! id), `sealTime` (Unix seconds, a JSON integer) and `sealSig` (base64 Ed25519 signature over
//! the canonical [`SignedFields`](assethub_connectors::signature::SignedFields)); the HMAC
//! request signature above covers them like any other body field. The bank rebuilds the
//! signed fields from the body it received: `key` = `bizNo`, `case` = the normalised `caseNo`,
//! `court` = `courtCode`, `ruling` = `rulingNo`, `officer`, `asset` = `acctNo`, `debtor_id` =
//! the normalised `idNo`, `debtor_name` = `custName`, `action` = `freeze` / `release`
//! (unfreeze) / `deduct` / `renew`, `amount_fen` = `amt` in fen (0 when absent), `hold` =
//! `freezeNo`, `until` = `endDate` as `yyyy-MM-dd` ("" when absent), `into_account` =
//! `caseAcctNo`. It verifies them against its trusted keys (settings `instruction_keys`,
//! `[{key_id, public_key}]`, public keys base64; none configured = the demo hub key) and the
//! system clock (plain Unix time, **not** shifted by the knobs' day offset, so a test moving the
//! bank's calendar does not make every seal stale), right after the body is validated and
//! before anything else: the customer checks, the hold register and the `bizNo` replay. The
//! refusals are HTTP 200 (as the bank's business refusals) and record nothing:
//!
//! | `retCode` | why |
//! | --- | --- |
//! | `SEAL001` | the instruction carries no seal |
//! | `SEAL002` | the seal does not verify: altered on the way, signed by another key, unknown `sealKeyId`, malformed or incomplete seal |
//! | `SEAL003` | the seal was made more than 300 s from the bank's clock (stale: a replay) |
//!
//! Replays: the seal covers `bizNo`, so resent signed bytes can only be the same `bizNo` — an
//! idempotent retry, answered with the original result while the seal is fresh, and refused
//! `SEAL003` once it is older than the window (the hub signs every send anew, so its own
//! retries are always fresh). No register of used seals is needed.
//!
//! Refusals are HTTP 200 with `BIZ1001` no such customer, `BIZ1002` name mismatch, `BIZ2001`
//! account not the customer's, `BIZ2002` bad amount (e.g. deduction above the frozen money),
//! `BIZ2003` the freeze's state does not allow it, `BIZ2004` unknown `bizNo` (status query
//! only: "never received"), `BIZ2005` no such `freezeNo` on the account, `BIZ2006` `bizNo`
//! reused, `BIZ2007` the freeze belongs to another court, `BIZ2008` end date in the past or
//! beyond the longest term; malformed input is HTTP 400 `PARM00x`.

mod api;
mod auth;
mod control;
mod control_wire;
mod data;
mod later;
#[cfg(test)]
mod tests;
mod wire;

pub use data::{holdings, Account, AccountStatus, AccountType, Holdings};

use crate::{HoldBook, Knobs, Population};
use assethub_connectors::signature::TrustedKeys;
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;

/// Path of the gateway's judicial inquiry endpoint.
pub const INQUIRY_PATH: &str = "/gateway/v2/judicial/inquiry";
/// Paths of the control endpoints.
pub const FREEZE_PATH: &str = "/gateway/v2/judicial/freeze";
pub const UNFREEZE_PATH: &str = "/gateway/v2/judicial/unfreeze";
pub const DEDUCT_PATH: &str = "/gateway/v2/judicial/deduct";
pub const RENEW_PATH: &str = "/gateway/v2/judicial/renew";
pub const CONTROL_QUERY_PATH: &str = "/gateway/v2/judicial/control/query";
/// Path of the result of an inquiry answered later, by ticket.
pub const INQUIRY_RESULT_PATH: &str = "/gateway/v2/judicial/inquiry/result";

/// Default delay before the bank decides a freeze.
pub const DEFAULT_FREEZE_DECISION_MS: u64 = 1_500;

fn default_freeze_decision_ms() -> u64 {
    DEFAULT_FREEZE_DECISION_MS
}

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
    /// How long after accepting a freeze the bank decides it (milliseconds).
    #[serde(default = "default_freeze_decision_ms")]
    pub freeze_decision_ms: u64,
    /// Keys whose seals on control instructions the bank accepts; none = the demo hub key.
    #[serde(default)]
    pub instruction_keys: Vec<InstructionKey>,
    /// Answer inquiries later: each is taken with a ticket (`0001` processing) and answered
    /// this many milliseconds later at the result endpoint. Absent: answered at once.
    #[serde(default)]
    pub answer_delay_ms: Option<u64>,
}

pub use crate::instruction_keys::InstructionKey;

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bank_name", &self.bank_name)
            .field("bank_code", &self.bank_code)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("max_in_flight", &self.max_in_flight)
            .field("freeze_decision_ms", &self.freeze_decision_ms)
            .field("instruction_keys", &self.instruction_keys)
            .field("answer_delay_ms", &self.answer_delay_ms)
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
            freeze_decision_ms: DEFAULT_FREEZE_DECISION_MS,
            instruction_keys: Vec::new(),
            answer_delay_ms: None,
        }
    }

    /// The keys the bank verifies seals with: the configured ones (a malformed one is logged
    /// and left out, so its seals are refused), or the demo hub key when none is configured.
    pub fn trusted_keys(&self) -> TrustedKeys {
        crate::instruction_keys::trusted(&self.bank_name, &self.instruction_keys)
    }
}

/// The bank's API: the judicial inquiry and control endpoints, with their own auth and error
/// answers, over one hold register per bank instance.
pub fn router(
    name: &str,
    settings: &Settings,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
) -> Router {
    let book = HoldBook::new(
        &format!("{}DJ", data::Bank::new(settings).code()),
        knobs.clone(),
    );
    knobs.attach_register(&book);
    let trusted = settings.trusted_keys();
    let gateway = api::Gateway::new(name, settings, population, knobs, book, trusted);
    Router::new()
        .route(INQUIRY_PATH, post(api::inquiry))
        .route(FREEZE_PATH, post(control::freeze))
        .route(UNFREEZE_PATH, post(control::unfreeze))
        .route(DEDUCT_PATH, post(control::deduct))
        .route(RENEW_PATH, post(control::renew))
        .route(CONTROL_QUERY_PATH, post(control::status))
        .route(INQUIRY_RESULT_PATH, post(later::result))
        .with_state(Arc::new(gateway))
}
