//! One-click freeze (一键冻结) of a debtor's funds up to the case's claim: fresh balances from
//! every fund source (never the cache), a plan that never exceeds what remains of the cap, the
//! orders recorded together with their reservation in one transaction, then executed at once.
//! Concurrent requests on one case are planned one after another; across hubs the ledger's
//! conditional reservation refuses a plan that no longer fits, and it is planned again.

use super::desk::{new_order, request_hash, Authority, Desk, DeskError};
use super::ledger::{LedgerError, NewRequest};
use super::model::{Action, Order, State};
use super::plan::{plan, Candidate};
use crate::search::{Outcome, Search};
use assethub_connectors::domain::{AccountStatus, AssetDetail, AssetKind, Debtor, Fen};
use assethub_connectors::QueryAnswer;
use std::sync::Arc;
use tokio::time::Instant;

/// Plans tried when another hub's freeze on the same case takes the room meanwhile.
const PLAN_ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct FundsRequest {
    pub authority: Authority,
    pub debtor: Debtor,
    pub cap: Fen,
    pub days: u32,
}

/// What a one-click freeze did.
#[derive(Debug, Clone)]
pub struct FundsReport {
    pub group_id: String,
    pub cap_fen: i64,
    pub orders: Vec<Order>,
    /// Frozen now by these orders.
    pub frozen_fen: i64,
    /// Frozen or deducted by the case in total.
    pub case_total_fen: i64,
    pub queued_fen: i64,
    pub short_fen: i64,
    /// Fund sources that could not report balances in time (nothing planned there).
    pub unavailable: Vec<String>,
}

impl Desk {
    pub async fn freeze_funds(
        &self,
        req: FundsRequest,
        deadline: Instant,
    ) -> Result<FundsReport, DeskError> {
        let a = &req.authority;
        let hash = request_hash(&[
            "freeze_funds",
            a.case.as_str(),
            &a.ruling,
            &a.officer,
            req.debtor.id.as_str(),
            &req.debtor.name,
            &req.cap.0.to_string(),
            &req.days.to_string(),
        ]);
        if let Some(group_id) = self.replay(a, &hash).await? {
            return self
                .report(&group_id, a.case.as_str(), req.cap.0, Vec::new(), deadline)
                .await;
        }
        if req.cap.0 <= 0 {
            return Err(DeskError::Refused("the cap must be positive".into()));
        }
        let days = self
            .policy
            .period(AssetKind::Bank, req.days)
            .map_err(DeskError::Refused)?;
        let group_id = format!("grp-{}", uuid::Uuid::new_v4().simple());
        let lock = self.case_lock(a.case.as_str());
        let planned = {
            let _one_at_a_time = lock.lock().await;
            let (candidates, unavailable) = self.fresh_balances(&req, deadline).await?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let orders = self
                    .planned_orders(&req, &group_id, days, &candidates)
                    .await?;
                let request = NewRequest {
                    court: a.case.court().to_string(),
                    client_key: a.key.clone(),
                    request_hash: hash.clone(),
                    result_id: group_id.clone(),
                    cap_fen: Some(req.cap.0),
                };
                match self.record(a, request, &orders).await {
                    Ok(Some(existing)) => {
                        return self
                            .report(&existing, a.case.as_str(), req.cap.0, unavailable, deadline)
                            .await
                    }
                    Ok(None) => break (orders, unavailable),
                    Err(DeskError::Ledger(LedgerError::OverCap)) if attempt < PLAN_ATTEMPTS => {
                        continue
                    }
                    Err(DeskError::Ledger(LedgerError::OverCap)) => {
                        return Err(DeskError::Refused(
                            "the case's reservation kept changing; try again".into(),
                        ))
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let (orders, unavailable) = planned;
        for order in orders.iter().filter(|o| o.state == State::Requested) {
            self.executor.spawn(&order.order_id);
        }
        self.report(&group_id, a.case.as_str(), req.cap.0, unavailable, deadline)
            .await
    }

    /// Every fund account of the debtor with its balance as the agency reports it now.
    async fn fresh_balances(
        &self,
        req: &FundsRequest,
        deadline: Instant,
    ) -> Result<(Vec<Candidate>, Vec<String>), DeskError> {
        let search = Arc::new(Search {
            case: req.authority.case.clone(),
            debtor: req.debtor.clone(),
            kinds: vec![AssetKind::Bank, AssetKind::Payment],
            fresh: true,
            deadline,
            request_id: format!("freeze-{}", uuid::Uuid::new_v4().simple()),
        });
        let mut candidates = Vec::new();
        let mut unavailable = Vec::new();
        for report in self.search.collect(search).await {
            let assets = match &report.outcome {
                Outcome::Answer(cached) => match &cached.answer {
                    QueryAnswer::Found(assets) => assets.clone(),
                    _ => Vec::new(),
                },
                Outcome::Failed(_) | Outcome::TimedOut => {
                    unavailable.push(report.source.id().to_string());
                    continue;
                }
            };
            for asset in assets {
                let (balance, frozen) = match &asset.detail {
                    AssetDetail::Deposit(d) if d.status != AccountStatus::Closed => {
                        (d.balance, d.frozen)
                    }
                    AssetDetail::Payment(p) => (p.balance, p.frozen),
                    _ => continue,
                };
                let ours = self
                    .ledger
                    .live_holds_on(
                        req.authority.case.as_str(),
                        asset.asset_ref.source.as_str(),
                        &asset.asset_ref.local,
                    )
                    .await?;
                if ours.iter().any(|o| o.action == Action::Freeze) {
                    continue;
                }
                candidates.push(Candidate {
                    asset: asset.asset_ref.clone(),
                    balance_fen: balance.0,
                    frozen_fen: frozen.0,
                });
            }
        }
        Ok((candidates, unavailable))
    }

    async fn planned_orders(
        &self,
        req: &FundsRequest,
        group_id: &str,
        days: u32,
        candidates: &[Candidate],
    ) -> Result<Vec<Order>, DeskError> {
        let (_, reserved) = self
            .ledger
            .case_reservation(req.authority.case.as_str())
            .await?;
        let today = self.clock.today();
        let end = today.plus_days(i64::from(days));
        // Four-eyes by the request's total: a one-click freeze is one decision.
        let approval = self.needs_approval(req.authority.case.court(), Action::Freeze, req.cap.0);
        Ok(plan(req.cap.0 - reserved, candidates)
            .into_iter()
            .enumerate()
            .map(|(n, p)| {
                let mut order = new_order(&req.authority, Action::Freeze, &p.asset, &req.debtor);
                // Plan order is kept by the id's prefix.
                order.order_id = format!("{group_id}-{n:02}");
                order.group_id = group_id.to_string();
                order.amount_fen = p.amount_fen;
                order.start_day = today.days();
                order.end_day = end.days();
                if approval {
                    order.state = State::AwaitingApproval;
                }
                order
            })
            .collect())
    }

    async fn report(
        &self,
        group_id: &str,
        case: &str,
        cap_fen: i64,
        unavailable: Vec<String>,
        deadline: Instant,
    ) -> Result<FundsReport, DeskError> {
        let ids: Vec<String> = self
            .ledger
            .group(group_id)
            .await?
            .into_iter()
            .map(|o| o.order_id)
            .collect();
        let orders = self.settled_all(&ids, deadline).await?;
        let case_total_fen = self.ledger.case_held(case).await?;
        let (_, reserved) = self.ledger.case_reservation(case).await?;
        Ok(FundsReport {
            group_id: group_id.to_string(),
            cap_fen,
            frozen_fen: orders.iter().map(|o| o.frozen_fen).sum(),
            case_total_fen,
            queued_fen: orders
                .iter()
                .filter(|o| o.state == State::Queued)
                .map(|o| o.amount_fen)
                .sum(),
            short_fen: (cap_fen - reserved).max(0),
            orders,
            unavailable,
        })
    }
}
