//! The judicial holdings inquiry, `GET /v3/judicial/holdings`: bearer token, then the client's
//! quota, then the parameters, then the lookup. Wire types and result codes live here.
//!
//! Result codes: `SUCCESS`, `USER_NOT_EXIST` and `CERT_NAME_MISMATCH` are business answers
//! (HTTP 200); `MISSING_PARAMETER` and `INVALID_PARAMETER` are HTTP 400; `QUOTA_EXCEEDED` is
//! HTTP 429 with `Retry-After`. Token problems are answered by `oauth.rs` (HTTP 401).
//!
//! Balances reflect the platform's hold register: `frozen_fen` adds what courts froze through
//! the control API, `amount_fen` lacks what they deducted. The gate and the parameter checks
//! shared with the control endpoints are in `checks.rs`.

use super::checks::{
    admit, case_no, cert, current_account, holder, holder_name, request_id, BadParameter, CertType,
};
use super::data::Account;
use super::Platform;
use assethub_connectors::domain::mask_id;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
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

/// An answer carrying only a result code and message (refusals, errors).
pub(super) fn refusal(
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
    if let Err(denied) = admit(&platform, &headers) {
        return denied.into_response();
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

fn validate(query: HoldingsQuery) -> Result<Inquiry, BadParameter> {
    let request_id_value = request_id(query.request_id)?;
    let request_id = Some(request_id_value.clone());
    let (cert_type, cert_no) = cert(
        query.cert_type.as_deref(),
        query.cert_no.as_deref(),
        &request_id,
    )?;
    let name = holder_name(query.name.as_deref(), &request_id)?;
    case_no(query.case_no.as_deref(), &request_id)?;
    Ok(Inquiry {
        cert_type,
        cert_no,
        name,
        request_id: request_id_value,
    })
}

fn lookup(platform: &Platform, inquiry: &Inquiry) -> Response {
    let request_id = Some(inquiry.request_id.clone());
    let (code, response) =
        match holder(platform, inquiry.cert_type, &inquiry.cert_no, &inquiry.name) {
            Err((code, message)) => (code, refusal(StatusCode::OK, code, message, request_id)),
            Ok(debtor) => (
                SUCCESS,
                success(current_account(platform, debtor), request_id),
            ),
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
