//! The bank gateway's JSON wire format: the inquiry request, the control requests, the answer
//! envelope with its return codes, the account records and the control answer's data (amounts
//! as yuan decimal strings, dates `yyyyMMdd`). Plain data; the meaning of codes and values is
//! decided in `connector.rs` and `control.rs`.

use crate::connector::CallContext;
use crate::domain::{Debtor, DebtorId};
use serde::{Deserialize, Serialize};

/// Path of the judicial inquiry endpoint, below the configured base URL.
pub const INQUIRY_PATH: &str = "/gateway/v2/judicial/inquiry";
/// Paths of the control endpoints.
pub const FREEZE_PATH: &str = "/gateway/v2/judicial/freeze";
pub const UNFREEZE_PATH: &str = "/gateway/v2/judicial/unfreeze";
pub const DEDUCT_PATH: &str = "/gateway/v2/judicial/deduct";
pub const RENEW_PATH: &str = "/gateway/v2/judicial/renew";
pub const CONTROL_QUERY_PATH: &str = "/gateway/v2/judicial/control/query";
/// The result of an inquiry answered later, by ticket.
pub const INQUIRY_RESULT_PATH: &str = "/gateway/v2/judicial/inquiry/result";

/// The bank's return codes (`retCode`).
pub mod ret {
    /// Success; `data` holds the customer and their accounts.
    pub const OK: &str = "0000";
    /// No customer with this identifier.
    pub const NOT_FOUND: &str = "BIZ1001";
    /// The identifier belongs to a customer of another name.
    pub const NAME_MISMATCH: &str = "BIZ1002";
    /// The inquiry was taken and is answered later (受理成功，处理中), with a ticket.
    pub const PROCESSING: &str = "0001";
    /// The bank does not know the ticket (查询流水号不存在).
    pub const UNKNOWN_TICKET: &str = "BIZ1004";
    /// Prefix of authentication refusals (unknown key, bad signature, stale timestamp, replay).
    pub const AUTH_PREFIX: &str = "AUTH";
    /// Prefix of input validation refusals.
    pub const PARAM_PREFIX: &str = "PARM";
    /// Prefix of the bank's own failures, e.g. `SYS9999` "system busy".
    pub const SYSTEM_PREFIX: &str = "SYS";
    /// Prefix of business refusals (no such customer, not their account, bad amount...).
    pub const BUSINESS_PREFIX: &str = "BIZ";
    /// Prefix of refusals of a control instruction's electronic seal: `SEAL001` unsealed,
    /// `SEAL002` does not verify (altered, another or unknown key, malformed), `SEAL003` stale.
    pub const SEAL_PREFIX: &str = "SEAL";
    /// Status query: the bank never received this `bizNo`.
    pub const UNKNOWN_BIZ_NO: &str = "BIZ2004";
}

/// `ctrlStatus` of a control answer.
pub mod ctrl {
    /// Accepted, being processed (freezes are decided later).
    pub const PROCESSING: &str = "00";
    pub const FROZEN: &str = "10";
    /// 轮候冻结: queued behind other courts' freezes; `queueNo` 1 is next.
    pub const QUEUED: &str = "11";
    pub const RELEASED: &str = "20";
    /// Everything frozen was deducted.
    pub const DEDUCTED: &str = "30";
    pub const EXPIRED: &str = "40";
    pub const REFUSED: &str = "90";
}

/// Request body of one inquiry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryRequest<'a> {
    pub req_id: &'a str,
    pub case_no: &'a str,
    /// `P` (natural person) or `E` (enterprise).
    pub cust_type: &'static str,
    /// `01` resident identity card, `49` unified social credit code.
    pub id_type: &'static str,
    pub id_no: &'a str,
    pub cust_name: &'a str,
}

impl<'a> InquiryRequest<'a> {
    pub fn new(ctx: &'a CallContext, debtor: &'a Debtor) -> Self {
        let (cust_type, id_type) = customer_type(debtor);
        Self {
            req_id: &ctx.request_id,
            case_no: ctx.case.as_str(),
            cust_type,
            id_type,
            id_no: debtor.id.as_str(),
            cust_name: &debtor.name,
        }
    }
}

/// Request body of one control action; fields an action does not use are left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlRequest<'a> {
    pub req_id: &'a str,
    /// 业务流水号: the idempotency key.
    pub biz_no: &'a str,
    pub case_no: &'a str,
    /// The court in `case_no`.
    pub court_code: &'a str,
    pub ruling_no: &'a str,
    pub officer: &'a str,
    pub cust_type: &'static str,
    pub id_type: &'static str,
    pub id_no: &'a str,
    pub cust_name: &'a str,
    pub acct_no: &'a str,
    /// Yuan decimal string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amt: Option<String>,
    /// `yyyyMMdd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_no: Option<&'a str>,
    /// The court's case account (一案一账号) a deduction goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_acct_no: Option<&'a str>,
    /// The electronic seal: the signing key's id, the signing time (Unix seconds) and the
    /// base64 signature; left out when the instruction is not signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_sig: Option<&'a str>,
}

/// `(custType, idType)` of a debtor.
pub fn customer_type(debtor: &Debtor) -> (&'static str, &'static str) {
    match debtor.id {
        DebtorId::Resident(_) => ("P", "01"),
        DebtorId::Company(_) => ("E", "49"),
    }
}

/// Request body of a status query by `bizNo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRequest<'a> {
    pub req_id: &'a str,
    pub case_no: &'a str,
    pub biz_no: &'a str,
}

/// `data` of a control answer: the freeze as it stands now.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlData {
    #[serde(default)]
    pub biz_no: Option<String>,
    pub freeze_no: String,
    pub ctrl_status: String,
    #[serde(default)]
    pub queue_no: Option<u32>,
    pub frozen_amt: String,
    #[serde(default)]
    pub deduct_amt: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub remark: String,
}

/// Every answer, success or not; `data` depends on the endpoint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T = CustomerData> {
    pub ret_code: String,
    #[serde(default)]
    pub ret_msg: String,
    #[serde(default)]
    pub req_id: Option<String>,
    /// The gateway's own serial number of the request, for support tickets.
    #[serde(default)]
    pub serial_no: Option<String>,
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// The customer found, with their accounts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerData {
    pub accounts: Vec<Account>,
}

/// One account; amounts are yuan decimal strings ("12345.67").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub acct_no: String,
    /// `D` demand (活期), `T` time (定期).
    pub acct_type: String,
    pub ccy: String,
    pub bal: String,
    pub frozen_amt: String,
    /// `0` normal, `1` frozen, `2` dormant, `3` closed.
    pub status: String,
    pub open_branch: String,
}

/// `retCode` and `retMsg` of an error answer, for error messages.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub ret_code: String,
    #[serde(default)]
    pub ret_msg: String,
}
