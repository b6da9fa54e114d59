//! The tonic service for `assethub.v1.Tokens`: an admin revokes a token by its id or every
//! token of a subject (the gate has authenticated, authorized and will audit the call; the
//! audit entry names what was revoked and why). Malformed input is INVALID_ARGUMENT naming the
//! field, and nothing is recorded; a ledger failure is UNAVAILABLE. A service on top of `auth`
//! (whose revocations it writes) and `audit` (whose call note it fills in).

use crate::audit::CallNote;
use crate::auth::revoke::{Revocation, Revocations, Target};
use crate::auth::{authorize, Method};
use crate::clock::now_secs;
use crate::grpc::invalid_argument;
use crate::validate::Violation;
use assethub_proto::v1 as pb;
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct TokensService {
    revocations: Arc<Revocations>,
    /// The issuers this hub trusts (a revocation for another is a typo).
    issuers: Vec<String>,
}

impl TokensService {
    pub fn new(revocations: Arc<Revocations>, issuers: Vec<String>) -> Self {
        Self {
            revocations,
            issuers,
        }
    }

    /// What to revoke, or every field at fault.
    fn target(&self, r: &pb::RevokeTokenRequest) -> Result<Target, Status> {
        let mut violations = Vec::new();
        if !self.issuers.contains(&r.issuer) {
            violations.push(Violation::new("issuer", "not an issuer this hub trusts"));
        }
        let id = |text: &str| {
            !text.is_empty()
                && text.chars().count() <= 128
                && !text.chars().any(|c| c.is_control() || c.is_whitespace())
        };
        let target = match (r.jti.is_empty(), r.subject.is_empty()) {
            (false, true) if id(&r.jti) => Some(Target::Jti(r.jti.clone())),
            (true, false) if id(&r.subject) => Some(Target::Subject(r.subject.clone())),
            (false, true) => {
                violations.push(Violation::new("jti", "1 to 128 characters, no spaces"));
                None
            }
            (true, false) => {
                violations.push(Violation::new("subject", "1 to 128 characters, no spaces"));
                None
            }
            _ => {
                violations.push(Violation::new("jti", "give exactly one of jti and subject"));
                None
            }
        };
        let reason = r.reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control)
        {
            violations.push(Violation::new(
                "reason",
                "1 to 200 characters, without control characters",
            ));
        }
        match target {
            Some(target) if violations.is_empty() => Ok(target),
            _ => Err(invalid_argument(&violations)),
        }
    }
}

#[tonic::async_trait]
impl pb::tokens_server::Tokens for TokensService {
    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::Revocation>, Status> {
        let caller = authorize(&request, Method::RevokeToken)?;
        let note = CallNote::of(&request);
        let r = request.into_inner();
        let target = self.target(&r)?;
        let revocation = Revocation {
            issuer: r.issuer.clone(),
            target,
            reason: r.reason.trim().to_string(),
            revoked_by: caller.identity(),
            revoked_at: now_secs(),
        };
        let (jti, subject) = match &revocation.target {
            Target::Jti(jti) => (jti.clone(), String::new()),
            Target::Subject(sub) => (String::new(), sub.clone()),
        };
        note.detail(format!(
            "revoked {} of {}: {}",
            if jti.is_empty() {
                format!("every token of subject {subject}")
            } else {
                format!("token {jti}")
            },
            revocation.issuer,
            revocation.reason
        ));
        self.revocations.revoke(&revocation).await.map_err(|e| {
            tracing::error!(error = %e, "cannot record a token revocation");
            Status::unavailable("the ledger is unavailable: nothing was revoked")
        })?;
        Ok(Response::new(pb::Revocation {
            issuer: revocation.issuer,
            jti,
            subject,
            reason: revocation.reason,
            revoked_by: revocation.revoked_by,
            revoked_at: revocation.revoked_at,
        }))
    }
}
