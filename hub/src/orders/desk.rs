//! The order desk: takes a validated control request, checks it against the law and the
//! case's cap, records it (idempotently, by the client's key) and has it executed. What the
//! agencies are told and how their answers change orders is in `execute`; the one-click freeze
//! in `funds`; following up unfinished orders in `follow`.

use super::execute::Executor;
use super::ledger::{Ledger, LedgerError, NewRequest};
use super::model::{Action, Order, State};
use super::policy::{fits, HoldPolicy};
use crate::clock::Clock;
use crate::config::ApprovalRule;
use crate::registry::{Registry, Source};
use crate::search::SearchHub;
use assethub_connectors::domain::{mask_id, AssetRef, CaseNumber, CivilDate, Debtor, Fen};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// Who orders an action, under which ruling, with which client idempotency key.
#[derive(Debug, Clone)]
pub struct Authority {
    pub case: CaseNumber,
    pub ruling: String,
    pub officer: String,
    pub key: String,
}

/// Freeze, seal or watch one asset.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub authority: Authority,
    pub action: Action,
    pub asset: AssetRef,
    pub debtor: Debtor,
    pub amount: Fen,
    pub days: u32,
}

/// Release, deduct from or renew a hold.
#[derive(Debug, Clone)]
pub struct ActRequest {
    pub authority: Authority,
    pub action: Action,
    pub order_id: String,
    pub amount: Fen,
    pub case_account: String,
    pub days: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The rules forbid it (FAILED_PRECONDITION).
    #[error("{0}")]
    Refused(String),
    /// The client key was used for a different request (ALREADY_EXISTS).
    #[error("idempotency key {0:?} was already used for a different request")]
    KeyReused(String),
    #[error("{0}")]
    NotFound(String),
    /// The order belongs to another court (PERMISSION_DENIED).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

pub struct Desk {
    pub(super) ledger: Ledger,
    pub(super) registry: Arc<Registry>,
    pub(super) search: Arc<SearchHub>,
    pub(super) policy: HoldPolicy,
    pub(super) clock: Arc<Clock>,
    pub(super) executor: Arc<Executor>,
    pub(super) case_account_prefix: String,
    /// One-click freezes of one case are planned one at a time in this hub (the ledger's
    /// conditional reservation protects the cap across hubs).
    case_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Four-eyes rules per court.
    approval: Vec<ApprovalRule>,
}

impl Desk {
    pub fn new(
        ledger: Ledger,
        registry: Arc<Registry>,
        search: Arc<SearchHub>,
        policy: HoldPolicy,
        clock: Arc<Clock>,
        executor: Arc<Executor>,
        case_account_prefix: String,
    ) -> Self {
        Self {
            ledger,
            registry,
            search,
            policy,
            clock,
            executor,
            case_account_prefix,
            case_locks: Mutex::default(),
            approval: Vec::new(),
        }
    }

    /// The courts' four-eyes rules.
    pub fn with_approval(mut self, rules: Vec<ApprovalRule>) -> Self {
        self.approval = rules;
        self
    }

    /// Whether an order of `court` for `action` involving `amount_fen` waits for approval.
    pub(super) fn needs_approval(&self, court: &str, action: Action, amount_fen: i64) -> bool {
        self.approval.iter().any(|rule| {
            rule.court == court
                && ((rule.seals && action == Action::Seal)
                    || (rule.above_fen > 0
                        && matches!(action, Action::Freeze | Action::Deduct)
                        && amount_fen > rule.above_fen))
        })
    }

    /// Four-eyes decision by `approver` (a supervisor of `court`) on an order awaiting it.
    pub async fn decide_approval(
        &self,
        order_id: &str,
        approver: &str,
        court: &str,
        approve: bool,
        reason: &str,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let order = self.get(order_id).await?;
        if order.court != court {
            return Err(DeskError::Forbidden(format!(
                "order {order_id} belongs to court {}; only its supervisors may approve it",
                order.court
            )));
        }
        if order.officer == approver {
            return Err(DeskError::Forbidden(
                "nobody may approve an order they gave themselves".into(),
            ));
        }
        if order.state != State::AwaitingApproval {
            return Err(DeskError::Refused(format!(
                "order {order_id} is {}, not awaiting approval",
                order.state.as_str()
            )));
        }
        let mut next = order.clone();
        if approve {
            next.state = State::Requested;
            next.detail = format!("approved by {approver}");
        } else {
            next.state = State::Rejected;
            next.detail = format!("not approved by {approver}: {reason}");
        }
        self.ledger.update(&[(order, next)]).await?;
        if approve {
            self.executor.run(order_id, deadline).await;
        }
        self.settled(order_id, deadline).await
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Lets the executions in flight finish, at most `limit`; returns how many did not (they
    /// stay recorded as awaiting their agency and resume at the next start).
    pub async fn drain(&self, limit: std::time::Duration) -> usize {
        self.executor.drain(limit).await
    }

    pub(super) fn case_lock(&self, case: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.case_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(case.to_string()).or_default().clone()
    }

    pub(super) fn source(&self, id: &str) -> Result<Arc<Source>, DeskError> {
        self.registry
            .all()
            .iter()
            .find(|s| s.id() == id)
            .cloned()
            .ok_or_else(|| DeskError::NotFound(format!("no source {id:?} is configured")))
    }

    /// The earlier result of this client key, if any: the same request gets its result id,
    /// a different one is refused.
    pub(super) async fn replay(
        &self,
        authority: &Authority,
        request_hash: &str,
    ) -> Result<Option<String>, DeskError> {
        match self
            .ledger
            .find_request(authority.case.court(), &authority.key)
            .await?
        {
            Some(stored) if stored.request_hash == request_hash => Ok(Some(stored.result_id)),
            Some(_) => Err(DeskError::KeyReused(authority.key.clone())),
            None => Ok(None),
        }
    }

    /// Records a new request with its orders, or, when another call with the same key won the
    /// race, answers as a replay would.
    pub(super) async fn record(
        &self,
        authority: &Authority,
        request: NewRequest,
        orders: &[Order],
    ) -> Result<Option<String>, DeskError> {
        match self.ledger.create(&request, orders).await {
            Ok(()) => Ok(None),
            Err(LedgerError::KeyTaken) => self
                .replay(authority, &request.request_hash)
                .await?
                .map(Some)
                .ok_or_else(|| DeskError::KeyReused(authority.key.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// Freeze, seal or watch one asset found by a search.
    pub async fn place_hold(
        &self,
        req: HoldRequest,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let a = &req.authority;
        let hash = request_hash(&[
            req.action.as_str(),
            a.case.as_str(),
            &a.ruling,
            &a.officer,
            &req.asset.to_string(),
            req.debtor.id.as_str(),
            &req.debtor.name,
            &req.amount.0.to_string(),
            &req.days.to_string(),
        ]);
        if let Some(order_id) = self.replay(a, &hash).await? {
            return self.settled(&order_id, deadline).await;
        }
        let source = self.source(req.asset.source.as_str())?;
        let kind = source.kind();
        if !fits(req.action, kind) {
            return Err(DeskError::Refused(format!(
                "a {} asset cannot take a {}",
                kind,
                req.action.as_str()
            )));
        }
        if req.action == Action::Freeze && req.amount.0 <= 0 {
            return Err(DeskError::Refused(
                "a freeze needs a positive amount".into(),
            ));
        }
        let days = self
            .policy
            .period(kind, req.days)
            .map_err(DeskError::Refused)?;
        let live = self
            .ledger
            .live_holds_on(a.case.as_str(), req.asset.source.as_str(), &req.asset.local)
            .await?;
        if let Some(existing) = live.iter().find(|o| o.action == req.action) {
            return Err(DeskError::Refused(format!(
                "the case already holds this asset with {} order {} ({})",
                existing.action.as_str(),
                existing.order_id,
                existing.state.as_str()
            )));
        }
        let today = self.clock.today();
        let mut order = new_order(a, req.action, &req.asset, &req.debtor);
        order.amount_fen = req.amount.0;
        if self.needs_approval(a.case.court(), req.action, req.amount.0) {
            order.state = State::AwaitingApproval;
        }
        order.start_day = today.days();
        order.end_day = today.plus_days(i64::from(days)).days();
        let request = NewRequest {
            court: a.case.court().to_string(),
            client_key: a.key.clone(),
            request_hash: hash,
            result_id: order.order_id.clone(),
            cap_fen: None,
        };
        match self.record(a, request, std::slice::from_ref(&order)).await {
            Ok(Some(order_id)) => return self.settled(&order_id, deadline).await,
            Ok(None) => {}
            Err(DeskError::Ledger(LedgerError::OverCap)) => {
                return Err(DeskError::Refused(
                    "the freeze would take the case over its claimed amount".into(),
                ))
            }
            Err(e) => return Err(e),
        }
        if order.state == State::Requested {
            self.executor.run(&order.order_id, deadline).await;
        }
        self.settled(&order.order_id, deadline).await
    }

    /// Release, deduct from or renew a hold the case placed.
    pub async fn act_on_hold(
        &self,
        req: ActRequest,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let a = &req.authority;
        let hash = request_hash(&[
            req.action.as_str(),
            a.case.as_str(),
            &a.ruling,
            &a.officer,
            &req.order_id,
            &req.amount.0.to_string(),
            &req.case_account,
            &req.days.to_string(),
        ]);
        if let Some(order_id) = self.replay(a, &hash).await? {
            return self.settled(&order_id, deadline).await;
        }
        let target = self
            .ledger
            .get(&req.order_id)
            .await?
            .ok_or_else(|| DeskError::NotFound(format!("no order {:?}", req.order_id)))?;
        if target.court != a.case.court() {
            return Err(DeskError::Forbidden(format!(
                "order {} belongs to court {}; only that court may act on it",
                target.order_id, target.court
            )));
        }
        if target.case_number != a.case.as_str() {
            return Err(DeskError::Refused(format!(
                "order {} belongs to another case",
                target.order_id
            )));
        }
        if !target.action.places_hold() || !target.state.is_live_hold() {
            return Err(DeskError::Refused(format!(
                "order {} is a {} order in state {}: only a freeze, seal or watch in force or queued can be {}d",
                target.order_id,
                target.action.as_str(),
                target.state.as_str(),
                req.action.as_str().trim_end_matches('e')
            )));
        }
        let kind = self.source(&target.source)?.kind();
        let mut order = target.clone();
        order.order_id = new_order_id();
        order.action = req.action;
        order.state = State::Requested;
        order.ruling = a.ruling.clone();
        order.officer = a.officer.clone();
        order.client_key = a.key.clone();
        order.target_order_id = target.order_id.clone();
        order.group_id = String::new();
        order.detail = String::new();
        order.attempts = 0;
        order.version = 0;
        order.queue_position = 0;
        order.frozen_fen = 0;
        order.deducted_fen = 0;
        order.amount_fen = 0;
        order.agency_ref = target.agency_ref.clone();
        order.start_day = 0;
        order.end_day = 0;
        order.created_at_ms = super::ledger::now_ms();
        order.updated_at_ms = order.created_at_ms;
        match req.action {
            Action::Release => {}
            Action::Deduct => {
                if target.action != Action::Freeze || target.state == State::Queued {
                    return Err(DeskError::Refused(
                        "only money frozen by a freeze in force can be deducted".into(),
                    ));
                }
                if req.amount.0 <= 0 || req.amount.0 > target.frozen_fen {
                    return Err(DeskError::Refused(format!(
                        "cannot deduct {} fen: {} fen is frozen under order {}",
                        req.amount.0, target.frozen_fen, target.order_id
                    )));
                }
                order.amount_fen = req.amount.0;
                order.case_account = if req.case_account.is_empty() {
                    default_case_account(&self.case_account_prefix, &a.case)
                } else {
                    req.case_account.clone()
                };
            }
            Action::Renew => {
                let end = CivilDate::from_days(target.end_day);
                let until = self
                    .policy
                    .renewal(kind, end, self.clock.today(), req.days)
                    .map_err(DeskError::Refused)?;
                order.start_day = self.clock.today().days();
                order.end_day = until.days();
            }
            other => {
                return Err(DeskError::Refused(format!(
                    "{} is not an action on a hold",
                    other.as_str()
                )))
            }
        }
        let request = NewRequest {
            court: a.case.court().to_string(),
            client_key: a.key.clone(),
            request_hash: hash,
            result_id: order.order_id.clone(),
            cap_fen: None,
        };
        if let Some(order_id) = self
            .record(a, request, std::slice::from_ref(&order))
            .await?
        {
            return self.settled(&order_id, deadline).await;
        }
        self.executor.run(&order.order_id, deadline).await;
        self.settled(&order.order_id, deadline).await
    }

    pub async fn get(&self, order_id: &str) -> Result<Order, DeskError> {
        self.ledger
            .get(order_id)
            .await?
            .ok_or_else(|| DeskError::NotFound(format!("no order {order_id:?}")))
    }

    /// The order once the agency has answered, or as it stands at `deadline`.
    pub(super) async fn settled(
        &self,
        order_id: &str,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let ids = [order_id.to_string()];
        let mut orders = self.settled_all(&ids, deadline).await?;
        orders
            .pop()
            .ok_or_else(|| DeskError::NotFound(format!("no order {order_id:?}")))
    }

    /// The orders once none awaits its agency, or as they stand at `deadline`.
    pub(super) async fn settled_all(
        &self,
        ids: &[String],
        deadline: Instant,
    ) -> Result<Vec<Order>, DeskError> {
        let mut changes = self.ledger.subscribe();
        loop {
            let mut orders = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(order) = self.ledger.get(id).await? {
                    orders.push(order);
                }
            }
            if orders.iter().all(|o| !o.state.is_pending()) {
                return Ok(orders);
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return Ok(orders) },
                _ = tokio::time::sleep_until(deadline) => return Ok(orders),
            }
        }
    }
}

/// A fresh order record (state requested) for `action` on `asset`.
pub(super) fn new_order(a: &Authority, action: Action, asset: &AssetRef, debtor: &Debtor) -> Order {
    let now = super::ledger::now_ms();
    Order {
        order_id: new_order_id(),
        action,
        state: State::Requested,
        case_number: a.case.as_str().to_string(),
        court: a.case.court().to_string(),
        ruling: a.ruling.clone(),
        officer: a.officer.clone(),
        source: asset.source.to_string(),
        asset_local: asset.local.clone(),
        debtor_id: debtor.id.as_str().to_string(),
        debtor_name: debtor.name.clone(),
        debtor_masked: mask_id(debtor.id.as_str()),
        amount_fen: 0,
        frozen_fen: 0,
        deducted_fen: 0,
        reserved_fen: 0,
        start_day: 0,
        end_day: 0,
        queue_position: 0,
        agency_ref: String::new(),
        target_order_id: String::new(),
        group_id: String::new(),
        case_account: String::new(),
        detail: String::new(),
        client_key: a.key.clone(),
        attempts: 0,
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
    }
}

/// The case's own account (一案一账号) when the request names none: the configured prefix, the
/// year, the court's digits and the case's sequence, in ASCII as agencies require.
fn default_case_account(prefix: &str, case: &CaseNumber) -> String {
    let court_digits: String = case.court().chars().filter(char::is_ascii_digit).collect();
    format!("{prefix}{}-{court_digits}-{}", case.year(), case.sequence())
}

pub(super) fn new_order_id() -> String {
    format!("ord-{}", uuid::Uuid::new_v4().simple())
}

/// A digest of a request's canonical fields, to recognise a replay without storing them.
pub(super) fn request_hash(fields: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}
