//! Inquiries a bank answers later: the `0001` (processing) answer with its ticket becomes
//! [`QueryAnswer::Pending`], and `query_status` asks the result endpoint by ticket, whose
//! answer reads like the inquiry's own (`BIZ1004`: the bank does not know the ticket, an error
//! of class `Rejected` — the hub asks anew once). Every answer is decoded loosely first (its
//! `data` depends on the code, so it is kept as the raw JSON text, checked well-formed but not
//! built into a tree), then exactly.

use super::connector::interpret;
use super::wire::{ret, CustomerData, Envelope};
use crate::connector::{CallContext, QueryAnswer};
use crate::domain::SourceId;
use crate::error::{ConnectorError, ErrorClass};
use crate::http;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest ticket accepted from the bank.
const MAX_TICKET: usize = 64;
/// Longest wait the bank may announce: 30 days.
const MAX_EXPECTED_SECS: u64 = 30 * 24 * 3600;

/// Request body of a result query by ticket.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultRequest<'a> {
    pub req_id: &'a str,
    pub case_no: &'a str,
    pub ticket_no: &'a str,
}

/// `data` of a processing answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Processing {
    ticket_no: String,
    #[serde(default)]
    expected_secs: Option<u64>,
}

/// An answer's `data` before its code says what it holds: its JSON text (`null` is `None`).
pub(super) type Loose = Box<serde_json::value::RawValue>;

/// An inquiry or result answer, whatever its code.
pub(super) fn interpret_any(
    source: &SourceId,
    ctx: &CallContext,
    envelope: Envelope<Loose>,
) -> Result<QueryAnswer, ConnectorError> {
    let code = envelope.ret_code.trim();
    match code {
        ret::PROCESSING => {
            if envelope.req_id.as_deref().map(str::trim) != Some(ctx.request_id.trim()) {
                return Err(ConnectorError::malformed(
                    "processing answer does not echo our reqId",
                ));
            }
            let data: Processing = envelope
                .data
                .map(|raw| serde_json::from_str(raw.get()))
                .transpose()
                .map_err(|e| ConnectorError::malformed(format!("processing answer: {e}")))?
                .ok_or_else(|| ConnectorError::malformed("processing answer carries no ticket"))?;
            let ticket = data.ticket_no.trim();
            if ticket.is_empty()
                || ticket.len() > MAX_TICKET
                || !ticket
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            {
                return Err(ConnectorError::malformed(
                    "processing answer: the ticket is empty or has unexpected characters",
                ));
            }
            Ok(QueryAnswer::Pending {
                ticket: ticket.to_string(),
                expected_in: data
                    .expected_secs
                    .map(|s| Duration::from_secs(s.min(MAX_EXPECTED_SECS))),
            })
        }
        ret::UNKNOWN_TICKET => Err(ConnectorError::new(
            ErrorClass::Rejected,
            format!(
                "the bank does not know the ticket: {} {}",
                ret::UNKNOWN_TICKET,
                http::truncate(&envelope.ret_msg, 200)
            ),
        )),
        _ => {
            // Only a success carries the customer's accounts; any other code's `data` is
            // not read, so it cannot change the code's class.
            let data = envelope
                .data
                .filter(|_| code == ret::OK)
                .map(|raw| serde_json::from_str::<CustomerData>(raw.get()))
                .transpose()
                .map_err(|e| ConnectorError::malformed(format!("invalid answer data: {e}")))?;
            let exact = Envelope {
                ret_code: envelope.ret_code,
                ret_msg: envelope.ret_msg,
                req_id: envelope.req_id,
                serial_no: envelope.serial_no,
                data,
            };
            interpret(source, ctx, exact)
        }
    }
}
