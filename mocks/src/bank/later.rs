//! A bank answering inquiries later (`answer_delay_ms`): the inquiry is taken with a ticket
//! and answered at the result endpoint once the delay has passed. A repeated `reqId` gets the
//! same ticket and is not a new inquiry; distinct inquiries are counted per (debtor, case) on
//! the knobs for tests. Fault `lose_ticket_rate` loses tickets (`BIZ1004` at the result
//! endpoint). Times are on tokio's clock (paused-time tests skip the delay).
//!
//! Bounded: at most [`MAX_TICKETS`] inquiries are kept; past that the bank answers `SYS9999`.

use super::api::{present, reply, ret, valid_req_id, Gateway, Inquiry, Invalid};
use super::wire::Envelope;
use super::INQUIRY_PATH;
use assethub_connectors::domain::mask_id;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Most inquiries a bank keeps.
pub const MAX_TICKETS: usize = 100_000;

/// Taken, being processed (受理成功，处理中).
pub const PROCESSING: &str = "0001";
/// No such ticket (查询流水号不存在).
pub const UNKNOWN_TICKET: &str = "BIZ1004";

/// `data` of a processing answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Processing {
    ticket_no: String,
    expected_secs: u64,
}

struct Ticket {
    case_no: String,
    id_no: String,
    cust_name: String,
    ready_at: Instant,
    lost: bool,
}

#[derive(Default)]
struct Book {
    by_req_id: HashMap<String, String>,
    tickets: HashMap<String, Ticket>,
}

pub(super) struct Later {
    delay: Duration,
    book: Mutex<Book>,
}

impl Later {
    pub(super) fn new(delay: Duration) -> Self {
        Self {
            delay,
            book: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a valid inquiry: its ticket (the same for a repeated `reqId`).
    pub(super) fn take(&self, gateway: &Gateway, inquiry: &Inquiry) -> Response {
        let serial_no = Some(gateway.serial_no());
        let req_id = Some(inquiry.req_id.clone());
        let mut book = self.lock();
        let ticket_no = match book.by_req_id.get(&inquiry.req_id) {
            Some(ticket) => ticket.clone(),
            None => {
                if book.tickets.len() >= MAX_TICKETS {
                    let envelope =
                        Envelope::<()>::new(ret::BUSY, "系统繁忙，请稍后再试", req_id, serial_no);
                    return reply(StatusCode::OK, envelope);
                }
                let ticket_no = format!("{}CX{:010}", gateway.bank.code(), book.tickets.len() + 1);
                let lost = gateway.knobs.faults().lose_ticket(INQUIRY_PATH);
                book.tickets.insert(
                    ticket_no.clone(),
                    Ticket {
                        case_no: inquiry.case_no.clone(),
                        id_no: inquiry.id_no.clone(),
                        cust_name: inquiry.cust_name.clone(),
                        ready_at: Instant::now() + self.delay,
                        lost,
                    },
                );
                book.by_req_id
                    .insert(inquiry.req_id.clone(), ticket_no.clone());
                gateway.knobs.count_inquiry();
                gateway
                    .knobs
                    .count_distinct_inquiry(&inquiry.id_no, &inquiry.case_no);
                ticket_no
            }
        };
        let ready_at = book.tickets[&ticket_no].ready_at;
        drop(book);
        tracing::debug!(agency = %gateway.name, req_id = %inquiry.req_id, debtor = %mask_id(&inquiry.id_no), ticket = %ticket_no, "bank inquiry taken, answered later");
        processing(inquiry.req_id.clone(), ticket_no, ready_at, serial_no)
    }
}

fn processing(
    req_id: String,
    ticket_no: String,
    ready_at: Instant,
    serial_no: Option<String>,
) -> Response {
    let left = ready_at.saturating_duration_since(Instant::now());
    let envelope = Envelope {
        data: Some(Processing {
            ticket_no,
            expected_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        }),
        ..Envelope::new(PROCESSING, "受理成功，处理中", Some(req_id), serial_no)
    };
    reply(StatusCode::OK, envelope)
}

/// The result request as sent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultRequest {
    req_id: Option<String>,
    case_no: Option<String>,
    ticket_no: Option<String>,
}

struct ValidResult {
    req_id: String,
    ticket_no: String,
}

fn parse(body: &[u8]) -> Result<ValidResult, Invalid> {
    let request: ResultRequest = serde_json::from_slice(body).map_err(|_| Invalid {
        code: ret::BAD_MESSAGE,
        message: "报文格式错误".into(),
        req_id: None,
    })?;
    let req_id = present(&request.req_id)
        .filter(|id| valid_req_id(id))
        .map(str::to_string);
    let missing = |field: &str| Invalid {
        code: ret::MISSING_FIELD,
        message: format!("必输字段缺失: {field}"),
        req_id: req_id.clone(),
    };
    let Some(id) = req_id.clone() else {
        return Err(missing("reqId"));
    };
    present(&request.case_no).ok_or_else(|| missing("caseNo"))?;
    let ticket_no = present(&request.ticket_no).ok_or_else(|| missing("ticketNo"))?;
    if ticket_no.len() > 64 {
        return Err(Invalid {
            code: ret::BAD_FIELD,
            message: "字段格式错误: ticketNo".into(),
            req_id,
        });
    }
    Ok(ValidResult {
        req_id: id,
        ticket_no: ticket_no.to_string(),
    })
}

/// `POST /gateway/v2/judicial/inquiry/result`.
pub(super) async fn result(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (_slot, asked) = match gateway.admit_request(&method, &uri, &headers, &body, parse) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let serial_no = Some(gateway.serial_no());
    let unknown = || {
        let envelope = Envelope::<()>::new(
            UNKNOWN_TICKET,
            "查询流水号不存在",
            Some(asked.req_id.clone()),
            serial_no.clone(),
        );
        reply(StatusCode::OK, envelope)
    };
    let Some(later) = &gateway.later else {
        return unknown();
    };
    let book = later.lock();
    let Some(ticket) = book.tickets.get(&asked.ticket_no).filter(|t| !t.lost) else {
        return unknown();
    };
    if Instant::now() < ticket.ready_at {
        let ready_at = ticket.ready_at;
        drop(book);
        return processing(asked.req_id, asked.ticket_no, ready_at, serial_no);
    }
    let inquiry = Inquiry {
        req_id: asked.req_id.clone(),
        case_no: ticket.case_no.clone(),
        id_no: ticket.id_no.clone(),
        cust_name: ticket.cust_name.clone(),
    };
    drop(book);
    reply(StatusCode::OK, gateway.answer(&inquiry))
}
