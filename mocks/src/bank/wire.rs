//! The gateway's answer wire types, shared by the inquiry and the control endpoints: the
//! envelope `{retCode, retMsg, reqId?, serialNo?, data?}`, and the inquiry's customer and
//! account records (amounts as yuan strings, reflecting the hold register).

use super::data::{Account, AccountStatus};
use crate::HoldBook;
use assethub_connectors::domain::Fen;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Envelope<T> {
    pub(super) ret_code: &'static str,
    pub(super) ret_msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) req_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) serial_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) data: Option<T>,
}

impl<T> Envelope<T> {
    pub(super) fn new(
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
pub(super) struct CustomerData {
    pub(super) cust_no: String,
    pub(super) cust_name: String,
    pub(super) cust_type: &'static str,
    pub(super) acct_count: usize,
    pub(super) accounts: Vec<AccountWire>,
}

/// One account on the wire: amounts as yuan decimal strings with two places.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AccountWire {
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

impl AccountWire {
    /// The account as its books show it today: the derived data, plus what the register's
    /// freezes hold, minus what was deducted to courts.
    pub(super) fn new(account: &Account, book: &HoldBook) -> Self {
        let yuan = |minor: i64| Fen(minor).to_yuan_string();
        let held = book.frozen_on(&account.acct_no).0;
        let balance = account.balance - book.deducted_from(&account.acct_no).0;
        let frozen = account.frozen + held;
        let status = match account.status {
            AccountStatus::Normal if held > 0 => AccountStatus::Frozen,
            other => other,
        };
        Self {
            acct_no: account.acct_no.clone(),
            acct_type: account.acct_type.code(),
            ccy: account.currency,
            bal: yuan(balance),
            avail_bal: yuan((balance - frozen).max(0)),
            frozen_amt: yuan(frozen),
            status: status.code(),
            open_branch: account.branch.clone(),
            open_date: account.open_date.clone(),
            term: account.term,
        }
    }
}
