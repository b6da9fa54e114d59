//! The tonic service for `assethub.v1.Orders`: validates control requests at the edge, admits
//! the case (registered, of the caller's court, in a state that allows the act; the debtor one
//! of its parties: [`crate::cases`]), hands them to the order desk, and maps orders, reports and
//! the event feed onto the wire. Rule violations are FAILED_PRECONDITION with the reason, a
//! reused key ALREADY_EXISTS. Authentication, the role check and the call's audit entry are
//! the gate's; each handler notes the case, debtor and order it dealt with for that entry.

mod answer;
pub(crate) mod convert;
mod feed;
mod validate;

use crate::audit::CallNote;
use crate::auth::{self, normalize_name, Caller, Method};
use crate::bounds;
use crate::cases::book::refusal_status;
use crate::cases::{CaseBook, CaseRecord, Purpose};
use crate::clock::Clock;
use crate::grpc::{grpc_timeout, invalid_argument};
use crate::metrics::Metrics;
use crate::orders::ledger::OrderFilter;
use crate::orders::{
    ActRequest, Action, Authority, Desk, DeskError, FundsReport, FundsRequest, HoldRequest,
    LedgerError,
};
use crate::validate::{deadline, DeadlinePolicy, Violation};
use assethub_connectors::domain::{CaseNumber, Debtor, Fen};
use assethub_proto::v1 as pb;
use std::sync::Arc;
use tokio::time::Instant;
use tonic::{Request, Response, Status};

pub struct OrdersService {
    desk: Arc<Desk>,
    cases: Arc<CaseBook>,
    clock: Arc<Clock>,
    deadlines: DeadlinePolicy,
    metrics: Option<Arc<Metrics>>,
}

impl OrdersService {
    pub fn new(
        desk: Arc<Desk>,
        cases: Arc<CaseBook>,
        clock: Arc<Clock>,
        deadlines: DeadlinePolicy,
    ) -> Self {
        Self {
            desk,
            cases,
            clock,
            deadlines,
            metrics: None,
        }
    }

    /// Times the event feed's deliveries in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    fn deadline<T>(&self, request: &Request<T>) -> Instant {
        let timeout = deadline(grpc_timeout(request), 0, "", self.deadlines)
            .unwrap_or(self.deadlines.default);
        Instant::now() + timeout
    }

    fn today(&self) -> i64 {
        self.clock.today().days()
    }

    /// A listing's optional case filter: none when empty, a violation when malformed, and
    /// PERMISSION_DENIED when the case is another court's.
    fn case_filter(
        &self,
        caller: &Caller,
        text: &str,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<String>, Status> {
        if text.is_empty() {
            return Ok(None);
        }
        let today = self.clock.today();
        match crate::validate::case_number(text, "case_number", today, violations) {
            Some(case) => {
                auth::in_court(caller, case.court())?;
                Ok(Some(case.as_str().to_string()))
            }
            None => Ok(None),
        }
    }
}

fn status(e: DeskError) -> Status {
    match e {
        DeskError::Refused(why) => Status::failed_precondition(why),
        DeskError::Ledger(LedgerError::Case(refusal)) => refusal_status(&refusal),
        DeskError::Ledger(LedgerError::OverCap {
            claim_fen,
            reserved_fen,
        }) => Status::failed_precondition(format!(
            "the act would take the case over its claim: the claim is {} yuan and the case holds or has asked {} yuan",
            Fen(claim_fen).to_yuan_string(),
            Fen(reserved_fen).to_yuan_string()
        )),
        DeskError::Ledger(LedgerError::OverFrozen {
            frozen_fen,
            pending_fen,
        }) => Status::failed_precondition(format!(
            "the deduction would take more than the hold has frozen: {} is frozen and deductions of {} on it are under way or awaiting approval",
            Fen(frozen_fen).to_yuan_string(),
            Fen(pending_fen).to_yuan_string()
        )),
        e @ DeskError::Ledger(LedgerError::AlreadyHeld { .. }) => {
            Status::failed_precondition(e.to_string())
        }
        DeskError::KeyReused(_) => Status::already_exists(e.to_string()),
        DeskError::NotFound(what) => Status::not_found(what),
        DeskError::Forbidden(why) => Status::permission_denied(why),
        DeskError::Ledger(LedgerError::Conflict(id)) => {
            Status::aborted(format!("order {id} changed concurrently; retry"))
        }
        DeskError::Ledger(e) => {
            tracing::error!(error = %e, "ledger error");
            Status::unavailable("the order ledger is unavailable")
        }
    }
}

/// The instruction is given by the authenticated officer: an empty officer is filled in from
/// the token; another officer's name is refused (names compared normalised).
fn sign_as(caller: &Caller, instruction: Option<&mut pb::Instruction>) -> Result<(), Status> {
    let Some(instruction) = instruction else {
        return Ok(());
    };
    let named = normalize_name(&instruction.officer);
    if named.is_empty() || named == caller.officer {
        instruction.officer = caller.officer.clone();
        Ok(())
    } else {
        Err(Status::permission_denied(format!(
            "the instruction names officer {named}; the caller is {}",
            caller.officer
        )))
    }
}

/// The authority of an instruction as the caller gives it: the token's officer and identity.
fn given_by(mut authority: Authority, caller: &Caller) -> Authority {
    authority.officer = caller.officer.clone();
    authority.officer_id = caller.identity();
    authority
}

/// Notes an instruction's case (and debtor) for the audit.
fn note_instruction(
    note: &CallNote,
    instruction: Option<&pb::Instruction>,
    debtor: Option<&pb::Debtor>,
) {
    if let Some(i) = instruction {
        note.case(&i.case_number);
    }
    if let Some(d) = debtor {
        note.debtor(&d.id_number);
    }
}

fn check(violations: Vec<Violation>) -> Result<(), Status> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(invalid_argument(&violations))
    }
}

fn funds_response(report: FundsReport, today: i64) -> pb::FreezeFundsResponse {
    pb::FreezeFundsResponse {
        group_id: report.group_id,
        cap_fen: report.cap_fen,
        claim_fen: report.claim_fen,
        frozen_fen: report.frozen_fen,
        case_total_fen: report.case_total_fen,
        pending_fen: report.pending_fen,
        queued_fen: report.queued_fen,
        short_fen: report.short_fen,
        excluded: report
            .excluded
            .into_iter()
            .map(|e| pb::ExcludedAsset {
                asset_ref: e.asset_ref,
                currency: e.currency,
                available_fen: e.available,
                reason: e.reason,
            })
            .collect(),
        orders: report
            .orders
            .iter()
            .map(|o| convert::order(o, today))
            .collect(),
        unavailable_sources: report.unavailable,
    }
}

impl OrdersService {
    /// The case `authority` names, admitted for `purpose` (with `debtor` as a party).
    async fn admit(
        &self,
        caller: &Caller,
        case: &CaseNumber,
        debtor: Option<&Debtor>,
        purpose: Purpose,
    ) -> Result<Arc<CaseRecord>, Status> {
        self.cases
            .admit(
                caller,
                case,
                debtor.map(|d| (&d.id, d.name.as_str())),
                purpose,
            )
            .await
    }

    async fn decide_approval_impl(
        &self,
        request: Request<pb::DecideApprovalRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::DecideApproval)?;
        let note = CallNote::of(&request);
        let deadline = self.deadline(&request);
        let body = request.into_inner();
        note.detail(format!("order {}", body.order_id));
        let mut violations = Vec::new();
        validate::order_id(&body.order_id, "order_id", &mut violations);
        let reason = body.reason.trim();
        if crate::validate::bounded(&bounds::REASON, reason, "reason", &mut violations)
            && !body.approve
            && reason.is_empty()
        {
            violations.push(Violation::new("reason", "is required when rejecting"));
        }
        check(violations)?;
        let order = self.desk.get(&body.order_id).await.map_err(status)?;
        note.case(&order.case_number);
        auth::in_court(&caller, &order.court)?;
        if body.approve {
            // Approving sends the order: its case must still allow it.
            let case = CaseNumber::parse_recorded(&order.case_number).map_err(|_| {
                Status::failed_precondition("the order's case number is unreadable")
            })?;
            let purpose = match order.action {
                Action::Release => Purpose::Release,
                Action::Renew => Purpose::Renew,
                _ => Purpose::Act,
            };
            self.admit(&caller, &case, None, purpose).await?;
        }
        let order = self
            .desk
            .decide_approval(&body.order_id, &caller, body.approve, reason, deadline)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn freeze_funds_impl(
        &self,
        request: Request<pb::FreezeFundsRequest>,
    ) -> Result<Response<pb::FreezeFundsResponse>, Status> {
        let caller = auth::authorize(&request, Method::FreezeFunds)?;
        let note = CallNote::of(&request);
        let deadline = self.deadline(&request);
        let mut body = request.into_inner();
        note_instruction(&note, body.instruction.as_ref(), body.debtor.as_ref());
        sign_as(&caller, body.instruction.as_mut())?;
        let mut violations = Vec::new();
        let (authority, debtor) = validate::authority_and_debtor(
            body.instruction.as_ref(),
            body.debtor.as_ref(),
            self.clock.today(),
            &mut violations,
        );
        let cap = if body.cap_fen == 0 {
            Fen(0)
        } else if body.cap_fen < 0 || body.cap_fen > validate::MAX_FEN {
            violations.push(Violation::new(
                "cap_fen",
                format!(
                    "must be 0 (the case's whole claim) or a positive number of fen (1 yuan = 100 fen) up to {} ({} yuan)",
                    validate::MAX_FEN,
                    Fen(validate::MAX_FEN).to_yuan_string()
                ),
            ));
            Fen(0)
        } else {
            Fen(body.cap_fen)
        };
        let days = validate::days(body.days, "days", &mut violations);
        check(violations)?;
        let (Some(authority), Some(debtor)) = (authority, debtor) else {
            return Err(Status::invalid_argument("invalid request"));
        };
        let case = self
            .admit(&caller, &authority.case, Some(&debtor), Purpose::Act)
            .await?;
        let req = FundsRequest {
            authority: given_by(authority, &caller),
            debtor,
            cap,
            days,
        };
        let report = self
            .desk
            .freeze_funds(req, &case, deadline)
            .await
            .map_err(status)?;
        note.detail(format!("group {}", report.group_id));
        Ok(Response::new(funds_response(report, self.today())))
    }

    async fn place_hold_impl(
        &self,
        request: Request<pb::PlaceHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::PlaceHold)?;
        let note = CallNote::of(&request);
        let deadline = self.deadline(&request);
        let mut body = request.into_inner();
        note_instruction(&note, body.instruction.as_ref(), body.debtor.as_ref());
        sign_as(&caller, body.instruction.as_mut())?;
        let mut violations = Vec::new();
        let (authority, debtor) = validate::authority_and_debtor(
            body.instruction.as_ref(),
            body.debtor.as_ref(),
            self.clock.today(),
            &mut violations,
        );
        let action = validate::action(
            body.action,
            &[Action::Freeze, Action::Seal, Action::Watch],
            &mut violations,
        );
        let asset = validate::asset_ref(&body.asset_ref, &mut violations);
        let quantity = validate::quantity(body.quantity, action, &mut violations);
        let amount = if action == Some(Action::Freeze) && quantity > 0 {
            if body.amount_fen != 0 {
                violations.push(Violation::new(
                    "amount_fen",
                    "must be 0 when a quantity is named (a freeze counts in fen or in units, not both)",
                ));
            }
            Fen(0)
        } else if action == Some(Action::Freeze) {
            validate::amount(body.amount_fen, "amount_fen", &mut violations)
        } else {
            if body.amount_fen != 0 {
                violations.push(Violation::new("amount_fen", "applies to freezes only"));
            }
            Fen(0)
        };
        let currency = validate::currency(&body.currency, "currency", &mut violations);
        let days = validate::days(body.days, "days", &mut violations);
        check(violations)?;
        let (Some(authority), Some(debtor), Some(action), Some(asset)) =
            (authority, debtor, action, asset)
        else {
            return Err(Status::invalid_argument("invalid request"));
        };
        let case = self
            .admit(&caller, &authority.case, Some(&debtor), Purpose::Act)
            .await?;
        let req = HoldRequest {
            authority: given_by(authority, &caller),
            action,
            asset,
            debtor,
            amount,
            days,
            currency,
            quantity,
        };
        let order = self
            .desk
            .place_hold(req, &case, deadline)
            .await
            .map_err(status)?;
        note.detail(format!("order {}", order.order_id));
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn act_on_hold_impl(
        &self,
        request: Request<pb::ActOnHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::ActOnHold)?;
        let note = CallNote::of(&request);
        let deadline = self.deadline(&request);
        let mut body = request.into_inner();
        note_instruction(&note, body.instruction.as_ref(), None);
        sign_as(&caller, body.instruction.as_mut())?;
        let mut violations = Vec::new();
        let (authority, _) = validate::authority(
            body.instruction.as_ref(),
            None,
            self.clock.today(),
            &mut violations,
        );
        let action = validate::action(
            body.action,
            &[Action::Release, Action::Deduct, Action::Renew],
            &mut violations,
        );
        validate::order_id(&body.order_id, "order_id", &mut violations);
        let amount = if action == Some(Action::Deduct) {
            validate::amount(body.amount_fen, "amount_fen", &mut violations)
        } else {
            Fen(0)
        };
        let case_account = body.case_account;
        if !case_account.is_empty() {
            if let Err(why) = crate::cases::model::valid_account(&case_account) {
                violations.push(Violation::new("case_account", why));
            } else if action != Some(Action::Deduct) {
                violations.push(Violation::new("case_account", "applies to deductions only"));
            }
        }
        let days = validate::days(body.days, "days", &mut violations);
        check(violations)?;
        let (Some(authority), Some(action)) = (authority, action) else {
            return Err(Status::invalid_argument("invalid request"));
        };
        let purpose = match action {
            Action::Release => Purpose::Release,
            Action::Renew => Purpose::Renew,
            _ => Purpose::Act,
        };
        let case = self.admit(&caller, &authority.case, None, purpose).await?;
        let req = ActRequest {
            authority: given_by(authority, &caller),
            action,
            order_id: body.order_id,
            amount,
            case_account,
            days,
        };
        let order = self
            .desk
            .act_on_hold(req, &case, deadline)
            .await
            .map_err(status)?;
        let mut detail = format!("order {} on {}", order.order_id, order.target_order_id);
        if action == Action::Deduct {
            detail = format!("{detail}; into {}", order.case_account);
        }
        note.detail(detail);
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn get_order_impl(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::GetOrder)?;
        let note = CallNote::of(&request);
        let id = request.into_inner().order_id;
        let mut violations = Vec::new();
        validate::order_id(&id, "order_id", &mut violations);
        check(violations)?;
        note.detail(format!("order {id}"));
        let order = self.desk.get(&id).await.map_err(status)?;
        note.case(&order.case_number);
        auth::in_court(&caller, &order.court)?;
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn list_orders_impl(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = auth::authorize(&request, Method::ListOrders)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.case(&body.case_number);
        let mut violations = Vec::new();
        let case_number = self.case_filter(&caller, &body.case_number, &mut violations)?;
        let states = crate::validate::enum_filter(
            &body.states,
            "states",
            "unknown state",
            convert::state_from,
            &mut violations,
        );
        if body.limit > 1000 {
            violations.push(Violation::new("limit", "must be at most 1000"));
        }
        let within = validate::days(
            body.expiring_within_days,
            "expiring_within_days",
            &mut violations,
        );
        check(violations)?;
        let filter = OrderFilter {
            court: Some(caller.court.clone()),
            case_number,
            states,
            ending_by_day: (within > 0).then(|| self.today() + i64::from(within)),
            limit: if body.limit == 0 { 100 } else { body.limit },
        };
        let orders = self
            .desk
            .ledger()
            .list(&filter)
            .await
            .map_err(|e| status(e.into()))?;
        let today = self.today();
        Ok(Response::new(pb::ListOrdersResponse {
            orders: orders.iter().map(|o| convert::order(o, today)).collect(),
        }))
    }

    async fn watch_events_impl(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<feed::EventStream>, Status> {
        let caller = auth::authorize(&request, Method::WatchEvents)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.case(&body.case_number);
        let mut violations = Vec::new();
        let case = self.case_filter(&caller, &body.case_number, &mut violations)?;
        if !violations.is_empty() {
            return Err(invalid_argument(&violations));
        }
        Ok(Response::new(feed::follow(
            self.desk.ledger().clone(),
            self.clock.clone(),
            body.after_cursor,
            case,
            caller.court,
            self.metrics.clone(),
        )))
    }
}

#[tonic::async_trait]
impl pb::orders_server::Orders for OrdersService {
    async fn freeze_funds(
        &self,
        request: Request<pb::FreezeFundsRequest>,
    ) -> Result<Response<pb::FreezeFundsResponse>, Status> {
        self.freeze_funds_impl(request).await
    }

    async fn place_hold(
        &self,
        request: Request<pb::PlaceHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        self.place_hold_impl(request).await
    }

    async fn act_on_hold(
        &self,
        request: Request<pb::ActOnHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        self.act_on_hold_impl(request).await
    }

    async fn decide_approval(
        &self,
        request: Request<pb::DecideApprovalRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        self.decide_approval_impl(request).await
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        self.get_order_impl(request).await
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        self.list_orders_impl(request).await
    }

    async fn record_answer(
        &self,
        request: Request<pb::RecordAnswerRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        self.record_answer_impl(request).await
    }

    type WatchEventsStream = feed::EventStream;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        self.watch_events_impl(request).await
    }
}
