//! The tonic service for `assethub.v1.Audit`: verifying the chain (and checkpoints kept by
//! auditors), listing entries, signing checkpoints. Who may call it (the auditor role) is
//! checked by each handler, like for every service; malformed input is INVALID_ARGUMENT
//! (`requests`); a database or checkpoint-file failure is UNAVAILABLE; a log that no longer
//! extends the hub's previous checkpoint is DATA_LOSS (nothing is signed).

use super::checkpointer::{CheckpointError, Judged, Verdict};
use super::{requests, AuditError, AuditLog, AuditRecord, Checkpointer};
use crate::auth::Method;
use assethub_proto::v1 as pb;
use tonic::{Request, Response, Status};

pub struct AuditService {
    log: AuditLog,
    checkpoints: Checkpointer,
}

impl AuditService {
    pub fn new(log: AuditLog, checkpoints: Checkpointer) -> Self {
        Self { log, checkpoints }
    }
}

fn unavailable(e: AuditError) -> Status {
    tracing::error!(error = %e, "audit log error");
    Status::unavailable("the audit log is unavailable")
}

fn checkpoint_status(e: CheckpointError) -> Status {
    match e {
        CheckpointError::Audit(e) => unavailable(e),
        CheckpointError::File { .. } => {
            tracing::error!(error = %e, "audit checkpoint file error");
            Status::unavailable("the audit checkpoint file is unavailable")
        }
        CheckpointError::NotExtending { .. } => {
            tracing::error!(error = %e, "AUDIT LOG TAMPERED? no checkpoint signed");
            Status::data_loss(e.to_string())
        }
    }
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

fn verdict(v: Verdict) -> pb::CheckpointVerdict {
    match v {
        Verdict::Ok => pb::CheckpointVerdict::Ok,
        Verdict::BadSignature => pb::CheckpointVerdict::BadSignature,
        Verdict::Truncated => pb::CheckpointVerdict::Truncated,
        Verdict::Rewritten => pb::CheckpointVerdict::Rewritten,
    }
}

fn report(j: Judged) -> pb::CheckpointReport {
    pb::CheckpointReport {
        verdict: verdict(j.verdict) as i32,
        checkpoint: Some(j.checkpoint.into()),
        reason: j.reason,
        from_hub_file: j.from_hub_file,
    }
}

/// "checkpoint of 12 entries (signed at 1714521600000 ms by key k): truncated: ...".
fn checkpoint_reason(j: &Judged) -> String {
    let verdict = match j.verdict {
        Verdict::Ok => "ok",
        Verdict::BadSignature => "bad signature",
        Verdict::Truncated => "truncated",
        Verdict::Rewritten => "rewritten",
    };
    let origin = if j.from_hub_file {
        " from the hub's file"
    } else {
        ""
    };
    format!(
        "checkpoint{origin} of {} entries (signed at {} ms): {verdict}: {}",
        j.checkpoint.entries, j.checkpoint.at_ms, j.reason
    )
}

#[tonic::async_trait]
impl pb::audit_server::Audit for AuditService {
    async fn verify_audit(
        &self,
        request: Request<pb::VerifyAuditRequest>,
    ) -> Result<Response<pb::VerifyAuditResponse>, Status> {
        crate::auth::authorize(&request, Method::VerifyAudit)?;
        let presented = requests::checkpoints(request.into_inner().checkpoints)?;
        let judgement = self
            .checkpoints
            .judge(presented)
            .await
            .map_err(checkpoint_status)?;
        let intact = judgement.intact();
        let chain = judgement.chain;
        let (first_broken_seq, reason) = match chain.first_broken {
            Some(broken) => broken,
            None => {
                let failed = judgement
                    .checkpoints
                    .iter()
                    .find(|j| j.verdict != Verdict::Ok);
                (0, failed.map(checkpoint_reason).unwrap_or_default())
            }
        };
        Ok(Response::new(pb::VerifyAuditResponse {
            entries_checked: chain.entries_checked,
            intact,
            first_broken_seq,
            reason,
            head_hash: chain.head_hash,
            checkpoints: judgement.checkpoints.into_iter().map(report).collect(),
            warnings: judgement.warnings,
        }))
    }

    async fn list_audit(
        &self,
        request: Request<pb::ListAuditRequest>,
    ) -> Result<Response<pb::ListAuditResponse>, Status> {
        crate::auth::authorize(&request, Method::ListAudit)?;
        let query = requests::list_query(request.into_inner())?;
        let page = self.log.list_page(&query).await.map_err(unavailable)?;
        Ok(Response::new(pb::ListAuditResponse {
            entries: page.records.into_iter().map(record).collect(),
            next_after_seq: page.next_after_seq,
            more: page.more,
        }))
    }

    async fn checkpoint_audit(
        &self,
        request: Request<pb::CheckpointAuditRequest>,
    ) -> Result<Response<pb::CheckpointAuditResponse>, Status> {
        crate::auth::authorize(&request, Method::CheckpointAudit)?;
        let signed = if request.into_inner().sign_now {
            self.checkpoints.sign_now().await.map(|c| (c, true))
        } else {
            self.checkpoints.latest_or_sign().await
        };
        let (checkpoint, signed_now) = signed.map_err(checkpoint_status)?;
        Ok(Response::new(pb::CheckpointAuditResponse {
            signed_now,
            public_key: self.checkpoints.key().public_key(),
            checkpoint: Some(checkpoint.into()),
        }))
    }
}
