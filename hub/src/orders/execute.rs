//! Executing an order at its agency exactly once, and applying the agency's answers.
//!
//! State machine of one execution (the order is already in the ledger):
//! 1. If the instruction may have been sent before (`attempts > 0`), ask the agency what became
//!    of it by its idempotency key; an answer is applied and execution ends. Only "never
//!    received" leads to sending.
//! 2. Record the attempt (state awaiting agency) before sending, then send with the order id as
//!    the idempotency key, signed by the hub's instruction key at the moment of sending.
//! 3. An answer is applied. A refusal ends the order as rejected; missing credentials or an
//!    unsupported action as failed. A timeout, a lost connection, a 5xx or 429 goes back to 1
//!    after a backoff: never a blind resend. After a few rounds the order is left to the
//!    follow-up loop, still awaiting its agency.
//!
//! Every agency call goes through the source's protection layers ([`crate::guard`]): while its
//! breaker is open no call is made and the round counts as failed (the order stays recorded).
//!
//! An off-line source is never called: its instruction is issued once as a notice, signed as
//! it would have been sent (`notice`), and the order awaits the written answer an officer
//! records (`paper`), which is applied here like any agency's answer.
//!
//! Executions run detached from the caller, so a caller giving up never interrupts one, and
//! one order is executed by at most one task of this hub at a time.

use super::answers::{action_after, hold_after};
use super::instruction::instruction_of;
use super::ledger::{Ledger, LedgerError};
use super::model::{Action, Order, State};
use crate::audit::CallAudit;
use crate::cache::{AnswerCache, CacheKey};
use crate::clock::Clock;
use crate::db::Leases;
use crate::metrics::Metrics;
use crate::registry::{Registry, Source};
use assethub_connectors::domain::Fen;
use assethub_connectors::signature::InstructionSigner;
use assethub_connectors::{
    CallContext, ConnectorError, ControlAnswer, ControlInstruction, ErrorClass,
};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Rounds of (ask, send) one execution makes before leaving the order to the follow-up loop.
const ROUNDS: u32 = 4;

pub struct Executor {
    pub(super) ledger: Ledger,
    registry: Arc<Registry>,
    cache: AnswerCache,
    call_timeout: Duration,
    backoff: Duration,
    pub(super) signer: InstructionSigner,
    pub(super) audit: Option<CallAudit>,
    metrics: Option<Arc<Metrics>>,
    running: Mutex<HashSet<String>>,
    /// The hub's calendar (the date an off-line notice is issued on).
    pub(super) clock: Arc<Clock>,
    /// On a shared ledger: an order is executed by one hub at a time, under its lease, and
    /// the follow-up loop runs on one hub at a time.
    pub(super) leases: Option<Arc<Leases>>,
}

impl Executor {
    pub fn new(
        ledger: Ledger,
        registry: Arc<Registry>,
        cache: AnswerCache,
        call_timeout: Duration,
        backoff: Duration,
        signer: InstructionSigner,
        audit: Option<CallAudit>,
    ) -> Self {
        Self {
            ledger,
            registry,
            cache,
            call_timeout,
            backoff,
            signer,
            audit,
            metrics: None,
            running: Mutex::default(),
            clock: Arc::new(Clock::new()),
            leases: None,
        }
    }

    /// Executes each order under a lease shared with the other hubs of the ledger.
    pub fn with_leases(mut self, leases: Option<Arc<Leases>>) -> Self {
        self.leases = leases;
        self
    }

    /// How long one execution round may hold an order's lease: its call, its status question
    /// and the longest backoff, with room to spare. Renewed at every round.
    fn order_lease(&self) -> Duration {
        self.call_timeout * 3 + self.backoff * 2u32.pow(ROUNDS) + Duration::from_secs(5)
    }

    /// Dates notices by `clock` (the hub's calendar; a clock started now otherwise).
    pub fn with_clock(mut self, clock: Arc<Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Counts every instruction sent in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Where the hub's metrics are counted, when they are.
    pub fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.metrics.as_ref()
    }

    /// Executes `order_id` in a detached task and waits for it until `deadline`.
    pub async fn run(self: &Arc<Self>, order_id: &str, deadline: Instant) {
        let task = tokio::spawn(self.clone().execute(order_id.to_string()));
        let _ = tokio::time::timeout_at(deadline, task).await;
    }

    /// How long one control call may take before the agency is asked instead.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// Waits until no execution of this hub runs, at most `limit`; returns how many still do.
    pub async fn drain(&self, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            let running = self.running.lock().unwrap_or_else(|p| p.into_inner()).len();
            if running == 0 || Instant::now() >= deadline {
                return running;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts executing `order_id` in the background unless it already runs.
    pub fn spawn(self: &Arc<Self>, order_id: &str) {
        tokio::spawn(self.clone().execute(order_id.to_string()));
    }

    async fn execute(self: Arc<Self>, order_id: String) {
        if !self.claim(&order_id) {
            return;
        }
        let lease = format!("order:{order_id}");
        if self.leased(&lease).await {
            if let Err(e) = self.rounds(&order_id, &lease).await {
                tracing::warn!(order = %order_id, error = %e, "order execution stopped; the follow-up loop will resume it");
            }
            if let Some(leases) = &self.leases {
                if let Err(e) = leases.release(&lease).await {
                    tracing::warn!(order = %order_id, error = %e, "cannot give the order's lease up; it runs out");
                }
            }
        }
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&order_id);
    }

    /// Takes or renews `lease` (always held without a shared ledger); `false` when another
    /// hub holds it (it executes the order) or the ledger cannot say (nothing is sent then).
    async fn leased(&self, lease: &str) -> bool {
        Leases::may_work(self.leases.as_deref(), lease, self.order_lease()).await
    }

    fn claim(&self, order_id: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(order_id.to_string())
    }

    async fn rounds(&self, order_id: &str, lease: &str) -> Result<(), LedgerError> {
        for round in 0..ROUNDS {
            if round > 0 {
                tokio::time::sleep(self.backoff * 2u32.pow(round - 1)).await;
                if !self.leased(lease).await {
                    return Ok(());
                }
            }
            let Some(order) = self.ledger.get(order_id).await? else {
                return Ok(());
            };
            if !order.state.is_pending() {
                return Ok(());
            }
            let Some(source) = self.source(&order.source) else {
                self.finish(&order, State::Failed, "its source is no longer configured")
                    .await?;
                return Ok(());
            };
            let instruction = match self.instruction(&order).await? {
                Ok(instruction) => instruction,
                Err(why) => {
                    self.finish(&order, State::Failed, &why).await?;
                    return Ok(());
                }
            };
            if source.offline() {
                // Never called: the instruction is issued as a notice, once.
                return self.issue_notice(&order, instruction).await;
            }
            let ctx = CallContext {
                case: instruction.case.clone(),
                request_id: order.order_id.clone(),
            };
            if order.attempts > 0 {
                let asked = self
                    .guarded(&source, || {
                        source.connector.control_status(&ctx, order.agency_key())
                    })
                    .await;
                match asked {
                    Ok(Some(answer)) => return self.apply(&order, &answer).await,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::info!(order = %order.order_id, error = %e, "agency could not say what became of the order");
                        continue;
                    }
                }
            }
            let mut sending = order.clone();
            sending.attempts += 1;
            sending.state = State::AwaitingAgency;
            let sending = self.save(&[(order, sending)]).await?.remove(0);
            // Signed at each send: the agency refuses a stale signature as a replay.
            let mut instruction = instruction;
            instruction.signature = Some(self.signer.sign(&instruction, crate::clock::now_secs()));
            let sent = self
                .guarded(&source, || source.connector.control(&ctx, &instruction))
                .await;
            self.audit_sent(&sending, &sent).await;
            match sent {
                Ok(answer) => return self.apply(&sending, &answer).await,
                Err(e) => match e.class {
                    ErrorClass::Rejected => {
                        return self.finish(&sending, State::Rejected, &e.message).await;
                    }
                    ErrorClass::Unsupported | ErrorClass::Auth => {
                        return self.finish(&sending, State::Failed, &e.message).await;
                    }
                    _ => {
                        tracing::info!(order = %sending.order_id, error = %e, "control call failed; asking the agency before any resend");
                    }
                },
            }
        }
        Ok(())
    }

    /// One control call through the source's layers, given up after the call timeout (the
    /// instruction may still have reached the agency: the next round asks before resending).
    async fn guarded<T, Fut>(
        &self,
        source: &Source,
        call: impl FnOnce() -> Fut,
    ) -> Result<T, ConnectorError>
    where
        Fut: std::future::Future<Output = Result<T, ConnectorError>>,
    {
        let call_timeout = self.call_timeout;
        crate::registry::call(source, Instant::now() + call_timeout, || async move {
            tokio::time::timeout(call_timeout, call())
                .await
                .unwrap_or_else(|_| {
                    Err(ConnectorError::new(
                        ErrorClass::Timeout,
                        format!("no answer within {} ms", call_timeout.as_millis()),
                    ))
                })
        })
        .await
    }

    /// Every instruction sent is audited with what came of it: a stable outcome word (the
    /// agency's status, or `error:<class>`) and the order, hold, amount and destination.
    async fn audit_sent(&self, order: &Order, sent: &Result<ControlAnswer, ConnectorError>) {
        if let Some(metrics) = &self.metrics {
            metrics.control_call(&order.source, order.action.as_str(), sent);
        }
        let Some(audit) = &self.audit else { return };
        let outcome = match sent {
            Ok(answer) => answer.status.as_str().to_string(),
            Err(e) => format!("error:{}", e.class.as_str()),
        };
        let mut detail = vec![format!("order {}", order.order_id)];
        if let Ok(answer) = sent {
            if !answer.hold.is_empty() {
                detail.push(format!("hold {}", answer.hold));
            }
            if let assethub_connectors::HoldStatus::Queued { position } = answer.status {
                detail.push(format!("queue {position}"));
            }
        }
        if order.amount_fen > 0 {
            detail.push(format!(
                "amount {} {}",
                Fen(order.amount_fen).to_yuan_string(),
                order.currency
            ));
        }
        if order.action == Action::Deduct {
            detail.push(format!("into {}", order.case_account));
        }
        audit
            .instruction(
                &order.officer,
                &order.court,
                &order.source,
                order.action.as_str(),
                &order.case_number,
                &order.debtor_id,
                outcome,
                detail.join("; "),
            )
            .await;
    }

    fn source(&self, id: &str) -> Option<Arc<Source>> {
        self.registry.all().iter().find(|s| s.id() == id).cloned()
    }

    /// The instruction an order stands for (actions on a hold need the hold's agency reference).
    async fn instruction(
        &self,
        order: &Order,
    ) -> Result<Result<ControlInstruction, String>, LedgerError> {
        let hold = if order.action.places_hold() {
            String::new()
        } else {
            match self.ledger.get(&order.target_order_id).await? {
                Some(target) if !target.agency_ref.is_empty() => target.agency_ref,
                _ => return Ok(Err("the hold acted on has no agency reference".into())),
            }
        };
        Ok(instruction_of(order, hold))
    }

    /// Ends an order without an agency answer (refused, failed).
    async fn finish(&self, order: &Order, state: State, detail: &str) -> Result<(), LedgerError> {
        let mut next = order.clone();
        next.state = state;
        next.detail = detail.to_string();
        self.save(&[(order.clone(), next)]).await.map(|_| ())
    }

    /// Applies the agency's answer to `order` (and to the hold it acts on), once: the order's
    /// version guards against applying it twice, and a hold that changed meanwhile is read
    /// again and the answer applied to what it is now.
    pub async fn apply(&self, order: &Order, answer: &ControlAnswer) -> Result<(), LedgerError> {
        self.apply_stated(order, answer, None).await
    }

    /// [`apply`](Self::apply), with the first day of the hold as a written answer states it
    /// (an online agency's hold starts the day it was asked).
    pub async fn apply_stated(
        &self,
        order: &Order,
        answer: &ControlAnswer,
        start_day: Option<i64>,
    ) -> Result<(), LedgerError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_apply(order, answer, start_day).await {
                Err(LedgerError::Conflict(id)) if id != order.order_id && tries < 5 => continue,
                other => return other,
            }
        }
    }

    async fn try_apply(
        &self,
        order: &Order,
        answer: &ControlAnswer,
        start_day: Option<i64>,
    ) -> Result<(), LedgerError> {
        let mut changes = Vec::new();
        if order.action.places_hold() {
            let mut next = hold_after(order, answer);
            if let Some(start) = start_day.filter(|_| next.state != order.state) {
                next.start_day = start;
            }
            if order.differs_visibly(&next) {
                changes.push((order.clone(), next));
            }
        } else {
            let Some(target) = self.ledger.get(&order.target_order_id).await? else {
                return Ok(());
            };
            let (next, target_next) = action_after(order, &target, answer);
            if order.action == Action::Deduct && target.state.is_final() && next.deducted_fen > 0 {
                tracing::warn!(order = %order.order_id, hold = %target.order_id, state = target.state.as_str(), deducted_fen = next.deducted_fen, "a deduction's answer came after its hold had ended in the ledger: the money the agency moved is counted on it");
            }
            changes.push((order.clone(), next));
            if let Some(t) = target_next {
                if target.differs_visibly(&t) {
                    changes.push((target, t));
                }
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.save(&changes).await?;
        self.invalidate(order).await;
        Ok(())
    }

    pub(super) async fn save(&self, changes: &[(Order, Order)]) -> Result<Vec<Order>, LedgerError> {
        self.ledger.update(changes).await
    }

    /// A search right after a control action must show it: drop the cached answer.
    async fn invalidate(&self, order: &Order) {
        self.cache.invalidate(&answer_key(order)).await;
    }
}

/// The cached answer an order's action changes: its source's, for its debtor.
pub(super) fn answer_key(order: &Order) -> CacheKey {
    CacheKey {
        source: order.source.as_str().into(),
        debtor_id: order.debtor_id.as_str().into(),
        name: order.debtor_name.as_str().into(),
    }
}
