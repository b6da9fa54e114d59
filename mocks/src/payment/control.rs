//! The control endpoints (freeze, release, renew, deduct, status by idempotency key): the
//! same gate as the inquiry (bearer token, then the client's quota), then the body, then the
//! platform's own checks (the certificate holder, the account is theirs, the freeze is on
//! that account and the court's own, dates within the legal term) before the shared hold
//! register decides. Everything is synchronous. Between the body and those checks the court
//! seal (`X-Court-Seal`) is verified: a refused seal records nothing (see the module doc).

use super::api::{self, refusal, INVALID_PARAMETER};
use super::checks::{self, BadParameter};
use super::control_wire::{self as wire, Action, ControlRequest, Instruction, StatusQuery};
use super::data::account_for;
use super::Platform;
use crate::holds::{Answer, HoldKind, Placement, Refusal};
use assethub_connectors::domain::{mask_id, Fen};
use assethub_connectors::signature::SignatureError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// Longest freeze term, and longest extension of one renewal, in days (one year).
const MAX_TERM_DAYS: i64 = 366;

type Body = Result<Json<ControlRequest>, JsonRejection>;

/// `POST /v3/judicial/freezes`.
pub(super) async fn freeze(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    act(&platform, Action::Freeze, &headers, body)
}

/// `POST /v3/judicial/freezes/{freeze_no}/release`.
pub(super) async fn release(
    State(platform): State<Arc<Platform>>,
    Path(freeze_no): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    act(&platform, Action::Release(freeze_no), &headers, body)
}

/// `POST /v3/judicial/freezes/{freeze_no}/renew`.
pub(super) async fn renew(
    State(platform): State<Arc<Platform>>,
    Path(freeze_no): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    act(&platform, Action::Renew(freeze_no), &headers, body)
}

/// `POST /v3/judicial/freezes/{freeze_no}/deduct`.
pub(super) async fn deduct(
    State(platform): State<Arc<Platform>>,
    Path(freeze_no): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    act(&platform, Action::Deduct(freeze_no), &headers, body)
}

/// `GET /v3/judicial/instructions?idempotency_key=&request_id=`.
pub(super) async fn instruction(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Response {
    if let Err(denied) = checks::admit(&platform, &headers) {
        return denied.into_response();
    }
    let Ok(Query(query)) = query else {
        return BadParameter::invalid("the query string could not be read", &None).into_response();
    };
    let request_id = match checks::request_id(query.request_id) {
        Ok(id) => id,
        Err(bad) => return bad.into_response(),
    };
    let rid = Some(request_id.clone());
    let key = match query.idempotency_key.as_deref().map(str::trim) {
        None | Some("") => {
            return BadParameter::missing("idempotency_key", &rid).into_response();
        }
        Some(key) => key.to_string(),
    };
    match platform.book.by_key(&key) {
        Some(answer) => wire::success(request_id, key, answer),
        None => refusal(
            StatusCode::NOT_FOUND,
            wire::INSTRUCTION_NOT_FOUND,
            "no instruction was received with this idempotency key",
            rid,
        ),
    }
}

/// One control request: gate, key, body, checks, register.
fn act(platform: &Platform, action: Action, headers: &HeaderMap, body: Body) -> Response {
    if let Err(denied) = checks::admit(platform, headers) {
        return denied.into_response();
    }
    let key = match wire::idempotency_key(headers) {
        Ok(key) => key,
        Err(bad) => return bad.into_response(),
    };
    let Ok(Json(body)) = body else {
        return refusal(
            StatusCode::BAD_REQUEST,
            INVALID_PARAMETER,
            "the body must be a JSON object with the documented fields and types",
            None,
        );
    };
    let instruction = match wire::validate(action, body) {
        Ok(instruction) => instruction,
        Err(bad) => return bad.into_response(),
    };
    if let Err((code, message)) = check_seal(platform, &key, &instruction, headers) {
        tracing::info!(
            agency = %platform.name,
            request_id = %instruction.request_id,
            action = ?instruction.action,
            result_code = code,
            "control instruction refused: seal"
        );
        return refusal(
            StatusCode::FORBIDDEN,
            code,
            message,
            Some(instruction.request_id),
        );
    }
    let outcome = decide(platform, &key, &instruction);
    let result_code = match &outcome {
        Ok(_) => api::SUCCESS,
        Err((_, code, _)) => code,
    };
    tracing::info!(
        agency = %platform.name,
        request_id = %instruction.request_id,
        action = ?instruction.action,
        cert_no = %mask_id(&instruction.cert_no),
        result_code,
        "control instruction answered"
    );
    match outcome {
        Ok(answer) => wire::success(instruction.request_id, key, answer),
        Err((status, code, message)) => {
            refusal(status, code, message, Some(instruction.request_id))
        }
    }
}

/// The `X-Court-Seal` must verify over the request as received (key, body and the freeze
/// number in the path), by a trusted key, made within the window around the platform's
/// system clock. Checked before the platform looks at the holder, the freezes or the key.
fn check_seal(
    platform: &Platform,
    key: &str,
    ins: &Instruction,
    headers: &HeaderMap,
) -> Result<(), (&'static str, String)> {
    let malformed = || {
        (
            wire::SEAL_INVALID,
            "the X-Court-Seal header is malformed: keyId=..,t=..,sig=.. expected".to_string(),
        )
    };
    let seal = wire::court_seal(headers).map_err(|()| malformed())?;
    let now = crate::instruction_keys::now_secs();
    platform
        .trusted
        .verify(&ins.signed_fields(key), seal.as_ref(), now)
        .map_err(|error| match error {
            SignatureError::Missing => (
                wire::SEAL_MISSING,
                "the instruction carries no court seal (X-Court-Seal)".to_string(),
            ),
            SignatureError::Stale(_) => (wire::SEAL_STALE, error.to_string()),
            SignatureError::UnknownKey(_)
            | SignatureError::Malformed
            | SignatureError::Mismatch
            | SignatureError::BadKey(_) => (wire::SEAL_INVALID, error.to_string()),
        })
}

/// A refusal: HTTP status, result code, message.
type Refused = (StatusCode, &'static str, String);

fn business(code: &'static str, message: impl Into<String>) -> Refused {
    (StatusCode::OK, code, message.into())
}

fn invalid(message: impl Into<String>) -> Refused {
    (StatusCode::BAD_REQUEST, INVALID_PARAMETER, message.into())
}

/// The platform's checks, then the register. Checks that depend on the day or on the freeze's
/// state are skipped for a key already seen: its replay answers as the register says.
fn decide(platform: &Platform, key: &str, ins: &Instruction) -> Result<Answer, Refused> {
    let debtor = checks::holder(platform, ins.cert_type, &ins.cert_no, &ins.name)
        .map_err(|(code, message)| business(code, message))?;
    let account = account_for(&platform.name, &platform.population, debtor);
    let holding = account
        .holdings
        .iter()
        .find(|h| h.account_id == ins.account_id && h.product.code() == ins.product)
        .ok_or_else(|| {
            business(
                wire::ACCOUNT_NOT_OWNED,
                "the account does not belong to the certificate holder",
            )
        })?;
    let book = &platform.book;
    let seen = book.by_key(key).is_some();
    let today = platform.knobs.today();
    let fingerprint = ins.fingerprint();
    if !seen {
        if let Some(freeze_no) = ins.action.freeze_no() {
            let hold = book
                .holds_on(&ins.account_id)
                .into_iter()
                .find(|h| h.id == freeze_no && h.kind == HoldKind::Freeze)
                .ok_or_else(|| {
                    business(
                        wire::FREEZE_NOT_FOUND,
                        "no freeze with this number on this account",
                    )
                })?;
            if hold.court != ins.case.court() {
                return Err(business(
                    wire::NOT_FREEZE_HOLDER,
                    "the freeze belongs to another court",
                ));
            }
            if let (Action::Renew(_), Some(end)) = (&ins.action, ins.end_date) {
                if end > hold.until.plus_days(MAX_TERM_DAYS) {
                    return Err(invalid(format!(
                        "end_date may extend the freeze by at most one year, to {}",
                        hold.until.plus_days(MAX_TERM_DAYS)
                    )));
                }
            }
        }
    }
    let result = match &ins.action {
        Action::Freeze => {
            let until = ins
                .end_date
                .ok_or_else(|| invalid("end_date is required"))?;
            if !seen && (until <= today || until > today.plus_days(MAX_TERM_DAYS)) {
                return Err(invalid(format!(
                    "end_date must be after {today} and at most one year ahead"
                )));
            }
            book.place(
                key,
                &fingerprint,
                Placement {
                    kind: HoldKind::Freeze,
                    asset: ins.account_id.clone(),
                    court: ins.case.court().to_string(),
                    case: ins.case.as_str().to_string(),
                    ruling: ins.ruling.clone(),
                    amount: ins.amount,
                    until,
                    balance: Fen(holding.amount_fen),
                    frozen_elsewhere: Fen(holding.frozen_fen),
                    seals_elsewhere: 0,
                },
            )
        }
        Action::Release(no) => book.release(key, &fingerprint, no),
        Action::Renew(no) => {
            let until = ins
                .end_date
                .ok_or_else(|| invalid("end_date is required"))?;
            book.renew(key, &fingerprint, no, until)
        }
        Action::Deduct(no) => book.deduct(key, &fingerprint, no, ins.amount),
    };
    result.map_err(|refusal| match refusal {
        Refusal::KeyReused => (
            StatusCode::UNPROCESSABLE_ENTITY,
            wire::IDEMPOTENCY_KEY_REUSED,
            refusal.to_string(),
        ),
        Refusal::NoSuchHold => business(wire::FREEZE_NOT_FOUND, refusal.to_string()),
        Refusal::WrongState(why) => business(wire::FREEZE_STATE_INVALID, why),
        Refusal::BadAmount(why) => business(wire::AMOUNT_EXCEEDS_FROZEN, why),
    })
}
