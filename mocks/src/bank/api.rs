//! The judicial inquiry endpoint: load shedding, authentication, input validation and the
//! bank's answer envelope, with its wire types and return codes.
//!
//! Every answer is `{"retCode", "retMsg", "reqId"?, "serialNo"?, "data"?}`. `reqId` echoes the
//! caller's request id once the body could be read; `serialNo` is the gateway's own serial for
//! every request that passed authentication.

use super::auth::{AuthFailure, Verifier};
use super::data::{Account, Bank};
use super::Settings;
use crate::population::DebtorKind;
use crate::{Knobs, Population};
use assethub_connectors::domain::{mask_id, CaseNumber, CreditCode, Fen, ResidentId};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The bank's return codes.
pub(super) mod ret {
    pub const OK: &str = "0000";
    pub const NOT_FOUND: &str = "BIZ1001";
    pub const NAME_MISMATCH: &str = "BIZ1002";
    pub const BAD_MESSAGE: &str = "PARM001";
    pub const MISSING_FIELD: &str = "PARM002";
    pub const BAD_FIELD: &str = "PARM003";
    pub const BUSY: &str = "SYS9999";
}

/// Longest accepted `reqId` and `custName`, in characters.
const MAX_REQ_ID: usize = 128;
const MAX_NAME: usize = 120;

/// One bank instance's state.
pub(super) struct Gateway {
    name: String,
    bank: Bank,
    verifier: Verifier,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
    max_in_flight: Option<usize>,
    in_flight: AtomicUsize,
}

impl Gateway {
    pub(super) fn new(
        name: &str,
        settings: &Settings,
        population: Arc<Population>,
        knobs: Arc<Knobs>,
    ) -> Self {
        Self {
            name: name.to_string(),
            bank: Bank::new(settings),
            verifier: Verifier::new(&settings.api_key, &settings.api_secret),
            population,
            knobs,
            max_in_flight: settings.max_in_flight,
            in_flight: AtomicUsize::new(0),
        }
    }

    /// A slot for one request, or `None` when the gateway is at capacity.
    fn admit(&self) -> Option<Slot<'_>> {
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        let slot = Slot(&self.in_flight);
        match self.max_in_flight {
            Some(max) if now > max => None,
            _ => Some(slot),
        }
    }

    fn serial_no(&self) -> String {
        format!(
            "{}{}",
            self.bank.code(),
            uuid::Uuid::new_v4().simple().to_string().to_uppercase()
        )
    }

    /// The bank's business answer to a valid inquiry.
    fn answer(&self, inquiry: &Inquiry) -> Envelope {
        let serial_no = Some(self.serial_no());
        let req_id = Some(inquiry.req_id.clone());
        let Some(record) = self.population.get(&inquiry.id_no) else {
            return Envelope::new(ret::NOT_FOUND, "查无此客户", req_id, serial_no);
        };
        if record.name != inquiry.cust_name {
            return Envelope::new(
                ret::NAME_MISMATCH,
                "客户名称与证件号码不符",
                req_id,
                serial_no,
            );
        }
        let holdings = self.bank.holdings(&self.name, &self.population, record);
        let accounts: Vec<AccountWire> = holdings.accounts.iter().map(AccountWire::from).collect();
        let data = CustomerData {
            cust_no: holdings.cust_no,
            cust_name: record.name.clone(),
            cust_type: match record.kind {
                DebtorKind::Person => "P",
                DebtorKind::Company => "E",
            },
            acct_count: accounts.len(),
            accounts,
        };
        Envelope {
            data: Some(data),
            ..Envelope::new(ret::OK, "成功", req_id, serial_no)
        }
    }
}

/// Counts a request in flight for as long as it lives.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `POST /gateway/v2/judicial/inquiry`.
pub(super) async fn inquiry(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(_slot) = gateway.admit() else {
        tracing::debug!(agency = %gateway.name, "bank gateway busy");
        let envelope = Envelope::new(ret::BUSY, "系统繁忙，请稍后再试", None, None);
        return reply(StatusCode::OK, envelope);
    };
    if let Err(failure) = gateway
        .verifier
        .verify(method.as_str(), uri.path(), &headers, &body)
    {
        tracing::debug!(agency = %gateway.name, ret_code = failure.code(), "bank inquiry refused");
        return auth_failure(failure);
    }
    let inquiry = match Inquiry::parse(&body) {
        Ok(inquiry) => inquiry,
        Err(invalid) => {
            tracing::debug!(agency = %gateway.name, ret_code = invalid.code, "bank inquiry invalid");
            let serial_no = Some(gateway.serial_no());
            let envelope = Envelope::new(invalid.code, &invalid.message, invalid.req_id, serial_no);
            return reply(StatusCode::BAD_REQUEST, envelope);
        }
    };
    gateway.knobs.count_inquiry();
    let envelope = gateway.answer(&inquiry);
    tracing::debug!(
        agency = %gateway.name,
        req_id = %inquiry.req_id,
        debtor = %mask_id(&inquiry.id_no),
        ret_code = envelope.ret_code,
        accounts = envelope.data.as_ref().map_or(0, |d| d.acct_count),
        "bank inquiry answered"
    );
    reply(StatusCode::OK, envelope)
}

fn auth_failure(failure: AuthFailure) -> Response {
    let envelope = Envelope::new(failure.code(), failure.message(), None, None);
    reply(StatusCode::UNAUTHORIZED, envelope)
}

fn reply(status: StatusCode, envelope: Envelope) -> Response {
    (status, Json(envelope)).into_response()
}

/// The request body as sent; every field optional so a missing one gets its own answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InquiryRequest {
    req_id: Option<String>,
    case_no: Option<String>,
    cust_type: Option<String>,
    id_type: Option<String>,
    id_no: Option<String>,
    cust_name: Option<String>,
}

/// A validated inquiry.
struct Inquiry {
    req_id: String,
    /// Normalised identifier (uppercase check character).
    id_no: String,
    cust_name: String,
}

/// Why an inquiry was refused: a PARM code, its message, and the request id if readable.
struct Invalid {
    code: &'static str,
    message: String,
    req_id: Option<String>,
}

impl Inquiry {
    fn parse(body: &[u8]) -> Result<Self, Invalid> {
        let request: InquiryRequest = serde_json::from_slice(body).map_err(|_| Invalid {
            code: ret::BAD_MESSAGE,
            message: "报文格式错误".into(),
            req_id: None,
        })?;
        let req_id = present(&request.req_id);
        let reply_id = req_id.filter(|id| valid_req_id(id)).map(str::to_string);
        let missing = |field: &str| Invalid {
            code: ret::MISSING_FIELD,
            message: format!("必输字段缺失: {field}"),
            req_id: reply_id.clone(),
        };
        let bad = |field: &str, why: &str| Invalid {
            code: ret::BAD_FIELD,
            message: format!("字段格式错误: {field}({why})"),
            req_id: reply_id.clone(),
        };
        let req_id = req_id.ok_or_else(|| missing("reqId"))?;
        if !valid_req_id(req_id) {
            return Err(bad("reqId", "1-128位字母、数字或-_.:"));
        }
        let case_no = present(&request.case_no).ok_or_else(|| missing("caseNo"))?;
        CaseNumber::parse(case_no).map_err(|_| bad("caseNo", "不是有效的执行案号"))?;
        let cust_type = present(&request.cust_type).ok_or_else(|| missing("custType"))?;
        let id_type = present(&request.id_type).ok_or_else(|| missing("idType"))?;
        let id_no = present(&request.id_no).ok_or_else(|| missing("idNo"))?;
        let cust_name = present(&request.cust_name).ok_or_else(|| missing("custName"))?;
        let id_no = match (cust_type, id_type) {
            ("P", "01") => ResidentId::parse(id_no)
                .map(|id| id.as_str().to_string())
                .map_err(|_| bad("idNo", "居民身份证号码无效"))?,
            ("E", "49") => CreditCode::parse(id_no)
                .map(|code| code.as_str().to_string())
                .map_err(|_| bad("idNo", "统一社会信用代码无效"))?,
            ("P" | "E", _) => return Err(bad("idType", "与客户类型不符")),
            _ => return Err(bad("custType", "应为P或E")),
        };
        if cust_name.chars().count() > MAX_NAME || cust_name.chars().any(char::is_control) {
            return Err(bad("custName", "长度或字符无效"));
        }
        Ok(Self {
            req_id: req_id.to_string(),
            id_no,
            cust_name: cust_name.to_string(),
        })
    }
}

/// A field's trimmed value, `None` when absent or blank.
fn present(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn valid_req_id(id: &str) -> bool {
    id.len() <= MAX_REQ_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    ret_code: &'static str,
    ret_msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    req_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<CustomerData>,
}

impl Envelope {
    fn new(
        ret_code: &'static str,
        ret_msg: &str,
        req_id: Option<String>,
        serial_no: Option<String>,
    ) -> Self {
        Self {
            ret_code,
            ret_msg: ret_msg.to_string(),
            req_id,
            serial_no,
            data: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerData {
    cust_no: String,
    cust_name: String,
    cust_type: &'static str,
    acct_count: usize,
    accounts: Vec<AccountWire>,
}

/// One account on the wire: amounts as yuan decimal strings with two places.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountWire {
    acct_no: String,
    acct_type: &'static str,
    ccy: &'static str,
    bal: String,
    avail_bal: String,
    frozen_amt: String,
    status: &'static str,
    open_branch: String,
    open_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    term: Option<&'static str>,
}

impl From<&Account> for AccountWire {
    fn from(account: &Account) -> Self {
        let yuan = |minor: i64| Fen(minor).to_yuan_string();
        Self {
            acct_no: account.acct_no.clone(),
            acct_type: account.acct_type.code(),
            ccy: account.currency,
            bal: yuan(account.balance),
            avail_bal: yuan((account.balance - account.frozen).max(0)),
            frozen_amt: yuan(account.frozen),
            status: account.status.code(),
            open_branch: account.branch.clone(),
            open_date: account.open_date.clone(),
            term: account.term,
        }
    }
}
