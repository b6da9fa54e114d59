//! A development token issuer: signs EdDSA JWTs with an Ed25519 seed, in the claim names the
//! hub reads by default (`sub`, `court`, `role`, `officer`, `aud`, `iat`, `nbf`, `exp`, `jti`).
//! `assethub issue-token`, the demo's credentials and the tests use it; in production courts'
//! identity providers issue the tokens. The demo's issuer (its seed is in `assethub-mocks`)
//! has a PUBLIC key, [`DEMO_ISSUER_X`]: a hub that trusts it refuses to serve beyond loopback.

use super::claims::{check_claims, ClaimMapping, Claims};
use super::jwks::Jwks;
use super::token::{TokenPolicy, TokenVerifier, TrustedIssuer, DEFAULT_AUDIENCE};
use crate::identity::Role;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// The PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410): the seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The demo issuer's PUBLIC key (base64url, a JWK's `x`), as `hub/config/example.toml` lists it:
/// its seed lives with the demo (`assethub_mocks::demo_keys`), never in the hub; the hub only
/// recognises the key, to refuse serving beyond loopback while trusting it.
pub const DEMO_ISSUER_X: &str = "vXjnpXb2w9KF7UUC6tx8mwPamc2yhd0RYJRGFhBOqi0";

/// What `assethub issue-token` is asked for.
pub struct TokenRequest {
    pub subject: String,
    pub court: String,
    pub role: Role,
    pub officer: String,
    pub days: i64,
}

/// An issuer's signing key.
pub struct TokenIssuer {
    name: String,
    kid: String,
    audience: String,
    seed: [u8; 32],
}

impl TokenIssuer {
    /// From a base64 32-byte Ed25519 seed; `name` is the `iss`, `kid` the key's id.
    pub fn from_seed(name: &str, kid: &str, seed_b64: &str) -> Result<Self, String> {
        let seed: [u8; 32] = STANDARD
            .decode(seed_b64.trim())
            .map_err(|e| format!("the seed is not base64: {e}"))?
            .try_into()
            .map_err(|_| "an Ed25519 seed is 32 bytes".to_string())?;
        Ok(Self {
            name: name.to_string(),
            kid: kid.to_string(),
            audience: DEFAULT_AUDIENCE.into(),
            seed,
        })
    }

    /// Tokens for another audience than [`DEFAULT_AUDIENCE`].
    pub fn with_audience(mut self, audience: &str) -> Self {
        self.audience = audience.to_string();
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key, base64url (a JWK's `x`).
    pub fn public_x(&self) -> String {
        URL_SAFE_NO_PAD.encode(
            SigningKey::from_bytes(&self.seed)
                .verifying_key()
                .as_bytes(),
        )
    }

    /// The key set the hub's `[[auth.issuers]]` trusts for this issuer (`jwks` or a file).
    pub fn jwks(&self) -> String {
        serde_json::json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
            "kid": self.kid, "x": self.public_x(),
        }]})
        .to_string()
    }

    /// A signed token for `claims` (`iss` is this issuer's; an empty `jti` gets a new UUID).
    pub fn issue(&self, claims: &Claims) -> String {
        let jti = if claims.jti.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            claims.jti.clone()
        };
        let mut payload = serde_json::json!({
            "iss": self.name, "sub": claims.sub, "aud": self.audience,
            "court": claims.court, "role": claims.role.as_str(),
            "iat": claims.iat, "nbf": claims.iat, "exp": claims.exp, "jti": jti,
        });
        if !claims.officer.is_empty() {
            payload["officer"] = claims.officer.clone().into();
        }
        self.sign(&payload)
    }

    /// A token for `request` that a hub with `policy` trusting this issuer accepts, or why
    /// such a hub would refuse it (checked by verifying it as the hub does).
    pub fn issue_checked(
        &self,
        request: &TokenRequest,
        policy: &TokenPolicy,
        now: i64,
    ) -> Result<(String, Claims), String> {
        let max_days = policy.max_lifetime_secs / 86_400;
        if request.days < 1 || request.days > max_days {
            return Err(format!(
                "--days must be 1 to {max_days} (the hub accepts tokens living at most {} s)",
                policy.max_lifetime_secs
            ));
        }
        let claims = Claims {
            iss: self.name.clone(),
            sub: request.subject.clone(),
            officer: request.officer.clone(),
            court: request.court.clone(),
            role: request.role,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            exp: now + request.days * 86_400,
        };
        check_claims(&claims).map_err(|e| format!("the hub would refuse this token: {e}"))?;
        let token = self.issue(&claims);
        let keys = Jwks::parse(&self.jwks())?;
        let hub = TokenVerifier::new(policy.clone()).trust(TrustedIssuer {
            name: self.name.clone(),
            keys,
            mapping: ClaimMapping::default(),
        });
        let verified = hub
            .verify(&token, now)
            .map_err(|e| format!("the hub would refuse this token: {e}"))?;
        Ok((token, verified))
    }

    /// Signs any payload (tests use it to make tokens the hub must refuse).
    pub fn sign(&self, payload: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&self.seed);
        jsonwebtoken::encode(&header, payload, &EncodingKey::from_ed_der(&der))
            .unwrap_or_else(|e| panic!("signing with a valid Ed25519 key: {e}"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn request(role: Role, court: &str, officer: &str, days: i64) -> TokenRequest {
        TokenRequest {
            subject: "judge-0042".into(),
            court: court.into(),
            role,
            officer: officer.into(),
            days,
        }
    }

    /// A fixed issuer for the hub's own tests (not the demo's).
    pub(crate) fn test_issuer() -> TokenIssuer {
        TokenIssuer::from_seed("test", "test-1", &STANDARD.encode([11u8; 32])).unwrap()
    }

    #[test]
    fn issues_only_what_the_hub_accepts() {
        let issuer = test_issuer();
        let policy = TokenPolicy::default();
        let now = 1_800_000_000;
        let (token, claims) = issuer
            .issue_checked(&request(Role::Judge, "鄂0116", "王法官", 30), &policy, now)
            .unwrap();
        assert_eq!(claims.exp, now + 30 * 86_400);
        assert!(!claims.jti.is_empty());
        assert_eq!(token.split('.').count(), 3);
        for (asked, says) in [
            (
                request(Role::Judge, "鄂0116", "", 30),
                "an officer is required for the role judge",
            ),
            (
                request(Role::Supervisor, "鄂0116", " ", 30),
                "an officer is required",
            ),
            (
                request(Role::CaseSystem, "XX", "", 30),
                "court must be a court code",
            ),
            (
                request(Role::CaseSystem, "鄂0116", "", 0),
                "--days must be 1 to 30",
            ),
            (
                request(Role::CaseSystem, "鄂0116", "", 31),
                "--days must be 1 to 30",
            ),
            (
                request(Role::CaseSystem, "鄂0116", "", -5),
                "--days must be 1 to 30",
            ),
        ] {
            let refused = issuer.issue_checked(&asked, &policy, now).unwrap_err();
            assert!(refused.contains(says), "{refused}");
        }
        // A hub allowing one day: issue-token follows its configuration.
        let short = TokenPolicy {
            max_lifetime_secs: 86_400,
            ..TokenPolicy::default()
        };
        let two_days = request(Role::Auditor, "鄂0116", "", 2);
        assert!(issuer.issue_checked(&two_days, &short, now).is_err());
    }
}
