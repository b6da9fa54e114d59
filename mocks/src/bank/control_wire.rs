//! The control endpoints' wire format: the action and status-query request bodies with their
//! validation (PARM codes, as for the inquiry), the `data` of a control answer, and the
//! `ctrlStatus` codes. What the bank does with a valid instruction is in `control.rs`.

use super::api::ret;
use super::api::{customer_id, present, valid_name, valid_req_id, Invalid};
use crate::holds::Answer;
use assethub_connectors::domain::{CaseNumber, CivilDate, Fen};
use assethub_connectors::signature::{InstructionSignature, SignedFields};
use assethub_connectors::HoldStatus;
use serde::{Deserialize, Serialize};

/// Longest accepted `bizNo`, `rulingNo` and `officer`, in characters.
const MAX_BIZ_NO: usize = 128;
const MAX_RULING: usize = 128;
const MAX_OFFICER: usize = 64;
/// Longest accepted account, case account and freeze number.
const MAX_NUMBER: usize = 64;
/// Largest amount accepted in one instruction: 10^13 yuan, in fen.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// `ctrlStatus` codes.
pub(super) mod status {
    pub const PROCESSING: &str = "00";
    pub const FROZEN: &str = "10";
    pub const QUEUED: &str = "11";
    pub const RELEASED: &str = "20";
    pub const DEDUCTED: &str = "30";
    pub const EXPIRED: &str = "40";
    pub const REFUSED: &str = "90";
}

/// The four control actions, one endpoint each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Freeze,
    Unfreeze,
    Deduct,
    Renew,
}

impl Action {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Freeze => "freeze",
            Self::Unfreeze => "unfreeze",
            Self::Deduct => "deduct",
            Self::Renew => "renew",
        }
    }
}

/// An action body as sent; every field optional so a missing one gets its own answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ControlRequest {
    req_id: Option<String>,
    biz_no: Option<String>,
    case_no: Option<String>,
    court_code: Option<String>,
    ruling_no: Option<String>,
    officer: Option<String>,
    cust_type: Option<String>,
    id_type: Option<String>,
    id_no: Option<String>,
    cust_name: Option<String>,
    acct_no: Option<String>,
    amt: Option<String>,
    end_date: Option<String>,
    freeze_no: Option<String>,
    case_acct_no: Option<String>,
    /// The electronic seal: signing key id, Unix seconds, base64 signature.
    seal_key_id: Option<String>,
    seal_time: Option<i64>,
    seal_sig: Option<String>,
}

/// A validated control instruction. Fields an action does not use are empty / zero / `None`.
pub(super) struct Instruction {
    pub(super) action: Action,
    pub(super) req_id: String,
    pub(super) biz_no: String,
    pub(super) case_no: String,
    pub(super) court: String,
    pub(super) ruling: String,
    pub(super) officer: String,
    pub(super) id_no: String,
    pub(super) cust_name: String,
    pub(super) acct_no: String,
    pub(super) amount: Fen,
    pub(super) end_date: Option<CivilDate>,
    pub(super) freeze_no: String,
    pub(super) case_acct_no: String,
    /// The seal as sent: `None` when none of its fields is present; a partial seal has the
    /// missing parts empty / zero, so it fails verification.
    pub(super) seal: Option<InstructionSignature>,
}

/// Builders of PARM refusals that echo the request id once it is known.
struct Refuse(Option<String>);

impl Refuse {
    fn missing(&self, field: &str) -> Invalid {
        Invalid {
            code: ret::MISSING_FIELD,
            message: format!("必输字段缺失: {field}"),
            req_id: self.0.clone(),
        }
    }

    fn bad(&self, field: &str, why: &str) -> Invalid {
        Invalid {
            code: ret::BAD_FIELD,
            message: format!("字段格式错误: {field}({why})"),
            req_id: self.0.clone(),
        }
    }
}

fn unreadable() -> Invalid {
    Invalid {
        code: ret::BAD_MESSAGE,
        message: "报文格式错误".into(),
        req_id: None,
    }
}

/// The request id, checked, and the refusal builder echoing it.
fn req_id(field: &Option<String>) -> Result<(String, Refuse), Invalid> {
    let raw = present(field);
    let refuse = Refuse(raw.filter(|id| valid_req_id(id)).map(str::to_string));
    let id = raw.ok_or_else(|| refuse.missing("reqId"))?;
    if !valid_req_id(id) {
        return Err(refuse.bad("reqId", "1-128位字母、数字或-_.:"));
    }
    Ok((id.to_string(), refuse))
}

fn biz_no(field: &Option<String>, refuse: &Refuse) -> Result<String, Invalid> {
    let biz_no = present(field).ok_or_else(|| refuse.missing("bizNo"))?;
    if biz_no.len() > MAX_BIZ_NO || !biz_no.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refuse.bad("bizNo", "1-128位可见ASCII字符"));
    }
    Ok(biz_no.to_string())
}

fn case_no(field: &Option<String>, refuse: &Refuse) -> Result<CaseNumber, Invalid> {
    let case_no = present(field).ok_or_else(|| refuse.missing("caseNo"))?;
    CaseNumber::parse(case_no).map_err(|_| refuse.bad("caseNo", "不是有效的执行案号"))
}

/// A number field (account, freeze number): letters, digits and dashes.
fn number<'a>(field: &'a Option<String>, name: &str, refuse: &Refuse) -> Result<&'a str, Invalid> {
    let value = present(field).ok_or_else(|| refuse.missing(name))?;
    if value.len() > MAX_NUMBER
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(refuse.bad(name, "1-64位字母、数字或-"));
    }
    Ok(value)
}

/// Free text (ruling, officer) of at most `max` characters without control characters.
fn text<'a>(
    field: &'a Option<String>,
    name: &str,
    max: usize,
    refuse: &Refuse,
) -> Result<&'a str, Invalid> {
    let value = present(field).ok_or_else(|| refuse.missing(name))?;
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(refuse.bad(name, "长度或字符无效"));
    }
    Ok(value)
}

fn amount(field: &Option<String>, refuse: &Refuse) -> Result<Fen, Invalid> {
    let text = present(field).ok_or_else(|| refuse.missing("amt"))?;
    match Fen::from_yuan_str(text) {
        Ok(fen) if fen.0 > 0 && fen.0 <= MAX_AMOUNT => Ok(fen),
        Ok(_) => Err(refuse.bad("amt", "金额应大于0")),
        Err(_) => Err(refuse.bad("amt", "应为最多两位小数的元金额")),
    }
}

fn end_date(field: &Option<String>, refuse: &Refuse) -> Result<CivilDate, Invalid> {
    let text = present(field).ok_or_else(|| refuse.missing("endDate"))?;
    if text.len() != 8 {
        return Err(refuse.bad("endDate", "应为yyyyMMdd"));
    }
    CivilDate::parse(text).map_err(|_| refuse.bad("endDate", "应为yyyyMMdd"))
}

impl Instruction {
    /// Reads and validates the body of `action`'s endpoint.
    pub(super) fn parse(action: Action, body: &[u8]) -> Result<Self, Invalid> {
        let request: ControlRequest = serde_json::from_slice(body).map_err(|_| unreadable())?;
        let (req_id, refuse) = req_id(&request.req_id)?;
        let biz_no = biz_no(&request.biz_no, &refuse)?;
        let case = case_no(&request.case_no, &refuse)?;
        let court = present(&request.court_code).ok_or_else(|| refuse.missing("courtCode"))?;
        if court != case.court() {
            return Err(refuse.bad("courtCode", "与案号中的法院不符"));
        }
        let ruling = text(&request.ruling_no, "rulingNo", MAX_RULING, &refuse)?;
        let officer = text(&request.officer, "officer", MAX_OFFICER, &refuse)?;
        let cust_type = present(&request.cust_type).ok_or_else(|| refuse.missing("custType"))?;
        let id_type = present(&request.id_type).ok_or_else(|| refuse.missing("idType"))?;
        let id_no = present(&request.id_no).ok_or_else(|| refuse.missing("idNo"))?;
        let cust_name = present(&request.cust_name).ok_or_else(|| refuse.missing("custName"))?;
        let id_no = customer_id(cust_type, id_type, id_no)
            .map_err(|(field, why)| refuse.bad(field, why))?;
        if !valid_name(cust_name) {
            return Err(refuse.bad("custName", "长度或字符无效"));
        }
        let acct_no = number(&request.acct_no, "acctNo", &refuse)?.to_string();
        let mut instruction = Self {
            action,
            req_id,
            biz_no,
            case_no: case.as_str().to_string(),
            court: court.to_string(),
            ruling: ruling.to_string(),
            officer: officer.to_string(),
            id_no,
            cust_name: cust_name.to_string(),
            acct_no,
            amount: Fen(0),
            end_date: None,
            freeze_no: String::new(),
            case_acct_no: String::new(),
            seal: seal(request.seal_key_id, request.seal_time, request.seal_sig),
        };
        if action != Action::Freeze {
            instruction.freeze_no = number(&request.freeze_no, "freezeNo", &refuse)?.to_string();
        }
        if matches!(action, Action::Freeze | Action::Deduct) {
            instruction.amount = amount(&request.amt, &refuse)?;
        }
        if matches!(action, Action::Freeze | Action::Renew) {
            instruction.end_date = Some(end_date(&request.end_date, &refuse)?);
        }
        if action == Action::Deduct {
            instruction.case_acct_no =
                number(&request.case_acct_no, "caseAcctNo", &refuse)?.to_string();
        }
        Ok(instruction)
    }

    /// The fields the seal covers, rebuilt from the body exactly as the hub signs them.
    pub(super) fn signed_fields(&self) -> SignedFields {
        SignedFields {
            quantity: None,
            key: self.biz_no.clone(),
            case: self.case_no.clone(),
            court: self.court.clone(),
            ruling: self.ruling.clone(),
            officer: self.officer.clone(),
            asset: self.acct_no.clone(),
            debtor_id: self.id_no.clone(),
            debtor_name: self.cust_name.clone(),
            action: match self.action {
                Action::Freeze => "freeze",
                Action::Unfreeze => "release",
                Action::Deduct => "deduct",
                Action::Renew => "renew",
            }
            .to_string(),
            amount_fen: self.amount.0,
            hold: self.freeze_no.clone(),
            until: self.end_date.map(|d| d.to_string()).unwrap_or_default(),
            into_account: self.case_acct_no.clone(),
        }
    }

    /// What a replay under the same `bizNo` must match: every business field, normalised
    /// (not the request id, which differs per attempt).
    pub(super) fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{:?}|{}|{}",
            self.action.name(),
            self.case_no,
            self.ruling,
            self.officer,
            self.id_no,
            self.cust_name,
            self.acct_no,
            self.freeze_no,
            self.amount.0,
            self.end_date,
            self.case_acct_no,
            self.court,
        )
    }
}

/// The seal from its three body fields; `None` only when all are absent.
fn seal(
    key_id: Option<String>,
    signed_at: Option<i64>,
    signature: Option<String>,
) -> Option<InstructionSignature> {
    if key_id.is_none() && signed_at.is_none() && signature.is_none() {
        return None;
    }
    Some(InstructionSignature {
        key_id: key_id.unwrap_or_default(),
        signed_at: signed_at.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
    })
}

/// The status query body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusRequest {
    req_id: Option<String>,
    case_no: Option<String>,
    biz_no: Option<String>,
}

/// A validated status query.
pub(super) struct StatusQuery {
    pub(super) req_id: String,
    pub(super) biz_no: String,
}

impl StatusQuery {
    pub(super) fn parse(body: &[u8]) -> Result<Self, Invalid> {
        let request: StatusRequest = serde_json::from_slice(body).map_err(|_| unreadable())?;
        let (req_id, refuse) = req_id(&request.req_id)?;
        case_no(&request.case_no, &refuse)?;
        let biz_no = biz_no(&request.biz_no, &refuse)?;
        Ok(Self { req_id, biz_no })
    }
}

/// `data` of a control answer: the freeze as it stands now.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ControlData {
    biz_no: String,
    freeze_no: String,
    ctrl_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_no: Option<u32>,
    frozen_amt: String,
    deduct_amt: String,
    end_date: String,
    remark: String,
}

impl ControlData {
    pub(super) fn new(biz_no: &str, answer: &Answer) -> Self {
        let (ctrl_status, queue_no) = match answer.status {
            HoldStatus::Pending => (status::PROCESSING, None),
            HoldStatus::Effective => (status::FROZEN, None),
            HoldStatus::Queued { position } => (status::QUEUED, Some(position)),
            HoldStatus::Released => (status::RELEASED, None),
            HoldStatus::Deducted => (status::DEDUCTED, None),
            HoldStatus::Expired => (status::EXPIRED, None),
            HoldStatus::Rejected => (status::REFUSED, None),
        };
        let remark = match (answer.status, answer.message.is_empty()) {
            (HoldStatus::Pending, true) => "已受理，冻结处理中".to_string(),
            _ => answer.message.clone(),
        };
        Self {
            biz_no: biz_no.to_string(),
            freeze_no: answer.hold.clone(),
            ctrl_status,
            queue_no,
            frozen_amt: answer.held.to_yuan_string(),
            deduct_amt: answer.deducted.to_yuan_string(),
            end_date: answer.until.compact(),
            remark,
        }
    }
}
