//! Following one open inquiry until it settles: a `sending` one (a crash between recording
//! and sending, or an answer never heard) is resent under its own key; a `pending` one is
//! asked for its answer by ticket at the time the agency expected, then with backoff up to
//! [`FollowPolicy::max_interval`]; every call goes through the source's layers
//! (`registry::call`: breaker, bulkhead, rate gate). A ticket the agency says it does not know
//! (a `rejected` answer to the status call) is asked again once under a new key, then failed.
//! Past `expires_at_ms` the inquiry is expired, saying the agency never answered.
//!
//! One task per open inquiry, holding only a weak reference to the book: a stopped hub's
//! followers end with it.

use super::{bounded, new_id, Inquiries, Inquiry, InquiryState};
use assethub_connectors::domain::{Debtor, DebtorId};
use assethub_connectors::{CallContext, ConnectorError, ErrorClass, QueryAnswer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// When and how often open inquiries are asked for their answer.
#[derive(Debug, Clone, Copy)]
pub struct FollowPolicy {
    /// First look when the agency named no time; also the first backoff step.
    pub first_poll: Duration,
    /// Longest wait between two looks.
    pub max_interval: Duration,
    /// Bound of one agency call's wait for its rate slot.
    pub call_deadline: Duration,
}

impl Default for FollowPolicy {
    fn default() -> Self {
        Self {
            first_poll: Duration::from_secs(30),
            max_interval: Duration::from_secs(600),
            call_deadline: Duration::from_secs(30),
        }
    }
}

impl FollowPolicy {
    /// The wait after `looks` unanswered looks: `first_poll` doubled each time, capped.
    pub fn backoff(&self, looks: u32) -> Duration {
        let factor = 1u32 << looks.min(16);
        self.first_poll
            .saturating_mul(factor)
            .min(self.max_interval)
    }
}

/// What wakes a follower before its wait is over.
#[derive(Debug, Default)]
pub struct Wake {
    /// The inquiry changed, or the agency notified.
    pub(super) changed: Notify,
    /// The agency notified that the answer is ready.
    pub(super) ready: AtomicBool,
}

/// What to do next with an inquiry.
enum Step {
    Done,
    Wait(Duration),
}

pub(super) async fn run(
    book: Weak<Inquiries>,
    inquiry_id: String,
    first_wait: Duration,
    wake: Arc<Wake>,
) {
    tokio::select! {
        _ = tokio::time::sleep(first_wait) => {}
        _ = wake.changed.notified() => {}
    }
    let mut looks = 0u32;
    loop {
        let Some(strong) = book.upgrade() else { return };
        let step = match strong.step(&inquiry_id, &mut looks).await {
            Ok(step) => step,
            Err(e) => {
                tracing::warn!(error = %e, inquiry = %inquiry_id, "inquiry follow-up failed; trying again");
                Step::Wait(strong.policy.first_poll)
            }
        };
        let wait = match step {
            Step::Done => {
                strong.unfollow(&inquiry_id);
                return;
            }
            Step::Wait(wait) => wait,
        };
        drop(strong);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // Woken early: the inquiry changed (its ticket arrived: step again), or the agency
            // said its answer is ready (look now, even before the expected time).
            _ = wake.changed.notified() => {
                if wake.ready.swap(false, Ordering::Relaxed) {
                    looks = looks.max(1);
                }
            }
        }
    }
}

impl Inquiries {
    async fn step(&self, inquiry_id: &str, looks: &mut u32) -> Result<Step, super::InquiryError> {
        let Some(current) = self.get(inquiry_id).await? else {
            return Ok(Step::Done);
        };
        if !current.state.is_open() {
            self.index(&current);
            return Ok(Step::Done);
        }
        let now = self.clock.now_ms();
        if now >= current.expires_at_ms {
            let mut next = current.clone();
            next.state = InquiryState::Expired;
            next.updated_at_ms = now;
            next.reason = bounded(&format!(
                "the agency never answered inquiry {} before it expired",
                shown_ticket(&current)
            ));
            self.record(&next, current.state, true).await?;
            return Ok(Step::Done);
        }
        let until_expiry = ms(current.expires_at_ms - now);
        let Some(source) = self.source(&current.source) else {
            let mut next = current.clone();
            next.state = InquiryState::Failed;
            next.updated_at_ms = now;
            next.reason = format!("source {} is no longer configured", current.source);
            self.record(&next, current.state, true).await?;
            return Ok(Step::Done);
        };
        let Ok(debtor_id) = DebtorId::parse_recorded(&current.debtor_id) else {
            return Ok(Step::Done);
        };
        let debtor = Debtor {
            id: debtor_id,
            name: current.debtor_name.clone(),
        };
        let Ok(case) =
            assethub_connectors::domain::CaseNumber::parse_recorded(&current.case_number)
        else {
            return Ok(Step::Done);
        };
        let deadline = Instant::now() + self.policy.call_deadline;
        let ctx = CallContext {
            case,
            request_id: current.inquiry_key.clone(),
        };
        if current.state == InquiryState::Sending {
            // Resent under its own key: the agency answers a key it knows with its ticket.
            let result =
                crate::registry::call(&source, deadline, || source.connector.query(&ctx, &debtor))
                    .await;
            return self
                .settle_or_wait(&current, &result, looks, until_expiry)
                .await;
        }
        if *looks == 0 {
            if current.expected_at_ms > now {
                return Ok(Step::Wait(
                    ms(current.expected_at_ms - now).min(until_expiry),
                ));
            }
            if current.expected_at_ms == 0 {
                // The agency named no time: a first look after the first poll interval.
                *looks = 1;
                return Ok(Step::Wait(self.policy.first_poll.min(until_expiry)));
            }
        }
        let result = crate::registry::call(&source, deadline, || {
            source.connector.query_status(&ctx, &current.ticket)
        })
        .await;
        match result {
            Err(e) if e.class == ErrorClass::Rejected => {
                self.lost(&current, &source, &debtor, &ctx, &e, looks, until_expiry)
                    .await
            }
            result => {
                self.settle_or_wait(&current, &result, looks, until_expiry)
                    .await
            }
        }
    }

    /// Records what a send or a look brought: settled, or still pending (look again later).
    async fn settle_or_wait(
        &self,
        current: &Inquiry,
        result: &Result<QueryAnswer, ConnectorError>,
        looks: &mut u32,
        until_expiry: Duration,
    ) -> Result<Step, super::InquiryError> {
        let Some(next) = self.after(current, result, 1, true) else {
            // A retryable failure: the call counts, the inquiry stays as it is.
            *looks += 1;
            return Ok(Step::Wait(self.policy.backoff(*looks).min(until_expiry)));
        };
        // A ticket seen for the first time is news for the feed; a repeated one is not.
        let event = current.state != InquiryState::Pending || next.ticket != current.ticket;
        if !self.record(&next, current.state, event).await? {
            return Ok(Step::Wait(self.policy.first_poll));
        }
        if !next.state.is_open() {
            return Ok(Step::Done);
        }
        let wait = if current.state == InquiryState::Sending && next.expected_at_ms > 0 {
            ms(next.expected_at_ms - self.clock.now_ms())
        } else {
            *looks += 1;
            self.policy.backoff(*looks)
        };
        Ok(Step::Wait(wait.min(until_expiry)))
    }

    /// The agency does not know the ticket: asked again once under a new key, else failed.
    #[allow(clippy::too_many_arguments)]
    async fn lost(
        &self,
        current: &Inquiry,
        source: &crate::registry::Source,
        debtor: &Debtor,
        ctx: &CallContext,
        error: &ConnectorError,
        looks: &mut u32,
        until_expiry: Duration,
    ) -> Result<Step, super::InquiryError> {
        let now = self.clock.now_ms();
        if current.reasked >= 1 {
            let mut next = current.clone();
            next.state = InquiryState::Failed;
            next.updated_at_ms = now;
            next.attempts = next.attempts.saturating_add(1);
            next.reason = bounded(&format!(
                "the agency lost inquiry {} again after it was asked anew: {error}",
                shown_ticket(current)
            ));
            self.record(&next, current.state, true).await?;
            return Ok(Step::Done);
        }
        tracing::warn!(inquiry = %current.inquiry_id, source = %current.source, "the agency lost the ticket; asking again under a new key");
        // The new key is recorded before it is sent, so a crash resends it, not a third one.
        let mut renewed = current.clone();
        renewed.inquiry_key = new_id("q");
        renewed.ticket = String::new();
        renewed.state = InquiryState::Sending;
        renewed.reasked = current.reasked + 1;
        renewed.attempts = current.attempts.saturating_add(1);
        renewed.updated_at_ms = now;
        renewed.reason = bounded(&format!(
            "the agency lost ticket {}; asked again",
            current.ticket
        ));
        if !self.record(&renewed, current.state, false).await? {
            return Ok(Step::Wait(self.policy.first_poll));
        }
        let ctx = CallContext {
            case: ctx.case.clone(),
            request_id: renewed.inquiry_key.clone(),
        };
        let deadline = Instant::now() + self.policy.call_deadline;
        let result =
            crate::registry::call(source, deadline, || source.connector.query(&ctx, debtor)).await;
        *looks = 0;
        self.settle_or_wait(&renewed, &result, looks, until_expiry)
            .await
    }
}

fn shown_ticket(i: &Inquiry) -> &str {
    if i.ticket.is_empty() {
        &i.inquiry_key
    } else {
        &i.ticket
    }
}

fn ms(millis: i64) -> Duration {
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}
