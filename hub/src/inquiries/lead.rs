//! Which hub follows the open inquiries when several share a PostgreSQL ledger: the holder
//! of the [`INQUIRIES_LEASE`], one hub at a time. It follows every open inquiry, whichever
//! hub sent it (adopting those it does not follow yet every round, so one sent through a hub
//! that died is resent by key), and it alone reads the agencies' ready notifications. The
//! other hubs only know the open inquiries (their searches report them pending and never ask
//! the agency again) and cache the answers when the leader records them (heard through
//! `orders::peers`). When the leader dies its lease runs out and another hub takes over
//! within [`LEASE_ROUNDS`] rounds; a hub that loses the lease (its database hiccupped)
//! stops its followers at its next round.
//!
//! On an embedded ledger there is one hub: it always leads.

use super::{Inquiries, InquiryState};
use crate::db::Leases;
use crate::orders::peers::InquiryWatch;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The lease whose holder follows the inquiries.
pub const INQUIRIES_LEASE: &str = "inquiries";
/// Rounds a lease lasts without renewal.
pub const LEASE_ROUNDS: u32 = 3;

impl Inquiries {
    /// Whether this hub follows the open inquiries now.
    pub fn leads(&self) -> bool {
        self.leads.load(Ordering::Relaxed)
    }

    /// Follows the inquiries only while holding the lease (called before
    /// [`Inquiries::resume`] on a shared ledger; [`Inquiries::lead_forever`] then takes it).
    pub fn follow_under_lease(&self) {
        self.leads.store(false, Ordering::Relaxed);
    }

    /// Takes or renews the lease every `every`, for as long as it runs: while held, every
    /// open inquiry of the ledger is followed here; once lost, none is.
    pub async fn lead_forever(self: Arc<Self>, leases: Arc<Leases>, every: Duration) {
        loop {
            self.lead_once(&leases, every).await;
            tokio::time::sleep(every).await;
        }
    }

    /// One round of [`Inquiries::lead_forever`]; whether this hub leads after it.
    pub async fn lead_once(&self, leases: &Leases, every: Duration) -> bool {
        let held = Leases::may_work(Some(leases), INQUIRIES_LEASE, every * LEASE_ROUNDS).await;
        let was = self.leads.swap(held, Ordering::Relaxed);
        if was && !held {
            tracing::info!("another hub follows the open inquiries now");
            self.stop();
        }
        if held {
            if !was {
                tracing::info!("this hub follows the open inquiries now");
            }
            if let Err(e) = self.adopt().await {
                tracing::warn!(error = %e, "cannot read the open inquiries; following the known ones");
            }
        }
        held
    }

    /// Follows every open inquiry of the ledger that has no follower here: a `sending` one
    /// after the first poll (its sender may still be waiting for the agency's ticket), a
    /// `pending` one at once (its follower waits for the time the agency named).
    async fn adopt(&self) -> Result<usize, super::InquiryError> {
        let mut adopted = 0;
        for inquiry in super::store::open(self.ledger.pool()).await? {
            self.index(&inquiry);
            if self.is_followed(&inquiry.inquiry_id) {
                continue;
            }
            let first_wait = match inquiry.state {
                InquiryState::Sending => self.policy.first_poll,
                _ => Duration::ZERO,
            };
            self.spawn_follower(inquiry.inquiry_id.clone(), first_wait);
            adopted += 1;
        }
        Ok(adopted)
    }

    fn is_followed(&self, inquiry_id: &str) -> bool {
        self.following
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(inquiry_id)
    }
}

#[async_trait::async_trait]
impl InquiryWatch for Inquiries {
    /// Another hub (or this one) recorded a change: known here as it is now, its answer
    /// cached, its waiters woken. The leader follows an open one it did not know yet.
    async fn inquiry_changed(&self, inquiry_id: &str) {
        let inquiry = match self.get(inquiry_id).await {
            Ok(Some(inquiry)) => inquiry,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, inquiry = inquiry_id, "cannot read a changed inquiry");
                return;
            }
        };
        self.index(&inquiry);
        match inquiry.state {
            InquiryState::Answered => self.cache_answer(&inquiry).await,
            InquiryState::Pending | InquiryState::Sending
                if self.leads() && !self.is_followed(inquiry_id) =>
            {
                self.spawn_follower(inquiry.inquiry_id.clone(), Duration::ZERO);
            }
            _ => {}
        }
        if !inquiry.state.is_open() {
            self.settled.send_modify(|n| *n += 1);
        }
    }
}
