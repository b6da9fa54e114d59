//! The control API's wire format: the `Idempotency-Key` header, the JSON request body and its
//! checks (per action: which of `amount_fen`, `end_date`, `case_account` are required), the
//! answer body with a freeze's state, and the control result codes. Amounts are integer fen.

use super::api;
use super::checks::{self, BadParameter, CertType};
use crate::holds::Answer;
use assethub_connectors::domain::{CaseNumber, CivilDate, Fen};
use assethub_connectors::signature::{InstructionSignature, SignedFields};
use assethub_connectors::HoldStatus;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

pub const ACCOUNT_NOT_OWNED: &str = "ACCOUNT_NOT_OWNED";
pub const FREEZE_NOT_FOUND: &str = "FREEZE_NOT_FOUND";
pub const NOT_FREEZE_HOLDER: &str = "NOT_FREEZE_HOLDER";
pub const FREEZE_STATE_INVALID: &str = "FREEZE_STATE_INVALID";
pub const AMOUNT_EXCEEDS_FROZEN: &str = "AMOUNT_EXCEEDS_FROZEN";
pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
pub const INSTRUCTION_NOT_FOUND: &str = "INSTRUCTION_NOT_FOUND";
/// Seal refusals (HTTP 403): no `X-Court-Seal`; a seal that does not verify (altered,
/// another or unknown key, malformed); a seal made outside the freshness window.
pub const SEAL_MISSING: &str = "SEAL_MISSING";
pub const SEAL_INVALID: &str = "SEAL_INVALID";
pub const SEAL_STALE: &str = "SEAL_STALE";

/// Header carrying the court's electronic seal: `keyId=<id>,t=<unix seconds>,sig=<base64>`.
pub const COURT_SEAL: &str = "x-court-seal";

/// Header carrying the idempotency key of a control instruction.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Longest idempotency key, ruling number, officer or case account accepted.
const MAX_KEY: usize = 128;
const MAX_TEXT: usize = 100;
const MAX_CASE_ACCOUNT: usize = 40;

/// What a control request asks, with the freeze it acts on (all but a freeze).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Action {
    Freeze,
    Release(String),
    Renew(String),
    Deduct(String),
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Self::Freeze => "freeze",
            Self::Release(_) => "release",
            Self::Renew(_) => "renew",
            Self::Deduct(_) => "deduct",
        }
    }

    pub(super) fn freeze_no(&self) -> Option<&str> {
        match self {
            Self::Freeze => None,
            Self::Release(no) | Self::Renew(no) | Self::Deduct(no) => Some(no),
        }
    }
}

/// Body of a control request; every field checked by hand for precise errors.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ControlRequest {
    request_id: Option<String>,
    case_no: Option<String>,
    ruling_no: Option<String>,
    officer: Option<String>,
    cert_type: Option<String>,
    cert_no: Option<String>,
    name: Option<String>,
    account_id: Option<String>,
    product: Option<String>,
    amount_fen: Option<i64>,
    end_date: Option<String>,
    case_account: Option<String>,
}

/// A validated control request.
#[derive(Debug)]
pub(super) struct Instruction {
    pub action: Action,
    pub request_id: String,
    pub case: CaseNumber,
    pub ruling: String,
    pub officer: String,
    pub cert_type: CertType,
    pub cert_no: String,
    pub name: String,
    pub account_id: String,
    pub product: String,
    /// Freeze and deduct.
    pub amount: Fen,
    /// Freeze and renew.
    pub end_date: Option<CivilDate>,
    /// Deduct.
    pub case_account: String,
}

impl Instruction {
    /// The fields the seal covers, rebuilt from the request exactly as the hub signs them;
    /// the asset is `account_id:product`, as the connector received it.
    pub fn signed_fields(&self, key: &str) -> SignedFields {
        SignedFields {
            quantity: None,
            key: key.to_string(),
            case: self.case.as_str().to_string(),
            court: self.case.court().to_string(),
            ruling: self.ruling.clone(),
            officer: self.officer.clone(),
            asset: format!("{}:{}", self.account_id, self.product),
            debtor_id: self.cert_no.clone(),
            debtor_name: self.name.clone(),
            action: self.action.name().to_string(),
            amount_fen: self.amount.0,
            hold: self.action.freeze_no().unwrap_or("").to_string(),
            until: self.end_date.map(|d| d.to_string()).unwrap_or_default(),
            into_account: self.case_account.clone(),
        }
    }

    /// What a replay of the same key must match: everything but the request id.
    pub fn fingerprint(&self) -> String {
        [
            self.action.name(),
            self.action.freeze_no().unwrap_or(""),
            self.case.as_str(),
            &self.ruling,
            &self.officer,
            &self.cert_no,
            &self.name,
            &self.account_id,
            &self.product,
            &self.amount.0.to_string(),
            &self.end_date.map(|d| d.to_string()).unwrap_or_default(),
            &self.case_account,
        ]
        .join("\u{1f}")
    }
}

/// The `Idempotency-Key` header: 1-128 visible ASCII characters.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, BadParameter> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Err(BadParameter::missing("Idempotency-Key header", &None));
    };
    let key = value.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BadParameter::invalid(
            "Idempotency-Key must be 1-128 visible ASCII characters",
            &None,
        ));
    }
    Ok(key.to_string())
}

/// The `X-Court-Seal` header: `Ok(None)` when absent, `Err` when it is not
/// `keyId=..,t=..,sig=..` (each once, in any order, `t` an integer).
pub(super) fn court_seal(headers: &HeaderMap) -> Result<Option<InstructionSignature>, ()> {
    let Some(value) = headers.get(COURT_SEAL) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ())?;
    let (mut key_id, mut signed_at, mut signature) = (None, None, None);
    for part in text.split(',') {
        let (name, value) = part.split_once('=').ok_or(())?;
        let value = value.trim().to_string();
        let slot = match name.trim() {
            "keyId" => &mut key_id,
            "t" => &mut signed_at,
            "sig" => &mut signature,
            _ => return Err(()),
        };
        if slot.replace(value).is_some() {
            return Err(());
        }
    }
    match (key_id, signed_at, signature) {
        (Some(key_id), Some(t), Some(signature)) => Ok(Some(InstructionSignature {
            key_id,
            signed_at: t.parse().map_err(|_| ())?,
            signature,
        })),
        _ => Err(()),
    }
}

/// A required free-text field: trimmed, not empty, at most `max` characters.
fn text(
    field: &str,
    value: Option<String>,
    max: usize,
    request_id: &Option<String>,
) -> Result<String, BadParameter> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Err(BadParameter::missing(field, request_id)),
        Some(v) if v.chars().count() > max => Err(BadParameter::invalid(
            format!("{field} is longer than {max} characters"),
            request_id,
        )),
        Some(v) => Ok(v.to_string()),
    }
}

/// Checks a request body for `action`.
pub(super) fn validate(action: Action, body: ControlRequest) -> Result<Instruction, BadParameter> {
    let request_id_value = checks::request_id(body.request_id)?;
    let rid = Some(request_id_value.clone());
    let case = checks::case_no(body.case_no.as_deref(), &rid)?;
    let ruling = text("ruling_no", body.ruling_no, MAX_TEXT, &rid)?;
    let officer = text("officer", body.officer, MAX_TEXT, &rid)?;
    let (cert_type, cert_no) =
        checks::cert(body.cert_type.as_deref(), body.cert_no.as_deref(), &rid)?;
    let name = checks::holder_name(body.name.as_deref(), &rid)?;
    let account_id = text("account_id", body.account_id, MAX_TEXT, &rid)?;
    let product = text("product", body.product, MAX_TEXT, &rid)?;
    let wants_amount = matches!(action, Action::Freeze | Action::Deduct(_));
    let amount = match body.amount_fen {
        _ if !wants_amount => Fen(0),
        None => return Err(BadParameter::missing("amount_fen", &rid)),
        Some(fen) if fen <= 0 => {
            return Err(BadParameter::invalid(
                "amount_fen must be a positive number of fen",
                &rid,
            ))
        }
        Some(fen) => Fen(fen),
    };
    let end_date = match (&action, body.end_date.as_deref()) {
        (Action::Freeze | Action::Renew(_), None | Some("")) => {
            return Err(BadParameter::missing("end_date", &rid))
        }
        (Action::Freeze | Action::Renew(_), Some(raw)) => {
            Some(CivilDate::parse(raw).map_err(|e| {
                BadParameter::invalid(format!("end_date is not a yyyy-MM-dd date: {e}"), &rid)
            })?)
        }
        _ => None,
    };
    let case_account = match action {
        Action::Deduct(_) => {
            let account = text("case_account", body.case_account, MAX_CASE_ACCOUNT, &rid)?;
            if !account
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(BadParameter::invalid(
                    "case_account must be letters, digits and '-'",
                    &rid,
                ));
            }
            account
        }
        _ => String::new(),
    };
    Ok(Instruction {
        action,
        request_id: request_id_value,
        case,
        ruling,
        officer,
        cert_type,
        cert_no,
        name,
        account_id,
        product,
        amount,
        end_date,
        case_account,
    })
}

/// Query string of the status-by-key endpoint.
#[derive(Debug, Deserialize)]
pub(super) struct StatusQuery {
    pub idempotency_key: Option<String>,
    pub request_id: Option<String>,
}

/// A successful control or status answer.
#[derive(Debug, Serialize)]
struct ControlResponse {
    result_code: &'static str,
    result_msg: &'static str,
    request_id: String,
    idempotency_key: String,
    freeze: WireFreeze,
}

/// A freeze as the platform shows it.
#[derive(Debug, Serialize)]
struct WireFreeze {
    freeze_no: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_position: Option<u32>,
    frozen_fen: i64,
    deducted_fen: i64,
    end_date: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    remark: String,
}

/// The wire status of a hold status.
fn status_code(status: HoldStatus) -> (&'static str, Option<u32>) {
    match status {
        HoldStatus::Pending => ("PROCESSING", None),
        HoldStatus::Effective => ("FROZEN", None),
        HoldStatus::Queued { position } => ("QUEUED", Some(position)),
        HoldStatus::Rejected => ("REJECTED", None),
        HoldStatus::Released => ("RELEASED", None),
        HoldStatus::Deducted => ("DEDUCTED", None),
        HoldStatus::Expired => ("EXPIRED", None),
    }
}

/// HTTP 200 `SUCCESS` with the register's answer.
pub(super) fn success(request_id: String, key: String, answer: Answer) -> Response {
    let (status, queue_position) = status_code(answer.status);
    let body = ControlResponse {
        result_code: api::SUCCESS,
        result_msg: "success",
        request_id,
        idempotency_key: key,
        freeze: WireFreeze {
            freeze_no: answer.hold,
            status,
            queue_position,
            frozen_fen: answer.held.0,
            deducted_fen: answer.deducted.0,
            end_date: answer.until.to_string(),
            remark: answer.message,
        },
    };
    (StatusCode::OK, Json(body)).into_response()
}
