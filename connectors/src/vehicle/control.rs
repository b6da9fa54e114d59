//! Control at a vehicle administration: seal (查封), watch (布控), release and renew of a vehicle
//! by VIN as one signed JSON `POST` each, the status of an instruction by its request number
//! (`GET /vehicle/judicial/control?qqbh=`, code 2003 = never received), and the sightings
//! feed (`GET /vehicle/judicial/sightings?cursor=`). Answers map onto [`ControlAnswer`]:
//! `kzzt` `0` Pending, `1` Effective, `2` Queued (`pdxh`), `3` Released, `4` Expired,
//! `5` Rejected, `6` Deducted; refusals (3xxx, 4001) are `Rejected` with the administration's
//! message. One attempt per call.
//!
//! The instruction's electronic seal travels in the JSON body as `qzmy` (key id), `qzsj`
//! (signing time, Unix seconds) and `qzz` (base64 signature); an unsealed instruction is sent
//! without them. The administration's seal refusals (3007 unsealed, 3008 invalid or unknown
//! key, 3009 stale) are `Rejected` like its other refusals: resending the same instruction
//! cannot help, the hub must re-sign (or be given the right key).

use super::connector::{VehicleConnector, BODY_CAP};
use super::wire::{self, code, ControlData, ControlRequest, Reply, SightingsData};
use crate::connector::CallContext;
use crate::control::{
    ControlAction, ControlAnswer, ControlInstruction, HoldStatus, Sighting, SightingsPage,
};
use crate::domain::{CivilDate, Fen};
use crate::error::{ConnectorError, ErrorClass};
use crate::http;
use serde::de::DeserializeOwned;

pub const SEAL_PATH: &str = "/vehicle/judicial/seal";
pub const WATCH_PATH: &str = "/vehicle/judicial/watch";
pub const RELEASE_PATH: &str = "/vehicle/judicial/release";
pub const RENEW_PATH: &str = "/vehicle/judicial/renew";
pub const STATUS_PATH: &str = "/vehicle/judicial/control";
pub const SIGHTINGS_PATH: &str = "/vehicle/judicial/sightings";

impl VehicleConnector {
    /// Sends one instruction; freeze and deduct are not vehicle actions (no HTTP call).
    pub(super) async fn send_control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let (path, until, hold) = match &instruction.action {
            ControlAction::Seal { until } => (SEAL_PATH, Some(*until), None),
            ControlAction::Watch { until } => (WATCH_PATH, Some(*until), None),
            ControlAction::Release { hold } => (RELEASE_PATH, None, Some(hold.as_str())),
            ControlAction::Renew { hold, until } => (RENEW_PATH, Some(*until), Some(hold.as_str())),
            other @ (ControlAction::Freeze { .. }
            | ControlAction::FreezeQuantity { .. }
            | ControlAction::Deduct { .. }) => {
                return Err(ConnectorError::new(
                    ErrorClass::Unsupported,
                    format!(
                        "source {} (vehicle administration) does not support {}",
                        self.id,
                        other.name()
                    ),
                ))
            }
        };
        // The court's seal travels in the body; unsealed, the administration refuses (3007).
        let seal = instruction.signature.as_ref();
        let body = ControlRequest {
            qqbh: &instruction.key,
            ah: instruction.case.as_str(),
            cdswh: &instruction.ruling,
            cbr: &instruction.officer,
            fydm: instruction.case.court(),
            clsbdh: &instruction.asset,
            sfzmhm: instruction.debtor.id.as_str(),
            xm: &instruction.debtor.name,
            jzrq: until.map(|d| d.to_string()),
            kzbh: hold,
            qzmy: seal.map(|s| s.key_id.as_str()),
            qzsj: seal.map(|s| s.signed_at),
            qzz: seal.map(|s| s.signature.as_str()),
        };
        tracing::debug!(
            source = %self.id,
            action = instruction.action.name(),
            key = %instruction.key,
            case = %instruction.case,
            vin = %instruction.asset,
            request_id = %ctx.request_id,
            "vehicle control"
        );
        let request = self.signed(self.client.post(format!("{}{path}", self.base)).json(&body));
        let answer = control_reply(self.fetch(request).await?)?;
        tracing::debug!(source = %self.id, hold = %answer.hold, status = ?answer.status, "administration answered");
        Ok(answer)
    }

    /// The administration's current answer to the instruction sent with `key`.
    pub(super) async fn status_of(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        tracing::debug!(source = %self.id, key = %key, request_id = %ctx.request_id, "vehicle control status");
        let request = self.signed(
            self.client
                .get(format!("{}{STATUS_PATH}", self.base))
                .query(&[("qqbh", key)]),
        );
        status_reply(self.fetch(request).await?)
    }

    /// Sightings after `cursor` ("" from the oldest kept).
    pub(super) async fn sightings_after(
        &self,
        cursor: &str,
    ) -> Result<SightingsPage, ConnectorError> {
        let request = self.signed(
            self.client
                .get(format!("{}{SIGHTINGS_PATH}", self.base))
                .query(&[("cursor", cursor)]),
        );
        let data: SightingsData = self.call(request).await?.ok_or_else(|| {
            ConnectorError::malformed("administration reported success without data")
        })?;
        if data.cursor.trim().is_empty() {
            return Err(ConnectorError::malformed("sightings page without a cursor"));
        }
        Ok(SightingsPage {
            sightings: data
                .rows
                .into_iter()
                .map(|r| Sighting {
                    hold: r.kzbh,
                    plate: r.hphm,
                    place: r.dd,
                    seen_at: r.sj,
                })
                .collect(),
            cursor: data.cursor,
        })
    }

    /// One exchange whose answer must be a success; its data.
    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>, ConnectorError> {
        let reply: Reply<T> = self.fetch(request).await?;
        check(&reply)?;
        Ok(reply.data)
    }

    /// One exchange: HTTP errors classified, the envelope decoded.
    async fn fetch<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Reply<T>, ConnectorError> {
        let bytes = http::exchange(request, Some(BODY_CAP))
            .await?
            .success_body(wire::error_detail)?;
        http::decode_json(&bytes)
    }
}

/// Classifies a non-success code.
fn check<T>(reply: &Reply<T>) -> Result<(), ConnectorError> {
    let detail = || {
        format!(
            "administration code {}: {}",
            reply.code,
            http::truncate(reply.message.as_deref().unwrap_or("").trim(), 200)
        )
    };
    match reply.code {
        code::SUCCESS => Ok(()),
        code::BAD_REQUEST => Err(ConnectorError::new(ErrorClass::Rejected, detail())),
        c if code::REFUSALS.contains(&c) => {
            Err(ConnectorError::new(ErrorClass::Rejected, detail()))
        }
        c if code::AUTH.contains(&c) => Err(ConnectorError::new(ErrorClass::Auth, detail())),
        code::INTERNAL => Err(ConnectorError::new(ErrorClass::Server, detail())),
        _ => Err(ConnectorError::malformed(format!(
            "unexpected {}",
            detail()
        ))),
    }
}

/// The answer to a control instruction: a success with its data.
pub(super) fn control_reply(reply: Reply<ControlData>) -> Result<ControlAnswer, ConnectorError> {
    check(&reply)?;
    let data = reply
        .data
        .ok_or_else(|| ConnectorError::malformed("administration reported success without data"))?;
    answer(data)
}

/// The answer to a status query: `None` if the instruction was never received (2003).
pub(super) fn status_reply(
    reply: Reply<ControlData>,
) -> Result<Option<ControlAnswer>, ConnectorError> {
    if reply.code == code::NO_SUCH_REQUEST {
        return Ok(None);
    }
    control_reply(reply).map(Some)
}

/// A control answer's data as a [`ControlAnswer`].
fn answer(data: ControlData) -> Result<ControlAnswer, ConnectorError> {
    let hold = data.kzbh.trim().to_string();
    if hold.is_empty() {
        return Err(ConnectorError::malformed("control answer without 控制编号"));
    }
    let status = match (data.kzzt.trim(), data.pdxh) {
        ("0", _) => HoldStatus::Pending,
        ("1", _) => HoldStatus::Effective,
        ("2", Some(position)) if position >= 1 => HoldStatus::Queued { position },
        ("2", _) => {
            return Err(ConnectorError::malformed(format!(
                "queued hold {hold} without a queue position"
            )))
        }
        ("3", _) => HoldStatus::Released,
        ("4", _) => HoldStatus::Expired,
        ("5", _) => HoldStatus::Rejected,
        ("6", _) => HoldStatus::Deducted,
        (other, _) => {
            return Err(ConnectorError::malformed(format!(
                "unknown control state {other:?} of {hold}"
            )))
        }
    };
    let until = match data
        .jzrq
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(date) => Some(
            CivilDate::parse(date)
                .map_err(|e| ConnectorError::malformed(format!("end date of {hold}: {e}")))?,
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
        message: data.bz.unwrap_or_default().trim().to_string(),
    })
}
