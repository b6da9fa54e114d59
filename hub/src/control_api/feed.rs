//! The event feed stream: replays the ledger's events after the client's cursor in pages (only
//! those of the caller's court's cases), then
//! waits for new ones (notified on commit, and re-read every second in case another hub
//! sharing the ledger wrote them). Reading by cursor from the ledger, never from a memory
//! buffer, is what makes a resumed feed miss nothing and repeat nothing.
//!
//! With metrics, each event committed after the stream opened is timed from its commit
//! (`at_ms`, the writing hub's wall clock) to its hand-over to the stream
//! (`assethub_event_feed_lag_seconds`); a replayed backlog is not lag and is not timed.

use super::convert;
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::orders::ledger::now_ms;
use crate::orders::Ledger;
use assethub_proto::v1 as pb;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

pub type EventStream =
    Pin<Box<dyn futures::Stream<Item = Result<pb::OrderEvent, Status>> + Send + 'static>>;

const PAGE: u32 = 500;
const POLL: Duration = Duration::from_secs(1);

/// Events after `after` of `case` (or every case) of `court`.
pub fn follow(
    ledger: Ledger,
    clock: Arc<Clock>,
    after: u64,
    case: Option<String>,
    court: String,
    metrics: Option<Arc<Metrics>>,
) -> EventStream {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let _counted = metrics.as_ref().map(|m| m.feed_subscriber());
        let mut cursor = after;
        let mut changes = ledger.subscribe();
        let live_after = *changes.borrow();
        loop {
            let events = match ledger.events_after(cursor, case.as_deref(), PAGE).await {
                Ok(events) => events,
                Err(e) => {
                    tracing::error!(error = %e, "event feed cannot read the ledger");
                    let _ = tx
                        .send(Err(Status::unavailable("event feed unavailable")))
                        .await;
                    return;
                }
            };
            let full_page = events.len() == PAGE as usize;
            let today = clock.today().days();
            for event in &events {
                cursor = event.seq;
                let ours =
                    assethub_connectors::domain::CaseNumber::parse_recorded(&event.case_number)
                        .is_ok_and(|c| c.court() == court);
                if !ours {
                    continue;
                }
                if tx.send(Ok(convert::event(event, today))).await.is_err() {
                    return;
                }
                if let Some(metrics) = metrics.as_ref().filter(|_| event.seq > live_after) {
                    let lag_ms = u64::try_from(now_ms() - event.at_ms).unwrap_or(0);
                    metrics.feed_delivered(Duration::from_millis(lag_ms));
                }
            }
            if full_page {
                continue;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(POLL) => {}
                _ = tx.closed() => return,
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}
