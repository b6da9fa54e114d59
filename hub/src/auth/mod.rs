//! Who may call the hub and what they may do (DOMAIN rule 7).
//!
//! - `token`: signed bearer tokens (court, role, officer) and the issuers the hub trusts.
//! - `role`: roles and the permission matrix.
//! - here: the interceptor that authenticates every call of the hub's APIs (UNAUTHENTICATED
//!   without a valid token) and limits each caller's rate (RESOURCE_EXHAUSTED), and the checks
//!   the services make: the role may call the method, the case or order is the caller's court's
//!   (PERMISSION_DENIED with the reason otherwise).

pub mod credentials;
pub mod limit;
pub mod role;
pub mod token;
mod verified;

pub use role::{allows, Method, Role};
pub use token::{Claims, TokenError, TokenIssuer, TokenVerifier};

use limit::RateLimiter;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::{Request, Status};

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub officer: String,
    pub court: String,
    pub role: Role,
}

impl From<Claims> for Caller {
    fn from(c: Claims) -> Self {
        Self {
            sub: c.sub,
            officer: c.officer,
            court: c.court,
            role: c.role,
        }
    }
}

/// Authenticates requests; shared by every service's interceptor.
pub struct Authenticator {
    verifier: verified::VerifiedTokens,
    limiter: RateLimiter,
    audit: Option<crate::audit::CallAudit>,
}

impl Authenticator {
    pub fn new(
        verifier: TokenVerifier,
        limiter: RateLimiter,
        audit: Option<crate::audit::CallAudit>,
    ) -> Arc<Self> {
        Arc::new(Self {
            verifier: verified::VerifiedTokens::new(verifier),
            limiter,
            audit,
        })
    }

    /// Refused before any service saw the call: audited here (in the background, since an
    /// interceptor cannot wait), then returned.
    fn refuse(&self, request: &Request<()>, caller: Option<&Caller>, status: Status) -> Status {
        if let Some(audit) = self.audit.clone() {
            let method = request
                .extensions()
                .get::<tonic::GrpcMethod>()
                .map(|m| m.method().to_string())
                .unwrap_or_default();
            let caller = caller.cloned();
            let refused = Status::new(status.code(), status.message());
            tokio::spawn(async move {
                audit.refused(caller.as_ref(), &method, &refused).await;
            });
        }
        status
    }

    /// A tonic interceptor: verifies the bearer token and puts the [`Caller`] into the
    /// request's extensions.
    pub fn interceptor(
        self: &Arc<Self>,
    ) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone + Send + Sync + 'static
    {
        let auth = self.clone();
        move |mut request: Request<()>| {
            let caller = match auth.authenticate(&request) {
                Ok(caller) => caller,
                Err(status) => return Err(auth.refuse(&request, None, status)),
            };
            if !auth.limiter.admit(&caller.sub) {
                let status = Status::resource_exhausted(format!(
                    "caller {} is over its request rate; slow down",
                    caller.sub
                ));
                return Err(auth.refuse(&request, Some(&caller), status));
            }
            if let Some(timeout) = crate::service::grpc_timeout(&request) {
                request
                    .extensions_mut()
                    .insert(crate::service::GrpcTimeout(timeout));
            }
            request.extensions_mut().insert(caller);
            Ok(request)
        }
    }

    fn authenticate(&self, request: &Request<()>) -> Result<Caller, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("a bearer token is required"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("authorization must be `Bearer <token>`"))?;
        self.verifier
            .verify(token.trim(), now_secs())
            .map(Caller::from)
            .map_err(|e| Status::unauthenticated(format!("invalid token: {e}")))
    }
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The caller of `request`, if its role may call `method`.
pub fn authorize<T>(request: &Request<T>, method: Method) -> Result<Caller, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("a bearer token is required"))?;
    if allows(caller.role, method) {
        Ok(caller)
    } else {
        Err(Status::permission_denied(format!(
            "role {} may not call {}",
            caller.role.as_str(),
            method.as_str()
        )))
    }
}

/// Refuses unless `court` (of a case or an order) is the caller's.
pub fn in_court(caller: &Caller, court: &str) -> Result<(), Status> {
    if caller.court == court {
        Ok(())
    } else {
        Err(Status::permission_denied(format!(
            "the case belongs to court {court}; the caller acts for court {}",
            caller.court
        )))
    }
}
