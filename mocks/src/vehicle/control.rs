//! The administration's control endpoints: seal (查封), watch (布控), release (解封 / 撤控) and
//! renew (续封 / 续控) of a vehicle by VIN, and the status of an instruction by its request
//! number (请求编号, the idempotency key). Each request is signed like the inquiry; then the
//! fields are checked (400 / 4001), then the court's electronic seal (3007 / 3008 / 3009, see
//! `esign`; before the register is touched, so also before a replay is answered), then that
//! the vehicle is the debtor's (3001), that the hold
//! is on it and the court's own (3002 / 3006), the end date (3005); the hold register
//! ([`HoldBook`](crate::HoldBook)) decides the rest (queue, expiry, replays, 3003 / 3004).
//! Also adds the register's seals to inquiry answers.

use super::api::{reply, Administration};
use super::data::{self, Seal, SealKind, VehicleRecord};
use super::esign;
use super::order::{date_of, validate, years_later, Act, Order, MAX_FIELD};
use super::wire::{Code, ControlData, ControlRequest, StatusParams};
use crate::holds::{Answer, HoldKind, Placement, Refusal};
use assethub_connectors::domain::Fen;
use assethub_connectors::HoldStatus;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use std::sync::Arc;

/// Paths of the control endpoints.
pub const SEAL_PATH: &str = "/vehicle/judicial/seal";
pub const WATCH_PATH: &str = "/vehicle/judicial/watch";
pub const RELEASE_PATH: &str = "/vehicle/judicial/release";
pub const RENEW_PATH: &str = "/vehicle/judicial/renew";
/// `GET ?qqbh=<请求编号>`: the instruction's current answer, or code 2003.
pub const STATUS_PATH: &str = "/vehicle/judicial/control";
/// Longest seal or watch term accepted, in years (movables: two years).
const MAX_TERM_YEARS: u32 = 2;

macro_rules! endpoint {
    ($name:ident, $act:expr) => {
        pub async fn $name(
            State(admin): State<Arc<Administration>>,
            headers: HeaderMap,
            body: Result<Json<ControlRequest>, JsonRejection>,
        ) -> Response {
            handle($act, &admin, &headers, body)
        }
    };
}

endpoint!(seal, Act::Seal);
endpoint!(watch, Act::Watch);
endpoint!(release, Act::Release);
endpoint!(renew, Act::Renew);

fn handle(
    act: Act,
    admin: &Administration,
    headers: &HeaderMap,
    body: Result<Json<ControlRequest>, JsonRejection>,
) -> Response {
    if let Some(refused) = admin.authenticate(headers) {
        return refused;
    }
    let order = body
        .map_err(|_| "请求报文格式错误".to_string())
        .and_then(|Json(request)| validate(act, request));
    match order {
        Ok(order) => {
            if let Err((code, message)) = esign::check(&admin.trusted, &order, esign::now_secs()) {
                tracing::debug!(agency = %admin.name, action = act.name(), code = code.value(), "control request not sealed");
                return refused(code, &message);
            }
            admin.control(order)
        }
        Err(message) => {
            tracing::debug!(agency = %admin.name, action = act.name(), "control request rejected");
            reply::<ControlData>(StatusCode::BAD_REQUEST, Code::BadRequest, &message, None)
        }
    }
}

/// `GET /vehicle/judicial/control?qqbh=<请求编号>`.
pub async fn status(
    State(admin): State<Arc<Administration>>,
    headers: HeaderMap,
    params: Result<Query<StatusParams>, QueryRejection>,
) -> Response {
    if let Some(refused) = admin.authenticate(&headers) {
        return refused;
    }
    let key = params
        .ok()
        .and_then(|Query(p)| p.qqbh)
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty() && k.chars().count() <= MAX_FIELD);
    let Some(key) = key else {
        return reply::<ControlData>(
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            "缺少参数 qqbh",
            None,
        );
    };
    match admin.book.by_key(&key) {
        Some(answer) => answered(answer),
        None => reply::<ControlData>(
            StatusCode::OK,
            Code::NoSuchRequest,
            "未查询到该请求编号的控制指令",
            None,
        ),
    }
}

impl Administration {
    fn control(&self, order: Order) -> Response {
        let Some(vehicle) = self.vehicle_of(&order) else {
            return refused(Code::NotDebtors, "车辆不存在或不属于该被执行人");
        };
        let fresh = self.book.by_key(&order.key).is_none();
        let today = self.knobs.today();
        let fingerprint = order.fingerprint();
        let result = match order.act {
            Act::Seal | Act::Watch => {
                let until = order.until.unwrap_or(today);
                if fresh
                    && vehicle
                        .statuses
                        .contains(&super::catalogue::Status::Deregistered)
                {
                    return refused(Code::WrongState, "车辆已注销，不能查封或布控");
                }
                if fresh && (until < today || until > years_later(today, MAX_TERM_YEARS)) {
                    return refused(
                        Code::BadDate,
                        &format!("截止日期须在今日至{MAX_TERM_YEARS}年内"),
                    );
                }
                let kind = if order.act == Act::Seal {
                    HoldKind::Seal
                } else {
                    self.feed.remember_plate(&vehicle.vin, &vehicle.plate);
                    HoldKind::Watch
                };
                self.book.place(
                    &order.key,
                    &fingerprint,
                    Placement {
                        kind,
                        asset: vehicle.vin.clone(),
                        court: order.case.court().to_string(),
                        case: order.case.to_string(),
                        ruling: order.ruling.clone(),
                        amount: Fen(0),
                        until,
                        balance: Fen(0),
                        frozen_elsewhere: Fen(0),
                        // Watches never queue; seals queue behind older ones.
                        seals_elsewhere: if kind == HoldKind::Seal {
                            crate::seal::standing(&vehicle.seals, today)
                        } else {
                            0
                        },
                    },
                )
            }
            Act::Release | Act::Renew => {
                let hold_id = order.hold.clone().unwrap_or_default();
                let Some(hold) = self
                    .book
                    .holds_on(&vehicle.vin)
                    .into_iter()
                    .find(|h| h.id == hold_id)
                else {
                    return refused(Code::NoSuchHold, "该车辆无此控制编号");
                };
                if hold.court != order.case.court() {
                    return refused(Code::NotHolder, "非本院控制，无权操作");
                }
                if order.act == Act::Release {
                    self.book.release(&order.key, &fingerprint, &hold_id)
                } else {
                    let until = order.until.unwrap_or(today);
                    let latest = years_later(hold.until.max(today), MAX_TERM_YEARS);
                    if fresh && until > latest {
                        return refused(Code::BadDate, &format!("续控截止日期不得晚于 {latest}"));
                    }
                    self.book.renew(&order.key, &fingerprint, &hold_id, until)
                }
            }
        };
        match result {
            Ok(answer) => {
                tracing::debug!(
                    agency = %self.name,
                    action = order.act.name(),
                    hold = %answer.hold,
                    status = ?answer.status,
                    "control answered"
                );
                answered(answer)
            }
            Err(refusal) => {
                let code = match &refusal {
                    Refusal::KeyReused => Code::KeyReused,
                    Refusal::NoSuchHold => Code::NoSuchHold,
                    Refusal::WrongState(_) | Refusal::BadAmount(_) => Code::WrongState,
                };
                refused(code, &refusal.to_string())
            }
        }
    }

    /// The vehicle named in `order`, if it is registered to the debtor (id and name).
    fn vehicle_of(&self, order: &Order) -> Option<VehicleRecord> {
        let debtor = self.population.get(order.id.as_str())?;
        if debtor.name != order.name {
            return None;
        }
        data::holdings(&self.name, &self.population, debtor)
            .into_iter()
            .find(|v| v.vin == order.vin)
    }

    /// Lists the register's seals in force or queued on `vehicle` after its derived ones, and
    /// marks it sealed (`K`) when there are any.
    pub(super) fn add_register_seals(&self, vehicle: &mut VehicleRecord) {
        for hold in self.book.holds_on(&vehicle.vin) {
            let kind = match (hold.kind, hold.status) {
                (HoldKind::Seal, HoldStatus::Effective) => SealKind::Seal,
                (HoldKind::Seal, HoldStatus::Queued { .. }) => SealKind::Queued,
                _ => continue,
            };
            vehicle.seals.push(Seal {
                kind,
                court: hold.court,
                case_number: hold.case,
                since: date_of(hold.since),
                until: (kind == SealKind::Seal).then(|| date_of(hold.until)),
            });
        }
        let sealed = super::catalogue::Status::Sealed;
        if !vehicle.seals.is_empty() && !vehicle.statuses.contains(&sealed) {
            vehicle
                .statuses
                .retain(|s| *s != super::catalogue::Status::Normal);
            vehicle.statuses.push(sealed);
            vehicle.statuses.sort();
        }
    }
}

fn answered(answer: Answer) -> Response {
    let (kzzt, pdxh) = match answer.status {
        HoldStatus::Pending => ("0", None),
        HoldStatus::Effective => ("1", None),
        HoldStatus::Queued { position } => ("2", Some(position)),
        HoldStatus::Released => ("3", None),
        HoldStatus::Expired => ("4", None),
        HoldStatus::Rejected => ("5", None),
        HoldStatus::Deducted => ("6", None),
    };
    let data = ControlData {
        kzbh: answer.hold,
        kzzt,
        pdxh,
        jzrq: answer.until.to_string(),
        bz: answer.message,
    };
    reply(StatusCode::OK, Code::Success, "成功", Some(data))
}

fn refused(code: Code, message: &str) -> Response {
    reply::<ControlData>(StatusCode::OK, code, message, None)
}
