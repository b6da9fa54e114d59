//! Who may call the hub and what they may do (DOMAIN rule 7).
//!
//! - `token`: bearer tokens (JWTs) and the issuers the hub trusts; `jwks` their keys, `claims`
//!   how their claims map to court, role and officer; `issue` a development issuer.
//! - `revoke`: revoked tokens, kept in the ledger so every hub sharing it refuses them (the
//!   Tokens service that revokes them is [`crate::tokens_api`], above `audit`).
//! - `role`: the permission matrix (role × method).
//! - `limit`: per-caller rate limits.
//! - here: the [`Authenticator`] the gate ([`crate::gate`]) uses to turn a request's bearer
//!   token into a [`Caller`], and the checks services make once the case or order is known (the
//!   caller's court must own it).
//!
//! Identities (`Caller`, `Role`, `Method`) live in [`crate::identity`]; they are re-exported
//! here for convenience.

pub mod claims;
pub use assethub_client::credentials;
pub mod issue;
pub mod jwks;
pub mod limit;
pub mod revoke;
pub mod role;
pub mod token;
mod verified;

pub use crate::identity::{normalize_name, Caller, Method, Role};
pub use claims::{ClaimMapping, ClaimNames, Claims};
pub use issue::TokenIssuer;
pub use role::allows;
pub use token::{TokenError, TokenPolicy, TokenVerifier, TrustedIssuer};

use limit::RateLimiter;
use std::sync::Arc;
use tonic::codegen::http::HeaderMap;
use tonic::{Request, Status};

/// Verified claims as a caller (the verifier normalised the officer's name).
impl From<Claims> for Caller {
    fn from(c: Claims) -> Self {
        Self {
            iss: c.iss,
            sub: c.sub,
            officer: c.officer,
            court: c.court,
            role: c.role,
        }
    }
}

/// Authenticates requests and limits each caller's rate; shared by the gate.
pub struct Authenticator {
    verifier: verified::VerifiedTokens,
    revocations: Arc<revoke::Revocations>,
    limiter: RateLimiter,
}

impl Authenticator {
    pub fn new(
        verifier: TokenVerifier,
        revocations: Arc<revoke::Revocations>,
        limiter: RateLimiter,
    ) -> Arc<Self> {
        Arc::new(Self {
            verifier: verified::VerifiedTokens::new(verifier),
            revocations,
            limiter,
        })
    }

    /// The caller a request's `authorization: Bearer <token>` header proves, or
    /// UNAUTHENTICATED with the reason.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Status> {
        let header = headers
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("a bearer token is required"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("authorization must be `Bearer <token>`"))?;
        self.verifier
            .verify(token.trim(), now_secs())
            .and_then(|claims| self.revocations.check(&claims).map(|()| claims))
            .map(Caller::from)
            .map_err(|e| Status::unauthenticated(format!("invalid token: {e}")))
    }

    /// Takes one request from `caller`'s rate, or RESOURCE_EXHAUSTED.
    pub fn admit(&self, caller: &Caller) -> Result<(), Status> {
        if self.limiter.admit(&caller.identity()) {
            Ok(())
        } else {
            Err(Status::resource_exhausted(format!(
                "caller {} is over its request rate; slow down",
                caller.identity()
            )))
        }
    }
}

/// Kept here for existing callers; the clock owns it.
pub use crate::clock::now_secs;

/// The caller of `request` as the gate authenticated it, checked once more against the
/// matrix for `method` (the gate already refused anyone else; a service reached without the
/// gate refuses everyone).
pub fn authorize<T>(request: &Request<T>, method: Method) -> Result<Caller, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("a bearer token is required"))?;
    permitted(&caller, method)?;
    Ok(caller)
}

/// PERMISSION_DENIED unless `caller`'s role may call `method`.
pub fn permitted(caller: &Caller, method: Method) -> Result<(), Status> {
    if allows(caller.role, method) {
        Ok(())
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
