//! The tonic service for `assethub.v1.Orders`: validates control requests at the edge, hands
//! them to the order desk, and maps orders, reports and the event feed onto the wire. Rule
//! violations are FAILED_PRECONDITION with the reason, a reused key ALREADY_EXISTS.

mod convert;
mod feed;
mod validate;

use crate::audit::CallAudit;
use crate::auth::{self, Caller, Method};
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::orders::ledger::OrderFilter;
use crate::orders::{
    ActRequest, Action, Desk, DeskError, FundsReport, FundsRequest, HoldRequest, LedgerError,
};
use crate::service::{grpc_timeout, invalid_argument};
use crate::service::{summary, CallFacts};
use crate::validate::{deadline, DeadlinePolicy, Violation};
use assethub_proto::v1 as pb;
use std::sync::Arc;
use tokio::time::Instant;
use tonic::{Request, Response, Status};

pub struct OrdersService {
    desk: Arc<Desk>,
    clock: Arc<Clock>,
    deadlines: DeadlinePolicy,
    audit: CallAudit,
    metrics: Option<Arc<Metrics>>,
}

impl OrdersService {
    pub fn new(
        desk: Arc<Desk>,
        clock: Arc<Clock>,
        deadlines: DeadlinePolicy,
        audit: CallAudit,
    ) -> Self {
        Self {
            desk,
            clock,
            deadlines,
            audit,
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
}

fn status(e: DeskError) -> Status {
    match e {
        DeskError::Refused(why) => Status::failed_precondition(why),
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
/// the token; another officer's name is refused.
fn sign_as(caller: &Caller, instruction: Option<&mut pb::Instruction>) -> Result<(), Status> {
    let Some(instruction) = instruction else {
        return Ok(());
    };
    let named = instruction.officer.trim();
    if named.is_empty() {
        instruction.officer = caller.officer.clone();
        Ok(())
    } else if named == caller.officer {
        Ok(())
    } else {
        Err(Status::permission_denied(format!(
            "the instruction names officer {named}; the caller is {}",
            caller.officer
        )))
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
        frozen_fen: report.frozen_fen,
        case_total_fen: report.case_total_fen,
        queued_fen: report.queued_fen,
        short_fen: report.short_fen,
        orders: report
            .orders
            .iter()
            .map(|o| convert::order(o, today))
            .collect(),
        unavailable_sources: report.unavailable,
    }
}

impl OrdersService {
    async fn decide_approval_impl(
        &self,
        request: Request<pb::DecideApprovalRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::DecideApproval)?;
        let deadline = self.deadline(&request);
        let body = request.into_inner();
        let mut violations = Vec::new();
        validate::order_id(&body.order_id, "order_id", &mut violations);
        let reason = body.reason.trim();
        if !body.approve && reason.is_empty() {
            violations.push(Violation::new("reason", "is required when rejecting"));
        }
        if reason.chars().count() > 200 || reason.chars().any(char::is_control) {
            violations.push(Violation::new(
                "reason",
                "must be at most 200 characters, without control characters",
            ));
        }
        check(violations)?;
        let order = self
            .desk
            .decide_approval(
                &body.order_id,
                &caller.officer,
                &caller.court,
                body.approve,
                reason,
                deadline,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn freeze_funds_impl(
        &self,
        request: Request<pb::FreezeFundsRequest>,
    ) -> Result<Response<pb::FreezeFundsResponse>, Status> {
        let caller = auth::authorize(&request, Method::FreezeFunds)?;
        let deadline = self.deadline(&request);
        let mut body = request.into_inner();
        sign_as(&caller, body.instruction.as_mut())?;
        let mut violations = Vec::new();
        let (authority, debtor) = validate::authority_and_debtor(
            body.instruction.as_ref(),
            body.debtor.as_ref(),
            &mut violations,
        );
        let cap = validate::amount(body.cap_fen, "cap_fen", &mut violations);
        let days = validate::days(body.days, "days", &mut violations);
        check(violations)?;
        let (Some(authority), Some(debtor)) = (authority, debtor) else {
            return Err(Status::invalid_argument("invalid request"));
        };
        auth::in_court(&caller, authority.case.court())?;
        let req = FundsRequest {
            authority,
            debtor,
            cap,
            days,
        };
        let report = self
            .desk
            .freeze_funds(req, deadline)
            .await
            .map_err(status)?;
        Ok(Response::new(funds_response(report, self.today())))
    }

    async fn place_hold_impl(
        &self,
        request: Request<pb::PlaceHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::PlaceHold)?;
        let deadline = self.deadline(&request);
        let mut body = request.into_inner();
        sign_as(&caller, body.instruction.as_mut())?;
        let mut violations = Vec::new();
        let (authority, debtor) = validate::authority_and_debtor(
            body.instruction.as_ref(),
            body.debtor.as_ref(),
            &mut violations,
        );
        let action = validate::action(
            body.action,
            &[Action::Freeze, Action::Seal, Action::Watch],
            &mut violations,
        );
        let asset = validate::asset_ref(&body.asset_ref, &mut violations);
        let amount = if action == Some(Action::Freeze) {
            validate::amount(body.amount_fen, "amount_fen", &mut violations)
        } else {
            if body.amount_fen != 0 {
                violations.push(Violation::new("amount_fen", "applies to freezes only"));
            }
            assethub_connectors::domain::Fen(0)
        };
        let days = validate::days(body.days, "days", &mut violations);
        check(violations)?;
        let (Some(authority), Some(debtor), Some(action), Some(asset)) =
            (authority, debtor, action, asset)
        else {
            return Err(Status::invalid_argument("invalid request"));
        };
        auth::in_court(&caller, authority.case.court())?;
        let req = HoldRequest {
            authority,
            action,
            asset,
            debtor,
            amount,
            days,
        };
        let order = self.desk.place_hold(req, deadline).await.map_err(status)?;
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn act_on_hold_impl(
        &self,
        request: Request<pb::ActOnHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::ActOnHold)?;
        let deadline = self.deadline(&request);
        let mut body = request.into_inner();
        sign_as(&caller, body.instruction.as_mut())?;
        let mut violations = Vec::new();
        let (authority, _) = validate::authority(body.instruction.as_ref(), None, &mut violations);
        let action = validate::action(
            body.action,
            &[Action::Release, Action::Deduct, Action::Renew],
            &mut violations,
        );
        validate::order_id(&body.order_id, "order_id", &mut violations);
        let amount = if action == Some(Action::Deduct) {
            validate::amount(body.amount_fen, "amount_fen", &mut violations)
        } else {
            assethub_connectors::domain::Fen(0)
        };
        if body.case_account.chars().count() > 64 {
            violations.push(Violation::new(
                "case_account",
                "is longer than 64 characters",
            ));
        }
        let days = validate::days(body.days, "days", &mut violations);
        check(violations)?;
        let (Some(authority), Some(action)) = (authority, action) else {
            return Err(Status::invalid_argument("invalid request"));
        };
        auth::in_court(&caller, authority.case.court())?;
        let req = ActRequest {
            authority,
            action,
            order_id: body.order_id,
            amount,
            case_account: body.case_account.trim().to_string(),
            days,
        };
        let order = self.desk.act_on_hold(req, deadline).await.map_err(status)?;
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn get_order_impl(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::GetOrder)?;
        let id = request.into_inner().order_id;
        let mut violations = Vec::new();
        validate::order_id(&id, "order_id", &mut violations);
        check(violations)?;
        let order = self.desk.get(&id).await.map_err(status)?;
        auth::in_court(&caller, &order.court)?;
        Ok(Response::new(convert::order(&order, self.today())))
    }

    async fn list_orders_impl(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = auth::authorize(&request, Method::ListOrders)?;
        let body = request.into_inner();
        let mut violations = Vec::new();
        let case_number = if body.case_number.is_empty() {
            None
        } else {
            match assethub_connectors::domain::CaseNumber::parse(&body.case_number) {
                Ok(case) => {
                    auth::in_court(&caller, case.court())?;
                    Some(case.as_str().to_string())
                }
                Err(e) => {
                    violations.push(Violation::new("case_number", e.to_string()));
                    None
                }
            }
        };
        let mut states = Vec::new();
        for (i, raw) in body.states.iter().enumerate() {
            match convert::state_from(*raw) {
                Some(s) => states.push(s),
                None => violations.push(Violation::new(format!("states[{i}]"), "unknown state")),
            }
        }
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
        let body = request.into_inner();
        let case = if body.case_number.is_empty() {
            None
        } else {
            match assethub_connectors::domain::CaseNumber::parse(&body.case_number) {
                Ok(case) => {
                    auth::in_court(&caller, case.court())?;
                    Some(case.as_str().to_string())
                }
                Err(e) => {
                    return Err(invalid_argument(&[Violation::new(
                        "case_number",
                        e.to_string(),
                    )]))
                }
            }
        };
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
        let facts = CallFacts::of(
            &request,
            request
                .get_ref()
                .instruction
                .as_ref()
                .map_or("", |i| i.case_number.as_str()),
            request.get_ref().debtor.as_ref(),
        );
        let result = self.freeze_funds_impl(request).await;
        let outcome = summary(&result);
        facts
            .record(&self.audit, Method::FreezeFunds, &outcome)
            .await;
        result
    }

    async fn place_hold(
        &self,
        request: Request<pb::PlaceHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let facts = CallFacts::of(
            &request,
            request
                .get_ref()
                .instruction
                .as_ref()
                .map_or("", |i| i.case_number.as_str()),
            request.get_ref().debtor.as_ref(),
        );
        let result = self.place_hold_impl(request).await;
        let outcome = summary(&result);
        facts.record(&self.audit, Method::PlaceHold, &outcome).await;
        result
    }

    async fn act_on_hold(
        &self,
        request: Request<pb::ActOnHoldRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let facts = CallFacts::of(
            &request,
            request
                .get_ref()
                .instruction
                .as_ref()
                .map_or("", |i| i.case_number.as_str()),
            None,
        );
        let result = self.act_on_hold_impl(request).await;
        let outcome = summary(&result);
        facts.record(&self.audit, Method::ActOnHold, &outcome).await;
        result
    }

    async fn decide_approval(
        &self,
        request: Request<pb::DecideApprovalRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let facts = CallFacts::of(&request, "", None);
        let result = self.decide_approval_impl(request).await;
        let outcome = summary(&result);
        facts
            .record(&self.audit, Method::DecideApproval, &outcome)
            .await;
        result
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let facts = CallFacts::of(&request, "", None);
        let result = self.get_order_impl(request).await;
        let outcome = summary(&result);
        facts.record(&self.audit, Method::GetOrder, &outcome).await;
        result
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let facts = CallFacts::of(&request, &request.get_ref().case_number, None);
        let result = self.list_orders_impl(request).await;
        let outcome = summary(&result);
        facts
            .record(&self.audit, Method::ListOrders, &outcome)
            .await;
        result
    }

    type WatchEventsStream = feed::EventStream;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let facts = CallFacts::of(&request, &request.get_ref().case_number, None);
        let result = self.watch_events_impl(request).await;
        let outcome = summary(&result);
        facts
            .record(&self.audit, Method::WatchEvents, &outcome)
            .await;
        result
    }
}
