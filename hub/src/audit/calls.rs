//! What gets audited, in one place: every call of the hub's APIs (who, court, role, method,
//! case, keyed debtor reference, the decision and the outcome), every debtor a batch searched,
//! and every instruction sent to an agency with the agency's answer. Entries hold stable codes
//! (`allowed`/`denied`, gRPC code names, hold statuses) plus a short detail; never debug text.
//! Recording never fails a call: an audit store error is logged loudly instead.
//!
//! The gate ([`crate::gate`]) records each call; a service adds what only it knows (the case,
//! the debtor, a short detail) to the call's [`CallNote`] on the way.

use super::{AuditEntry, AuditLog};
use crate::grpc::code_name;
use crate::identity::Caller;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tonic::Status;

#[derive(Clone)]
pub struct CallAudit {
    log: AuditLog,
}

/// What a service learned about one call for its audit entry: the case and debtor it named and
/// a short detail. Put into each request's extensions by the gate; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CallNote(Arc<Mutex<NoteFacts>>);

#[derive(Debug, Clone, Default)]
struct NoteFacts {
    case: String,
    debtor_id: String,
    detail: String,
}

impl CallNote {
    /// The note the gate attached to `request` (a detached one when there is none).
    pub fn of<T>(request: &tonic::Request<T>) -> Self {
        request
            .extensions()
            .get::<CallNote>()
            .cloned()
            .unwrap_or_default()
    }

    fn with(&self, change: impl FnOnce(&mut NoteFacts)) {
        change(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// The case the call names (as sent: recorded even when it does not parse).
    pub fn case(&self, case: &str) {
        self.with(|f| f.case = case.to_string());
    }

    /// The debtor the call names (recorded as a keyed reference, never the number).
    pub fn debtor(&self, id_number: &str) {
        self.with(|f| f.debtor_id = id_number.to_string());
    }

    /// A short detail (an order id, an item count).
    pub fn detail(&self, detail: impl Into<String>) {
        let detail = detail.into();
        self.with(|f| f.detail = detail);
    }

    fn facts(&self) -> NoteFacts {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// `allowed` or `denied`, the outcome's code, and its message, for a call's result.
fn verdict(result: &Result<(), Status>) -> (&'static str, &'static str, String) {
    match result {
        Ok(()) => ("allowed", "OK", String::new()),
        Err(s) => {
            let denied = matches!(
                s.code(),
                tonic::Code::PermissionDenied | tonic::Code::Unauthenticated
            );
            let decision = if denied { "denied" } else { "allowed" };
            (decision, code_name(s.code()), s.message().to_string())
        }
    }
}

/// Joins the non-empty parts of a detail with "; ".
fn joined(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("; ")
}

impl CallAudit {
    pub fn new(log: AuditLog) -> Self {
        Self { log }
    }

    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    fn caller_entry(&self, caller: Option<&Caller>) -> AuditEntry {
        AuditEntry {
            actor: caller.map_or_else(|| "unauthenticated".into(), Caller::actor),
            court: caller.map(|c| c.court.clone()).unwrap_or_default(),
            role: caller
                .map(|c| c.role.as_str().to_string())
                .unwrap_or_default(),
            ..AuditEntry::default()
        }
    }

    /// Records one call of `method` and how it ended (`Ok`, or the status it failed with),
    /// with what the service noted about it. An error when the entry could not be written:
    /// the gate then sends no answer (nothing is answered unaudited).
    pub async fn call(
        &self,
        caller: Option<&Caller>,
        method: &str,
        note: &CallNote,
        result: &Result<(), Status>,
    ) -> Result<(), super::AuditError> {
        let facts = note.facts();
        let (decision, outcome, message) = verdict(result);
        let entry = AuditEntry {
            method: method.to_string(),
            case_number: facts.case,
            debtor_ref: self.log.debtor_ref(&facts.debtor_id),
            decision: decision.into(),
            outcome: outcome.into(),
            detail: joined(&[&facts.detail, &message]),
            ..self.caller_entry(caller)
        };
        self.log.append(entry).await.map(|_| ()).inspect_err(|e| {
            tracing::error!(error = %e, method, "the audit log cannot be written: the call is answered UNAVAILABLE");
        })
    }

    /// Records a call refused before any service saw it: no or a bad token, an unknown method,
    /// a role that may not call it, a caller over its rate. Names the peer's address.
    pub async fn refused(
        &self,
        caller: Option<&Caller>,
        method: &str,
        peer: Option<SocketAddr>,
        status: &Status,
    ) {
        let (decision, outcome, message) = verdict(&Err(status.clone()));
        let peer = peer.map(|p| format!("peer {p}")).unwrap_or_default();
        let entry = AuditEntry {
            method: method.to_string(),
            decision: decision.into(),
            outcome: outcome.into(),
            detail: joined(&[&message, &peer]),
            ..self.caller_entry(caller)
        };
        self.append(entry).await;
    }

    /// Records refusals of one peer not audited one by one: method `gate:refusals`, the
    /// refusals' code as outcome, their count and the peer in the detail.
    pub async fn refusals(&self, aggregate: &super::Aggregate) {
        let decision = if aggregate.outcome == "UNAUTHENTICATED" {
            "denied"
        } else {
            "allowed"
        };
        let entry = AuditEntry {
            actor: "gate".into(),
            method: "gate:refusals".into(),
            decision: decision.into(),
            outcome: aggregate.outcome.into(),
            detail: format!(
                "count={}; peer {}; further refusals within a {} s window, aggregated",
                aggregate.count,
                aggregate.peer,
                aggregate.window.as_secs()
            ),
            ..AuditEntry::default()
        };
        self.append(entry).await;
    }

    /// Records one debtor of a batch (查询留痕): searched (`Ok`) or refused, with the case and
    /// the keyed debtor reference. Written before the debtor is searched; an error when it
    /// could not be (the debtor is then not searched).
    pub async fn search_item(
        &self,
        caller: Option<&Caller>,
        case: &str,
        debtor_id: &str,
        index: u32,
        result: &Result<(), Status>,
    ) -> Result<(), super::AuditError> {
        let (decision, outcome, message) = verdict(result);
        let entry = AuditEntry {
            method: "BatchQuery.item".into(),
            case_number: case.to_string(),
            debtor_ref: self.log.debtor_ref(debtor_id),
            decision: decision.into(),
            outcome: outcome.into(),
            detail: joined(&[&format!("item {index}"), &message]),
            ..self.caller_entry(caller)
        };
        self.log.append(entry).await.map(|_| ()).inspect_err(|e| {
            tracing::error!(error = %e, "the audit log cannot be written: the batch item is not searched");
        })
    }

    /// Records one debtor of a durable sweep as it is asked (查询留痕), on behalf of the caller
    /// who submitted the sweep: searched (`Ok`) or refused, with the case, the keyed debtor
    /// reference, and `which` (the sweep, the item's index and its round).
    pub async fn sweep_item(
        &self,
        caller: &Caller,
        which: &str,
        case: &str,
        debtor_id: &str,
        result: &Result<(), Status>,
    ) {
        let (decision, outcome, message) = verdict(result);
        let entry = AuditEntry {
            method: "Sweep.item".into(),
            case_number: case.to_string(),
            debtor_ref: self.log.debtor_ref(debtor_id),
            decision: decision.into(),
            outcome: outcome.into(),
            detail: joined(&[which, &message]),
            ..self.caller_entry(Some(caller))
        };
        self.append(entry).await;
    }

    /// Records an instruction sent to an agency on behalf of `officer`: `outcome` is the
    /// agency's answer as a stable word (`effective`, `queued`, `error:timeout`, ...), `detail`
    /// names the order and what moved where.
    #[allow(clippy::too_many_arguments)]
    pub async fn instruction(
        &self,
        officer: &str,
        court: &str,
        source: &str,
        action: &str,
        case: &str,
        debtor_id: &str,
        outcome: String,
        detail: String,
    ) {
        let entry = AuditEntry {
            actor: officer.to_string(),
            court: court.to_string(),
            role: "hub".into(),
            method: format!("agency:{source}:{action}"),
            case_number: case.to_string(),
            debtor_ref: self.log.debtor_ref(debtor_id),
            decision: "sent".into(),
            outcome,
            detail,
            ..AuditEntry::default()
        };
        self.append(entry).await;
    }

    async fn append(&self, entry: AuditEntry) {
        if let Err(e) = self.log.append(entry).await {
            tracing::error!(error = %e, "AUDIT RECORD LOST: the audit log could not be written");
        }
    }
}
