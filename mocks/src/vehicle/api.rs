//! The administration's HTTP API: the judicial vehicle query, its checks (signature, then
//! parameters) and its answers: vehicles found (with the register's seals and queued seals
//! added to the derived ones), no record, name mismatch, or its own JSON errors.

use super::auth;
use super::data;
use super::date::now_millis;
use super::sightings::Feed;
use super::wire::{Code, Data, Envelope, QueryParams, Row};
use super::Settings;
use crate::{HoldBook, Knobs, Population};
use assethub_connectors::domain::{mask_id, CaseNumber, DebtorId};
use assethub_connectors::signature::TrustedKeys;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

/// Path of the judicial vehicle query.
pub const QUERY_PATH: &str = "/vehicle/judicial/query";
/// Longest request serial number (流水号) accepted.
const MAX_SERIAL: usize = 64;
/// Longest name accepted.
const MAX_NAME: usize = 100;

/// One administration instance: its configuration and what it draws its records from.
pub struct Administration {
    pub name: String,
    pub settings: Settings,
    pub population: Arc<Population>,
    pub knobs: Arc<Knobs>,
    /// Seals and watches placed by courts (the register), shared with the control endpoints.
    pub book: HoldBook,
    /// Sightings of watched vehicles.
    pub feed: Feed,
    /// The keys control instructions must be sealed with.
    pub trusted: TrustedKeys,
}

/// A validated query.
struct Inquiry {
    id: DebtorId,
    name: String,
}

/// `GET /vehicle/judicial/query`.
pub async fn query(
    State(admin): State<Arc<Administration>>,
    headers: HeaderMap,
    params: Result<Query<QueryParams>, QueryRejection>,
) -> Response {
    if let Some(refused) = admin.authenticate(&headers) {
        return refused;
    }
    let inquiry = match params.map_err(|_| "查询参数格式错误".to_string()) {
        Ok(Query(params)) => validate(params),
        Err(message) => Err(message),
    };
    let inquiry = match inquiry {
        Ok(inquiry) => inquiry,
        Err(message) => {
            tracing::debug!(agency = %admin.name, "query rejected");
            return reply::<Data>(StatusCode::BAD_REQUEST, Code::BadRequest, &message, None);
        }
    };
    admin.knobs.count_inquiry();
    admin.answer(inquiry)
}

impl Administration {
    /// Checks a request's signature; on refusal, the 401 answer.
    pub(super) fn authenticate(&self, headers: &HeaderMap) -> Option<Response> {
        let settings = &self.settings;
        auth::check(
            headers,
            &settings.app_key,
            &settings.app_secret,
            now_millis(),
        )
        .map_err(|(code, message)| {
            tracing::debug!(agency = %self.name, code = code.value(), "request not authenticated");
            reply::<Data>(StatusCode::UNAUTHORIZED, code, message, None)
        })
        .err()
    }

    fn answer(&self, inquiry: Inquiry) -> Response {
        let Some(debtor) = self.population.get(inquiry.id.as_str()) else {
            tracing::debug!(agency = %self.name, debtor = %inquiry.id, "no record");
            return reply::<Data>(
                StatusCode::OK,
                Code::NoRecord,
                "未查询到该身份证明号码的机动车登记信息",
                None,
            );
        };
        if debtor.name != inquiry.name {
            tracing::debug!(agency = %self.name, debtor = %inquiry.id, "name mismatch");
            return reply::<Data>(
                StatusCode::OK,
                Code::NameMismatch,
                "姓名与身份证明号码不一致",
                None,
            );
        }
        let mut vehicles = data::holdings(&self.name, &self.population, debtor);
        for vehicle in &mut vehicles {
            self.add_register_seals(vehicle);
        }
        tracing::debug!(
            agency = %self.name,
            debtor = %mask_id(&debtor.id_number),
            vehicles = vehicles.len(),
            "query answered"
        );
        let data = Data {
            fkdw: self.settings.administration_name.clone(),
            total: vehicles.len(),
            rows: vehicles.iter().map(Row::from).collect(),
        };
        reply(StatusCode::OK, Code::Success, "成功", Some(data))
    }
}

/// The answer `{"code":..,"message":..,"data":..}` with HTTP `status`.
pub(super) fn reply<T: Serialize>(
    status: StatusCode,
    code: Code,
    message: &str,
    data: Option<T>,
) -> Response {
    let envelope = Envelope {
        code: code.value(),
        message: message.to_string(),
        data,
    };
    (status, Json(envelope)).into_response()
}

/// Validates the query parameters; on refusal, the message to answer with.
fn validate(params: QueryParams) -> Result<Inquiry, String> {
    let present = |field: &Option<String>| {
        field
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let missing = |name: &str| format!("缺少参数 {name}");
    let id_text = present(&params.sfzmhm).ok_or_else(|| missing("sfzmhm"))?;
    let id = DebtorId::parse(&id_text).map_err(|_| "身份证明号码 sfzmhm 格式错误".to_string())?;
    let name = present(&params.xm).ok_or_else(|| missing("xm"))?;
    if name.chars().count() > MAX_NAME {
        return Err("姓名 xm 过长".into());
    }
    let case = present(&params.ah).ok_or_else(|| missing("ah"))?;
    CaseNumber::parse(&case).map_err(|e| format!("案号 ah 格式错误: {e}"))?;
    let serial = present(&params.lsh).ok_or_else(|| missing("lsh"))?;
    if serial.chars().count() > MAX_SERIAL {
        return Err("流水号 lsh 过长".into());
    }
    Ok(Inquiry { id, name })
}
