//! The registry's HTTP API: the 权利人查询 endpoint, its request validation (token, XML shape,
//! case number, court, identity document) and its answers: records found (with the seals of
//! the registry's hold register listed among each property's 查封信息), no record, name
//! mismatch, or the registry's own XML errors. The validation helpers are shared with the
//! control endpoints (`control`).

use super::auth;
use super::data;
use super::date::now_compact;
use super::locale::Locale;
use super::wire::{self, Bdcxx, Code, CxRequest, CxResponse, ResponseBody, ResponseHead};
use super::Settings;
use crate::{HoldBook, Knobs, Population};
use assethub_connectors::domain::{mask_id, CaseNumber, CreditCode, DebtorId, ResidentId};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Path of the 权利人查询 (inquiry by right holder) endpoint.
pub const INQUIRY_PATH: &str = "/bdc/api/cx/qlrcx";
/// Longest request id (请求编号) the registry stores.
const MAX_REQUEST_ID: usize = 64;
/// Longest right-holder name the registry accepts.
const MAX_NAME: usize = 100;

/// One registry instance: its configuration and what it draws its records from.
pub struct Registry {
    pub name: String,
    pub settings: Settings,
    /// The city it serves (from its name); None: each debtor's own city.
    pub locale: Option<&'static Locale>,
    pub population: Arc<Population>,
    pub knobs: Arc<Knobs>,
    /// The registry's register of court seals (查封登记簿).
    pub book: HoldBook,
    /// The keys 查控 requests must be sealed with.
    pub trusted: assethub_connectors::signature::TrustedKeys,
}

/// A validated inquiry.
struct Inquiry {
    request_id: String,
    id: DebtorId,
    name: String,
}

/// A request the registry refuses with HTTP 400.
pub(super) struct Rejection {
    pub(super) code: Code,
    pub(super) message: String,
    pub(super) request_id: Option<String>,
}

impl Rejection {
    pub(super) fn new(code: Code, message: impl Into<String>, request_id: Option<&str>) -> Self {
        Self {
            code,
            message: message.into(),
            request_id: request_id.map(str::to_string),
        }
    }
}

/// `POST /bdc/api/cx/qlrcx`.
pub async fn inquiry(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = auth::check(&headers, &registry.settings.token) {
        tracing::debug!(agency = %registry.name, reason = refused.message(), "token refused");
        return registry.reply(
            StatusCode::FORBIDDEN,
            Code::Unauthorized,
            refused.message(),
            None,
            None,
        );
    }
    let inquiry = match parse(&headers, &body) {
        Ok(inquiry) => inquiry,
        Err(rejection) => {
            tracing::debug!(agency = %registry.name, code = rejection.code.as_str(), "inquiry rejected");
            return registry.reply(
                StatusCode::BAD_REQUEST,
                rejection.code,
                &rejection.message,
                rejection.request_id,
                None,
            );
        }
    };
    registry.knobs.count_inquiry();
    registry.answer(inquiry)
}

impl Registry {
    fn answer(&self, inquiry: Inquiry) -> Response {
        let request_id = Some(inquiry.request_id);
        let Some(debtor) = self.population.get(inquiry.id.as_str()) else {
            tracing::debug!(agency = %self.name, debtor = %inquiry.id, "no record");
            return self.reply(
                StatusCode::OK,
                Code::NoRecord,
                "未查询到该权利人的不动产登记信息",
                request_id,
                None,
            );
        };
        if debtor.name != inquiry.name {
            tracing::debug!(agency = %self.name, debtor = %inquiry.id, "name mismatch");
            return self.reply(
                StatusCode::OK,
                Code::NameMismatch,
                "权利人名称与证件号码不一致",
                request_id,
                None,
            );
        }
        let properties = data::holdings(&self.name, self.locale, &self.population, debtor);
        tracing::debug!(
            agency = %self.name,
            debtor = %mask_id(&debtor.id_number),
            properties = properties.len(),
            "inquiry answered"
        );
        let body = ResponseBody {
            zs: properties.len(),
            bdcxx: properties
                .iter()
                .map(|p| {
                    let mut bdcxx = Bdcxx::from(p);
                    bdcxx.cfxx.extend(super::control::register_seals(
                        &self.book,
                        &p.certificate_number,
                    ));
                    bdcxx
                })
                .collect(),
        };
        self.reply(
            StatusCode::OK,
            Code::Success,
            "查询成功",
            request_id,
            Some(body),
        )
    }

    fn reply(
        &self,
        status: StatusCode,
        code: Code,
        msg: &str,
        request_id: Option<String>,
        body: Option<ResponseBody>,
    ) -> Response {
        let response = CxResponse {
            head: ResponseHead {
                code: code.as_str(),
                msg: msg.to_string(),
                qqbh: request_id,
                cxjg: self.settings.registry_name.clone(),
                fksj: now_compact(),
            },
            body,
        };
        match wire::to_xml(&response) {
            Ok(xml) => xml_response(status, xml),
            Err(e) => {
                tracing::error!(agency = %self.name, error = %e, "could not encode an answer");
                xml_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CxResponse><Head><Code>{}</Code><Msg>系统内部错误</Msg></Head></CxResponse>",
                        Code::Internal.as_str()
                    ),
                )
            }
        }
    }
}

pub(super) fn xml_response(status: StatusCode, xml: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")],
        xml,
    )
        .into_response()
}

/// Validates an inquiry the way the registry's front end does, field by field.
fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Inquiry, Rejection> {
    let bad = |message: &str, request_id: Option<&str>| {
        Rejection::new(Code::BadRequest, message, request_id)
    };
    let text = xml_text(headers, body)?;
    let request: CxRequest =
        quick_xml::de::from_str(text).map_err(|_| bad("请求报文格式错误", None))?;
    let head = request.head.ok_or_else(|| bad("缺少报文头 Head", None))?;
    let request_id = request_id(&head.qqbh, "请求编号 Qqbh", None)?;
    let rid = Some(request_id);
    case_of(&head.ajh, &head.fy, rid)?;
    let body = request.body.ok_or_else(|| bad("缺少报文体 Body", rid))?;
    let (id, name) = right_holder(&body.qlrmc, &body.zjzl, &body.zjh, rid)?;
    Ok(Inquiry {
        request_id: request_id.to_string(),
        id,
        name: name.to_string(),
    })
}

/// The request's text, once its Content-Type says XML and it is UTF-8.
pub(super) fn xml_text<'a>(headers: &HeaderMap, body: &'a [u8]) -> Result<&'a str, Rejection> {
    let bad = |message: &str| Rejection::new(Code::BadRequest, message, None);
    let is_xml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("xml"));
    if !is_xml {
        return Err(bad("Content-Type 须为 application/xml"));
    }
    std::str::from_utf8(body).map_err(|_| bad("报文须为 UTF-8 编码"))
}

/// A request id (请求编号 `Qqbh`, 业务流水号 `Ywlsh`): present and not too long.
pub(super) fn request_id<'a>(
    field: &'a Option<String>,
    what: &str,
    rid: Option<&str>,
) -> Result<&'a str, Rejection> {
    let id = present(field)
        .ok_or_else(|| Rejection::new(Code::BadRequest, format!("缺少{what}"), rid))?;
    if id.chars().count() > MAX_REQUEST_ID {
        return Err(Rejection::new(Code::BadRequest, format!("{what}过长"), rid));
    }
    Ok(id)
}

/// The case (`Ajh`) and the court (`Fy`), which must be the case's court.
pub(super) fn case_of(
    ajh: &Option<String>,
    fy: &Option<String>,
    rid: Option<&str>,
) -> Result<CaseNumber, Rejection> {
    let case_text =
        present(ajh).ok_or_else(|| Rejection::new(Code::BadRequest, "缺少案件号 Ajh", rid))?;
    let case = CaseNumber::parse(case_text)
        .map_err(|e| Rejection::new(Code::BadCaseNumber, format!("案件号不合法: {e}"), rid))?;
    let court = present(fy).ok_or_else(|| Rejection::new(Code::BadRequest, "缺少法院 Fy", rid))?;
    if court != case.court() {
        return Err(Rejection::new(
            Code::CourtMismatch,
            "请求法院与案件承办法院不一致",
            rid,
        ));
    }
    Ok(case)
}

/// The right holder: name (`Qlrmc`), document type (`Zjzl`) and number (`Zjh`).
pub(super) fn right_holder<'a>(
    qlrmc: &'a Option<String>,
    zjzl: &Option<String>,
    zjh: &Option<String>,
    rid: Option<&str>,
) -> Result<(DebtorId, &'a str), Rejection> {
    let bad = |message: &str| Rejection::new(Code::BadRequest, message, rid);
    let name = present(qlrmc).ok_or_else(|| bad("缺少权利人名称 Qlrmc"))?;
    if name.chars().count() > MAX_NAME {
        return Err(bad("权利人名称 Qlrmc 过长"));
    }
    let id_text = present(zjh).ok_or_else(|| bad("缺少证件号 Zjh"))?;
    let id = match present(zjzl) {
        Some("1") => ResidentId::parse(id_text)
            .map(DebtorId::Resident)
            .map_err(|_| bad("证件号 Zjh 不是有效的居民身份证号码"))?,
        Some("7") => CreditCode::parse(id_text)
            .map(DebtorId::Company)
            .map_err(|_| bad("证件号 Zjh 不是有效的统一社会信用代码"))?,
        Some(_) => {
            return Err(bad(
                "证件种类 Zjzl 须为 1（居民身份证）或 7（统一社会信用代码）",
            ))
        }
        None => return Err(bad("缺少证件种类 Zjzl")),
    };
    Ok((id, name))
}

/// A field's trimmed text, if present and not blank.
pub(super) fn present(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
