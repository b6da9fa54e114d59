//! The judicial holdings inquiry, `GET /v3/judicial/holdings`: bearer token, then the client's
//! quota, then the parameters, then the lookup. Wire types and result codes live here.
//!
//! Result codes: `SUCCESS`, `USER_NOT_EXIST` and `CERT_NAME_MISMATCH` are business answers
//! (HTTP 200); `MISSING_PARAMETER` and `INVALID_PARAMETER` are HTTP 400; `QUOTA_EXCEEDED` is
//! HTTP 429 with `Retry-After`. Token problems are answered by `oauth.rs` (HTTP 401).

use super::data::{account_for, Account};
use super::{oauth, quota, Platform};
use crate::population::DebtorKind;
use assethub_connectors::domain::{mask_id, CaseNumber, CreditCode, ResidentId};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const SUCCESS: &str = "SUCCESS";
pub const USER_NOT_EXIST: &str = "USER_NOT_EXIST";
pub const CERT_NAME_MISMATCH: &str = "CERT_NAME_MISMATCH";
pub const MISSING_PARAMETER: &str = "MISSING_PARAMETER";
pub const INVALID_PARAMETER: &str = "INVALID_PARAMETER";
pub const QUOTA_EXCEEDED: &str = "QUOTA_EXCEEDED";

/// Longest request id the platform accepts.
const MAX_REQUEST_ID: usize = 128;
/// Longest holder name the platform accepts, in characters.
const MAX_NAME: usize = 100;

/// Query string of an inquiry; every field is required, checked by hand for precise errors.
#[derive(Debug, Deserialize)]
pub(crate) struct HoldingsQuery {
    cert_type: Option<String>,
    cert_no: Option<String>,
    name: Option<String>,
    case_no: Option<String>,
    request_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct HoldingsResponse {
    result_code: &'static str,
    result_msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holdings: Option<Vec<WireHolding>>,
}

#[derive(Debug, Serialize)]
struct WireHolding {
    product: &'static str,
    account_id: String,
    amount_fen: i64,
    frozen_fen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertType {
    IdCard,
    Uscc,
}

/// A validated inquiry.
struct Inquiry {
    cert_type: CertType,
    cert_no: String,
    name: String,
    request_id: String,
}

fn answer(status: StatusCode, body: HoldingsResponse) -> Response {
    (status, Json(body)).into_response()
}

fn refusal(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
    request_id: Option<String>,
) -> Response {
    answer(
        status,
        HoldingsResponse {
            result_code: code,
            result_msg: message.into(),
            request_id,
            user_id: None,
            holdings: None,
        },
    )
}

/// `GET /v3/judicial/holdings`.
pub(crate) async fn holdings(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    query: Result<Query<HoldingsQuery>, QueryRejection>,
) -> Response {
    let client = match oauth::authenticate(&platform, &headers) {
        Ok(client) => client,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(wait) = platform.quota.acquire(&client) {
        let secs = quota::retry_after_secs(wait);
        tracing::info!(agency = %platform.name, retry_after_secs = secs, "quota exceeded");
        let mut response = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            QUOTA_EXCEEDED,
            format!(
                "quota of {} requests per second exceeded",
                platform.quota.limit()
            ),
            None,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
        return response;
    }
    let Ok(Query(query)) = query else {
        return refusal(
            StatusCode::BAD_REQUEST,
            INVALID_PARAMETER,
            "the query string could not be read",
            None,
        );
    };
    let inquiry = match validate(query) {
        Ok(inquiry) => inquiry,
        Err(bad) => return bad.into_response(),
    };
    let response = lookup(&platform, &inquiry);
    platform.knobs.count_inquiry();
    response
}

/// A 400 answer to an inquiry with a missing or invalid parameter.
struct BadParameter {
    code: &'static str,
    message: String,
    request_id: Option<String>,
}

impl BadParameter {
    fn missing(field: &str, request_id: &Option<String>) -> Self {
        Self {
            code: MISSING_PARAMETER,
            message: format!("{field} is required"),
            request_id: request_id.clone(),
        }
    }

    fn invalid(message: impl Into<String>, request_id: &Option<String>) -> Self {
        Self {
            code: INVALID_PARAMETER,
            message: message.into(),
            request_id: request_id.clone(),
        }
    }

    fn into_response(self) -> Response {
        refusal(
            StatusCode::BAD_REQUEST,
            self.code,
            self.message,
            self.request_id,
        )
    }
}

fn validate(query: HoldingsQuery) -> Result<Inquiry, BadParameter> {
    let request_id = query.request_id.filter(|r| !r.is_empty());
    let Some(request_id_value) = request_id.clone() else {
        return Err(BadParameter::missing("request_id", &None));
    };
    let request_id_ok = request_id_value.len() <= MAX_REQUEST_ID
        && request_id_value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !request_id_ok {
        return Err(BadParameter::invalid(
            "request_id must be 1-128 characters of A-Z, a-z, 0-9, '-' and '_'",
            &None,
        ));
    }
    let cert_type = match query.cert_type.as_deref() {
        None | Some("") => return Err(BadParameter::missing("cert_type", &request_id)),
        Some("IDCARD") => CertType::IdCard,
        Some("USCC") => CertType::Uscc,
        Some(_) => {
            return Err(BadParameter::invalid(
                "cert_type must be IDCARD or USCC",
                &request_id,
            ))
        }
    };
    let cert_no = match query.cert_no.as_deref() {
        None | Some("") => return Err(BadParameter::missing("cert_no", &request_id)),
        Some(raw) => match cert_type {
            CertType::IdCard => ResidentId::parse(raw).map(|id| id.as_str().to_string()),
            CertType::Uscc => CreditCode::parse(raw).map(|code| code.as_str().to_string()),
        }
        .map_err(|e| {
            BadParameter::invalid(
                format!("cert_no is not a valid certificate number: {e}"),
                &request_id,
            )
        })?,
    };
    let name = match query.name.as_deref().map(str::trim) {
        None | Some("") => return Err(BadParameter::missing("name", &request_id)),
        Some(name) if name.chars().count() > MAX_NAME => {
            return Err(BadParameter::invalid("name is too long", &request_id))
        }
        Some(name) => name.to_string(),
    };
    match query.case_no.as_deref() {
        None | Some("") => return Err(BadParameter::missing("case_no", &request_id)),
        Some(raw) => {
            if let Err(e) = CaseNumber::parse(raw) {
                return Err(BadParameter::invalid(
                    format!("case_no is not an enforcement case number: {e}"),
                    &request_id,
                ));
            }
        }
    }
    Ok(Inquiry {
        cert_type,
        cert_no,
        name,
        request_id: request_id_value,
    })
}

fn lookup(platform: &Platform, inquiry: &Inquiry) -> Response {
    let expected_kind = match inquiry.cert_type {
        CertType::IdCard => DebtorKind::Person,
        CertType::Uscc => DebtorKind::Company,
    };
    let debtor = platform
        .population
        .get(&inquiry.cert_no)
        .filter(|d| d.kind == expected_kind);
    let request_id = Some(inquiry.request_id.clone());
    let (code, response) = match debtor {
        None => (
            USER_NOT_EXIST,
            refusal(
                StatusCode::OK,
                USER_NOT_EXIST,
                "no user is registered under this certificate",
                request_id,
            ),
        ),
        Some(debtor) if debtor.name != inquiry.name => (
            CERT_NAME_MISMATCH,
            refusal(
                StatusCode::OK,
                CERT_NAME_MISMATCH,
                "the name does not match the certificate holder",
                request_id,
            ),
        ),
        Some(debtor) => {
            let account = account_for(&platform.name, &platform.population, debtor);
            (SUCCESS, success(account, request_id))
        }
    };
    tracing::debug!(
        agency = %platform.name,
        request_id = %inquiry.request_id,
        cert_no = %mask_id(&inquiry.cert_no),
        result_code = code,
        "holdings inquiry answered"
    );
    response
}

fn success(account: Account, request_id: Option<String>) -> Response {
    let holdings = account
        .holdings
        .into_iter()
        .map(|h| WireHolding {
            product: h.product.code(),
            account_id: h.account_id,
            amount_fen: h.amount_fen,
            frozen_fen: h.frozen_fen,
        })
        .collect();
    answer(
        StatusCode::OK,
        HoldingsResponse {
            result_code: SUCCESS,
            result_msg: "success".into(),
            request_id,
            user_id: Some(account.user_id),
            holdings: Some(holdings),
        },
    )
}
