//! The judicial inquiry endpoint: load shedding, authentication, input validation and the
//! bank's answer envelope, with its wire types and return codes. The gateway state and the
//! envelope are shared with the control endpoints (`control.rs`).
//!
//! Every answer is `{"retCode", "retMsg", "reqId"?, "serialNo"?, "data"?}`. `reqId` echoes the
//! caller's request id once the body could be read; `serialNo` is the gateway's own serial for
//! every request that passed authentication.

use super::auth::{AuthFailure, Verifier};
use super::data::Bank;
use super::wire::{AccountWire, CustomerData, Envelope};
use super::Settings;
use crate::population::{DebtorKind, DebtorRecord};
use crate::{HoldBook, Knobs, Population};
use assethub_connectors::domain::{mask_id, CaseNumber, CreditCode, ResidentId};
use assethub_connectors::signature::TrustedKeys;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The bank's return codes.
pub(super) mod ret {
    pub const OK: &str = "0000";
    pub const NOT_FOUND: &str = "BIZ1001";
    pub const NAME_MISMATCH: &str = "BIZ1002";
    pub const BAD_MESSAGE: &str = "PARM001";
    pub const MISSING_FIELD: &str = "PARM002";
    pub const BAD_FIELD: &str = "PARM003";
    pub const BUSY: &str = "SYS9999";
    pub const NOT_THE_CUSTOMERS: &str = "BIZ2001";
    pub const BAD_AMOUNT: &str = "BIZ2002";
    pub const WRONG_STATE: &str = "BIZ2003";
    pub const UNKNOWN_BIZ_NO: &str = "BIZ2004";
    pub const NO_SUCH_FREEZE: &str = "BIZ2005";
    pub const BIZ_NO_REUSED: &str = "BIZ2006";
    pub const OTHER_COURT: &str = "BIZ2007";
    pub const BAD_TERM: &str = "BIZ2008";
    pub const UNSEALED: &str = "SEAL001";
    pub const BAD_SEAL: &str = "SEAL002";
    pub const STALE_SEAL: &str = "SEAL003";
}

/// Longest accepted `reqId` and `custName`, in characters.
const MAX_REQ_ID: usize = 128;
const MAX_NAME: usize = 120;

/// One bank instance's state.
pub(super) struct Gateway {
    pub(super) name: String,
    pub(super) bank: Bank,
    verifier: Verifier,
    pub(super) population: Arc<Population>,
    pub(super) knobs: Arc<Knobs>,
    max_in_flight: Option<usize>,
    in_flight: AtomicUsize,
    /// Freezes, releases, deductions and renewals on this bank's accounts.
    pub(super) book: HoldBook,
    /// How long the bank takes to decide a freeze.
    pub(super) decision_delay: Duration,
    /// The keys whose seals on control instructions the bank accepts.
    pub(super) trusted: TrustedKeys,
    /// Inquiries taken to be answered later, when the bank answers so.
    pub(super) later: Option<super::later::Later>,
}

impl Gateway {
    pub(super) fn new(
        name: &str,
        settings: &Settings,
        population: Arc<Population>,
        knobs: Arc<Knobs>,
        book: HoldBook,
        trusted: TrustedKeys,
    ) -> Self {
        Self {
            name: name.to_string(),
            bank: Bank::new(settings),
            verifier: Verifier::new(&settings.api_key, &settings.api_secret),
            population,
            knobs,
            max_in_flight: settings.max_in_flight,
            in_flight: AtomicUsize::new(0),
            book,
            decision_delay: Duration::from_millis(settings.freeze_decision_ms),
            trusted,
            later: settings
                .answer_delay_ms
                .map(|ms| super::later::Later::new(Duration::from_millis(ms))),
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

    pub(super) fn serial_no(&self) -> String {
        format!(
            "{}{}",
            self.bank.code(),
            uuid::Uuid::new_v4().simple().to_string().to_uppercase()
        )
    }

    /// The customer with identifier `id_no` and name `name`, or the refusal to answer.
    pub(super) fn customer(
        &self,
        id_no: &str,
        name: &str,
    ) -> Result<&DebtorRecord, (&'static str, &'static str)> {
        let record = self
            .population
            .get(id_no)
            .ok_or((ret::NOT_FOUND, "查无此客户"))?;
        if record.name != name {
            return Err((ret::NAME_MISMATCH, "客户名称与证件号码不符"));
        }
        Ok(record)
    }

    /// Admits, authenticates and parses one request with `parse`; the answer to send instead
    /// when any step refuses it.
    pub(super) fn admit_request<T>(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        parse: impl FnOnce(&[u8]) -> Result<T, Invalid>,
    ) -> Result<(Slot<'_>, T), Box<Response>> {
        let Some(slot) = self.admit() else {
            tracing::debug!(agency = %self.name, "bank gateway busy");
            let envelope = Envelope::<()>::new(ret::BUSY, "系统繁忙，请稍后再试", None, None);
            return Err(Box::new(reply(StatusCode::OK, envelope)));
        };
        if let Err(failure) = self
            .verifier
            .verify(method.as_str(), uri.path(), headers, body)
        {
            tracing::debug!(agency = %self.name, path = uri.path(), ret_code = failure.code(), "bank request refused");
            return Err(Box::new(auth_failure(failure)));
        }
        match parse(body) {
            Ok(parsed) => Ok((slot, parsed)),
            Err(invalid) => {
                tracing::debug!(agency = %self.name, path = uri.path(), ret_code = invalid.code, "bank request invalid");
                let serial_no = Some(self.serial_no());
                let envelope =
                    Envelope::<()>::new(invalid.code, &invalid.message, invalid.req_id, serial_no);
                Err(Box::new(reply(StatusCode::BAD_REQUEST, envelope)))
            }
        }
    }

    /// The bank's business answer to a valid inquiry.
    pub(super) fn answer(&self, inquiry: &Inquiry) -> Envelope<CustomerData> {
        let serial_no = Some(self.serial_no());
        let req_id = Some(inquiry.req_id.clone());
        let record = match self.customer(&inquiry.id_no, &inquiry.cust_name) {
            Ok(record) => record,
            Err((code, message)) => return Envelope::new(code, message, req_id, serial_no),
        };
        let holdings = self.bank.holdings(&self.name, &self.population, record);
        let accounts: Vec<AccountWire> = holdings
            .accounts
            .iter()
            .map(|account| AccountWire::new(account, &self.book))
            .collect();
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
pub(super) struct Slot<'a>(&'a AtomicUsize);

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
    let (_slot, inquiry) =
        match gateway.admit_request(&method, &uri, &headers, &body, Inquiry::parse) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
    gateway
        .knobs
        .inquiry_log()
        .record(&inquiry.id_no, &inquiry.case_no, &inquiry.req_id);
    if let Some(later) = &gateway.later {
        return later.take(&gateway, &inquiry);
    }
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
    let envelope = Envelope::<()>::new(failure.code(), failure.message(), None, None);
    reply(StatusCode::UNAUTHORIZED, envelope)
}

pub(super) fn reply<T: Serialize>(status: StatusCode, envelope: Envelope<T>) -> Response {
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
pub(super) struct Inquiry {
    pub(super) req_id: String,
    /// Normalised case number.
    pub(super) case_no: String,
    /// Normalised identifier (uppercase check character).
    pub(super) id_no: String,
    pub(super) cust_name: String,
}

/// Why a request was refused: a PARM code, its message, and the request id if readable.
pub(super) struct Invalid {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) req_id: Option<String>,
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
        let case_no = CaseNumber::parse(case_no)
            .map_err(|_| bad("caseNo", "不是有效的执行案号"))?
            .as_str()
            .to_string();
        let cust_type = present(&request.cust_type).ok_or_else(|| missing("custType"))?;
        let id_type = present(&request.id_type).ok_or_else(|| missing("idType"))?;
        let id_no = present(&request.id_no).ok_or_else(|| missing("idNo"))?;
        let cust_name = present(&request.cust_name).ok_or_else(|| missing("custName"))?;
        let id_no = customer_id(cust_type, id_type, id_no).map_err(|(f, why)| bad(f, why))?;
        if !valid_name(cust_name) {
            return Err(bad("custName", "长度或字符无效"));
        }
        Ok(Self {
            req_id: req_id.to_string(),
            case_no,
            id_no,
            cust_name: cust_name.to_string(),
        })
    }
}

/// The normalised identifier (uppercase check character) for a customer type and id type, or
/// the field at fault and why.
pub(super) fn customer_id(
    cust_type: &str,
    id_type: &str,
    id_no: &str,
) -> Result<String, (&'static str, &'static str)> {
    match (cust_type, id_type) {
        ("P", "01") => ResidentId::parse(id_no)
            .map(|id| id.as_str().to_string())
            .map_err(|_| ("idNo", "居民身份证号码无效")),
        ("E", "49") => CreditCode::parse(id_no)
            .map(|code| code.as_str().to_string())
            .map_err(|_| ("idNo", "统一社会信用代码无效")),
        ("P" | "E", _) => Err(("idType", "与客户类型不符")),
        _ => Err(("custType", "应为P或E")),
    }
}

/// A customer name of acceptable length without control characters.
pub(super) fn valid_name(name: &str) -> bool {
    name.chars().count() <= MAX_NAME && !name.chars().any(char::is_control)
}

/// A field's trimmed value, `None` when absent or blank.
pub(super) fn present(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(super) fn valid_req_id(id: &str) -> bool {
    id.len() <= MAX_REQ_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}
