//! Following up what the agencies have not finished, from hub start (so pending orders resume
//! after a restart) and then every `follow_up` interval:
//! - orders never answered (requested, awaiting agency) are executed again, which asks the
//!   agency by idempotency key before anything is resent;
//! - queued holds are asked about, to report the moment they take effect;
//! - holds past their end date on the hub's calendar are marked expired;
//! - vehicle sightings are fetched from each watch-capable source after its stored cursor.

use super::desk::Desk;
use super::ledger::{LedgerError, SightingPayload};
use super::model::{Order, State};
use assethub_connectors::domain::CaseNumber;
use assethub_connectors::{CallContext, Capability};
use std::sync::Arc;
use std::time::Duration;

impl Desk {
    /// Runs the follow-up loop until the task is dropped.
    pub async fn follow_up_forever(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.follow_up_once().await {
                tracing::warn!(error = %e, "order follow-up failed; trying again next round");
            }
        }
    }

    /// One round of follow-ups.
    pub async fn follow_up_once(&self) -> Result<(), LedgerError> {
        let today = self.clock.today().days();
        for order in self.ledger.unfinished(today).await? {
            if order.state.is_live_hold() && order.end_day > 0 && order.end_day < today {
                self.expire(&order).await?;
            } else if order.state.is_pending() {
                self.executor.spawn(&order.order_id);
            } else if order.state == State::Queued {
                self.ask_about(&order).await?;
            }
        }
        self.fetch_sightings().await
    }

    async fn expire(&self, order: &Order) -> Result<(), LedgerError> {
        let mut next = order.clone();
        next.state = State::Expired;
        next.frozen_fen = 0;
        next.queue_position = 0;
        next.detail = format!(
            "the hold ended on {} without renewal",
            assethub_connectors::domain::CivilDate::from_days(order.end_day)
        );
        match self.ledger.update(&[(order.clone(), next)]).await {
            Ok(_) | Err(LedgerError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn ask_about(&self, order: &Order) -> Result<(), LedgerError> {
        let (Ok(source), Ok(case)) = (
            self.source(&order.source),
            CaseNumber::parse(&order.case_number),
        ) else {
            return Ok(());
        };
        let ctx = CallContext {
            case,
            request_id: order.order_id.clone(),
        };
        let deadline = tokio::time::Instant::now() + self.executor.call_timeout();
        match crate::guard::call(&source, deadline, || {
            source.connector.control_status(&ctx, order.agency_key())
        })
        .await
        {
            Ok(Some(answer)) => match self.executor.apply(order, &answer).await {
                Ok(()) | Err(LedgerError::Conflict(_)) => Ok(()),
                Err(e) => Err(e),
            },
            Ok(None) => Ok(()),
            Err(e) => {
                tracing::info!(order = %order.order_id, error = %e, "could not ask about a queued hold");
                Ok(())
            }
        }
    }

    async fn fetch_sightings(&self) -> Result<(), LedgerError> {
        for source in self.registry.all() {
            if !source.connector.capabilities().contains(&Capability::Watch) {
                continue;
            }
            let cursor = self.ledger.sightings_cursor(source.id()).await?;
            // Agency calls of every kind share the source's protection layers.
            let deadline = tokio::time::Instant::now() + self.executor.call_timeout();
            let page = match crate::guard::call(source, deadline, || {
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
