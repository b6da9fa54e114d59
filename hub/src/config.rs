//! The hub's configuration file (TOML): server, cache and retry settings and the list of
//! sources. Parsing and validation only; building connectors is the registry's job.

use assethub_connectors::domain::SourceId;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The configuration `assethub demo` uses, matching `mock-agencies` on its default ports.
pub const EXAMPLE_CONFIG: &str = include_str!("../config/example.toml");

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub ledger: LedgerConfig,
    #[serde(default)]
    pub control: ControlConfig,
    #[serde(default)]
    pub trust: TrustConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default)]
    pub audit: AuditConfig,
    pub sources: Vec<SourceConfig>,
}

/// The audit log's signed checkpoints (the key is under `[trust]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Where signed checkpoints are appended, one JSON line each, outside the database
    /// (created with mode 0600, its directory too).
    pub checkpoint_file: std::path::PathBuf,
    /// Sign a checkpoint this often when the log grew (0: only on demand).
    pub checkpoint_interval_secs: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            checkpoint_file: "data/audit-checkpoints.jsonl".into(),
            checkpoint_interval_secs: 60,
        }
    }
}

/// The Prometheus metrics endpoint (`GET /metrics`, plain HTTP; the series hold no personal
/// data, so a listener off loopback is allowed with a warning).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// Port 0: any free port (tests).
    pub listen: SocketAddr,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
        }
    }
}

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
    /// Sustained requests per second per caller (0: unlimited) and the burst allowed.
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

/// Keys the hub proves itself with.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustConfig {
    /// Id of the instruction-signing key, as agencies know it.
    pub instruction_key_id: String,
    /// Base64 32-byte Ed25519 seed of the key that signs every control instruction; empty
    /// uses the public demo key (never in production).
    pub instruction_key_seed: String,
    /// Secret for the audit log's keyed debtor references (so the log never holds an identity
    /// number, yet one debtor's entries can be found); empty uses a public demo key.
    pub audit_key: String,
    /// Id of the key that signs the audit log's checkpoints, as auditors know it.
    pub audit_checkpoint_key_id: String,
    /// Base64 32-byte Ed25519 seed of the checkpoint key (never in the database); empty uses
    /// a public demo key, with which anyone can forge checkpoints.
    pub audit_checkpoint_key_seed: String,
}

impl Default for TrustConfig {
    fn default() -> Self {
        Self {
            instruction_key_id: "demo-1".into(),
            instruction_key_seed: String::new(),
            audit_key: String::new(),
            audit_checkpoint_key_id: "audit-demo-1".into(),
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

impl TrustConfig {
    /// The audit key's bytes (the demo key when none is configured).
    pub fn audit_key(&self) -> Vec<u8> {
        if self.audit_key.is_empty() {
            b"assethub demo audit key".to_vec()
        } else {
            self.audit_key.as_bytes().to_vec()
        }
    }

    /// The key that signs the audit log's checkpoints (the public demo key when no seed is
    /// configured).
    pub fn checkpoint_key(&self) -> Result<crate::audit::CheckpointKey, ConfigError> {
        use crate::audit::CheckpointKey;
        let invalid = |field: &str, e: String| ConfigError::Invalid(format!("trust.{field}: {e}"));
        crate::audit::check_key_id(&self.audit_checkpoint_key_id)
            .map_err(|e| invalid("audit_checkpoint_key_id", e))?;
        if self.audit_checkpoint_key_seed.is_empty() {
            return Ok(CheckpointKey::demo(&self.audit_checkpoint_key_id));
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
        if self.instruction_key_seed.is_empty() {
            return Ok(InstructionSigner::demo());
        }
        InstructionSigner::from_seed(&self.instruction_key_id, &self.instruction_key_seed)
            .map_err(|e| ConfigError::Invalid(format!("trust.instruction_key_seed: {e}")))
    }
}

/// The listener's certificate and, optionally, the CA whose client certificates it accepts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain and private key of the hub.
    pub cert_file: std::path::PathBuf,
    pub key_file: std::path::PathBuf,
    /// PEM CA certificates for client certificates (mutual TLS).
    #[serde(default)]
    pub client_ca_file: Option<std::path::PathBuf>,
    /// With a client CA: refuse connections without a client certificate.
    #[serde(default)]
    pub require_client_cert: bool,
}

/// Where control orders are recorded.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// `sqlite://<file>` (created with its directory) or `postgres://...` when several hubs
    /// share one ledger.
    pub url: String,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/assethub-ledger.db".into(),
        }
    }
}

/// Legal maximum hold periods in days (the policy table of DOMAIN rule 1).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaxDays {
    /// Deposits and payment balances.
    pub funds: u32,
    pub vehicles: u32,
    pub real_estate: u32,
}

impl Default for MaxDays {
    fn default() -> Self {
        Self {
            funds: 365,
            vehicles: 730,
            real_estate: 1095,
        }
    }
}

/// An exchange rate the court fixed: yuan per one unit of the currency (a decimal string, up
/// to 6 places) and the date it was fixed (`[control.exchange_rates.USD]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    pub cny_per_unit: String,
    pub date: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    pub max_days: MaxDays,
    /// Rates at which foreign-currency holdings count toward a case's claim (none: they are
    /// left out of one-click freezes, and a freeze on one is refused).
    pub exchange_rates: std::collections::BTreeMap<String, RateConfig>,
    /// How often the hub follows up orders the agency has not decided, queued holds, expiry
    /// and vehicle sightings.
    pub follow_up_ms: u64,
    /// Agency call timeout for one control instruction.
    pub call_timeout_ms: u64,
    /// How often holds in force are compared with the agencies' registers, and how many per
    /// round (a page; the next round goes on from there).
    pub reconcile_ms: u64,
    pub reconcile_batch: u32,
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            max_days: MaxDays::default(),
            exchange_rates: Default::default(),
            follow_up_ms: 2_000,
            call_timeout_ms: 10_000,
            reconcile_ms: 300_000,
            reconcile_batch: 200,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// TLS for the listener; without it the hub serves plaintext on loopback only.
    pub tls: Option<TlsConfig>,
    pub default_deadline_ms: u64,
    pub max_deadline_ms: u64,
    pub batch_concurrency: usize,
    pub max_batch_items: usize,
    /// Streams (WatchEvents, StreamQuery, BatchQuery) one caller may have open at once; one
    /// more is refused with RESOURCE_EXHAUSTED.
    pub max_streams_per_caller: u32,
    /// Calls one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    pub max_calls_per_connection: u32,
    /// A new connection that has not started a call within this many seconds is closed (a
    /// peer that connects and sends no request headers).
    pub header_read_timeout_secs: u64,
    /// A connection with no call open for this many seconds is closed (0: never).
    pub idle_timeout_secs: u64,
    /// The hub pings each connection this often (HTTP/2 PING) and closes it when the answer
    /// takes longer than `keepalive_timeout_secs`: a half-open connection is found and closed.
    pub keepalive_interval_secs: u64,
    pub keepalive_timeout_secs: u64,
    /// TCP keepalive probes on accepted connections after this many idle seconds (0: off).
    pub tcp_keepalive_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            tls: None,
            default_deadline_ms: 5_000,
            max_deadline_ms: 60_000,
            batch_concurrency: 16,
            max_batch_items: 10_000,
            max_streams_per_caller: 16,
            max_calls_per_connection: 200,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 300,
            keepalive_interval_secs: 30,
            keepalive_timeout_secs: 20,
            tcp_keepalive_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    pub max_entries: u64,
    pub default_ttl_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_entries: 200_000,
            default_ttl_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    pub max_attempts: usize,
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Retry budget per source: retries allowed per first attempt (0.2: at most ~20 % more
    /// calls during an outage; below 0: no budget), ...
    pub budget_ratio: f64,
    /// ... plus this many retries per second whatever the traffic, ...
    pub budget_min_per_sec: f64,
    /// ... saved up to at most this many.
    pub budget_max_saved: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            min_delay_ms: 50,
            max_delay_ms: 2_000,
            budget_ratio: 0.2,
            budget_min_per_sec: 5.0,
            budget_max_saved: 50.0,
        }
    }
}

/// One source: the hub's own keys, and everything else handed to the connector untouched.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SourceConfig {
    pub id: SourceId,
    #[serde(rename = "type")]
    pub connector_type: String,
    pub cache_ttl_secs: Option<u64>,
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// Consecutive failed agency calls (connect errors, timeouts, 5xx, 429) that open the
    /// source's circuit breaker (0: never), and how long it stays open before one probe.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    #[serde(default = "default_breaker_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
    /// The agency's quota: calls per second sustained (0: unlimited) and at once.
    #[serde(default)]
    pub rate_limit_per_sec: u32,
    #[serde(default = "default_rate_limit_burst")]
    pub rate_limit_burst: u32,
    /// What the hub may ask of the source, within what its connector declares (default: all
    /// of that): e.g. `["query"]` for a bank connected for inquiries only. Instructions the
    /// source does not offer are refused before anything is recorded.
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    #[serde(flatten)]
    pub settings: toml::Table,
}

fn default_max_concurrency() -> u32 {
    16
}

fn default_rate_limit_burst() -> u32 {
    1
}

fn default_breaker_failures() -> u32 {
    5
}

fn default_breaker_cooldown_ms() -> u64 {
    10_000
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Parse(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl HubConfig {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }

    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The embedded example configuration.
    pub fn example() -> Self {
        Self::from_toml(EXAMPLE_CONFIG).unwrap_or_else(|e| panic!("embedded config: {e}"))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        if self.sources.is_empty() {
            return invalid("at least one [[sources]] entry is needed".into());
        }
        let mut seen = HashSet::new();
        for source in &self.sources {
            if !seen.insert(source.id.as_str()) {
                return invalid(format!("source id {:?} appears twice", source.id.as_str()));
            }
            if source.max_concurrency == 0 {
                return invalid(format!("source {}: max_concurrency must be > 0", source.id));
            }
            if source
                .capabilities
                .as_ref()
                .is_some_and(|words| !words.iter().any(|w| w == "query"))
            {
                return invalid(format!(
                    "source {}: capabilities must include \"query\" (holds are placed only on assets a search reports)",
                    source.id
                ));
            }
            for word in source.capabilities.iter().flatten() {
                if assethub_connectors::Capability::parse(word).is_none() {
                    return invalid(format!(
                        "source {}: unknown capability {word:?} (query, freeze, seal, release, deduct, renew, watch)",
                        source.id
                    ));
                }
            }
        }
        let s = &self.server;
        if s.default_deadline_ms == 0 || s.default_deadline_ms > s.max_deadline_ms {
            return invalid("server.default_deadline_ms must be in 1..=max_deadline_ms".into());
        }
        if s.batch_concurrency == 0 || s.max_batch_items == 0 {
            return invalid("server.batch_concurrency and max_batch_items must be > 0".into());
        }
        if s.max_streams_per_caller == 0 || s.max_calls_per_connection == 0 {
            return invalid(
                "server.max_streams_per_caller and max_calls_per_connection must be > 0".into(),
            );
        }
        if s.header_read_timeout_secs == 0
            || s.keepalive_interval_secs == 0
            || s.keepalive_timeout_secs == 0
        {
            return invalid(
                "server.header_read_timeout_secs, keepalive_interval_secs and keepalive_timeout_secs must be > 0"
                    .into(),
            );
        }
        if self.auth.refusal_audit_window_secs == 0 {
            return invalid("auth.refusal_audit_window_secs must be > 0".into());
        }
        self.trust.signer()?;
        self.trust.checkpoint_key()?;
        self.auth.verifier()?;
        if self.audit.checkpoint_file.as_os_str().is_empty() {
            return invalid("audit.checkpoint_file must name a file".into());
        }
        let c = &self.control;
        if c.follow_up_ms == 0 || c.call_timeout_ms == 0 || c.reconcile_ms == 0 {
            return invalid(
                "control.follow_up_ms, call_timeout_ms and reconcile_ms must be > 0".into(),
            );
        }
        if c.reconcile_batch == 0 {
            return invalid("control.reconcile_batch must be > 0".into());
        }
        if [
            c.max_days.funds,
            c.max_days.vehicles,
            c.max_days.real_estate,
        ]
        .contains(&0)
        {
            return invalid("control.max_days entries must be > 0".into());
        }
        crate::orders::currency::ExchangeRates::from_config(&c.exchange_rates)
            .map_err(ConfigError::Invalid)?;
        if self.retry.max_attempts == 0 || self.retry.min_delay_ms > self.retry.max_delay_ms {
            return invalid(
                "retry.max_attempts must be > 0 and min_delay_ms <= max_delay_ms".into(),
            );
        }
        Ok(())
    }

    /// The PUBLIC demo keys this configuration trusts or signs with: anyone can mint tokens,
    /// sign instructions or forge checkpoints with them, so a hub serving beyond loopback
    /// refuses to start with any (and warns on loopback).
    pub fn demo_keys(&self) -> Vec<String> {
        use assethub_connectors::signature::InstructionSigner;
        let mut found: Vec<String> = self
            .auth
            .verifier()
            .map(|v| {
                v.issuers_with_ed25519(crate::auth::issue::DEMO_ISSUER_X)
                    .into_iter()
                    .map(|name| format!("auth.issuers {name} (the demo token issuer's key)"))
                    .collect()
            })
            .unwrap_or_default();
        let demo_signer = InstructionSigner::demo().public_key();
        if self.trust.signer().map(|s| s.public_key()).ok() == Some(demo_signer) {
            found.push("trust.instruction_key_seed (the demo instruction key)".into());
        }
        let demo_checkpoints =
            crate::audit::CheckpointKey::demo(&self.trust.audit_checkpoint_key_id).public_key();
        if self.trust.checkpoint_key().map(|k| k.public_key()).ok() == Some(demo_checkpoints) {
            found.push("trust.audit_checkpoint_key_seed (the demo checkpoint key)".into());
        }
        if self.trust.audit_key.is_empty() {
            found.push("trust.audit_key (the demo audit key)".into());
        }
        found
    }

    pub fn ttl_for(&self, source: &SourceConfig) -> Duration {
        Duration::from_secs(source.cache_ttl_secs.unwrap_or(self.cache.default_ttl_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_with_every_family() {
        let config = HubConfig::example();
        assert_eq!(config.sources.len(), 6);
        let bank = &config.sources[0];
        assert_eq!(bank.connector_type, "bank");
        assert_eq!(config.ttl_for(bank), Duration::from_secs(60));
        // Hub keys are taken out; connector keys stay for the connector.
        assert!(bank.settings.contains_key("api_key"));
        assert!(!bank.settings.contains_key("cache_ttl_secs"));
        assert!(!bank.settings.contains_key("id"));
    }

    #[test]
    fn a_written_config_reads_back_the_same() {
        let mut config = HubConfig::example();
        // Values away from the defaults, so a field that is written but not read back shows.
        config.server.tls = Some(TlsConfig {
            cert_file: "/etc/assethub/hub.pem".into(),
            key_file: "/etc/assethub/hub.key".into(),
            client_ca_file: Some("/etc/assethub/ca.pem".into()),
            require_client_cert: true,
        });
        config.auth.approval.push(ApprovalRule {
            court: "鄂0116".into(),
            above_fen: 1_000_000,
            seals: true,
        });
        config.control.max_days.vehicles = 100;
        config.audit.checkpoint_file = "/var/lib/assethub/checkpoints.jsonl".into();
        config.audit.checkpoint_interval_secs = 0;
        config.trust.audit_checkpoint_key_id = "audit-2026".into();
        config.sources[0].cache_ttl_secs = None;
        config.sources[1].breaker_failures = 0;
        let text = toml::to_string(&config).expect("the configuration serializes");
        let back = HubConfig::from_toml(&text).expect("the written configuration parses");
        let value = |c: &HubConfig| toml::Value::try_from(c).expect("serializes");
        assert_eq!(value(&back), value(&config));
        assert_eq!(back.control.max_days.vehicles, 100);
        assert_eq!(back.sources[0].cache_ttl_secs, None);
        assert_eq!(back.sources[1].breaker_failures, 0);
        assert_eq!(
            back.sources[2].settings["base_url"].as_str(),
            Some("http://127.0.0.1:18083")
        );
        assert!(back.server.tls.is_some_and(|t| t.require_client_cert));
        assert_eq!(back.audit.checkpoint_interval_secs, 0);
        assert_eq!(back.trust.audit_checkpoint_key_id, "audit-2026");
    }

    #[test]
    fn the_audit_section_has_defaults_and_checks_the_checkpoint_key() {
        const SEED: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
        let minimal = "[[sources]]\nid='a'\ntype='bank'\n";
        let config = HubConfig::from_toml(minimal).expect("parses");
        assert_eq!(
            config.audit.checkpoint_file,
            std::path::Path::new("data/audit-checkpoints.jsonl")
        );
        assert_eq!(config.audit.checkpoint_interval_secs, 60);
        let demo = config.trust.checkpoint_key().expect("the demo key");
        assert_eq!(demo.key_id(), "audit-demo-1");
        let typo = format!("[audit]\ncheckpoint_every = 5\n{minimal}");
        assert!(matches!(
            HubConfig::from_toml(&typo),
            Err(ConfigError::Parse(_))
        ));
        let short_seed = format!("[trust]\naudit_checkpoint_key_seed = 'AAAA'\n{minimal}");
        assert!(matches!(
            HubConfig::from_toml(&short_seed),
            Err(ConfigError::Invalid(m)) if m.contains("audit_checkpoint_key_seed")
        ));
        let seeded = format!(
            "[trust]\naudit_checkpoint_key_id = 'cp-1'\naudit_checkpoint_key_seed = '{SEED}'\n{minimal}"
        );
        let config = HubConfig::from_toml(&seeded).expect("a 32-byte seed");
        let key = config.trust.checkpoint_key().unwrap();
        assert_eq!(key.key_id(), "cp-1");
        assert_ne!(key.public_key(), demo.public_key());
        assert!(!format!("{:?}", config.trust).contains(SEED));
    }

    #[test]
    fn rejects_duplicates_and_typos() {
        let dup = "[[sources]]\nid='a'\ntype='bank'\n[[sources]]\nid='a'\ntype='bank'\n";
        assert!(matches!(
            HubConfig::from_toml(dup),
            Err(ConfigError::Invalid(_))
        ));
        let typo = "[server]\nlisten='127.0.0.1:1'\ndefault_deadline='x'\n[[sources]]\nid='a'\ntype='bank'\n";
        assert!(matches!(
            HubConfig::from_toml(typo),
            Err(ConfigError::Parse(_))
        ));
        let bad_id = "[[sources]]\nid='Bank A'\ntype='bank'\n";
        assert!(matches!(
            HubConfig::from_toml(bad_id),
            Err(ConfigError::Parse(_))
        ));
    }

    #[test]
    fn abuse_limits_have_defaults_and_zero_is_refused_where_it_means_nothing() {
        let source = "[[sources]]\nid='a'\ntype='bank'\n";
        let config = HubConfig::from_toml(source).unwrap();
        assert_eq!(config.server.max_streams_per_caller, 16);
        assert_eq!(config.server.header_read_timeout_secs, 10);
        assert_eq!(config.server.idle_timeout_secs, 300);
        assert_eq!(config.auth.refusal_audit_window_secs, 60);
        for (section, key) in [
            ("server", "max_streams_per_caller"),
            ("server", "max_calls_per_connection"),
            ("server", "header_read_timeout_secs"),
            ("server", "keepalive_interval_secs"),
            ("server", "keepalive_timeout_secs"),
            ("auth", "refusal_audit_window_secs"),
        ] {
            let text = format!("[{section}]\n{key} = 0\n{source}");
            match HubConfig::from_toml(&text) {
                Err(ConfigError::Invalid(message)) => assert!(message.contains(key), "{message}"),
                other => panic!("{section}.{key} = 0: {other:?}"),
            }
        }
        for (section, key) in [
            ("server", "idle_timeout_secs"),
            ("server", "tcp_keepalive_secs"),
            ("auth", "refusals_per_sec_per_peer"),
        ] {
            let text = format!("[{section}]\n{key} = 0\n{source}");
            assert!(
                HubConfig::from_toml(&text).is_ok(),
                "{section}.{key} = 0 turns it off"
            );
        }
    }

    #[test]
    fn capabilities_narrow_a_source_only_with_known_words_and_always_with_query() {
        let source =
            |words: &str| format!("[[sources]]\nid='a'\ntype='bank'\ncapabilities={words}\n");
        let narrowed = HubConfig::from_toml(&source("['query', 'freeze']")).unwrap();
        let words = narrowed.sources[0].capabilities.clone();
        assert_eq!(words, Some(vec!["query".to_string(), "freeze".to_string()]));
        for (words, says) in [
            ("['query', 'thaw']", "unknown capability \"thaw\""),
            ("['freeze']", "must include \"query\""),
        ] {
            match HubConfig::from_toml(&source(words)) {
                Err(ConfigError::Invalid(why)) => assert!(why.contains(says), "{why}"),
                other => panic!("{words}: {other:?}"),
            }
        }
    }
}
