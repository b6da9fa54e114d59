//! The bank gateway's JSON wire format: the inquiry request, the answer envelope with its
//! return codes, and the account records (amounts as yuan decimal strings). Plain data; the
//! meaning of codes and values is decided in `connector.rs`.

use crate::connector::CallContext;
use crate::domain::{Debtor, DebtorId};
use serde::{Deserialize, Serialize};

/// Path of the judicial inquiry endpoint, below the configured base URL.
pub const INQUIRY_PATH: &str = "/gateway/v2/judicial/inquiry";

/// The bank's return codes (`retCode`).
pub mod ret {
    /// Success; `data` holds the customer and their accounts.
    pub const OK: &str = "0000";
    /// No customer with this identifier.
    pub const NOT_FOUND: &str = "BIZ1001";
    /// The identifier belongs to a customer of another name.
    pub const NAME_MISMATCH: &str = "BIZ1002";
    /// Prefix of authentication refusals (unknown key, bad signature, stale timestamp, replay).
    pub const AUTH_PREFIX: &str = "AUTH";
    /// Prefix of input validation refusals.
    pub const PARAM_PREFIX: &str = "PARM";
    /// Prefix of the bank's own failures, e.g. `SYS9999` "system busy".
    pub const SYSTEM_PREFIX: &str = "SYS";
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
        let (cust_type, id_type) = match debtor.id {
            DebtorId::Resident(_) => ("P", "01"),
            DebtorId::Company(_) => ("E", "49"),
        };
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

/// Every answer, success or not.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub ret_code: String,
    #[serde(default)]
    pub ret_msg: String,
    #[serde(default)]
    pub req_id: Option<String>,
    /// The gateway's own serial number of the request, for support tickets.
    #[serde(default)]
    pub serial_no: Option<String>,
    #[serde(default)]
    pub data: Option<CustomerData>,
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
