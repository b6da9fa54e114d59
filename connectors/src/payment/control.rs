//! Control instructions on a payment platform: freeze, release, renew and deduct a balance
//! (`POST /v3/judicial/freezes[/{freeze_no}/{release|renew|deduct}]`, JSON body, bearer token,
//! `Idempotency-Key` header) and the status of an earlier instruction by its key
//! (`GET /v3/judicial/instructions`). Wire types, the checks made before any request (seals
//! and watches are not the platform's; malformed asset ids, freeze numbers and keys), and the
//! conversion of the platform's freeze to a `ControlAnswer`. Wire types: `control_wire.rs`.
//!
//! Refusals (`ACCOUNT_NOT_OWNED`, `AMOUNT_EXCEEDS_FROZEN`, `IDEMPOTENCY_KEY_REUSED`, ...)
//! become `ErrorClass::Rejected` with the platform's code and message; 404
//! `INSTRUCTION_NOT_FOUND` on the status endpoint is `Ok(None)`.
//!
//! The instruction's electronic seal travels in the header `X-Court-Seal: keyId=<key id>,
//! t=<Unix seconds>,sig=<base64>` (no header when the instruction is unsigned: the platform
//! refuses it). The platform's seal refusals are HTTP 403 `SEAL_MISSING`, `SEAL_INVALID`
//! (altered, another or unknown key, malformed) and `SEAL_STALE`; they are `Rejected` rather
//! than `Auth` — an unknown key included: it is this instruction that is refused, not our
//! token, and resending it unchanged cannot help. Any other 403 stays `Auth`.

use super::connector::{token_refused, Attempt, PaymentConnector};
use super::control_wire::{
    ControlBody, ControlResponse, COURT_SEAL, FREEZES_PATH, IDEMPOTENCY_KEY, INSTRUCTIONS_PATH,
    INSTRUCTION_NOT_FOUND, REFUSALS, SEAL_REFUSALS,
};
use super::token::AccessToken;
use super::wire;
use crate::connector::CallContext;
use crate::control::{ControlAction, ControlAnswer, ControlInstruction, HoldStatus};
use crate::domain::{CivilDate, DebtorId, Fen};
use crate::error::{ConnectorError, ErrorClass};
use crate::http;
use crate::signature::InstructionSignature;
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::StatusCode;

fn rejected(message: impl Into<String>) -> ConnectorError {
    ConnectorError::new(ErrorClass::Rejected, message)
}

/// The path and action-specific fields of an instruction, or why it cannot be sent.
struct Route<'a> {
    path: String,
    amount_fen: Option<i64>,
    end_date: Option<String>,
    case_account: Option<&'a str>,
}

fn route<'a>(source: &str, action: &'a ControlAction) -> Result<Route<'a>, ConnectorError> {
    let on = |hold: &str, verb: &str| -> Result<String, ConnectorError> {
        let ok = !hold.is_empty()
            && hold.len() <= 64
            && hold
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(rejected(format!(
                "{:?} is not a freeze number of this platform",
                http::truncate(hold, 40)
            )));
        }
        Ok(format!("{FREEZES_PATH}/{hold}/{verb}"))
    };
    let plain = |path: String| Route {
        path,
        amount_fen: None,
        end_date: None,
        case_account: None,
    };
    Ok(match action {
        ControlAction::Freeze { amount, until } => Route {
            amount_fen: Some(amount.0),
            end_date: Some(until.to_string()),
            ..plain(FREEZES_PATH.to_string())
        },
        ControlAction::FreezeQuantity { .. } => {
            return Err(ConnectorError::new(
                ErrorClass::Unsupported,
                "a payment platform freezes money in fen, not a quantity of units",
            ))
        }
        ControlAction::Release { hold } => plain(on(hold, "release")?),
        ControlAction::Renew { hold, until } => Route {
            end_date: Some(until.to_string()),
            ..plain(on(hold, "renew")?)
        },
        ControlAction::Deduct {
            hold,
            amount,
            into_account,
        } => Route {
            amount_fen: Some(amount.0),
            case_account: Some(into_account.as_str()),
            ..plain(on(hold, "deduct")?)
        },
        ControlAction::Seal { .. } | ControlAction::Watch { .. } => {
            return Err(ConnectorError::new(
                ErrorClass::Unsupported,
                format!(
                    "source {source} does not support {}: a payment platform holds balances",
                    action.name()
                ),
            ))
        }
    })
}

/// The `X-Court-Seal` header value of a signature, or why it cannot be written in a header.
fn seal_header(seal: &InstructionSignature) -> Result<HeaderValue, ConnectorError> {
    let fits = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b',' && b != b'=')
    };
    if !fits(&seal.key_id)
        || !seal
            .signature
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b',')
    {
        return Err(rejected(
            "the instruction's seal cannot be carried in the X-Court-Seal header",
        ));
    }
    let value = format!(
        "keyId={},t={},sig={}",
        seal.key_id, seal.signed_at, seal.signature
    );
    HeaderValue::from_str(&value).map_err(|_| {
        rejected("the instruction's seal cannot be carried in the X-Court-Seal header")
    })
}

/// An idempotency key the platform accepts: 1-128 visible ASCII characters.
fn check_key(key: &str) -> Result<(), ConnectorError> {
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(rejected(
            "the idempotency key must be 1-128 visible ASCII characters",
        ));
    }
    Ok(())
}

impl PaymentConnector {
    /// Sends one instruction (see [`Connector::control`](crate::Connector::control)).
    pub(super) async fn send_control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let route = route(self.id.as_str(), &instruction.action)?;
        check_key(&instruction.key)?;
        let seal = instruction
            .signature
            .as_ref()
            .map(seal_header)
            .transpose()?;
        let (account_id, product) = instruction
            .asset
            .rsplit_once(':')
            .filter(|(a, p)| !a.is_empty() && !p.is_empty())
            .ok_or_else(|| rejected("the asset is not an account:product of this platform"))?;
        let body = ControlBody {
            request_id: &ctx.request_id,
            case_no: instruction.case.as_str(),
            ruling_no: &instruction.ruling,
            officer: &instruction.officer,
            cert_type: match instruction.debtor.id {
                DebtorId::Resident(_) => wire::CERT_IDCARD,
                DebtorId::Company(_) => wire::CERT_USCC,
            },
            cert_no: instruction.debtor.id.as_str(),
            name: &instruction.debtor.name,
            account_id,
            product,
            amount_fen: route.amount_fen,
            end_date: route.end_date,
            case_account: route.case_account,
        };
        let url = format!("{}{}", self.config.base_url, route.path);
        let answer = self
            .with_token(|token| {
                self.post_control(&url, &instruction.key, seal.as_ref(), &body, token)
            })
            .await?;
        let answer = convert(ctx, &instruction.key, answer)?;
        tracing::debug!(
            source = %self.id,
            request_id = %ctx.request_id,
            action = instruction.action.name(),
            hold = %answer.hold,
            status = ?answer.status,
            "payment platform answered a control instruction"
        );
        Ok(answer)
    }

    async fn post_control(
        &self,
        url: &str,
        key: &str,
        seal: Option<&HeaderValue>,
        body: &ControlBody<'_>,
        token: AccessToken,
    ) -> Result<Attempt<ControlResponse>, ConnectorError> {
        let mut request = self
            .http
            .post(url)
            .bearer_auth(token.as_str())
            .header(ACCEPT, "application/json")
            .header(IDEMPOTENCY_KEY, key)
            .json(body);
        if let Some(seal) = seal {
            request = request.header(COURT_SEAL, seal.clone());
        }
        let exchange = http::exchange(request, None).await?;
        if token_refused(&exchange) {
            return Ok(Attempt::TokenRefused);
        }
        if exchange.status == StatusCode::FORBIDDEN {
            // A refused seal is the platform's answer about this instruction, not about our
            // credentials: `Rejected` with its code and words (see `convert`).
            if let Ok(refusal) = serde_json::from_slice::<ControlResponse>(&exchange.body) {
                if SEAL_REFUSALS.contains(&refusal.result_code.as_str()) {
                    return Ok(Attempt::Answered(refusal));
                }
            }
        }
        let body = exchange.success_body(wire::error_detail)?;
        http::decode_json(&body).map(Attempt::Answered)
    }

    /// The current answer to the instruction sent with `key`; `None` if never received.
    pub(super) async fn ask_control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        check_key(key)?;
        let url = format!("{}{INSTRUCTIONS_PATH}", self.config.base_url);
        let answer = self
            .with_token(|token| self.get_status(ctx, &url, key, token))
            .await?;
        answer.map(|a| convert(ctx, key, a)).transpose()
    }

    async fn get_status(
        &self,
        ctx: &CallContext,
        url: &str,
        key: &str,
        token: AccessToken,
    ) -> Result<Attempt<Option<ControlResponse>>, ConnectorError> {
        let request = self
            .http
            .get(url)
            .bearer_auth(token.as_str())
            .header(ACCEPT, "application/json")
            .query(&[("idempotency_key", key), ("request_id", &ctx.request_id)]);
        let exchange = http::exchange(request, None).await?;
        if token_refused(&exchange) {
            return Ok(Attempt::TokenRefused);
        }
        if exchange.status == StatusCode::NOT_FOUND {
            let never_received = serde_json::from_slice::<ControlResponse>(&exchange.body)
                .is_ok_and(|r| r.result_code == INSTRUCTION_NOT_FOUND);
            if never_received {
                return Ok(Attempt::Answered(None));
            }
        }
        let body = exchange.success_body(wire::error_detail)?;
        http::decode_json(&body).map(|r| Attempt::Answered(Some(r)))
    }
}

/// [`convert`] of a raw JSON answer, for tests of answers the mock never gives.
#[cfg(test)]
pub(super) fn convert_json(
    ctx: &CallContext,
    key: &str,
    body: &str,
) -> Result<ControlAnswer, ConnectorError> {
    decode(ctx, key, body.as_bytes())
}

/// A control or status answer body (HTTP 200, or a 403 seal refusal) read as the connector
/// reads it: decoded, then [`convert`]ed.
pub(super) fn decode(
    ctx: &CallContext,
    key: &str,
    body: &[u8],
) -> Result<ControlAnswer, ConnectorError> {
    convert(ctx, key, http::decode_json(body)?)
}

/// The platform's answer as a `ControlAnswer`, or its refusal as `Rejected`.
fn convert(
    ctx: &CallContext,
    key: &str,
    answer: ControlResponse,
) -> Result<ControlAnswer, ConnectorError> {
    let message = answer.result_msg.as_deref().unwrap_or("");
    let code = answer.result_code.as_str();
    if code != wire::SUCCESS {
        let text = format!(
            "{}: {}",
            http::truncate(code, 40),
            http::truncate(message, 200)
        );
        return Err(if REFUSALS.contains(&code) {
            rejected(text)
        } else {
            ConnectorError::malformed(format!("unexpected result_code {text}"))
        });
    }
    if answer
        .request_id
        .as_deref()
        .is_some_and(|r| r != ctx.request_id)
    {
        return Err(ConnectorError::malformed(
            "the answer carries another request's request_id",
        ));
    }
    if answer.idempotency_key.as_deref().is_some_and(|k| k != key) {
        return Err(ConnectorError::malformed(
            "the answer carries another instruction's idempotency_key",
        ));
    }
    let freeze = answer
        .freeze
        .ok_or_else(|| ConnectorError::malformed("result_code SUCCESS without freeze"))?;
    let status = match (freeze.status.as_str(), freeze.queue_position) {
        ("FROZEN", _) => HoldStatus::Effective,
        ("QUEUED", Some(position)) if position >= 1 => HoldStatus::Queued { position },
        ("PROCESSING", _) => HoldStatus::Pending,
        ("RELEASED", _) => HoldStatus::Released,
        ("DEDUCTED", _) => HoldStatus::Deducted,
        ("EXPIRED", _) => HoldStatus::Expired,
        ("REJECTED", _) => HoldStatus::Rejected,
        (other, position) => {
            return Err(ConnectorError::malformed(format!(
                "unknown freeze status {:?} (queue_position {position:?})",
                http::truncate(other, 20)
            )))
        }
    };
    if freeze.freeze_no.trim().is_empty() {
        return Err(ConnectorError::malformed("freeze without freeze_no"));
    }
    if freeze.frozen_fen < 0 || freeze.deducted_fen < 0 {
        return Err(ConnectorError::malformed(format!(
            "freeze amounts out of range (frozen_fen {}, deducted_fen {})",
            freeze.frozen_fen, freeze.deducted_fen
        )));
    }
    let until = freeze
        .end_date
        .as_deref()
        .map(CivilDate::parse)
        .transpose()
        .map_err(|e| ConnectorError::malformed(format!("freeze end_date: {e}")))?;
    Ok(ControlAnswer {
        hold: freeze.freeze_no,
        status,
        held: Fen(freeze.frozen_fen),
        deducted: Fen(freeze.deducted_fen),
        held_quantity: 0,
        until,
        message: freeze.remark.unwrap_or_default(),
    })
}
