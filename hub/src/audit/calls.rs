//! What gets audited, in one place: every call of the hub's APIs (who, court, role, method,
//! case, keyed debtor reference, the decision and the outcome) and every instruction sent to
//! an agency with the agency's answer. Recording never fails a call: an audit store error is
//! logged loudly instead.

use super::{AuditEntry, AuditLog};
use crate::auth::{Caller, Method};
use tonic::Status;

#[derive(Clone)]
pub struct CallAudit {
    log: AuditLog,
}

impl CallAudit {
    pub fn new(log: AuditLog) -> Self {
        Self { log }
    }

    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    /// Records one call and how it ended (`Ok` or the status it failed with).
    pub async fn call<T>(
        &self,
        caller: Option<&Caller>,
        method: Method,
        case: &str,
        debtor_id: &str,
        result: &Result<T, Status>,
    ) {
        let (decision, outcome) = match result {
            Ok(_) => ("allowed".to_string(), "OK".to_string()),
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::PermissionDenied | tonic::Code::Unauthenticated
                ) =>
            {
                (format!("denied: {}", s.message()), code_name(s.code()))
            }
            Err(s) => ("allowed".to_string(), code_name(s.code())),
        };
        let entry = AuditEntry {
            actor: caller.map(actor).unwrap_or_default(),
            court: caller.map(|c| c.court.clone()).unwrap_or_default(),
            role: caller
                .map(|c| c.role.as_str().to_string())
                .unwrap_or_default(),
            method: method.as_str().to_string(),
            case_number: case.to_string(),
            debtor_ref: self.log.debtor_ref(debtor_id),
            decision,
            outcome,
            ..AuditEntry::default()
        };
        self.append(entry).await;
    }

    /// Records a call refused before it reached a service (no or bad token, over the rate).
    pub async fn refused(&self, caller: Option<&Caller>, method: &str, status: &Status) {
        let entry = AuditEntry {
            actor: caller
                .map(actor)
                .unwrap_or_else(|| "unauthenticated".into()),
            court: caller.map(|c| c.court.clone()).unwrap_or_default(),
            role: caller
                .map(|c| c.role.as_str().to_string())
                .unwrap_or_default(),
            method: method.to_string(),
            decision: format!("denied: {}", status.message()),
            outcome: code_name(status.code()),
            ..AuditEntry::default()
        };
        self.append(entry).await;
    }

    /// Records an instruction sent to an agency on behalf of `officer` and what came of it.
    #[allow(clippy::too_many_arguments)]
    pub async fn instruction(
        &self,
        officer: &str,
        court: &str,
        source: &str,
        action: &str,
        case: &str,
        debtor_id: &str,
        order_id: &str,
        outcome: String,
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
            detail: format!("order {order_id}"),
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

fn actor(caller: &Caller) -> String {
    if caller.officer.is_empty() {
        caller.sub.clone()
    } else {
        format!("{} ({})", caller.officer, caller.sub)
    }
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
}
