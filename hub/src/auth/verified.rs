//! Tokens already verified, so a caller's every call does not pay for an Ed25519 check (it
//! was ~65 % of the hub's CPU under sustained load). Only tokens that verified are kept, by
//! their exact text; a hit still checks expiry against the clock (the one claim that changes
//! with time: a token not yet valid was never kept). Bounded: when full it starts afresh.

use super::token::{Claims, TokenError, TokenVerifier};
use std::collections::HashMap;
use std::sync::Mutex;

/// Most tokens kept (one per active caller in practice).
const CAPACITY: usize = 10_000;

pub struct VerifiedTokens {
    verifier: TokenVerifier,
    known: Mutex<HashMap<String, Claims>>,
}

impl VerifiedTokens {
    pub fn new(verifier: TokenVerifier) -> Self {
        Self {
            verifier,
            known: Mutex::default(),
        }
    }

    /// The token's claims if it is valid at `now_secs`.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(claims) = known.get(token) {
            if claims.exp <= now_secs {
                known.remove(token);
                return Err(TokenError::Expired);
            }
            return Ok(claims.clone());
        }
        drop(known);
        let claims = self.verifier.verify(token, now_secs)?;
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= CAPACITY {
            known.clear();
        }
        known.insert(token.to_string(), claims.clone());
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::TokenIssuer;
    use crate::identity::Role;

    fn issuer() -> TokenIssuer {
        TokenIssuer::demo()
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: String::new(),
            sub: "case-system-1".into(),
            officer: "王法官".into(),
            court: "鄂0116".into(),
            role: Role::Judge,
            iat: 1_000,
            exp,
        }
    }

    fn verified() -> VerifiedTokens {
        VerifiedTokens::new(
            TokenVerifier::default()
                .trust("demo", &issuer().public_key())
                .unwrap(),
        )
    }

    #[test]
    fn a_known_token_still_expires() {
        let tokens = verified();
        let token = issuer().issue(claims(2_000));
        assert_eq!(tokens.verify(&token, 1_500).unwrap().sub, "case-system-1");
        assert_eq!(tokens.verify(&token, 1_999).unwrap().sub, "case-system-1");
        assert_eq!(tokens.verify(&token, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn a_forged_token_is_never_kept() {
        let tokens = verified();
        let token = issuer().issue(claims(2_000));
        let forged = format!("{}A", &token[..token.len() - 1]);
        assert_eq!(tokens.verify(&forged, 1_500), Err(TokenError::BadSignature));
        assert_eq!(tokens.verify(&forged, 1_500), Err(TokenError::BadSignature));
    }
}
