//! The order desk: takes a validated control request on an admitted case (see
//! [`crate::cases`]), checks it against the law, records it (idempotently, by the client's key;
//! the ledger enforces the money rules in the same transaction) and has it executed. What the
//! agencies are told and how their answers change orders is in `execute`; the one-click freeze
//! in `funds`; four-eyes decisions in `approve`; following up unfinished orders in `follow`.

use super::currency::{ExchangeRates, Rate};
use super::execute::Executor;
use super::ledger::{Ledger, LedgerError, NewRequest};
use super::model::{Action, Order, State};
use super::policy::{capability, HoldPolicy};
use crate::cases::model::{CaseRecord, Purpose};
use crate::clock::Clock;
use crate::config::ApprovalRule;
use crate::known_assets::KnownAsset;
use crate::registry::{Registry, Source};
use crate::search::{Outcome, Search, SearchHub};
use assethub_connectors::domain::{
    mask_id, AssetKind, AssetRef, CaseNumber, CivilDate, Debtor, Fen, HoldUnit,
};
use assethub_connectors::QueryAnswer;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// Who orders an action, under which ruling, with which client idempotency key.
#[derive(Debug, Clone)]
pub struct Authority {
    pub case: CaseNumber,
    pub ruling: String,
    /// The officer's name, normalised.
    pub officer: String,
    /// The officer's identity (token issuer/subject).
    pub officer_id: String,
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
    /// The currency the caller says the amount is in (empty: the account's own).
    pub currency: String,
    /// A freeze of a kind counted in units (shares): how many (0 otherwise).
    pub quantity: u64,
}

/// The most units one freeze may name (a bound on what a caller can send, far above any
/// real holding).
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;

/// Release, deduct from or renew a hold.
#[derive(Debug, Clone)]
pub struct ActRequest {
    pub authority: Authority,
    pub action: Action,
    pub order_id: String,
    pub amount: Fen,
    /// What the caller named as the destination of a deduction (empty: the case's account).
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
    /// The order belongs to another court, or the caller may not decide it (PERMISSION_DENIED).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// What recording a request came to.
pub(super) enum Recorded {
    /// The key was used before for this very request: its result id.
    Replay(String),
    /// The orders as the ledger recorded them (four-eyes may make them wait for approval).
    New(Vec<Order>),
}

pub struct Desk {
    pub(super) ledger: Ledger,
    pub(super) registry: Arc<Registry>,
    pub(super) search: Arc<SearchHub>,
    pub(super) policy: HoldPolicy,
    pub(super) clock: Arc<Clock>,
    pub(super) executor: Arc<Executor>,
    pub(super) rates: ExchangeRates,
    /// Requests on one case are planned one at a time in this hub (the ledger's transaction
    /// protects the case across hubs).
    case_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Four-eyes rules per court.
    pub(super) approval: Vec<ApprovalRule>,
}

impl Desk {
    pub fn new(
        ledger: Ledger,
        registry: Arc<Registry>,
        search: Arc<SearchHub>,
        policy: HoldPolicy,
        clock: Arc<Clock>,
        executor: Arc<Executor>,
    ) -> Self {
        Self {
            ledger,
            registry,
            search,
            policy,
            clock,
            executor,
            rates: ExchangeRates::default(),
            case_locks: Mutex::default(),
            approval: Vec::new(),
        }
    }

    /// The courts' four-eyes rules.
    pub fn with_approval(mut self, rules: Vec<ApprovalRule>) -> Self {
        self.approval = rules;
        self
    }

    /// The court's exchange rates for foreign-currency holdings.
    pub fn with_rates(mut self, rates: ExchangeRates) -> Self {
        self.rates = rates;
        self
    }

    /// Four-eyes for an order of `court`: whether it waits whatever its amount (seals, if the
    /// court says so), and the amount above which it, or its case's total, makes it wait.
    pub(super) fn approval(&self, court: &str, action: Action) -> (bool, Option<i64>) {
        let rule = self.approval.iter().find(|r| r.court == court);
        let always = rule.is_some_and(|r| r.seals && action == Action::Seal);
        let above = rule
            .filter(|r| r.above_fen > 0 && matches!(action, Action::Freeze | Action::Deduct))
            .map(|r| r.above_fen);
        (always, above)
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

    /// Refuses, before anything is recorded, an action the source's kind does not allow
    /// (`[control.kinds]`) or the source does not take (its connector's declared
    /// capabilities, narrowed by configuration).
    pub(super) fn allowed(&self, source: &Source, action: Action) -> Result<(), DeskError> {
        let kind = source.kind();
        if !self.policy.fits(action, kind) {
            let allows: Vec<&str> = self
                .policy
                .spec(kind)
                .map(|s| s.actions.iter().map(|c| c.as_str()).collect())
                .unwrap_or_default();
            return Err(DeskError::Refused(format!(
                "a {kind} asset cannot take a {}: its kind allows {}",
                action.as_str(),
                if allows.is_empty() {
                    "no control action".to_string()
                } else {
                    allows.join(", ")
                }
            )));
        }
        offered(source, action)
    }

    /// The amount or quantity of a hold against its kind's unit: a freeze of money names a
    /// positive amount and no quantity; a freeze of units (shares) a quantity of at most
    /// [`MAX_QUANTITY`] and no amount; seals and watches neither a quantity.
    fn check_amounts(&self, req: &HoldRequest, kind: AssetKind) -> Result<(), DeskError> {
        let refuse = |m: String| Err(DeskError::Refused(m));
        match (req.action, self.policy.unit(kind)) {
            (Action::Freeze, HoldUnit::Units(unit)) => {
                if req.quantity == 0 {
                    return refuse(format!(
                        "a freeze of a {kind} asset names a quantity of {unit} (quantity), not an amount"
                    ));
                }
                if req.amount.0 != 0 {
                    return refuse(format!(
                        "a freeze of a {kind} asset counts in {unit}: set quantity and leave amount_fen 0"
                    ));
                }
                if req.quantity > MAX_QUANTITY {
                    return refuse(format!(
                        "quantity {} is more than {MAX_QUANTITY} {unit}",
                        req.quantity
                    ));
                }
                Ok(())
            }
            (_, unit) if req.quantity > 0 => refuse(format!(
                "a {kind} asset counts in {}, not in units: a quantity applies only to freezes of kinds counted in units (such as shares)",
                unit.as_str()
            )),
            (Action::Freeze, _) if req.amount.0 <= 0 => {
                refuse("a freeze needs a positive amount".into())
            }
            _ => Ok(()),
        }
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
    ) -> Result<Recorded, DeskError> {
        match self.ledger.create(&request, orders).await {
            Ok(recorded) => Ok(Recorded::New(recorded)),
            Err(LedgerError::KeyTaken) => self
                .replay(authority, &request.request_hash)
                .await?
                .map(Recorded::Replay)
                .ok_or_else(|| DeskError::KeyReused(authority.key.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// Records a request of one order (or finds it already recorded), lets go of the case's
    /// lock when the caller holds it — an agency's answer is not waited for under it — runs
    /// the order if it needs no approval, and answers with it as it stands.
    async fn file_one(
        &self,
        a: &Authority,
        request: NewRequest,
        order: Order,
        case_lock: Option<tokio::sync::MutexGuard<'_, ()>>,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let recorded = match self
            .record(a, request, std::slice::from_ref(&order))
            .await?
        {
            Recorded::Replay(order_id) => return self.settled(&order_id, deadline).await,
            Recorded::New(orders) => orders,
        };
        drop(case_lock);
        if recorded.iter().any(|o| o.state == State::Requested) {
            self.executor.run(&order.order_id, deadline).await;
        }
        self.settled(&order.order_id, deadline).await
    }

    /// Freeze, seal or watch one asset of a debtor of `case` (admitted by the caller).
    pub async fn place_hold(
        &self,
        req: HoldRequest,
        case: &CaseRecord,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let a = &req.authority;
        let quantity = quantity_field(req.quantity);
        let (asset, amount, days) = (
            req.asset.to_string(),
            req.amount.0.to_string(),
            req.days.to_string(),
        );
        let mut fields = vec![
            req.action.as_str(),
            a.case.as_str(),
            &a.ruling,
            &a.officer_id,
            &asset,
            req.debtor.id.as_str(),
            &req.debtor.name,
            &amount,
            &req.currency,
            &days,
        ];
        // Appended only for quantity freezes: requests without one keep their hashes.
        if let Some(q) = &quantity {
            fields.push(q.as_str());
        }
        let hash = request_hash(&fields);
        if let Some(order_id) = self.replay(a, &hash).await? {
            return self.settled(&order_id, deadline).await;
        }
        let source = self.source(req.asset.source.as_str())?;
        let kind = source.kind();
        self.allowed(&source, req.action)?;
        self.check_amounts(&req, kind)?;
        let days = self
            .policy
            .period(kind, req.days)
            .map_err(DeskError::Refused)?;
        let rate = self.confirm_asset(&req, &source, deadline).await?;
        let quantity = i64::try_from(req.quantity).unwrap_or(i64::MAX);
        let lock = self.case_lock(a.case.as_str());
        let _one_at_a_time = lock.lock().await;
        let today = self.clock.today();
        let mut order = new_order(a, req.action, &req.asset, &req.debtor);
        order.amount_fen = req.amount.0;
        order.kind = kind.as_str().to_string();
        order.unit = self.policy.unit(kind).as_str().to_string();
        order.quantity = quantity;
        set_rate(&mut order, &rate);
        let (always, above) = self.approval(a.case.court(), req.action);
        if always {
            order.state = State::AwaitingApproval;
        }
        order.start_day = today.days();
        order.end_day = today.plus_days(i64::from(days)).days();
        order.case_account = case.account.clone();
        let request = new_request(a, hash, &order.order_id, Purpose::Act, above);
        self.file_one(a, request, order, Some(_one_at_a_time), deadline)
            .await
    }

    /// Confirms that the asset a hold names is the debtor's, exactly as its agency reports it in
    /// a search of the debtor at that source (a cached answer will do), before anything is
    /// recorded or signed: the hub never instructs an agency about someone else's asset, and
    /// one asset has one spelling (`one live hold per case and asset` compares it). For a
    /// freeze, also the currency the asset holds and the rate it counts toward the claim at.
    async fn confirm_asset(
        &self,
        req: &HoldRequest,
        source: &Arc<Source>,
        deadline: Instant,
    ) -> Result<Rate, DeskError> {
        let known = self.search.known_assets().get(&req.asset);
        let (currency, held) = match known.filter(|k| k.debtor_id == req.debtor.id.as_str()) {
            // A search reported it for this debtor: no need to ask the agency again (which
            // lets an order wait recorded while the agency is down).
            Some(known) => (known.currency, known.quantity),
            None => self.asked_asset(req, source, deadline).await?,
        };
        if req.quantity > 0 {
            // No excess control by value for units (DOMAIN rule 2, see the README): never
            // more units than the debtor holds, where the agency said how many.
            if let Some(held) = held.filter(|held| req.quantity > *held) {
                return Err(DeskError::Refused(format!(
                    "{} units asked, but the latest search reports the debtor holds {held} of {}",
                    req.quantity, req.asset
                )));
            }
            return Ok(Rate::cny());
        }
        if req.action != Action::Freeze {
            return Ok(Rate::cny());
        }
        let Some(currency) = currency else {
            return Err(DeskError::Refused(format!(
                "{} is not a fund asset",
                req.asset
            )));
        };
        if !req.currency.is_empty() && req.currency != currency {
            return Err(DeskError::Refused(format!(
                "the account is in {currency}, not {}: amounts are never added across currencies",
                req.currency
            )));
        }
        self.rates.rate(&currency).map_err(DeskError::Refused)
    }

    /// The asset's currency (none for other assets) and units held (kinds counted in units) as
    /// a search of the debtor at `source` reports them, or why it cannot be confirmed as the
    /// debtor's.
    async fn asked_asset(
        &self,
        req: &HoldRequest,
        source: &Arc<Source>,
        deadline: Instant,
    ) -> Result<(Option<String>, Option<u64>), DeskError> {
        let search = Arc::new(Search {
            case: req.authority.case.clone(),
            debtor: req.debtor.clone(),
            kinds: vec![source.kind()],
            fresh: false,
            deadline,
            request_id: format!("asset-{}", uuid::Uuid::new_v4().simple()),
        });
        let report = self.search.ask_source(source.clone(), search).await;
        let assets = match &report.outcome {
            Outcome::Answer(cached) => match &cached.answer {
                QueryAnswer::Found(assets) => assets.clone(),
                _ => Vec::new(),
            },
            Outcome::Failed(e) => {
                return Err(DeskError::Refused(format!(
                "{} could not confirm the asset is the debtor's: {e}; try again when it answers",
                source.id()
            )))
            }
            Outcome::TimedOut => {
                return Err(DeskError::Refused(format!(
                    "{} did not confirm within the deadline that the asset is the debtor's",
                    source.id()
                )))
            }
        };
        let asset = assets
            .iter()
            .find(|a| a.asset_ref == req.asset)
            .ok_or_else(|| {
                DeskError::Refused(format!(
                    "{} lists no asset {} for this debtor: act on an asset ref exactly as a search of the debtor reports it",
                    source.id(),
                    req.asset
                ))
            })?;
        let known = KnownAsset::of(req.debtor.id.as_str(), asset, source.spec());
        Ok((known.currency, known.quantity))
    }

    /// Release, deduct from or renew a hold `case` placed (admitted by the caller).
    pub async fn act_on_hold(
        &self,
        req: ActRequest,
        case: &CaseRecord,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let a = &req.authority;
        let hash = request_hash(&[
            req.action.as_str(),
            a.case.as_str(),
            &a.ruling,
            &a.officer_id,
            &req.order_id,
            &req.amount.0.to_string(),
            &req.case_account,
            &req.days.to_string(),
        ]);
        if let Some(order_id) = self.replay(a, &hash).await? {
            return self.settled(&order_id, deadline).await;
        }
        let target = self.target(&req).await?;
        let source = self.source(&target.source)?;
        self.allowed(&source, req.action)?;
        let kind = source.kind();
        let mut order = action_order(&target, a, req.action);
        let (always, above) = self.approval(a.case.court(), req.action);
        if always {
            order.state = State::AwaitingApproval;
        }
        let purpose = match req.action {
            Action::Release => Purpose::Release,
            Action::Renew => Purpose::Renew,
            _ => Purpose::Act,
        };
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
                        "cannot deduct {} {}: {} is frozen under order {}",
                        Fen(req.amount.0).to_yuan_string(),
                        target.currency,
                        Fen(target.frozen_fen).to_yuan_string(),
                        target.order_id
                    )));
                }
                if !req.case_account.is_empty() && req.case_account != case.account {
                    return Err(DeskError::Refused(format!(
                        "deductions go only to case {}'s registered account (一案一账号); another account cannot be named",
                        case.case_number
                    )));
                }
                order.amount_fen = req.amount.0;
                order.case_account = case.account.clone();
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
        let request = new_request(a, hash, &order.order_id, purpose, above);
        self.file_one(a, request, order, None, deadline).await
    }

    /// The hold an action names: of the caller's court and case, in force or queued.
    async fn target(&self, req: &ActRequest) -> Result<Order, DeskError> {
        let a = &req.authority;
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
                "order {} is a {} order in state {}: only a freeze, seal or watch in force or queued can be {}",
                target.order_id,
                target.action.as_str(),
                target.state.as_str(),
                req.action.done()
            )));
        }
        Ok(target)
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
            // An off-line agency's order waits for a written answer: as settled as it gets.
            if orders
                .iter()
                .all(|o| !o.state.is_pending() || self.awaits_written_answer(o))
            {
                return Ok(orders);
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return Ok(orders) },
                _ = tokio::time::sleep_until(deadline) => return Ok(orders),
            }
        }
    }
}

/// Records `rate` on `order`: its amounts are in the rate's currency.
pub(super) fn set_rate(order: &mut Order, rate: &Rate) {
    order.currency = rate.currency.clone();
    order.rate_micro = rate.rate_micro;
    order.rate_date = rate.date.clone();
}

/// A fresh order record (state requested) for `action` on `asset`.
pub(super) fn new_order(a: &Authority, action: Action, asset: &AssetRef, debtor: &Debtor) -> Order {
    let now = crate::clock::now_ms();
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
        currency: super::model::CNY.into(),
        rate_micro: super::model::UNIT_RATE,
        rate_date: String::new(),
        officer_id: a.officer_id.clone(),
        approver_id: String::new(),
        approver: String::new(),
        kind: String::new(),
        quantity: 0,
        held_quantity: 0,
        unit: String::new(),
    }
}

/// A release, deduct or renew order on `target` (state requested, nothing asked yet); it keeps
/// the hold's asset, debtor and currency.
fn action_order(target: &Order, a: &Authority, action: Action) -> Order {
    let now = crate::clock::now_ms();
    Order {
        order_id: new_order_id(),
        action,
        state: State::Requested,
        ruling: a.ruling.clone(),
        officer: a.officer.clone(),
        officer_id: a.officer_id.clone(),
        client_key: a.key.clone(),
        target_order_id: target.order_id.clone(),
        group_id: String::new(),
        detail: String::new(),
        attempts: 0,
        version: 0,
        queue_position: 0,
        frozen_fen: 0,
        deducted_fen: 0,
        reserved_fen: 0,
        amount_fen: 0,
        agency_ref: target.agency_ref.clone(),
        start_day: 0,
        end_day: 0,
        case_account: String::new(),
        approver_id: String::new(),
        approver: String::new(),
        quantity: 0,
        held_quantity: 0,
        created_at_ms: now,
        updated_at_ms: now,
        ..target.clone()
    }
}

pub(super) fn new_order_id() -> String {
    format!("ord-{}", uuid::Uuid::new_v4().simple())
}

/// The hash field of a freeze's quantity: none when none, so requests without one keep the
/// hashes they had before quantities existed.
fn quantity_field(quantity: u64) -> Option<String> {
    (quantity > 0).then(|| format!("quantity={quantity}"))
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

/// Refuses an instruction the source does not take (its connector does not declare it, or
/// the configuration narrows it away) before anything is recorded or sent.
pub(super) fn offered(source: &Source, action: Action) -> Result<(), DeskError> {
    if source.offers(capability(action)) {
        return Ok(());
    }
    let offers: Vec<&str> = source.capabilities().iter().map(|c| c.as_str()).collect();
    Err(DeskError::Refused(format!(
        "source {} takes no {} instructions through the hub (it offers: {})",
        source.id(),
        action.as_str(),
        offers.join(", ")
    )))
}

/// The request `a` makes under its key, answered by `result_id` (an order or a group of them).
pub(super) fn new_request(
    a: &Authority,
    hash: String,
    result_id: &str,
    purpose: Purpose,
    approval_above: Option<i64>,
) -> NewRequest {
    NewRequest {
        court: a.case.court().to_string(),
        client_key: a.key.clone(),
        request_hash: hash,
        result_id: result_id.to_string(),
        purpose,
        approval_above,
    }
}
