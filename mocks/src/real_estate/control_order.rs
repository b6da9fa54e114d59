//! A control request as the registry reads it (`Order`): field-by-field validation of the
//! `KzRequest` (and the electronic seal it carries, checked next, see `esign`), the fingerprint
//! a replay must match, and the legal term of a seal.

use super::api::{case_of, present, request_id, right_holder, xml_text, Rejection};
use super::control_wire::KzRequest;
use super::wire::Code;
use assethub_connectors::domain::civil::{civil_from_days, days_from_civil};
use assethub_connectors::domain::{CaseNumber, CivilDate, DebtorId};
use assethub_connectors::signature::{InstructionSignature, SignatureError};
use axum::http::{HeaderMap, StatusCode};

/// Longest term of a real-estate seal, and of each renewal, in years.
const SEAL_YEARS: u32 = 3;
/// Longest ruling number and officer name the registry stores.
const MAX_TEXT: usize = 100;

/// The control business asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Seal,
    Release,
    Renew,
}

impl Op {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Seal => "seal",
            Self::Release => "release",
            Self::Renew => "renew",
        }
    }
}

/// A validated control request.
pub(super) struct Order {
    pub(super) request_id: String,
    pub(super) key: String,
    pub(super) case: CaseNumber,
    pub(super) ruling: String,
    pub(super) officer: String,
    pub(super) certificate: String,
    pub(super) id: DebtorId,
    pub(super) name: String,
    /// 查封编号 (release, renewal).
    pub(super) hold: String,
    /// 查封结束日期 (seal, renewal).
    pub(super) until: Option<CivilDate>,
    /// The court's seal (`Head/Qz`); `Err` when present but malformed.
    pub(super) seal: Result<Option<InstructionSignature>, SignatureError>,
}

impl Order {
    /// What a replay of this business must repeat exactly.
    pub(super) fn fingerprint(&self, op: Op) -> String {
        let until = self.until.map(CivilDate::compact).unwrap_or_default();
        [
            op.name(),
            self.case.as_str(),
            &self.ruling,
            &self.officer,
            &self.certificate,
            self.id.as_str(),
            &self.name,
            &self.hold,
            &until,
        ]
        .join("\u{1f}")
    }
}

/// A refusal: HTTP status, the registry's code and message.
pub(super) type Refused = (StatusCode, Code, String);

/// A seal (or renewal) term ending `until`: not before today, and at most [`SEAL_YEARS`] after
/// `from` (today for a seal, the current end for a renewal).
pub(super) fn check_term(
    today: CivilDate,
    from: CivilDate,
    until: CivilDate,
) -> Result<(), Refused> {
    let latest = years_later(from, SEAL_YEARS);
    if until < today || until > latest {
        return Err((
            StatusCode::BAD_REQUEST,
            Code::BadTerm,
            format!(
                "查封结束日期须在 {} 至 {} 之间",
                today.compact(),
                latest.compact()
            ),
        ));
    }
    Ok(())
}

/// The same calendar day `years` later (29 February becomes the 28th).
fn years_later(date: CivilDate, years: u32) -> CivilDate {
    let (y, m, d) = civil_from_days(date.days());
    let d = if m == 2 && d == 29 { 28 } else { d };
    CivilDate::from_days(days_from_civil(y + years, m, d))
}

/// Validates a control request field by field, as the inquiry is.
pub(super) fn parse(op: Op, headers: &HeaderMap, body: &[u8]) -> Result<Order, Rejection> {
    let text = xml_text(headers, body)?;
    let bad = |message: &str, rid: Option<&str>| Rejection::new(Code::BadRequest, message, rid);
    let request: KzRequest =
        quick_xml::de::from_str(text).map_err(|_| bad("请求报文格式错误", None))?;
    let head = request.head.ok_or_else(|| bad("缺少报文头 Head", None))?;
    let seal = super::esign::seal_of(head.qz.as_ref());
    let qqbh = request_id(&head.qqbh, "请求编号 Qqbh", None)?;
    let rid = Some(qqbh);
    let key = request_id(&head.ywlsh, "业务流水号 Ywlsh", rid)?;
    let case = case_of(&head.ajh, &head.fy, rid)?;
    let text_field = |field: &Option<String>, what: &str| -> Result<String, Rejection> {
        let value = present(field).ok_or_else(|| bad(&format!("缺少{what}"), rid))?;
        if value.chars().count() > MAX_TEXT {
            return Err(bad(&format!("{what}过长"), rid));
        }
        Ok(value.to_string())
    };
    let ruling = text_field(&head.cdwh, "裁定书文号 Cdwh")?;
    let officer = text_field(&head.cbr, "承办人 Cbr")?;
    let body = request.body.ok_or_else(|| bad("缺少报文体 Body", rid))?;
    let certificate = text_field(&body.bdcqzh, "不动产权证号 Bdcqzh")?;
    let (id, name) = right_holder(&body.qlrmc, &body.zjzl, &body.zjh, rid)?;
    let hold = match op {
        Op::Seal => String::new(),
        Op::Release | Op::Renew => text_field(&body.cfbh, "查封编号 Cfbh")?,
    };
    let until = match op {
        Op::Release => None,
        Op::Seal | Op::Renew => {
            let text = present(&body.cfjssj).ok_or_else(|| bad("缺少查封结束日期 Cfjssj", rid))?;
            let date = (text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| CivilDate::parse(text).ok())
                .flatten()
                .ok_or_else(|| {
                    Rejection::new(Code::BadTerm, "查封结束日期 Cfjssj 须为 yyyyMMdd", rid)
                })?;
            Some(date)
        }
    };
    Ok(Order {
        request_id: qqbh.to_string(),
        key: key.to_string(),
        case,
        ruling,
        officer,
        certificate,
        id,
        name: name.to_string(),
        hold,
        until,
        seal,
    })
}
