//! The payment platform's control wire format: paths, the `Idempotency-Key` header, the
//! JSON body of an instruction (amounts in integer fen, dates `yyyy-MM-dd`), the answer with
//! a freeze's state, and the result codes by which the platform refuses an instruction.

use serde::{Deserialize, Serialize};

/// Freeze orders; release, renew and deduct are under `/{freeze_no}/`.
pub const FREEZES_PATH: &str = "/v3/judicial/freezes";
/// Status of an instruction by idempotency key.
pub const INSTRUCTIONS_PATH: &str = "/v3/judicial/instructions";
/// Header carrying the idempotency key.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The status endpoint's "never received this key".
pub const INSTRUCTION_NOT_FOUND: &str = "INSTRUCTION_NOT_FOUND";

/// Header carrying the court's electronic seal: `keyId=<id>,t=<Unix seconds>,sig=<base64>`.
pub const COURT_SEAL: &str = "X-Court-Seal";

/// Result codes by which the platform refuses an instruction's seal (HTTP 403): no seal, a
/// seal that does not verify (altered, another or unknown key, malformed), a stale seal.
pub const SEAL_REFUSALS: [&str; 3] = ["SEAL_MISSING", "SEAL_INVALID", "SEAL_STALE"];

/// Result codes by which the platform refuses an instruction (HTTP 200 or 4xx).
pub const REFUSALS: [&str; 13] = [
    "SEAL_MISSING",
    "SEAL_INVALID",
    "SEAL_STALE",
    "USER_NOT_EXIST",
    "CERT_NAME_MISMATCH",
    "ACCOUNT_NOT_OWNED",
    "FREEZE_NOT_FOUND",
    "NOT_FREEZE_HOLDER",
    "FREEZE_STATE_INVALID",
    "AMOUNT_EXCEEDS_FROZEN",
    "IDEMPOTENCY_KEY_REUSED",
    "MISSING_PARAMETER",
    "INVALID_PARAMETER",
];

/// Body of a control request.
#[derive(Debug, Serialize)]
pub struct ControlBody<'a> {
    pub request_id: &'a str,
    pub case_no: &'a str,
    pub ruling_no: &'a str,
    pub officer: &'a str,
    pub cert_type: &'a str,
    pub cert_no: &'a str,
    pub name: &'a str,
    pub account_id: &'a str,
    pub product: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_account: Option<&'a str>,
}

/// Answer of a control or status request; also the body of its refusals.
#[derive(Debug, Deserialize)]
pub struct ControlResponse {
    pub result_code: String,
    #[serde(default)]
    pub result_msg: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub freeze: Option<WireFreeze>,
}

/// A freeze as the platform shows it.
#[derive(Debug, Deserialize)]
pub struct WireFreeze {
    pub freeze_no: String,
    pub status: String,
    #[serde(default)]
    pub queue_position: Option<u32>,
    pub frozen_fen: i64,
    #[serde(default)]
    pub deducted_fen: i64,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub remark: Option<String>,
}
