//! One-click freeze (一键冻结) of a debtor's funds up to the case's registered claim: fresh
//! balances from every fund source (never the cache), a plan that never exceeds what remains
//! of the cap, the orders recorded together with their reservation in one transaction, then
//! executed at once. Foreign-currency accounts count at the court's configured rate or are
//! left out of the plan and reported. Concurrent requests on one case are planned one after
//! another; across hubs the ledger refuses a plan that no longer fits, and it is planned again.

use super::currency::Rate;
use super::desk::{
    new_order, new_request, request_hash, set_rate, Authority, Desk, DeskError, Recorded,
};
use super::ledger::LedgerError;
use super::model::{minor_within, value_fen, Action, Order, State};
use super::plan::{plan, Candidate};
use crate::cases::model::{CaseRecord, Purpose};
use crate::search::{Outcome, Search};
use assethub_connectors::domain::{AccountStatus, AssetDetail, AssetKind, AssetRef, Debtor, Fen};
use assethub_connectors::QueryAnswer;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::Instant;

/// Plans tried when another hub's act on the same case takes the room meanwhile.
const PLAN_ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct FundsRequest {
    pub authority: Authority,
    pub debtor: Debtor,
    /// What the case should hold in total, fen of yuan; 0: its whole claim.
    pub cap: Fen,
    pub days: u32,
}

/// An account left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    pub asset_ref: String,
    pub currency: String,
    /// Available balance in the account's currency (minor units).
    pub available: i64,
    pub reason: String,
}

/// What a one-click freeze did. Figures in fen of yuan; always
/// `case_total + pending + queued + short = cap` unless the case holds more than the cap.
#[derive(Debug, Clone)]
pub struct FundsReport {
    pub group_id: String,
    pub cap_fen: i64,
    pub claim_fen: i64,
    pub orders: Vec<Order>,
    /// Frozen now by these orders.
    pub frozen_fen: i64,
    /// Frozen or deducted by the case in total.
    pub case_total_fen: i64,
    /// The case's freezes asked and not yet decided.
    pub pending_fen: i64,
    /// The case's freezes queued behind other courts' holds.
    pub queued_fen: i64,
    pub short_fen: i64,
    /// Fund sources that could not report balances in time (nothing planned there).
    pub unavailable: Vec<String>,
    pub excluded: Vec<Excluded>,
}

/// A fund account the plan may use, in its own currency.
struct Account {
    asset: AssetRef,
    rate: Rate,
    balance: i64,
    frozen: i64,
}

impl Desk {
    pub async fn freeze_funds(
        &self,
        req: FundsRequest,
        case: &CaseRecord,
        deadline: Instant,
    ) -> Result<FundsReport, DeskError> {
        let a = &req.authority;
        let hash = request_hash(&[
            "freeze_funds",
            a.case.as_str(),
            &a.ruling,
            &a.officer_id,
            req.debtor.id.as_str(),
            &req.debtor.name,
            &req.cap.0.to_string(),
            &req.days.to_string(),
        ]);
        let cap = match req.cap.0 {
            0 => case.claim_fen,
            asked => asked.min(case.claim_fen),
        };
        if let Some(group_id) = self.replay(a, &hash).await? {
            return self
                .report(&group_id, case, cap, Vec::new(), Vec::new(), deadline)
                .await;
        }
        if req.cap.0 < 0 {
            return Err(DeskError::Refused("the cap must be positive".into()));
        }
        let days = self
            .policy
            .period(AssetKind::BANK, req.days)
            .map_err(DeskError::Refused)?;
        let group_id = format!("grp-{}", uuid::Uuid::new_v4().simple());
        let lock = self.case_lock(a.case.as_str());
        let (orders, unavailable, excluded) = {
            let _one_at_a_time = lock.lock().await;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let (accounts, unavailable, excluded) = self.fresh_accounts(&req, deadline).await?;
                let orders = self
                    .planned_orders(&req, &group_id, days, cap, &accounts, case)
                    .await?;
                let (_, above) = self.approval(a.case.court(), Action::Freeze);
                let request = new_request(a, hash.clone(), &group_id, Purpose::Act, above);
                let retry = match self.record(a, request, &orders).await {
                    Ok(Recorded::Replay(existing)) => {
                        return self
                            .report(&existing, case, cap, unavailable, excluded, deadline)
                            .await
                    }
                    Ok(Recorded::New(recorded)) => break (recorded, unavailable, excluded),
                    Err(DeskError::Ledger(
                        e @ (LedgerError::OverCap { .. } | LedgerError::AlreadyHeld { .. }),
                    )) => e,
                    Err(e) => return Err(e),
                };
                if attempt >= PLAN_ATTEMPTS {
                    return Err(DeskError::Refused(format!(
                        "the case kept changing while the freeze was planned ({retry}); try again"
                    )));
                }
            }
        };
        for order in orders.iter().filter(|o| o.state == State::Requested) {
            self.executor.spawn(&order.order_id);
        }
        self.report(&group_id, case, cap, unavailable, excluded, deadline)
            .await
    }

    /// Every fund account of the debtor the case does not freeze yet, with its balance as the
    /// agency reports it now; the sources that could not say; the accounts left out.
    async fn fresh_accounts(
        &self,
        req: &FundsRequest,
        deadline: Instant,
    ) -> Result<(Vec<Account>, Vec<String>, Vec<Excluded>), DeskError> {
        let search = Arc::new(Search {
            case: req.authority.case.clone(),
            debtor: req.debtor.clone(),
            kinds: vec![AssetKind::BANK, AssetKind::PAYMENT],
            fresh: true,
            deadline,
            request_id: format!("freeze-{}", uuid::Uuid::new_v4().simple()),
        });
        let held: Vec<String> = self
            .ledger
            .live_holds_of_case(req.authority.case.as_str())
            .await?
            .into_iter()
            .filter(|o| o.action == Action::Freeze)
            .map(|o| o.asset_ref())
            .collect();
        let mut accounts = Vec::new();
        let mut unavailable = Vec::new();
        let mut excluded = Vec::new();
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
            let freezes = super::desk::offered(&report.source, Action::Freeze).err();
            for asset in assets {
                let (currency, balance, frozen) = match &asset.detail {
                    AssetDetail::Deposit(d) if d.status != AccountStatus::Closed => {
                        (d.currency.clone(), d.balance, d.frozen)
                    }
                    AssetDetail::Payment(p) => (super::model::CNY.to_string(), p.balance, p.frozen),
                    _ => continue,
                };
                if held.contains(&asset.asset_ref.to_string()) {
                    continue;
                }
                let rate = match &freezes {
                    Some(refused) => Err(refused.to_string()),
                    None => self.rates.rate(&currency),
                };
                match rate {
                    Ok(rate) => accounts.push(Account {
                        asset: asset.asset_ref.clone(),
                        rate,
                        balance: balance.0,
                        frozen: frozen.0,
                    }),
                    Err(reason) => excluded.push(Excluded {
                        asset_ref: asset.asset_ref.to_string(),
                        currency,
                        available: (balance.0 - frozen.0).max(0),
                        reason,
                    }),
                }
            }
        }
        Ok((accounts, unavailable, excluded))
    }

    async fn planned_orders(
        &self,
        req: &FundsRequest,
        group_id: &str,
        days: u32,
        cap: i64,
        accounts: &[Account],
        case: &CaseRecord,
    ) -> Result<Vec<Order>, DeskError> {
        let figures = self
            .ledger
            .case_figures(req.authority.case.as_str())
            .await?;
        let today = self.clock.today();
        let end = today.plus_days(i64::from(days));
        // Planned in fen of yuan; each account's share is then converted back to its currency.
        let candidates: Vec<Candidate> = accounts
            .iter()
            .map(|acct| Candidate {
                asset: acct.asset.clone(),
                balance_fen: value_floor(acct.balance, acct.rate.rate_micro),
                frozen_fen: value_fen(acct.frozen, acct.rate.rate_micro),
            })
            .collect();
        let by_ref: HashMap<String, &Account> = accounts
            .iter()
            .map(|acct| (acct.asset.to_string(), acct))
            .collect();
        let mut orders = Vec::new();
        for planned in plan(cap - figures.reserved_fen, &candidates) {
            let Some(acct) = by_ref.get(&planned.asset.to_string()) else {
                continue;
            };
            let limit = if planned.queued {
                acct.balance
            } else {
                (acct.balance - acct.frozen).max(0)
            };
            let amount = minor_within(planned.amount_fen, acct.rate.rate_micro).min(limit);
            if amount <= 0 {
                continue;
            }
            let mut order = new_order(&req.authority, Action::Freeze, &planned.asset, &req.debtor);
            // Plan order is kept by the id's prefix.
            order.order_id = format!("{group_id}-{:02}", orders.len());
            order.group_id = group_id.to_string();
            order.amount_fen = amount;
            set_rate(&mut order, &acct.rate);
            order.start_day = today.days();
            order.end_day = end.days();
            order.case_account = case.account.clone();
            orders.push(order);
        }
        Ok(orders)
    }

    async fn report(
        &self,
        group_id: &str,
        case: &CaseRecord,
        cap_fen: i64,
        unavailable: Vec<String>,
        excluded: Vec<Excluded>,
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
        let figures = self.ledger.case_figures(&case.case_number).await?;
        let case_total_fen = figures.held_fen();
        Ok(FundsReport {
            group_id: group_id.to_string(),
            cap_fen,
            claim_fen: figures.claim_fen,
            frozen_fen: orders.iter().map(|o| o.value(o.frozen_fen)).sum(),
            case_total_fen,
            pending_fen: figures.pending_fen,
            queued_fen: figures.queued_fen,
            short_fen: (cap_fen - case_total_fen - figures.pending_fen - figures.queued_fen).max(0),
            orders,
            unavailable,
            excluded,
        })
    }
}

/// What `minor` units are worth in fen of yuan, rounded down: what a plan may count on.
fn value_floor(minor: i64, rate_micro: i64) -> i64 {
    let value = i128::from(minor) * i128::from(rate_micro) / i128::from(super::model::UNIT_RATE);
    i64::try_from(value).unwrap_or(i64::MAX)
}
