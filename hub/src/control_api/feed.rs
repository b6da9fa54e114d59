//! The event feed stream: replays the ledger's events after the client's cursor in pages (only
//! those of the caller's court's cases), then waits for new ones (notified on commit, and
//! re-read every second in case another hub sharing the ledger wrote them). Reading by cursor
//! from the ledger, never from a memory buffer, is what makes a resumed feed miss nothing and
//! repeat nothing.
//!
//! The stream is pulled: a page is read only when the client has taken the previous one, and a
//! page holds at most [`PAGE`] events and [`PAGE_BYTES`] bytes (or one larger event). So an
//! open stream holds one page at most, however slowly its client reads and however large the
//! backlog; what is in flight to the client is bounded by HTTP/2 flow control.
//!
//! With metrics, each event committed after the stream opened is timed from its commit
//! (`at_ms`, the writing hub's wall clock) to its hand-over to the stream
//! (`assethub_event_feed_lag_seconds`); a replayed backlog is not lag and is not timed.

use super::convert;
use crate::clock::now_ms;
use crate::clock::Clock;
use crate::metrics::{Metrics, SubscriberGuard};
use crate::orders::ledger::Event;
use crate::orders::Ledger;
use assethub_proto::v1 as pb;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tonic::Status;

pub type EventStream =
    Pin<Box<dyn futures::Stream<Item = Result<pb::OrderEvent, Status>> + Send + 'static>>;

/// Most events read from the ledger at once ...
pub const PAGE: u32 = 500;
/// ... and most bytes (payloads and case numbers).
pub const PAGE_BYTES: u64 = 256 * 1024;
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
    let changes = ledger.subscribe();
    let live_after = *changes.borrow();
    let feed = Feed {
        _counted: metrics.as_ref().map(|m| m.feed_subscriber()),
        ledger,
        clock,
        cursor: after,
        case,
        court,
        metrics,
        changes,
        live_after,
        page: VecDeque::new(),
        caught_up: false,
        ended: false,
    };
    Box::pin(futures::stream::unfold(feed, |mut feed| async move {
        let item = feed.next().await?;
        Some((item, feed))
    }))
}

/// One stream's state: where it is, and the page it is handing out.
struct Feed {
    _counted: Option<SubscriberGuard>,
    ledger: Ledger,
    clock: Arc<Clock>,
    /// The last event read (of any court).
    cursor: u64,
    case: Option<String>,
    court: String,
    metrics: Option<Arc<Metrics>>,
    changes: watch::Receiver<u64>,
    /// Events after this one were committed after the stream opened.
    live_after: u64,
    /// The caller's events of the page read last, not yet handed out.
    page: VecDeque<Event>,
    /// The last read found nothing new: wait for a commit before reading again.
    caught_up: bool,
    ended: bool,
}

impl Feed {
    /// The next event of the caller's court, waiting for one if need be; `None` once the
    /// ledger has failed (after the error) or the hub is stopping.
    async fn next(&mut self) -> Option<Result<pb::OrderEvent, Status>> {
        loop {
            if let Some(event) = self.page.pop_front() {
                return Some(Ok(self.hand_over(&event)));
            }
            if self.ended {
                return None;
            }
            if self.caught_up {
                tokio::select! {
                    changed = self.changes.changed() => if changed.is_err() { return None },
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            let events = match self
                .ledger
                .events_page(self.cursor, self.case.as_deref(), PAGE, PAGE_BYTES)
                .await
            {
                Ok(events) => events,
                Err(e) => {
                    tracing::error!(error = %e, "event feed cannot read the ledger");
                    self.ended = true;
                    return Some(Err(Status::unavailable("event feed unavailable")));
                }
            };
            self.caught_up = events.is_empty();
            if let Some(last) = events.last() {
                self.cursor = last.seq;
            }
            let court = &self.court;
            self.page.extend(events.into_iter().filter(|event| {
                assethub_connectors::domain::CaseNumber::parse_recorded(&event.case_number)
                    .is_ok_and(|c| c.court() == court)
            }));
        }
    }

    fn hand_over(&self, event: &Event) -> pb::OrderEvent {
        if let Some(metrics) = self
            .metrics
            .as_ref()
            .filter(|_| event.seq > self.live_after)
        {
            let lag_ms = u64::try_from(now_ms() - event.at_ms).unwrap_or(0);
            metrics.feed_delivered(Duration::from_millis(lag_ms));
        }
        convert::event(event, self.clock.today().days())
    }
}
