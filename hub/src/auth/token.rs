//! Bearer tokens: JWTs (RFC 7519) signed by an issuer the hub trusts — a court's identity
//! provider, or `assethub issue-token` in development. Verification, in order: the header
//! (`alg none` refused), the issuer (`iss`, one of `[[auth.issuers]]`), the key (`kid` in that
//! issuer's JWKS), the algorithm (the key's own, never the header's choice), the signature
//! (jsonwebtoken), then the claims: `aud` names the hub, `exp`/`nbf`/`iat` within the clock
//! skew, a lifetime (`exp − iat`) no longer than the configured maximum, and the issuer's
//! mapping to court, role and officer. Nothing else in the hub parses tokens.

use super::claims::{ClaimMapping, Claims};
use super::jwks::{Jwks, KeyChoice};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Validation;
use serde_json::Value;

/// What every token must satisfy whoever issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPolicy {
    /// The `aud` the hub requires (the hub's name at the identity providers).
    pub audience: String,
    /// Longest `exp − iat` accepted, seconds.
    pub max_lifetime_secs: i64,
    /// Clock difference tolerated between issuers and the hub, seconds.
    pub skew_secs: i64,
}

/// The audience `assethub issue-token` and the default configuration use.
pub const DEFAULT_AUDIENCE: &str = "assethub";
/// The default longest token lifetime: 30 days.
pub const DEFAULT_MAX_LIFETIME_SECS: i64 = 30 * 86_400;

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            audience: DEFAULT_AUDIENCE.into(),
            max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
            skew_secs: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT (header.payload.signature)")]
    Malformed,
    #[error("unsigned tokens (alg none) are not accepted")]
    Unsigned,
    #[error("issuer {0:?} is not trusted")]
    UnknownIssuer(String),
    #[error("the issuer has no key with kid {0:?}")]
    UnknownKid(String),
    #[error("the issuer has several keys and the token names none (kid)")]
    KidRequired,
    #[error("the header's alg {header} is not the key's ({key})")]
    AlgMismatch { header: String, key: String },
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("not valid yet (nbf)")]
    NotYetValid,
    #[error("issued in the future (iat)")]
    IssuedInFuture,
    #[error("the {0} claim is missing or not a number")]
    MissingTime(&'static str),
    #[error("lives {lifetime} s (exp - iat), longer than the {max} s the hub accepts")]
    TooLong { lifetime: i64, max: i64 },
    #[error("the audience (aud) is not {0:?}")]
    WrongAudience(String),
    #[error("claims refused: {0}")]
    BadClaims(String),
    #[error("revoked: {0}")]
    Revoked(String),
}

/// One trusted issuer: its `iss`, its keys and how its claims map.
pub struct TrustedIssuer {
    pub name: String,
    pub keys: Jwks,
    pub mapping: ClaimMapping,
}

/// The issuers the hub trusts and the policy their tokens must meet.
#[derive(Default)]
pub struct TokenVerifier {
    policy: TokenPolicy,
    issuers: Vec<TrustedIssuer>,
}

/// The header fields the hub reads before choosing a key.
#[derive(serde::Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

fn decode_part<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// A NumericDate claim in whole seconds (fractions are floored; huge values saturate).
fn seconds(payload: &Value, name: &'static str) -> Result<Option<i64>, TokenError> {
    match payload.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(TokenError::MissingTime(name)),
    }
}

impl TokenVerifier {
    pub fn new(policy: TokenPolicy) -> Self {
        Self {
            policy,
            issuers: Vec::new(),
        }
    }

    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// The issuers whose key sets hold the Ed25519 public key `x` (base64url).
    pub fn issuers_with_ed25519(&self, x: &str) -> Vec<&str> {
        self.issuers
            .iter()
            .filter(|i| i.keys.has_ed25519(x))
            .map(|i| i.name.as_str())
            .collect()
    }

    /// Checks `token` at `now_secs` and returns its claims.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, _] = parts.as_slice() else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_part(header)?;
        if header.alg.eq_ignore_ascii_case("none") {
            return Err(TokenError::Unsigned);
        }
        let unverified: Value = decode_part(payload)?;
        let iss = unverified.get("iss").and_then(Value::as_str).unwrap_or("");
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.name == iss)
            .ok_or_else(|| TokenError::UnknownIssuer(iss.chars().take(64).collect()))?;
        let key = issuer
            .keys
            .select(header.kid.as_deref())
            .map_err(|e| match e {
                KeyChoice::UnknownKid(kid) => TokenError::UnknownKid(kid),
                KeyChoice::KidRequired => TokenError::KidRequired,
            })?;
        let key_alg = format!("{:?}", key.alg);
        if header.alg != key_alg {
            return Err(TokenError::AlgMismatch {
                header: header.alg.chars().take(16).collect(),
                key: key_alg,
            });
        }
        let mut validation = Validation::new(key.alg);
        // The hub checks time and audience itself (against its clock, with clear reasons).
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let payload = jsonwebtoken::decode::<Value>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
                _ => TokenError::Malformed,
            })?
            .claims;
        let (iat, exp) = self.check_time(&payload, now_secs)?;
        let audience = &self.policy.audience;
        let aud_ok = match payload.get("aud") {
            Some(Value::String(a)) => a == audience,
            Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !aud_ok {
            return Err(TokenError::WrongAudience(audience.clone()));
        }
        let mut claims = issuer
            .mapping
            .map(&issuer.name, &payload)
            .map_err(TokenError::BadClaims)?;
        claims.iat = iat;
        claims.exp = exp;
        // Compared and recorded normalised; done once here, since verified tokens are kept.
        claims.officer = crate::identity::normalize_name(&claims.officer);
        Ok(claims)
    }

    /// `exp`, `nbf` and `iat` against `now` (within the skew), and the lifetime bound.
    fn check_time(&self, payload: &Value, now: i64) -> Result<(i64, i64), TokenError> {
        let skew = self.policy.skew_secs;
        let exp = seconds(payload, "exp")?.ok_or(TokenError::MissingTime("exp"))?;
        let iat = seconds(payload, "iat")?.ok_or(TokenError::MissingTime("iat"))?;
        if exp.saturating_add(skew) <= now {
            return Err(TokenError::Expired);
        }
        if seconds(payload, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(skew)) {
            return Err(TokenError::NotYetValid);
        }
        if iat > now.saturating_add(skew) {
            return Err(TokenError::IssuedInFuture);
        }
        let lifetime = exp.saturating_sub(iat);
        if lifetime > self.policy.max_lifetime_secs {
            return Err(TokenError::TooLong {
                lifetime,
                max: self.policy.max_lifetime_secs,
            });
        }
        Ok((iat, exp))
    }
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
