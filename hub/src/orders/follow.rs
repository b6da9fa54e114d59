//! Following up what the agencies have not finished, from hub start (so pending orders resume
//! after a restart) and then every `follow_up` interval:
//! - orders never answered (requested, awaiting agency) are executed again, which asks the
//!   agency by idempotency key before anything is resent; an off-line agency's order whose
//!   notice was issued is left alone (it waits for a written answer), and its holds are never
//!   asked about (they expire on the hub's calendar and are not reconciled);
//! - queued holds are asked about, to report the moment they take effect;
//! - holds past their end date on the hub's calendar are asked about first, and marked expired
//!   only when the agency does not hold them any longer (or cannot say);
//! - vehicle sightings are fetched from each watch-capable source after its stored cursor;
//! - every `reconcile` interval, a page of holds in force is compared with the agencies'
//!   registers (DOMAIN "Agencies drift"): a hold lifted at the counter, expired on the agency's
//!   calendar or holding another amount is recorded as the agency says; a hold the agency has
//!   no record of at all (its register lost or rebuilt) is recorded as no longer in force.
//!   Every difference is an event on the feed, a warning in the log and a count in
//!   `assethub_reconcile_differences` by what differed.
//!
//! Several hubs sharing a PostgreSQL ledger: one of them runs the loop, the holder of the
//! [`FOLLOW_UP_LEASE`]; when it dies, another takes the lease over within three rounds.

use super::answers::reconciled;
use super::desk::Desk;
use super::ledger::{LedgerError, SightingPayload};
use super::model::{Order, State};
use assethub_connectors::domain::{CaseNumber, CivilDate};
use assethub_connectors::{CallContext, Capability, ControlAnswer};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The lease whose holder runs the follow-up loop, among the hubs of a shared ledger.
pub const FOLLOW_UP_LEASE: &str = "follow-up";

/// How often and how much the follow-up loop reconciles holds in force with the agencies.
#[derive(Debug, Clone, Copy)]
pub struct Reconcile {
    pub every: Duration,
    /// Holds asked about per round.
    pub batch: u32,
}

impl Desk {
    /// Runs the follow-up loop until the task is dropped.
    pub async fn follow_up_forever(self: Arc<Self>, every: Duration, reconcile: Reconcile) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_reconcile = Instant::now() + reconcile.every;
        let mut cursor = String::new();
        loop {
            tick.tick().await;
            if !self.follows(every).await {
                continue;
            }
            if let Err(e) = self.follow_up_once().await {
                tracing::warn!(error = %e, "order follow-up failed; trying again next round");
            }
            if Instant::now() >= next_reconcile {
                next_reconcile = Instant::now() + reconcile.every;
                match self.reconcile_page(&cursor, reconcile.batch).await {
                    Ok(next) => cursor = next,
                    Err(e) => {
                        tracing::warn!(error = %e, "reconciliation failed; trying again next round")
                    }
                }
            }
        }
    }

    /// Whether this hub runs this round of follow-ups: always alone; on a shared ledger, only
    /// while it holds the "follow-up" lease (renewed each round; another hub takes it over
    /// three rounds after this one stops renewing it), so agencies are asked once, not once
    /// per hub.
    async fn follows(&self, every: Duration) -> bool {
        let lease_for = every * 3 + Duration::from_secs(2);
        crate::db::Leases::may_work(self.executor.leases.as_deref(), FOLLOW_UP_LEASE, lease_for)
            .await
    }

    /// One round of follow-ups.
    pub async fn follow_up_once(&self) -> Result<(), LedgerError> {
        let today = self.clock.today().days();
        for order in self.ledger.unfinished(today).await? {
            if order.state.is_live_hold() && order.end_day > 0 && order.end_day < today {
                self.expire(&order).await?;
            } else if self.awaits_written_answer(&order) {
                // Its notice is issued: nothing to ask; an officer records the answer.
            } else if order.state.is_pending() {
                self.executor.spawn(&order.order_id);
            } else if order.state == State::Queued {
                self.ask_about(&order).await?;
            }
        }
        self.fetch_sightings().await
    }

    /// Reconciles the holds in force after `after` (order id), at most `batch`; returns where
    /// the next round starts (from the beginning again after the last page).
    pub async fn reconcile_page(&self, after: &str, batch: u32) -> Result<String, LedgerError> {
        let page = self.ledger.holds_in_force(after, batch).await?;
        for hold in &page {
            let (next, missing) = match self.status_of(hold).await {
                Told::Answer(answer) => (reconciled(hold, &answer), false),
                Told::NeverReceived => (unknown_to_agency(hold), true),
                Told::Unreachable => continue,
            };
            let mut difference = None;
            if hold.differs_visibly(&next) && self.ledger.reconcile(hold, &next).await? {
                let what = if missing {
                    "missing"
                } else {
                    difference_of(hold, &next)
                };
                tracing::warn!(order = %hold.order_id, source = %hold.source, difference = what, state = next.state.as_str(), "hold reconciled with its agency's register");
                difference = Some(what);
            }
            if let Some(metrics) = self.executor.metrics() {
                metrics.reconciled(&hold.source, difference);
            }
        }
        Ok(if page.len() < batch as usize {
            String::new()
        } else {
            page.last().map(|o| o.order_id.clone()).unwrap_or_default()
        })
    }

    /// A hold past its end date on the hub's calendar: the agency is asked first. A hold the
    /// agency still has in force with a later end date is corrected instead of expired.
    async fn expire(&self, order: &Order) -> Result<(), LedgerError> {
        if let Told::Answer(answer) = self.status_of(order).await {
            let next = reconciled(order, &answer);
            if next.state.is_live_hold() && next.end_day >= self.clock.today().days() {
                self.ledger.reconcile(order, &next).await?;
                return Ok(());
            }
        }
        let mut next = order.clone();
        next.state = State::Expired;
        next.frozen_fen = 0;
        next.queue_position = 0;
        next.detail = format!(
            "the hold ended on {} without renewal",
            CivilDate::from_days(order.end_day)
        );
        match self.ledger.update(&[(order.clone(), next)]).await {
            Ok(_) | Err(LedgerError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// What the agency says of `order`'s instruction (asked by its key).
    async fn status_of(&self, order: &Order) -> Told {
        let (Ok(source), Ok(case)) = (
            self.source(&order.source),
            CaseNumber::parse_recorded(&order.case_number),
        ) else {
            return Told::Unreachable;
        };
        if source.offline() {
            // Nobody to ask: its holds change only by written answers, and expire on the
            // hub's calendar.
            return Told::Unreachable;
        }
        let ctx = CallContext {
            case,
            request_id: order.order_id.clone(),
        };
        let deadline = Instant::now() + self.executor.call_timeout();
        match crate::registry::call(&source, deadline, || {
            source.connector.control_status(&ctx, order.agency_key())
        })
        .await
        {
            Ok(Some(answer)) => Told::Answer(answer),
            Ok(None) => Told::NeverReceived,
            Err(e) => {
                tracing::info!(order = %order.order_id, error = %e, "could not ask the agency about a hold");
                Told::Unreachable
            }
        }
    }

    async fn ask_about(&self, order: &Order) -> Result<(), LedgerError> {
        let Told::Answer(answer) = self.status_of(order).await else {
            return Ok(());
        };
        match self.executor.apply(order, &answer).await {
            Ok(()) | Err(LedgerError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn fetch_sightings(&self) -> Result<(), LedgerError> {
        for source in self.registry.all() {
            if !source.offers(Capability::Watch) {
                continue;
            }
            let cursor = self.ledger.sightings_cursor(source.id()).await?;
            // Agency calls of every kind share the source's protection layers.
            let deadline = Instant::now() + self.executor.call_timeout();
            let page = match crate::registry::call(source, deadline, || {
                source.connector.sightings(&cursor)
            })
            .await
            {
                Ok(page) => page,
                Err(e) => {
                    tracing::info!(source = source.id(), error = %e, "could not fetch sightings");
                    continue;
                }
            };
            if page.cursor == cursor && page.sightings.is_empty() {
                continue;
            }
            let mut matched = Vec::new();
            for s in page.sightings {
                if let Some(watch) = self
                    .ledger
                    .order_by_agency_ref(source.id(), &s.hold)
                    .await?
                {
                    let payload = SightingPayload {
                        order_id: watch.order_id.clone(),
                        plate: s.plate,
                        place: s.place,
                        seen_at: s.seen_at,
                    };
                    matched.push((watch, payload));
                }
            }
            self.ledger
                .record_sightings(source.id(), &page.cursor, &matched)
                .await?;
        }
        Ok(())
    }
}

/// What an agency said when asked about an instruction by its key.
enum Told {
    Answer(ControlAnswer),
    /// It has no record of the key.
    NeverReceived,
    /// It could not be asked, or could not say.
    Unreachable,
}

/// A hold in force whose agency has no record of the instruction that placed it: its register
/// was lost or rebuilt, or the hold removed outside any instruction. Nothing holds the asset,
/// so the ledger must not count it; the court is told to place it again if the case needs it.
fn unknown_to_agency(hold: &Order) -> Order {
    let mut next = hold.clone();
    next.state = State::Released;
    next.frozen_fen = 0;
    next.queue_position = 0;
    next.detail = format!(
        "reconciled with the agency's register: {} has no record of this hold (lost, or removed outside any instruction); nothing holds the asset now: place the hold again if the case still needs it",
        hold.source
    );
    next
}

/// What reconciliation changed on a hold its agency knows, as the metric's label: the state
/// it found, else the amount or the end date.
fn difference_of(before: &Order, after: &Order) -> &'static str {
    if after.state != before.state {
        after.state.as_str()
    } else if after.frozen_fen != before.frozen_fen {
        "amount"
    } else if after.end_day != before.end_day {
        "end_date"
    } else {
        "queue"
    }
}
