//! `[auth]` and `[trust]`: the token issuers the hub trusts and what their tokens must satisfy,
//! per-caller and per-address limits, four-eyes rules, and the keys the hub signs with.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Who may call: trusted token issuers, what their tokens must satisfy, per-caller limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Issuers whose bearer tokens (JWTs) the hub accepts. None: every call is refused.
    pub issuers: Vec<IssuerConfig>,
    /// The `aud` every token must name.
    pub audience: String,
    /// Longest token lifetime accepted (`exp - iat`), seconds.
    pub max_token_lifetime_secs: i64,
    /// Clock difference tolerated between issuers and the hub, seconds.
    pub clock_skew_secs: i64,
    /// How often revocations written by other hubs sharing the ledger are read (this hub's own
    /// apply at once): the longest a token revoked elsewhere keeps working here.
    pub revocation_poll_ms: u64,
    /// Sustained requests per second per caller (0: unlimited) and the burst allowed, for all
    /// the hubs sharing a ledger together.
    pub requests_per_sec: u32,
    pub burst: u32,
    /// Refused calls (no or a bad token, over the rate or the stream cap) per second per peer
    /// address, and the burst allowed; beyond it every call from that address is refused up
    /// front with RESOURCE_EXHAUSTED until its budget refills (0: no limit).
    pub refusals_per_sec_per_peer: u32,
    pub refusal_burst_per_peer: u32,
    /// Such refusals are audited one by one only for the first of each peer address in each
    /// window of this many seconds; the rest become one aggregated entry per peer and window.
    pub refusal_audit_window_secs: u64,
    /// Four-eyes rules per court: which control orders wait for a supervisor's approval.
    pub approval: Vec<ApprovalRule>,
}

/// A court's four-eyes rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    pub court: String,
    /// Freezes and deductions above this many fen wait for approval (0: none by amount).
    #[serde(default)]
    pub above_fen: i64,
    /// Every seal waits for approval.
    #[serde(default)]
    pub seals: bool,
    /// Written answers of off-line agencies take effect only when a second officer (a
    /// supervisor, not the one who recorded it) records the same answer.
    #[serde(default)]
    pub written_answers: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        let policy = crate::auth::TokenPolicy::default();
        Self {
            approval: Vec::new(),
            issuers: Vec::new(),
            audience: policy.audience,
            max_token_lifetime_secs: policy.max_lifetime_secs,
            clock_skew_secs: policy.skew_secs,
            revocation_poll_ms: 5_000,
            requests_per_sec: 500,
            burst: 1_000,
            refusals_per_sec_per_peer: 50,
            refusal_burst_per_peer: 500,
            refusal_audit_window_secs: 60,
        }
    }
}

/// A trusted token issuer: its `iss`, its keys (a JWKS, inline or in a file) and how its
/// claims map to court, role and officer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The issuer's `iss` claim, exactly.
    pub name: String,
    /// A JWKS file (`{"keys": [...]}`), as the identity provider publishes at its jwks_uri ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// ... or the JWKS document itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// Courts this issuer may speak for (empty: any); with one, tokens need no court claim.
    #[serde(default)]
    pub courts: Vec<String>,
    /// Which claims hold the subject, court, role and officer.
    #[serde(default)]
    pub claims: crate::auth::ClaimNames,
    /// The provider's role names and the hub role each means (empty: the hub's own names).
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, crate::auth::Role>,
}

impl IssuerConfig {
    fn trusted(&self) -> Result<crate::auth::TrustedIssuer, String> {
        let jwks = match (&self.jwks, &self.jwks_file) {
            (Some(text), None) => text.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| format!("jwks_file {}: {e}", path.display()))?,
            _ => return Err("give exactly one of jwks and jwks_file".into()),
        };
        if let Some(court) = self
            .courts
            .iter()
            .find(|c| !assethub_connectors::domain::is_court_code(c))
        {
            return Err(format!("courts: {court:?} is not a court code"));
        }
        Ok(crate::auth::TrustedIssuer {
            name: self.name.clone(),
            keys: crate::auth::jwks::Jwks::parse(&jwks)?,
            mapping: crate::auth::ClaimMapping {
                names: self.claims.clone(),
                roles: self.roles.clone(),
                courts: self.courts.clone(),
            },
        })
    }
}

impl AuthConfig {
    pub fn policy(&self) -> crate::auth::TokenPolicy {
        crate::auth::TokenPolicy {
            audience: self.audience.clone(),
            max_lifetime_secs: self.max_token_lifetime_secs,
            skew_secs: self.clock_skew_secs,
        }
    }

    pub fn verifier(&self) -> Result<crate::auth::TokenVerifier, ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        if self.audience.trim().is_empty() {
            return invalid("auth.audience must name the hub".into());
        }
        if self.max_token_lifetime_secs <= 0 || !(0..=3_600).contains(&self.clock_skew_secs) {
            return invalid(
                "auth.max_token_lifetime_secs must be > 0 and clock_skew_secs in 0..=3600".into(),
            );
        }
        if !(1..=60_000).contains(&self.revocation_poll_ms) {
            return invalid("auth.revocation_poll_ms must be in 1..=60000".into());
        }
        let mut names = HashSet::new();
        let mut verifier = crate::auth::TokenVerifier::new(self.policy());
        for issuer in &self.issuers {
            if issuer.name.is_empty() || !names.insert(issuer.name.as_str()) {
                return invalid(format!(
                    "auth.issuers: name {:?} is empty or appears twice",
                    issuer.name
                ));
            }
            let trusted = issuer
                .trusted()
                .map_err(|e| ConfigError::Invalid(format!("auth.issuers {}: {e}", issuer.name)))?;
            verifier = verifier.trust(trusted);
        }
        Ok(verifier)
    }
}

/// Keys the hub proves itself with. None has a default: an empty seed or audit key is refused
/// at start (`assethub keygen` prints a fresh seed). The demo fills them with its PUBLIC keys
/// (`assethub_mocks::demo_keys`), which the hub recognises by their public halves below and
/// refuses beyond loopback.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustConfig {
    /// Id of the instruction-signing key, as agencies know it.
    pub instruction_key_id: String,
    /// Base64 32-byte Ed25519 seed of the key that signs every control instruction.
    pub instruction_key_seed: String,
    /// Secret for the audit log's keyed debtor references (so the log never holds an identity
    /// number, yet one debtor's entries can be found).
    pub audit_key: String,
    /// Id of the key that signs the audit log's checkpoints, as auditors know it.
    pub audit_checkpoint_key_id: String,
    /// Base64 32-byte Ed25519 seed of the checkpoint key (never in the database).
    pub audit_checkpoint_key_seed: String,
}

/// Public key (base64) of the demo instruction key: a hub signing with it is the demo's.
pub const DEMO_INSTRUCTION_PUBLIC_KEY: &str = "fRMhVfSBTleCMgCvXyXHLDv4PT+lofwK2tuhWFlBW8M=";
/// Public key (base64) of the demo audit checkpoint key.
pub const DEMO_CHECKPOINT_PUBLIC_KEY: &str = "V7m2dw/pepweM2oshpFBN3IJrJuqQsaXPmAdm6oTc8Q=";
/// SHA-256 (hex) of the demo audit key: the hub recognises the key without holding it.
pub const DEMO_AUDIT_KEY_SHA256: &str =
    "af9e1c13361acd03754d5e6a0c31a290194e36bbe9a5ca28f6b7733dd3da5a1c";

impl Default for TrustConfig {
    fn default() -> Self {
        Self {
            instruction_key_id: "key-1".into(),
            instruction_key_seed: String::new(),
            audit_key: String::new(),
            audit_checkpoint_key_id: "audit-1".into(),
            audit_checkpoint_key_seed: String::new(),
        }
    }
}

impl std::fmt::Debug for TrustConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustConfig")
            .field("instruction_key_id", &self.instruction_key_id)
            .field("instruction_key_seed", &"<redacted>")
            .field("audit_key", &"<redacted>")
            .field("audit_checkpoint_key_id", &self.audit_checkpoint_key_id)
            .field("audit_checkpoint_key_seed", &"<redacted>")
            .finish()
    }
}

/// What to say about an empty key field.
fn missing(field: &str, what: &str) -> ConfigError {
    ConfigError::Invalid(format!(
        "trust.{field} is empty: set {what} (`assethub keygen` prints a fresh seed; \
         keep it secret, out of version control)"
    ))
}

impl TrustConfig {
    /// Checks every key is set and well formed.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.signer()?;
        self.checkpoint_key()?;
        if self.audit_key.trim().is_empty() {
            return Err(missing(
                "audit_key",
                "a secret of at least 32 random bytes, e.g. a base64 seed",
            ));
        }
        Ok(())
    }

    /// The audit key's bytes (validation refuses an empty one).
    pub fn audit_key(&self) -> Vec<u8> {
        self.audit_key.as_bytes().to_vec()
    }

    /// The key that signs the audit log's checkpoints.
    pub fn checkpoint_key(&self) -> Result<crate::audit::CheckpointKey, ConfigError> {
        use crate::audit::CheckpointKey;
        let invalid = |field: &str, e: String| ConfigError::Invalid(format!("trust.{field}: {e}"));
        crate::audit::check_key_id(&self.audit_checkpoint_key_id)
            .map_err(|e| invalid("audit_checkpoint_key_id", e))?;
        if self.audit_checkpoint_key_seed.trim().is_empty() {
            return Err(missing(
                "audit_checkpoint_key_seed",
                "a base64 32-byte Ed25519 seed",
            ));
        }
        CheckpointKey::from_seed(
            &self.audit_checkpoint_key_id,
            &self.audit_checkpoint_key_seed,
        )
        .map_err(|e| invalid("audit_checkpoint_key_seed", e))
    }

    /// The instruction signer this configuration names.
    pub fn signer(&self) -> Result<assethub_connectors::signature::InstructionSigner, ConfigError> {
        use assethub_connectors::signature::InstructionSigner;
        if self.instruction_key_seed.trim().is_empty() {
            return Err(missing(
                "instruction_key_seed",
                "a base64 32-byte Ed25519 seed",
            ));
        }
        InstructionSigner::from_seed(&self.instruction_key_id, &self.instruction_key_seed)
            .map_err(|e| ConfigError::Invalid(format!("trust.instruction_key_seed: {e}")))
    }

    /// The PUBLIC demo keys among these (compared by their public halves, so the hub holds
    /// no demo secret), each named with its field.
    pub fn demo_keys(&self) -> Vec<String> {
        use sha2::{Digest, Sha256};
        let mut found = Vec::new();
        if self.signer().map(|s| s.public_key()).ok().as_deref()
            == Some(DEMO_INSTRUCTION_PUBLIC_KEY)
        {
            found.push("trust.instruction_key_seed (the demo instruction key)".into());
        }
        if self
            .checkpoint_key()
            .map(|k| k.public_key())
            .ok()
            .as_deref()
            == Some(DEMO_CHECKPOINT_PUBLIC_KEY)
        {
            found.push("trust.audit_checkpoint_key_seed (the demo checkpoint key)".into());
        }
        if hex::encode(Sha256::digest(self.audit_key.as_bytes())) == DEMO_AUDIT_KEY_SHA256 {
            found.push("trust.audit_key (the demo audit key)".into());
        }
        found
    }
}

/// Fixed keys for the hub's own unit tests (not the demo's), as a `[trust]` table.
#[cfg(test)]
pub(crate) const TEST_TRUST: &str = "[trust]
instruction_key_id = 'test-1'
instruction_key_seed = 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE='
audit_key = 'a test audit key, not the demo one'
audit_checkpoint_key_id = 'audit-test-1'
audit_checkpoint_key_seed = 'AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI='
";

/// [`TEST_TRUST`] as a value.
#[cfg(test)]
pub(crate) fn test_trust() -> TrustConfig {
    #[derive(Deserialize)]
    struct File {
        trust: TrustConfig,
    }
    toml::from_str::<File>(TEST_TRUST)
        .expect("the test keys parse")
        .trust
}
