//! From the registry's control answer to a `ControlAnswer`: result codes (success, key never
//! received, refusals, token, internal error), the seal's status word to a `HoldStatus`
//! (`已查封` Effective, `轮候查封` + `Lhsx` Queued, `已解封` Released, `已到期` Expired, `办理中`
//! Pending, `不予办理` Rejected, `已处分` Deducted) and its end date. Seals hold no money, so
//! `held` and `deducted` are zero; the message is the seal's 说明 (`Sm`, e.g. its place in the
//! queue), the same whether read from the instruction's answer or a later status query.
//! The registry's electronic-seal refusals (4005 unsealed, 4006 invalid or unknown key, 4007
//! stale) are `Rejected` like its other refusals: resending the same instruction cannot help.

use super::control_wire::{code as control_code, KzResponse, KzResponseBody};
use super::wire::code;
use crate::control::{ControlAnswer, HoldStatus};
use crate::domain::{CivilDate, Fen};
use crate::error::{ConnectorError, ErrorClass};

/// The answer to the request `request_id` about the business `key`; `None` when the registry
/// says it never received that key.
pub fn answer(
    request_id: &str,
    key: &str,
    response: KzResponse,
) -> Result<Option<ControlAnswer>, ConnectorError> {
    let head = response.head;
    for (echoed, sent, what) in [
        (&head.qqbh, request_id, "Qqbh"),
        (&head.ywlsh, key, "Ywlsh"),
    ] {
        if let Some(echoed) = echoed.as_deref().map(str::trim) {
            if !echoed.is_empty() && echoed != sent {
                return Err(ConnectorError::malformed(format!(
                    "registry answered another request ({what} differs)"
                )));
            }
        }
    }
    let detail = || format!("registry code {}: {}", head.code.trim(), head.msg.trim());
    match head.code.trim() {
        code::SUCCESS => {}
        control_code::UNKNOWN_KEY => return Ok(None),
        code::UNAUTHORIZED => return Err(ConnectorError::new(ErrorClass::Auth, detail())),
        code::INTERNAL => return Err(ConnectorError::new(ErrorClass::Server, detail())),
        c if control_code::REFUSED.contains(&c)
            || code::BAD_REQUEST.contains(&c)
            || c == code::NO_RECORD
            || c == code::NAME_MISMATCH =>
        {
            return Err(ConnectorError::new(ErrorClass::Rejected, detail()))
        }
        _ => return Err(ConnectorError::malformed(format!("unknown {}", detail()))),
    }
    let body = response
        .body
        .ok_or_else(|| ConnectorError::malformed("registry reported success without a Body"))?;
    convert(body).map(Some)
}

fn convert(body: KzResponseBody) -> Result<ControlAnswer, ConnectorError> {
    let hold = body.cfbh.trim().to_string();
    if hold.is_empty() {
        return Err(ConnectorError::malformed(
            "control answer without a seal id (Cfbh)",
        ));
    }
    let position = body
        .lhsx
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let status = match body.zt.trim() {
        "已查封" | "查封" | "已续封" => HoldStatus::Effective,
        "轮候查封" => {
            let position = position
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|&p| p > 0)
                .ok_or_else(|| {
                    ConnectorError::malformed(format!(
                        "queued seal {hold} without a valid queue position (Lhsx)"
                    ))
                })?;
            HoldStatus::Queued { position }
        }
        "已解封" => HoldStatus::Released,
        "已到期" => HoldStatus::Expired,
        "办理中" => HoldStatus::Pending,
        "不予办理" => HoldStatus::Rejected,
        "已处分" => HoldStatus::Deducted,
        other => {
            return Err(ConnectorError::malformed(format!(
                "unknown status {other:?} of seal {hold}"
            )))
        }
    };
    let until = match body
        .cfjssj
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(date) => Some(
            CivilDate::parse(date)
                .map_err(|e| ConnectorError::malformed(format!("end date of seal {hold}: {e}")))?,
        ),
        None => None,
    };
    Ok(ControlAnswer {
        hold,
        status,
        held: Fen::ZERO,
        deducted: Fen::ZERO,
        held_quantity: 0,
        until,
        message: body
            .sm
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_string(),
    })
}
