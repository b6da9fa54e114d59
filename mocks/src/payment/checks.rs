//! Checks shared by the inquiry and the control endpoints: the gate (bearer token, then the
//! client's quota), the 400 answers for missing or invalid parameters, the validators of
//! common parameters (`request_id`, `cert_type` / `cert_no`, `name`, `case_no`), who holds a
//! certificate, and a debtor's balances with the hold register applied.

use super::api::{
    refusal, CERT_NAME_MISMATCH, INVALID_PARAMETER, MISSING_PARAMETER, QUOTA_EXCEEDED,
    USER_NOT_EXIST,
};
use super::data::{account_for, Account};
use super::{oauth, quota, Platform};
use crate::population::{DebtorKind, DebtorRecord};
use assethub_connectors::domain::{CaseNumber, CreditCode, ResidentId};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Longest request id the platform accepts.
const MAX_REQUEST_ID: usize = 128;
/// Longest holder name the platform accepts, in characters.
const MAX_NAME: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CertType {
    IdCard,
    Uscc,
}

impl CertType {
    /// The kind of debtor a certificate of this type belongs to.
    pub(super) fn debtor_kind(self) -> DebtorKind {
        match self {
            Self::IdCard => DebtorKind::Person,
            Self::Uscc => DebtorKind::Company,
        }
    }
}

/// The gate of every business endpoint: a valid bearer token (RFC 6750 401 otherwise), then
/// one request counted against the client's quota (429 `QUOTA_EXCEEDED` with `Retry-After`).
/// Answers the client id.
pub(super) fn admit(platform: &Platform, headers: &HeaderMap) -> Result<String, Denied> {
    let client = oauth::authenticate(platform, headers).map_err(Denied::Token)?;
    if let Err(wait) = platform.quota.acquire(&client) {
        platform.knobs.count_quota_refusal();
        let retry_after_secs = quota::retry_after_secs(wait);
        tracing::info!(agency = %platform.name, retry_after_secs, "quota exceeded");
        return Err(Denied::Quota {
            limit: platform.quota.limit(),
            retry_after_secs,
        });
    }
    Ok(client)
}

/// Why the gate refused a request.
pub(super) enum Denied {
    Token(oauth::BearerRefusal),
    Quota { limit: u32, retry_after_secs: u64 },
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let (limit, secs) = match self {
            Self::Token(refusal) => return refusal.into_response(),
            Self::Quota {
                limit,
                retry_after_secs,
            } => (limit, retry_after_secs),
        };
        let mut response = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            QUOTA_EXCEEDED,
            format!("quota of {limit} requests per second exceeded"),
            None,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
        response
    }
}

/// A 400 answer to a request with a missing or invalid parameter.
pub(super) struct BadParameter {
    code: &'static str,
    message: String,
    request_id: Option<String>,
}

impl BadParameter {
    pub(super) fn missing(field: &str, request_id: &Option<String>) -> Self {
        Self {
            code: MISSING_PARAMETER,
            message: format!("{field} is required"),
            request_id: request_id.clone(),
        }
    }

    pub(super) fn invalid(message: impl Into<String>, request_id: &Option<String>) -> Self {
        Self {
            code: INVALID_PARAMETER,
            message: message.into(),
            request_id: request_id.clone(),
        }
    }

    pub(super) fn into_response(self) -> Response {
        refusal(
            StatusCode::BAD_REQUEST,
            self.code,
            self.message,
            self.request_id,
        )
    }
}

/// The required `request_id`: 1-128 characters of A-Z, a-z, 0-9, '-' and '_'.
pub(super) fn request_id(raw: Option<String>) -> Result<String, BadParameter> {
    let Some(request_id) = raw.filter(|r| !r.is_empty()) else {
        return Err(BadParameter::missing("request_id", &None));
    };
    let ok = request_id.len() <= MAX_REQUEST_ID
        && request_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(BadParameter::invalid(
            "request_id must be 1-128 characters of A-Z, a-z, 0-9, '-' and '_'",
            &None,
        ));
    }
    Ok(request_id)
}

/// The required `cert_type` and `cert_no`, the number checked against its type.
pub(super) fn cert(
    cert_type: Option<&str>,
    cert_no: Option<&str>,
    request_id: &Option<String>,
) -> Result<(CertType, String), BadParameter> {
    let cert_type = match cert_type {
        None | Some("") => return Err(BadParameter::missing("cert_type", request_id)),
        Some("IDCARD") => CertType::IdCard,
        Some("USCC") => CertType::Uscc,
        Some(_) => {
            return Err(BadParameter::invalid(
                "cert_type must be IDCARD or USCC",
                request_id,
            ))
        }
    };
    let cert_no = match cert_no {
        None | Some("") => return Err(BadParameter::missing("cert_no", request_id)),
        Some(raw) => match cert_type {
            CertType::IdCard => ResidentId::parse(raw).map(|id| id.as_str().to_string()),
            CertType::Uscc => CreditCode::parse(raw).map(|code| code.as_str().to_string()),
        }
        .map_err(|e| {
            BadParameter::invalid(
                format!("cert_no is not a valid certificate number: {e}"),
                request_id,
            )
        })?,
    };
    Ok((cert_type, cert_no))
}

/// The required holder `name`, trimmed, at most 100 characters.
pub(super) fn holder_name(
    name: Option<&str>,
    request_id: &Option<String>,
) -> Result<String, BadParameter> {
    match name.map(str::trim) {
        None | Some("") => Err(BadParameter::missing("name", request_id)),
        Some(name) if name.chars().count() > MAX_NAME => {
            Err(BadParameter::invalid("name is too long", request_id))
        }
        Some(name) => Ok(name.to_string()),
    }
}

/// The required `case_no`: an enforcement case number.
pub(super) fn case_no(
    raw: Option<&str>,
    request_id: &Option<String>,
) -> Result<CaseNumber, BadParameter> {
    match raw {
        None | Some("") => Err(BadParameter::missing("case_no", request_id)),
        Some(raw) => CaseNumber::parse(raw).map_err(|e| {
            BadParameter::invalid(
                format!("case_no is not an enforcement case number: {e}"),
                request_id,
            )
        }),
    }
}

/// Who holds a certificate, as the platform answers it: the record, or the business code
/// (`USER_NOT_EXIST`, `CERT_NAME_MISMATCH`) and message of why not.
pub(super) fn holder<'a>(
    platform: &'a Platform,
    cert_type: CertType,
    cert_no: &str,
    name: &str,
) -> Result<&'a DebtorRecord, (&'static str, &'static str)> {
    match platform
        .population
        .get(cert_no)
        .filter(|d| d.kind == cert_type.debtor_kind())
    {
        None => Err((
            USER_NOT_EXIST,
            "no user is registered under this certificate",
        )),
        Some(debtor) if debtor.name != name => Err((
            CERT_NAME_MISMATCH,
            "the name does not match the certificate holder",
        )),
        Some(debtor) => Ok(debtor),
    }
}

/// What the platform holds for `debtor` now: the derived balances with the register applied
/// (court freezes added to `frozen_fen`, deductions taken off `amount_fen`).
pub(super) fn current_account(platform: &Platform, debtor: &DebtorRecord) -> Account {
    let mut account = account_for(&platform.name, &platform.population, debtor);
    for h in &mut account.holdings {
        h.amount_fen -= platform.book.deducted_from(&h.account_id).0;
        h.frozen_fen += platform.book.frozen_on(&h.account_id).0;
    }
    account
}
