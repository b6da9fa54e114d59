//! Control actions at the bank: freeze (answered "processing" and decided later by the bank),
//! release (解冻), deduct (扣划) into the court's case account and renew (续冻), plus the status
//! query by idempotency key (`bizNo`). Seals and watches are not bank actions: refused as
//! unsupported without calling the bank. One attempt per call; the hub retries with the same key.
//!
//! The instruction's electronic seal travels in the body as `sealKeyId`, `sealTime` (Unix
//! seconds) and `sealSig` (base64), so the request's HMAC signature covers it too; an unsigned
//! instruction is sent without them (and the bank refuses it). Seal refusals (`SEAL001`
//! unsealed, `SEAL002` altered / unknown key / malformed, `SEAL003` stale) are `Rejected` with
//! the bank's words — an unknown key included: it is this instruction the bank will not accept,
//! not our API credentials, and resending it unchanged cannot help.
//!
//! Mapping of `ctrlStatus`: `00` Pending, `10` Effective, `11` Queued (`queueNo`), `20`
//! Released, `30` Deducted, `40` Expired, `90` Rejected. Business refusals (`BIZ*`) and invalid
//! requests (`PARM*`) are `Rejected` with the bank's words; `BIZ2004` on the status query means
//! "never received" (`Ok(None)`).

use super::connector::{amount, BankConnector};
use super::wire::{
    self, ctrl, customer_type, ret, ControlData, ControlRequest, Envelope, StatusRequest,
};
use crate::connector::CallContext;
use crate::control::{ControlAction, ControlAnswer, ControlInstruction, HoldStatus};
use crate::domain::{mask_id, CivilDate, Fen};
use crate::error::{ConnectorError, ErrorClass};
use crate::http;
use std::time::Instant;

/// Longest freeze number accepted from the bank.
const MAX_FREEZE_NO: usize = 64;
/// How much of the bank's remark is kept.
const MAX_REMARK: usize = 500;

impl BankConnector {
    /// Sends one control instruction.
    pub(super) async fn send_control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let action = instruction.action.name();
        let started = Instant::now();
        let result = match request(ctx, instruction) {
            Ok((path, body)) => self.post::<ControlData>(path, &body).await.and_then(|e| {
                answer(ctx, &instruction.key, e)?.ok_or_else(|| {
                    ConnectorError::malformed(format!(
                        "answer {} to a {action} instruction",
                        ret::UNKNOWN_BIZ_NO
                    ))
                })
            }),
            Err(error) => Err(error),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(answer) => tracing::debug!(
                source = %self.id,
                request_id = %ctx.request_id,
                key = %http::truncate(&instruction.key, 64),
                action,
                account = %mask_id(&instruction.asset),
                hold = %answer.hold,
                status = ?answer.status,
                elapsed_ms,
                "bank control answered"
            ),
            Err(error) => tracing::debug!(
                source = %self.id,
                request_id = %ctx.request_id,
                key = %http::truncate(&instruction.key, 64),
                action,
                account = %mask_id(&instruction.asset),
                class = error.class.as_str(),
                error = %error.message,
                elapsed_ms,
                "bank control failed"
            ),
        }
        result
    }

    /// The bank's current answer to the instruction sent with `key`; `None` if never received.
    pub(super) async fn ask_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        let body = StatusRequest {
            req_id: &ctx.request_id,
            case_no: ctx.case.as_str(),
            biz_no: key,
        };
        let result = self
            .post::<ControlData>(wire::CONTROL_QUERY_PATH, &body)
            .await
            .and_then(|envelope| answer(ctx, key, envelope));
        tracing::debug!(
            source = %self.id,
            request_id = %ctx.request_id,
            key = %http::truncate(key, 64),
            outcome = %match &result {
                Ok(Some(answer)) => format!("{:?}", answer.status),
                Ok(None) => "never received".into(),
                Err(error) => error.class.as_str().into(),
            },
            "bank control status"
        );
        result
    }
}

/// The endpoint and body for one instruction; seals and watches are not bank actions.
fn request<'a>(
    ctx: &'a CallContext,
    ins: &'a ControlInstruction,
) -> Result<(&'static str, ControlRequest<'a>), ConnectorError> {
    let (cust_type, id_type) = customer_type(&ins.debtor);
    let mut body = ControlRequest {
        req_id: &ctx.request_id,
        biz_no: &ins.key,
        case_no: ins.case.as_str(),
        court_code: ins.case.court(),
        ruling_no: &ins.ruling,
        officer: &ins.officer,
        cust_type,
        id_type,
        id_no: ins.debtor.id.as_str(),
        cust_name: &ins.debtor.name,
        acct_no: &ins.asset,
        amt: None,
        end_date: None,
        freeze_no: None,
        case_acct_no: None,
        seal_key_id: ins.signature.as_ref().map(|s| s.key_id.as_str()),
        seal_time: ins.signature.as_ref().map(|s| s.signed_at),
        seal_sig: ins.signature.as_ref().map(|s| s.signature.as_str()),
    };
    let path = match &ins.action {
        ControlAction::Freeze { amount, until } => {
            body.amt = Some(amount.to_yuan_string());
            body.end_date = Some(until.compact());
            wire::FREEZE_PATH
        }
        ControlAction::FreezeQuantity { .. } => {
            return Err(ConnectorError::new(
                ErrorClass::Unsupported,
                "a bank freezes money in fen, not a quantity of units",
            ))
        }
        ControlAction::Release { hold } => {
            body.freeze_no = Some(hold);
            wire::UNFREEZE_PATH
        }
        ControlAction::Deduct {
            hold,
            amount,
            into_account,
        } => {
            body.freeze_no = Some(hold);
            body.amt = Some(amount.to_yuan_string());
            body.case_acct_no = Some(into_account);
            wire::DEDUCT_PATH
        }
        ControlAction::Renew { hold, until } => {
            body.freeze_no = Some(hold);
            body.end_date = Some(until.compact());
            wire::RENEW_PATH
        }
        ControlAction::Seal { .. } | ControlAction::Watch { .. } => {
            return Err(ConnectorError::new(
                ErrorClass::Unsupported,
                format!("a bank cannot {} assets", ins.action.name()),
            ))
        }
    };
    Ok((path, body))
}

/// Maps a control or status answer: `Ok(None)` for an unknown `bizNo`.
pub(super) fn answer(
    ctx: &CallContext,
    key: &str,
    envelope: Envelope<ControlData>,
) -> Result<Option<ControlAnswer>, ConnectorError> {
    let code = envelope.ret_code.trim();
    let detail = || {
        format!(
            "{} {}",
            http::truncate(code, 16),
            http::truncate(&envelope.ret_msg, 200)
        )
    };
    match code {
        ret::OK => {
            let echoed = envelope.req_id.as_deref().map(str::trim);
            if echoed != Some(ctx.request_id.trim()) {
                return Err(ConnectorError::malformed(format!(
                    "answer {} does not echo our reqId",
                    detail()
                )));
            }
            let data = envelope.data.ok_or_else(|| {
                ConnectorError::malformed(format!("answer {} carries no data", ret::OK))
            })?;
            convert(key, data).map(Some)
        }
        ret::UNKNOWN_BIZ_NO => Ok(None),
        c if c.starts_with(ret::BUSINESS_PREFIX)
            || c.starts_with(ret::PARAM_PREFIX)
            || c.starts_with(ret::SEAL_PREFIX) =>
        {
            Err(ConnectorError::new(
                ErrorClass::Rejected,
                format!("refused: {}", detail()),
            ))
        }
        c if c.starts_with(ret::AUTH_PREFIX) => Err(ConnectorError::new(
            ErrorClass::Auth,
            format!("refused: {}", detail()),
        )),
        c if c.starts_with(ret::SYSTEM_PREFIX) => Err(ConnectorError::new(
            ErrorClass::Server,
            format!("bank failure: {}", detail()),
        )),
        _ => Err(ConnectorError::malformed(format!(
            "unknown retCode: {}",
            detail()
        ))),
    }
}

/// Converts the answer's data exactly; anything not understood makes it malformed.
pub(super) fn convert(key: &str, data: ControlData) -> Result<ControlAnswer, ConnectorError> {
    if data.biz_no.as_deref().is_some_and(|b| b.trim() != key) {
        return Err(ConnectorError::malformed(
            "the answer is about another bizNo",
        ));
    }
    let hold = data.freeze_no.trim();
    if hold.is_empty()
        || hold.len() > MAX_FREEZE_NO
        || !hold.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ConnectorError::malformed(
            "freezeNo is empty or has unexpected characters",
        ));
    }
    let label = format!("freeze {hold}");
    let status = match (data.ctrl_status.trim(), data.queue_no) {
        (ctrl::PROCESSING, _) => HoldStatus::Pending,
        (ctrl::FROZEN, _) => HoldStatus::Effective,
        (ctrl::QUEUED, Some(position)) if position >= 1 => HoldStatus::Queued { position },
        (ctrl::QUEUED, _) => {
            return Err(ConnectorError::malformed(format!(
                "{label}: queued without a queueNo"
            )))
        }
        (ctrl::RELEASED, _) => HoldStatus::Released,
        (ctrl::DEDUCTED, _) => HoldStatus::Deducted,
        (ctrl::EXPIRED, _) => HoldStatus::Expired,
        (ctrl::REFUSED, _) => HoldStatus::Rejected,
        (other, _) => {
            return Err(ConnectorError::malformed(format!(
                "{label}: ctrlStatus {:?} is not understood",
                http::truncate(other, 8)
            )))
        }
    };
    let held = amount(&label, "frozenAmt", &data.frozen_amt)?;
    let deducted = match data.deduct_amt.as_deref() {
        Some(text) if !text.trim().is_empty() => amount(&label, "deductAmt", text)?,
        _ => Fen::ZERO,
    };
    let until = match data.end_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) if text.len() == 8 => Some(CivilDate::parse(text).map_err(|_| {
            ConnectorError::malformed(format!("{label}: endDate {text:?} is not a date"))
        })?),
        Some(text) => {
            return Err(ConnectorError::malformed(format!(
                "{label}: endDate {:?} is not yyyyMMdd",
                http::truncate(text, 16)
            )))
        }
    };
    Ok(ControlAnswer {
        hold: hold.to_string(),
        status,
        held,
        deducted,
        held_quantity: 0,
        until,
        message: http::truncate(data.remark.trim(), MAX_REMARK),
    })
}
