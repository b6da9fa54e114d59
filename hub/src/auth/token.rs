//! Signed bearer tokens: who calls, for which court, in which role. A token is
//! `ahv1.<base64url(claims JSON)>.<base64url(Ed25519 signature over "ahv1." + claims part)>`,
//! issued by a key the hub trusts (configured per issuer). Verification checks the issuer, the
//! signature, the validity period and the claims' shape; nothing else in the hub parses tokens.

use crate::identity::Role;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PREFIX: &str = "ahv1";
/// Public key of [`TokenIssuer::demo`], as `hub/config/example.toml` lists it.
pub const DEMO_ISSUER_PUBLIC_KEY: &str = "vXjnpXb2w9KF7UUC6tx8mwPamc2yhd0RYJRGFhBOqi0=";
/// Clock difference tolerated between issuer and hub, in seconds.
const SKEW_SECS: i64 = 60;

/// What a token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer name (a key the hub trusts).
    pub iss: String,
    /// Caller id: a case system's client id or an officer's user id.
    pub sub: String,
    /// The enforcement officer's name; recorded on control orders.
    pub officer: String,
    /// Court code, e.g. `鄂0116`.
    pub court: String,
    pub role: Role,
    /// Issued at / expires at, Unix seconds.
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not an assethub token")]
    Malformed,
    #[error("issued by an untrusted issuer")]
    UnknownIssuer,
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("claims are incomplete: {0}")]
    BadClaims(&'static str),
    #[error("bad key: {0}")]
    BadKey(String),
}

/// An issuer's signing key (the `assethub issue-token` command, the demo credentials).
pub struct TokenIssuer {
    name: String,
    key: SigningKey,
}

impl TokenIssuer {
    /// From a base64 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed_b64: &str) -> Result<Self, TokenError> {
        let seed: [u8; 32] = STANDARD
            .decode(seed_b64.trim())
            .map_err(|e| TokenError::BadKey(e.to_string()))?
            .try_into()
            .map_err(|_| TokenError::BadKey("an Ed25519 seed is 32 bytes".into()))?;
        Ok(Self {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The development issuer of `assethub demo`: a fixed, public key. Never trust it in
    /// production.
    pub fn demo() -> Self {
        let seed: [u8; 32] = Sha256::digest(b"assethub demo token issuer").into();
        Self {
            name: "demo".into(),
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base64 of the public key, for the hub's `[[auth.issuers]]`.
    pub fn public_key(&self) -> String {
        STANDARD.encode(self.key.verifying_key().as_bytes())
    }

    /// A token for `claims` (its `iss` is set to this issuer).
    pub fn issue(&self, mut claims: Claims) -> String {
        claims.iss = self.name.clone();
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{PREFIX}.{body}");
        let signature = URL_SAFE_NO_PAD.encode(self.key.sign(signed.as_bytes()).to_bytes());
        format!("{signed}.{signature}")
    }
}

/// The issuers the hub trusts.
#[derive(Debug, Clone, Default)]
pub struct TokenVerifier {
    issuers: Vec<(String, VerifyingKey)>,
}

impl TokenVerifier {
    pub fn trust(mut self, name: &str, public_key_b64: &str) -> Result<Self, TokenError> {
        let bytes: [u8; 32] = STANDARD
            .decode(public_key_b64.trim())
            .map_err(|e| TokenError::BadKey(e.to_string()))?
            .try_into()
            .map_err(|_| TokenError::BadKey("an Ed25519 public key is 32 bytes".into()))?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|e| TokenError::BadKey(e.to_string()))?;
        self.issuers.push((name.to_string(), key));
        Ok(self)
    }

    /// Checks `token` at `now_secs` and returns its claims.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(PREFIX), Some(body), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Malformed)?;
        let key = self
            .issuers
            .iter()
            .find(|(name, _)| *name == claims.iss)
            .map(|(_, key)| key)
            .ok_or(TokenError::UnknownIssuer)?;
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(TokenError::Malformed)?;
        key.verify(
            format!("{PREFIX}.{body}").as_bytes(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| TokenError::BadSignature)?;
        if claims.exp <= now_secs {
            return Err(TokenError::Expired);
        }
        if claims.iat > now_secs + SKEW_SECS {
            return Err(TokenError::NotYetValid);
        }
        check_claims(&claims)?;
        let mut claims = claims;
        // Compared and recorded normalised; done once here, since verified tokens are kept.
        claims.officer = crate::identity::normalize_name(&claims.officer);
        Ok(claims)
    }
}

/// Longest subject and officer name a token may carry (they go into every audit entry whole).
const MAX_SUBJECT_CHARS: usize = 128;
const MAX_OFFICER_CHARS: usize = 64;

/// Text a claim may hold: no control or format characters (no line breaks, escapes, bidi
/// overrides or zero-width marks to disguise who calls).
fn plain(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
    })
}

/// The claims' shape: a subject, a court code as case numbers carry it, and for roles that
/// act an officer's name, all plain and bounded.
fn check_claims(claims: &Claims) -> Result<(), TokenError> {
    let sub = claims.sub.as_str();
    if sub.is_empty()
        || sub.chars().count() > MAX_SUBJECT_CHARS
        || !plain(sub)
        || sub.contains(char::is_whitespace)
    {
        return Err(TokenError::BadClaims(
            "sub must be 1 to 128 characters, without spaces or control characters",
        ));
    }
    if !assethub_connectors::domain::is_court_code(&claims.court) {
        return Err(TokenError::BadClaims(
            "court must be a court code such as 鄂0116",
        ));
    }
    let officer = claims.officer.trim();
    if officer.chars().count() > MAX_OFFICER_CHARS || !plain(officer) {
        return Err(TokenError::BadClaims(
            "officer must be at most 64 characters, without control characters",
        ));
    }
    if claims.role.acts() && officer.is_empty() {
        return Err(TokenError::BadClaims(
            "an officer is required for this role",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: String::new(),
            sub: "judge-1".into(),
            officer: "王法官".into(),
            court: "鄂0116".into(),
            role: Role::Judge,
            iat: 1_000,
            exp,
        }
    }

    #[test]
    fn issued_tokens_verify_and_forgeries_do_not() {
        let issuer = TokenIssuer::demo();
        let verifier = TokenVerifier::default()
            .trust("demo", &issuer.public_key())
            .unwrap();
        let token = issuer.issue(claims(5_000));
        let got = verifier.verify(&token, 2_000).unwrap();
        assert_eq!((got.court.as_str(), got.role), ("鄂0116", Role::Judge));
        assert_eq!(verifier.verify(&token, 5_000), Err(TokenError::Expired));
        assert_eq!(
            verifier.verify(&token, 900 - SKEW_SECS),
            Err(TokenError::NotYetValid)
        );
        // Claims altered after signing: a judge of another court.
        let (head, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let mut forged = claims(5_000);
        forged.iss = "demo".into();
        forged.court = "鄂01".into();
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            verifier.verify(&format!("{head}.{body}.{sig}"), 2_000),
            Err(TokenError::BadSignature)
        );
        // Signed by a key the hub does not trust under that issuer's name.
        let stranger = TokenIssuer::from_seed("demo", &STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(
            verifier.verify(&stranger.issue(claims(5_000)), 2_000),
            Err(TokenError::BadSignature)
        );
        let other = TokenIssuer::from_seed("other", &STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(
            verifier.verify(&other.issue(claims(5_000)), 2_000),
            Err(TokenError::UnknownIssuer)
        );
        assert_eq!(
            TokenIssuer::demo().public_key(),
            DEMO_ISSUER_PUBLIC_KEY,
            "the example configuration trusts this key"
        );
        // Claims that would disguise the caller in the audit are refused, however well signed.
        let long_name = Claims {
            officer: "王".repeat(3_000),
            ..claims(5_000)
        };
        let escape = Claims {
            sub: "judge\n\u{1b}[2J".into(),
            ..claims(5_000)
        };
        let court = Claims {
            court: "鄂０１１６".into(),
            ..claims(5_000)
        };
        let bidi = Claims {
            officer: "王法官\u{202E}".into(),
            ..claims(5_000)
        };
        for bad in [long_name, escape, court, bidi] {
            assert!(
                matches!(
                    verifier.verify(&issuer.issue(bad.clone()), 2_000),
                    Err(TokenError::BadClaims(_))
                ),
                "{bad:?}"
            );
        }
        for junk in ["", "ahv1", "ahv1.x.y", "Bearer x", "ahv1.e30.AAAA.extra"] {
            assert!(verifier.verify(junk, 2_000).is_err(), "{junk}");
        }
    }
}
