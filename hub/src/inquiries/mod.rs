//! Inquiries agencies answer later (issue 13): the durable record of each (the `inquiries`
//! table, [`store`]), the search's [`InquiryBook`] over it, and the follow-up of every open
//! inquiry ([`follow`]) until the agency answers, loses it or lets it expire.
//!
//! Owns these rules:
//! - an inquiry to a source configured `asynchronous` is written (`sending`) before it is sent,
//!   under a key of its own that the agency receives as the request id; after a crash it is
//!   resent under the same key, which the agency answers with the same ticket, so nothing is
//!   asked twice. A ticket from any other source is recorded when it arrives;
//! - while an inquiry for (source, debtor) is open, searches report it pending and never ask
//!   the agency again;
//! - every change to answered, expired or failed (and the ticket's arrival) appends one event
//!   to the ledger's feed in the transaction that records it; an answer goes into the answer
//!   cache, and a starting hub puts back the answers still within their source's TTL;
//! - waiters ([`Inquiries::wait_settled`]) learn of every settlement;
//! - agencies that notify have their ready tickets asked at once ([`ready`]);
//! - on a ledger several hubs share, one of them follows the open inquiries ([`lead`]).
//!
//! It does not decide what a search reports (`search`, `convert`) nor serve the API
//! (`service`).

pub mod follow;
pub mod lead;
pub mod ready;
pub mod store;
#[cfg(test)]
mod tests;

use crate::cache::{AnswerCache, CacheKey};
use crate::clock::Clock;
use crate::orders::ledger::{append_inquiry, InquiryPayload, LedgerError};
use crate::orders::Ledger;
use crate::registry::{Registry, Source};
use crate::search::{InquiryBook, OpenInquiry};
use assethub_connectors::domain::{mask_id, mask_name, CaseNumber, Debtor};
use assethub_connectors::{ConnectorError, ErrorClass, QueryAnswer};
use async_trait::async_trait;
pub use follow::FollowPolicy;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
pub use store::{Inquiry, InquiryFilter, InquiryState, StoredAnswer};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Most inquiries one listing returns.
pub const MAX_LIST: u32 = 500;
/// Longest reason stored or reported, in bytes.
const MAX_REASON_BYTES: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum InquiryError {
    #[error("inquiry store: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("no inquiry {0}")]
    Unknown(String),
}

/// The open inquiries by source and debtor (what searches consult, without the database).
type OpenIndex = HashMap<CacheKey, OpenInquiry>;

/// The inquiry book of one hub.
pub struct Inquiries {
    ledger: Ledger,
    registry: Arc<Registry>,
    cache: AnswerCache,
    clock: Arc<Clock>,
    policy: FollowPolicy,
    open: Mutex<OpenIndex>,
    /// Bumped after every settlement (answered, expired, failed).
    settled: watch::Sender<u64>,
    followers: Mutex<JoinSet<()>>,
    /// Inquiries with a follower now (one each), and what wakes it early.
    following: Mutex<HashMap<String, Arc<follow::Wake>>>,
    /// Whether this hub follows the open inquiries ([`lead`]): always alone on its ledger.
    leads: AtomicBool,
    me: Weak<Inquiries>,
}

fn key_of(source: &str, debtor_id: &str, name: &str) -> CacheKey {
    CacheKey {
        source: source.into(),
        debtor_id: debtor_id.into(),
        name: name.into(),
    }
}

fn open_of(i: &Inquiry) -> OpenInquiry {
    OpenInquiry {
        inquiry_id: i.inquiry_id.clone(),
        ticket: i.ticket.clone(),
        expected_at_ms: i.expected_at_ms,
    }
}

pub(crate) fn bounded(reason: &str) -> String {
    crate::bounds::cut(reason, MAX_REASON_BYTES)
}

/// A new key or id: a prefix and a UUID (what agencies accept as a request id).
fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

impl Inquiries {
    /// The book over the ledger's database; call [`Inquiries::resume`] once the search hub
    /// that uses it is built.
    pub fn new(
        ledger: Ledger,
        registry: Arc<Registry>,
        cache: AnswerCache,
        clock: Arc<Clock>,
        policy: FollowPolicy,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            ledger,
            registry,
            cache,
            clock,
            policy,
            open: Mutex::new(HashMap::new()),
            settled: watch::channel(0).0,
            followers: Mutex::new(JoinSet::new()),
            following: Mutex::new(HashMap::new()),
            leads: AtomicBool::new(true),
            me: me.clone(),
        })
    }

    /// Picks up where the last run stopped: every open inquiry is known again and, by the hub
    /// that leads, followed (a `sending` one resent under its key), and every answer still
    /// within its source's TTL goes back into the cache. Returns how many inquiries are open.
    pub async fn resume(&self) -> Result<usize, InquiryError> {
        let now = self.clock.now_ms();
        let longest = self
            .registry
            .all()
            .iter()
            .map(|s| s.cache_ttl)
            .max()
            .unwrap_or_default();
        let since = now.saturating_sub(i64::try_from(longest.as_millis()).unwrap_or(i64::MAX));
        for answered in store::answered_since(self.ledger.pool(), since).await? {
            self.cache_answer(&answered).await;
        }
        let open = store::open(self.ledger.pool()).await?;
        let count = open.len();
        for inquiry in open {
            self.index(&inquiry);
            self.spawn_follower(inquiry.inquiry_id.clone(), Duration::ZERO);
        }
        tracing::info!(open = count, "inquiries resumed");
        Ok(count)
    }

    /// Stops following (a hub shutting down; tests restarting a hub). Open inquiries stay
    /// recorded for the next run.
    pub fn stop(&self) {
        self.lock_followers().abort_all();
        self.following
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// One inquiry by id.
    pub async fn get(&self, inquiry_id: &str) -> Result<Option<Inquiry>, InquiryError> {
        Ok(store::get(self.ledger.pool(), inquiry_id).await?)
    }

    /// Inquiries matching `filter`, newest first (at most [`MAX_LIST`]).
    pub async fn list(&self, filter: &InquiryFilter) -> Result<Vec<Inquiry>, InquiryError> {
        let mut filter = filter.clone();
        filter.limit = filter.limit.clamp(1, MAX_LIST);
        Ok(store::list(self.ledger.pool(), &filter).await?)
    }

    /// The inquiry once it is settled (answered, expired or failed), as recorded then.
    /// Resolves at once for one already settled; fails for an unknown id. Waits through
    /// ledger errors (bound it with a timeout).
    pub async fn wait_settled(&self, inquiry_id: &str) -> Result<Inquiry, InquiryError> {
        let mut settled = self.settled.subscribe();
        loop {
            settled.borrow_and_update();
            match self.get(inquiry_id).await {
                Ok(None) => return Err(InquiryError::Unknown(inquiry_id.to_string())),
                Ok(Some(inquiry)) if !inquiry.state.is_open() => return Ok(inquiry),
                Ok(Some(_)) => {}
                // A ledger hiccup ends no wait: read again at the next settlement or soon.
                Err(e) => {
                    tracing::warn!(error = %e, inquiry = %inquiry_id, "cannot read an awaited inquiry now")
                }
            }
            // Re-read now and then too: another hub sharing the ledger may settle it.
            tokio::select! {
                _ = settled.changed() => {}
                _ = tokio::time::sleep(self.policy.max_interval) => {}
            }
        }
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, OpenIndex> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_followers(&self) -> std::sync::MutexGuard<'_, JoinSet<()>> {
        self.followers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn index(&self, i: &Inquiry) {
        let key = key_of(&i.source, &i.debtor_id, &i.debtor_name);
        if i.state.is_open() {
            self.lock_open().insert(key, open_of(i));
        } else {
            let mut open = self.lock_open();
            if open.get(&key).is_some_and(|o| o.inquiry_id == i.inquiry_id) {
                open.remove(&key);
            }
        }
    }

    /// Follows the inquiry after `first_wait`; a follower it already has is woken instead,
    /// to look at the inquiry now (it changed, or the agency said it is ready). Only the hub
    /// that [leads](Inquiries::leads) follows inquiries.
    fn spawn_follower(&self, inquiry_id: String, first_wait: Duration) {
        if !self.leads() {
            return;
        }
        let wake = {
            let mut following = self.following.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(wake) = following.get(&inquiry_id) {
                wake.changed.notify_one();
                return;
            }
            let wake = Arc::new(follow::Wake::default());
            following.insert(inquiry_id.clone(), wake.clone());
            wake
        };
        let me = self.me.clone();
        let mut followers = self.lock_followers();
        // Reap the finished ones so the set holds only live followers.
        while followers.try_join_next().is_some() {}
        followers.spawn(follow::run(me, inquiry_id, first_wait, wake));
    }

    /// Wakes the follower of the open inquiry to `source` with `ticket` (the agency notified
    /// that its answer is ready); whether there was one.
    pub fn ready(&self, source: &str, ticket: &str) -> bool {
        let id = self
            .lock_open()
            .iter()
            .find(|(key, open)| &*key.source == source && open.ticket == ticket)
            .map(|(_, open)| open.inquiry_id.clone());
        let Some(id) = id else { return false };
        let following = self.following.lock().unwrap_or_else(|e| e.into_inner());
        match following.get(&id) {
            Some(wake) => {
                wake.ready.store(true, std::sync::atomic::Ordering::Relaxed);
                wake.changed.notify_one();
                true
            }
            None => false,
        }
    }

    /// The follower of `inquiry_id` ended.
    fn unfollow(&self, inquiry_id: &str) {
        self.following
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(inquiry_id);
    }

    fn source(&self, id: &str) -> Option<Arc<Source>> {
        self.registry.all().iter().find(|s| s.id() == id).cloned()
    }

    async fn cache_answer(&self, i: &Inquiry) {
        let (Some(answer), Some(source)) = (&i.answer, self.source(&i.source)) else {
            return;
        };
        let age_ms = u64::try_from(self.clock.now_ms() - i.updated_at_ms).unwrap_or(0);
        self.cache
            .put(
                key_of(&i.source, &i.debtor_id, &i.debtor_name),
                answer.answer(),
                source.cache_ttl,
                Duration::from_millis(age_ms),
            )
            .await;
    }

    /// Records `next` over the row in state `was`, with an event when `event` (always for a
    /// settlement), in one transaction; then updates the index, the cache and the waiters.
    /// `false` when the row had moved on meanwhile (nothing written).
    async fn record(
        &self,
        next: &Inquiry,
        was: InquiryState,
        event: bool,
    ) -> Result<bool, InquiryError> {
        let mut tx = self.ledger.begin().await?;
        if !store::update(&mut tx, next, was).await? {
            return Ok(false);
        }
        let seq = if event || !next.state.is_open() {
            let payload = InquiryPayload {
                inquiry_id: next.inquiry_id.clone(),
                source: next.source.clone(),
                state: next.state.as_str().to_string(),
                debtor_masked: next.debtor_masked.clone(),
                asset_count: next.asset_count(),
                reason: next.reason.clone(),
            };
            Some(append_inquiry(&mut tx, &next.case_number, &payload).await?)
        } else {
            None
        };
        tx.commit().await.map_err(LedgerError::from)?;
        if let Some(seq) = seq {
            self.ledger.committed(seq);
        }
        self.index(next);
        if next.state == InquiryState::Answered {
            self.cache_answer(next).await;
        }
        if !next.state.is_open() {
            tracing::info!(
                inquiry = %next.inquiry_id,
                source = %next.source,
                state = next.state.as_str(),
                assets = next.asset_count(),
                "inquiry settled"
            );
            self.settled.send_modify(|n| *n += 1);
        }
        Ok(true)
    }

    /// What the agency answered the inquiry `current` (sent or resent): the row as it
    /// should be next. A ticket makes it pending; an answer answers it; an error fails it
    /// unless `keep_on_retryable` and the error is worth trying again (`None`: leave it).
    fn after(
        &self,
        current: &Inquiry,
        result: &Result<QueryAnswer, ConnectorError>,
        attempts: u32,
        keep_on_retryable: bool,
    ) -> Option<Inquiry> {
        let now = self.clock.now_ms();
        let mut next = current.clone();
        next.attempts = current.attempts.saturating_add(attempts);
        next.updated_at_ms = now;
        match result {
            Ok(QueryAnswer::Pending {
                ticket,
                expected_in,
            }) => {
                next.state = InquiryState::Pending;
                next.ticket = ticket.clone();
                next.expected_at_ms = expected_in.map_or(0, |d| {
                    now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                });
            }
            Ok(answer) => {
                next.state = InquiryState::Answered;
                next.answer = StoredAnswer::of(answer);
                next.reason = match answer {
                    QueryAnswer::NotFound => "NOT_FOUND".into(),
                    QueryAnswer::NameMismatch => "NAME_MISMATCH".into(),
                    _ => String::new(),
                };
            }
            Err(e) if keep_on_retryable && e.is_retryable() => return None,
            Err(e) => {
                next.state = InquiryState::Failed;
                next.reason = bounded(&format!("the agency refused the inquiry: {e}"));
            }
        }
        Some(next)
    }
}

#[async_trait]
impl InquiryBook for Inquiries {
    fn open(&self, source: &str, debtor: &Debtor) -> Option<OpenInquiry> {
        let open = self.lock_open();
        if open.is_empty() {
            return None; // the common case: no key to build
        }
        open.get(&key_of(source, debtor.id.as_str(), &debtor.name))
            .cloned()
    }

    async fn before_send(
        &self,
        source: &Source,
        case: &CaseNumber,
        debtor: &Debtor,
    ) -> Result<String, ConnectorError> {
        let mut inquiry = self.new_row(source, case, debtor);
        inquiry.state = InquiryState::Sending;
        store::insert(self.ledger.pool(), &inquiry)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot record an inquiry; not sent");
                ConnectorError::new(
                    ErrorClass::Server,
                    "the hub cannot record the inquiry, so it was not sent",
                )
            })?;
        self.index(&inquiry);
        // Should the send never come back (a crash of the call, a cancelled search), the
        // follower resends it under its key; otherwise it finds it pending and follows it.
        self.spawn_follower(inquiry.inquiry_id.clone(), self.policy.first_poll);
        Ok(inquiry.inquiry_key)
    }

    async fn after_send(
        &self,
        source: &Source,
        case: &CaseNumber,
        debtor: &Debtor,
        key: Option<&str>,
        result: &Result<QueryAnswer, ConnectorError>,
        attempts: u32,
    ) -> Option<OpenInquiry> {
        let current = match key {
            Some(_) => {
                let id = InquiryBook::open(self, source.id(), debtor)?.inquiry_id;
                self.get(&id).await.ok().flatten()?
            }
            None => {
                // A ticket from a source not configured asynchronous: recorded now.
                let mut inquiry = self.new_row(source, case, debtor);
                inquiry.state = InquiryState::Sending;
                if let Err(e) = store::insert(self.ledger.pool(), &inquiry).await {
                    tracing::error!(error = %e, "cannot record a ticket; it will not be followed");
                    return None;
                }
                inquiry
            }
        };
        // A retryable failure may have reached the agency: the inquiry stays `sending`, and
        // the follower started when it was recorded resends it under the same key (the
        // agency then gives its ticket) after its first wait.
        let next = self.after(&current, result, attempts, key.is_some())?;
        match self.record(&next, InquiryState::Sending, true).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::error!(error = %e, inquiry = %current.inquiry_id, "cannot record what the agency answered; the follow-up will ask again by key");
                self.spawn_follower(current.inquiry_id.clone(), self.policy.first_poll);
                return None;
            }
        }
        if next.state.is_open() {
            self.spawn_follower(next.inquiry_id.clone(), Duration::ZERO);
            Some(open_of(&next))
        } else {
            None
        }
    }
}

impl Inquiries {
    /// A new inquiry's row (state to be set by the caller), with a new id and key.
    fn new_row(&self, source: &Source, case: &CaseNumber, debtor: &Debtor) -> Inquiry {
        let now = self.clock.now_ms();
        let expiry = i64::try_from(source.inquiry_expiry.as_millis()).unwrap_or(i64::MAX);
        Inquiry {
            inquiry_id: new_id("inq"),
            source: source.id().to_string(),
            case_number: case.to_string(),
            court: case.court().to_string(),
            debtor_id: debtor.id.as_str().to_string(),
            debtor_name: debtor.name.clone(),
            debtor_masked: format!(
                "{} {}",
                mask_id(debtor.id.as_str()),
                mask_name(&debtor.name)
            ),
            inquiry_key: new_id("q"),
            ticket: String::new(),
            state: InquiryState::Pending,
            expected_at_ms: 0,
            expires_at_ms: now.saturating_add(expiry),
            answer: None,
            reason: String::new(),
            attempts: 0,
            reasked: 0,
            created_at_ms: now,
            updated_at_ms: now,
        }
    }
}

impl Drop for Inquiries {
    fn drop(&mut self) {
        self.lock_followers().abort_all();
    }
}
