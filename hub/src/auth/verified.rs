//! Tokens already verified, so a caller's every call does not pay for a signature check (it
//! was ~65 % of the hub's CPU under sustained load). Only tokens that verified are kept, by
//! their exact text, in a bounded cache (moka: least recently used go first when full, each
//! entry gone once its token expires); a hit still checks expiry against the clock (a token not
//! yet valid was never kept). Revocation is checked after this, on every call.

use super::claims::Claims;
use super::token::{TokenError, TokenVerifier};
use moka::sync::Cache;
use std::time::{Duration, Instant};

/// Most tokens kept (one per active caller in practice).
const CAPACITY: u64 = 10_000;

pub struct VerifiedTokens {
    verifier: TokenVerifier,
    known: Cache<String, Claims>,
}

/// Each entry lives until its token expires (plus the skew), judged when it is kept.
struct UntilExpiry {
    skew_secs: i64,
}

impl moka::Expiry<String, Claims> for UntilExpiry {
    fn expire_after_create(&self, _: &String, claims: &Claims, _: Instant) -> Option<Duration> {
        let left = claims
            .exp
            .saturating_add(self.skew_secs)
            .saturating_sub(super::now_secs());
        Some(Duration::from_secs(left.max(0) as u64))
    }
}

impl VerifiedTokens {
    pub fn new(verifier: TokenVerifier) -> Self {
        let skew_secs = verifier.policy().skew_secs;
        Self {
            verifier,
            known: Cache::builder()
                .max_capacity(CAPACITY)
                .expire_after(UntilExpiry { skew_secs })
                .build(),
        }
    }

    /// The token's claims if it is valid at `now_secs`.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        if let Some(claims) = self.known.get(token) {
            if claims.exp.saturating_add(self.verifier.policy().skew_secs) <= now_secs {
                self.known.invalidate(token);
                return Err(TokenError::Expired);
            }
            return Ok(claims);
        }
        let claims = self.verifier.verify(token, now_secs)?;
        self.known.insert(token.to_string(), claims.clone());
        Ok(claims)
    }

    /// Tokens kept now (after pending evictions).
    #[cfg(test)]
    fn kept(&self) -> u64 {
        self.known.run_pending_tasks();
        self.known.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::issue::tests::test_issuer;
    use crate::auth::token::{TokenPolicy, TrustedIssuer};
    use crate::auth::{jwks::Jwks, ClaimMapping};
    use crate::identity::Role;

    fn claims(sub: &str, iat: i64, exp: i64) -> Claims {
        Claims {
            iss: String::new(),
            sub: sub.into(),
            officer: "王法官".into(),
            court: "鄂0116".into(),
            role: Role::Judge,
            jti: String::new(),
            iat,
            exp,
        }
    }

    fn verified() -> VerifiedTokens {
        let policy = TokenPolicy {
            skew_secs: 0,
            ..TokenPolicy::default()
        };
        VerifiedTokens::new(TokenVerifier::new(policy).trust(TrustedIssuer {
            name: test_issuer().name().into(),
            keys: Jwks::parse(&test_issuer().jwks()).unwrap(),
            mapping: ClaimMapping::default(),
        }))
    }

    #[test]
    fn a_known_token_still_expires() {
        let tokens = verified();
        let token = test_issuer().issue(&claims("case-system-1", 1_000, 2_000));
        assert_eq!(tokens.verify(&token, 1_500).unwrap().sub, "case-system-1");
        assert_eq!(tokens.verify(&token, 1_999).unwrap().sub, "case-system-1");
        assert_eq!(tokens.verify(&token, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn a_forged_token_is_never_kept() {
        let tokens = verified();
        let token = test_issuer().issue(&claims("case-system-1", 1_000, 2_000));
        // One signature character changed (not the last, whose low bits are padding).
        let at = token.len() - 10;
        let swap = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{swap}{}", &token[..at], &token[at + 1..]);
        assert_eq!(tokens.verify(&forged, 1_500), Err(TokenError::BadSignature));
        assert_eq!(tokens.verify(&forged, 1_500), Err(TokenError::BadSignature));
        assert_eq!(tokens.kept(), 0);
    }

    #[test]
    fn past_capacity_old_tokens_go_and_recent_ones_stay() {
        let tokens = verified();
        let now = super::super::now_secs();
        let issuer = test_issuer();
        let first = issuer.issue(&claims("caller-0", now, now + 3_600));
        tokens.verify(&first, now).unwrap();
        for n in 1..=CAPACITY + 500 {
            let token = issuer.issue(&claims(&format!("caller-{n}"), now, now + 3_600));
            tokens.verify(&token, now).unwrap();
        }
        // Bounded, and never emptied wholesale (the old cache cleared itself at 10,000).
        let kept = tokens.kept();
        assert!(kept <= CAPACITY && kept > CAPACITY / 2, "{kept}");
    }
}
