//! A StreamQuery's second round: sources that reported an inquiry pending keep the stream
//! open until each inquiry settles or the caller's deadline passes, and each settlement is
//! sent as a second `SourceResult` for its source (the answer, or EXPIRED / ERROR saying why).

use crate::cache::CachedAnswer;
use crate::convert;
use crate::inquiries::{Inquiries, Inquiry, InquiryState};
use crate::search::{OpenInquiry, Outcome, SourceReport};
use assethub_connectors::QueryAnswer;
use assethub_proto::served::v1 as pb;
use futures::stream::{FuturesUnordered, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tonic::Status;

/// Waits for every `(report, inquiry id)` pending, up to `deadline`, sending each answer on
/// `tx` as it settles. Returns when all are sent, the deadline passed or the client left.
pub(super) async fn answers(
    inquiries: &Inquiries,
    pending: Vec<(SourceReport, String)>,
    deadline: Instant,
    tx: &mpsc::Sender<Result<pb::SourceResult, Status>>,
) {
    let started = Instant::now();
    let mut waits: FuturesUnordered<_> = pending
        .into_iter()
        .map(|(report, id)| async move {
            let settled = inquiries.wait_settled(&id).await;
            (report, settled)
        })
        .collect();
    loop {
        let next = tokio::select! {
            next = waits.next() => next,
            _ = tokio::time::sleep_until(deadline) => return,
            _ = tx.closed() => return,
        };
        let Some((report, settled)) = next else {
            return;
        };
        let Ok(inquiry) = settled else {
            continue;
        };
        let result = settled_result(&report, &inquiry, started.elapsed());
        if tx.send(Ok(result)).await.is_err() {
            return;
        }
    }
}

/// The source's result once its inquiry settled.
pub(crate) fn settled_result(
    report: &SourceReport,
    inquiry: &Inquiry,
    waited: Duration,
) -> pb::SourceResult {
    let answer = match (&inquiry.state, &inquiry.answer) {
        (InquiryState::Answered, Some(answer)) => answer.answer(),
        _ => QueryAnswer::Pending {
            ticket: inquiry.ticket.clone(),
            expected_in: None,
        },
    };
    let settled = SourceReport {
        outcome: Outcome::Answer(Arc::new(CachedAnswer::new(
            answer,
            Instant::now(),
            report.source.cache_ttl,
            inquiry.attempts,
        ))),
        cached: false,
        age: Duration::ZERO,
        latency: report.latency + waited,
        attempts: inquiry.attempts,
        inquiry: Some(OpenInquiry {
            inquiry_id: inquiry.inquiry_id.clone(),
            ticket: inquiry.ticket.clone(),
            expected_at_ms: inquiry.expected_at_ms,
        }),
        ..report.clone()
    };
    let mut result = convert::source_result(&settled);
    match inquiry.state {
        InquiryState::Answered => {
            result.ticket = inquiry.ticket.clone();
            result.expected_at_ms = 0;
        }
        InquiryState::Expired => {
            result.status = pb::SourceStatus::Expired as i32;
            result.reason = inquiry.reason.clone();
        }
        _ => {
            result.status = pb::SourceStatus::Error as i32;
            result.reason = inquiry.reason.clone();
        }
    }
    result
}
