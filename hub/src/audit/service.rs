//! The tonic service for `assethub.v1.Audit`: verifying the chain and listing entries. Who may
//! call it (the auditor role) is checked by each handler, like for every service; malformed
//! input is INVALID_ARGUMENT (`requests`); a database failure is UNAVAILABLE.

use super::{requests, AuditError, AuditLog, AuditRecord};
use assethub_proto::v1 as pb;
use tonic::{Request, Response, Status};

pub struct AuditService {
    log: AuditLog,
}

impl AuditService {
    pub fn new(log: AuditLog) -> Self {
        Self { log }
    }
}

fn unavailable(e: AuditError) -> Status {
    tracing::error!(error = %e, "audit log error");
    Status::unavailable("the audit log is unavailable")
}

fn record(r: AuditRecord) -> pb::AuditRecord {
    pb::AuditRecord {
        seq: r.seq,
        at_ms: r.entry.at_ms,
        actor: r.entry.actor,
        court: r.entry.court,
        role: r.entry.role,
        method: r.entry.method,
        case_number: r.entry.case_number,
        debtor_ref: r.entry.debtor_ref,
        decision: r.entry.decision,
        outcome: r.entry.outcome,
        detail: r.entry.detail,
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

#[tonic::async_trait]
impl pb::audit_server::Audit for AuditService {
    async fn verify_audit(
        &self,
        request: Request<pb::VerifyAuditRequest>,
    ) -> Result<Response<pb::VerifyAuditResponse>, Status> {
        crate::auth::authorize(&request, crate::auth::Method::VerifyAudit)?;
        let report = self.log.verify().await.map_err(unavailable)?;
        let intact = report.intact();
        let (first_broken_seq, reason) = report.first_broken.unwrap_or_default();
        Ok(Response::new(pb::VerifyAuditResponse {
            entries_checked: report.entries_checked,
            intact,
            first_broken_seq,
            reason,
            head_hash: report.head_hash,
        }))
    }

    async fn list_audit(
        &self,
        request: Request<pb::ListAuditRequest>,
    ) -> Result<Response<pb::ListAuditResponse>, Status> {
        crate::auth::authorize(&request, crate::auth::Method::ListAudit)?;
        let query = requests::list_query(request.into_inner())?;
        let page = self.log.list_page(&query).await.map_err(unavailable)?;
        Ok(Response::new(pb::ListAuditResponse {
            entries: page.records.into_iter().map(record).collect(),
            next_after_seq: page.next_after_seq,
            more: page.more,
        }))
    }
}
