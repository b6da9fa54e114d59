//! What the other hubs sharing a PostgreSQL ledger did, heard by this one (LISTEN/NOTIFY):
//! a commit that appended events names its newest event number on
//! [`EVENTS_CHANNEL`](crate::db::EVENTS_CHANNEL), one that changed a case names the case on
//! [`CASES_CHANNEL`](crate::db::CASES_CHANNEL), both delivered by PostgreSQL at commit.
//!
//! On an event number this hub reads the events it has not seen (by cursor, from the ledger:
//! the notification only says "look"), drops the cached answer of each order's source and
//! debtor — a freeze taken through another hub shows at once in a search through this one,
//! never a pre-freeze balance — and wakes its own feed followers and waiters, so a feed read
//! through any hub follows every hub's commits without waiting for its poll. On a case number
//! it forgets the case it cached. An inquiry's event is handed to the [`InquiryWatch`] (the
//! inquiry book: another hub's open inquiry is known here, so a search through this hub
//! reports it pending rather than asking the agency again, and its answer is cached here
//! too). On a hub joining or leaving
//! ([`MEMBERS_CHANNEL`](crate::db::MEMBERS_CHANNEL)) it counts the hubs again at once, so the
//! agencies' quotas are re-divided without waiting for the next beat.
//!
//! Notifications are a wake-up, not the record: when the listening connection is lost (the
//! database restarted) every cached case is forgotten and the events are read again from the
//! cursor, and the events are also re-read every [`POLL`] in case a notification never came.

use super::execute::answer_key;
use super::ledger::EventBody;
use super::Ledger;
use crate::cache::AnswerCache;
use crate::cases::CaseBook;
use crate::db::{CASES_CHANNEL, EVENTS_CHANNEL, MEMBERS_CHANNEL};
use crate::registry::members::Members;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;

/// How often events are re-read without a notification.
const POLL: Duration = Duration::from_secs(2);
/// How long to wait before listening again after the database went away.
const RECONNECT: Duration = Duration::from_secs(1);
/// Events read at once.
const PAGE: u32 = 500;
const PAGE_BYTES: u64 = 1024 * 1024;

/// Who hears of inquiries changed by any hub (the inquiry book, a layer above).
#[async_trait::async_trait]
pub trait InquiryWatch: Send + Sync {
    /// The inquiry `inquiry_id` changed (a ticket arrived, or it settled).
    async fn inquiry_changed(&self, inquiry_id: &str);
}

/// This hub's ear on the other hubs of its ledger.
pub struct Peers {
    url: String,
    ledger: Ledger,
    answers: AnswerCache,
    cases: Arc<CaseBook>,
    members: Option<Arc<Members>>,
    inquiries: Option<Arc<dyn InquiryWatch>>,
}

impl Peers {
    /// Listens on the PostgreSQL ledger at `url`; `None` for an embedded one (no peers).
    pub fn for_ledger(
        url: &str,
        ledger: Ledger,
        answers: AnswerCache,
        cases: Arc<CaseBook>,
        members: Option<Arc<Members>>,
    ) -> Option<Self> {
        crate::db::is_shared(url).then(|| Self {
            url: url.to_string(),
            ledger,
            answers,
            cases,
            members,
            inquiries: None,
        })
    }

    /// Hands every inquiry event to `watch`.
    pub fn with_inquiries(mut self, watch: Arc<dyn InquiryWatch>) -> Self {
        self.inquiries = Some(watch);
        self
    }

    /// Listens until the hub stops (the task is aborted), reconnecting by itself.
    pub async fn run_forever(self) {
        let mut cursor = *self.ledger.subscribe().borrow();
        loop {
            let mut listener = match self.listen().await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen to the other hubs; retrying");
                    tokio::time::sleep(RECONNECT).await;
                    continue;
                }
            };
            // Whatever happened while this hub was not listening.
            self.cases.forget_all();
            self.catch_up(&mut cursor).await;
            loop {
                let heard = tokio::select! {
                    heard = listener.try_recv() => heard,
                    _ = tokio::time::sleep(POLL) => {
                        self.catch_up(&mut cursor).await;
                        continue;
                    }
                };
                match heard {
                    Ok(Some(note)) if note.channel() == CASES_CHANNEL => {
                        self.cases.forget(note.payload()).await;
                    }
                    Ok(Some(note)) if note.channel() == MEMBERS_CHANNEL => {
                        if let Some(members) = &self.members {
                            if let Err(e) = members.beat().await {
                                tracing::warn!(error = %e, "cannot count the hubs of the ledger");
                            }
                        }
                    }
                    Ok(Some(_)) => self.catch_up(&mut cursor).await,
                    // The connection was lost (and is made again on the next call): anything
                    // may have been missed meanwhile.
                    Ok(None) => {
                        self.cases.forget_all();
                        self.catch_up(&mut cursor).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the other hubs; listening again");
                        tokio::time::sleep(RECONNECT).await;
                        break;
                    }
                }
            }
        }
    }

    async fn listen(&self) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect(&self.url).await?;
        listener
            .listen_all([EVENTS_CHANNEL, CASES_CHANNEL, MEMBERS_CHANNEL])
            .await?;
        Ok(listener)
    }

    /// Applies every event after `cursor` (this hub's own too: dropping an answer twice is
    /// harmless) and moves it on.
    async fn catch_up(&self, cursor: &mut u64) {
        loop {
            let events = match self
                .ledger
                .events_page(*cursor, None, PAGE, PAGE_BYTES)
                .await
            {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the other hubs' events");
                    return;
                }
            };
            let Some(last) = events.last().map(|e| e.seq) else {
                return;
            };
            for event in &events {
                match &event.body {
                    EventBody::Order(order) => self.forget_answer(&order.order_id).await,
                    EventBody::Inquiry(inquiry) => {
                        if let Some(watch) = &self.inquiries {
                            watch.inquiry_changed(&inquiry.inquiry_id).await;
                        }
                    }
                    EventBody::Sighting(_) => {}
                }
            }
            *cursor = last;
            self.ledger.committed(last);
        }
    }

    /// Drops the cached answer the order's hold changed (its source, its debtor).
    async fn forget_answer(&self, order_id: &str) {
        match self.ledger.get(order_id).await {
            Ok(Some(order)) => self.answers.invalidate(&answer_key(&order)).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, order = order_id, "cannot read a changed order"),
        }
    }
}
