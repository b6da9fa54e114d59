//! The hub's configuration file (TOML): server, cache and retry settings and the list of
//! sources. Parsing and validation only; building connectors is the registry's job.
//! `auth`: who may call and the keys the hub trusts and signs with (`[auth]`, `[trust]`);
//! `console`: the enforcement console `assethub serve` runs beside the hub (`[console]`).

use assethub_connectors::domain::SourceId;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

mod auth;
mod console;
mod kinds;
mod sweeps;
pub use auth::{ApprovalRule, AuthConfig, IssuerConfig, TrustConfig};
pub use auth::{DEMO_AUDIT_KEY_SHA256, DEMO_CHECKPOINT_PUBLIC_KEY, DEMO_INSTRUCTION_PUBLIC_KEY};
pub use console::ConsoleSection;
pub use kinds::{KindConfig, LegacyMaxDays};
pub use sweeps::SweepsConfig;

/// The example configuration file (`hub/config/example.toml`) for the hub's own tests, with
/// their fixed keys; `assethub-demo` embeds the file with the demo's keys.
#[cfg(test)]
pub(crate) fn test_example() -> HubConfig {
    HubConfig::from_toml_with(include_str!("../config/example.toml"), |config| {
        config.trust = auth::test_trust();
    })
    .unwrap_or_else(|e| panic!("the example configuration: {e}"))
}

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
    #[serde(default)]
    pub sweeps: SweepsConfig,
    #[serde(default)]
    pub notices: NoticesConfig,
    #[serde(default)]
    pub console: ConsoleSection,
    pub sources: Vec<SourceConfig>,
}

/// `[notices]`: assistance notices (PDF) for off-line agencies.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticesConfig {
    /// A TrueType/OpenType font (or collection) with Chinese glyphs; unset: Debian's
    /// fonts-wqy-microhei or fonts-noto-cjk at their usual paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font: Option<std::path::PathBuf>,
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

/// `[metrics]`, owned by the metrics endpoint (a sink below the configuration).
pub use crate::metrics::MetricsConfig;

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
    /// The kinds of asset and their rules (`[control.kinds.<kind>]`), merged over the four
    /// built-in kinds: see [`ControlConfig::kinds`].
    pub kinds: std::collections::BTreeMap<String, KindConfig>,
    /// The older policy table (`[control.max_days]`: funds, vehicles, real_estate), mapped onto
    /// the kinds; `[control.kinds]` wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_days: Option<LegacyMaxDays>,
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

impl ControlConfig {
    /// The kinds this configuration knows, with their rules (registering every configured
    /// name). Sources may add kinds their connectors describe (the configuration wins).
    pub fn kinds(&self) -> Result<assethub_connectors::domain::Kinds, String> {
        kinds::kinds_of(&self.kinds, self.max_days.as_ref())
    }
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            kinds: Default::default(),
            max_days: None,
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
    /// The answers' total approximate size in bytes (see `cache::approx_bytes`): what holds
    /// the hub's memory flat however many debtors a sweep or a batch asks about.
    pub max_bytes: u64,
    pub default_ttl_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_entries: 200_000,
            max_bytes: crate::cache::DEFAULT_MAX_BYTES,
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
    /// The agency answers inquiries later (a ticket now, the answer in minutes or hours):
    /// each inquiry is recorded before it is sent and followed until answered or expired.
    /// A source not so configured that answers with a ticket is followed too, recorded when
    /// the ticket arrives.
    #[serde(default)]
    pub asynchronous: bool,
    /// How long an inquiry to this source may stay unanswered before it is reported expired
    /// (seconds; default one day).
    #[serde(default = "default_inquiry_expiry_secs")]
    pub inquiry_expiry_secs: u64,
    #[serde(flatten)]
    pub settings: toml::Table,
}

fn default_inquiry_expiry_secs() -> u64 {
    DEFAULT_INQUIRY_EXPIRY_SECS
}

/// How long an inquiry may stay unanswered, unless the source says otherwise: one day.
pub const DEFAULT_INQUIRY_EXPIRY_SECS: u64 = 24 * 3600;
/// The longest an inquiry may be configured to stay unanswered: 30 days.
pub const MAX_INQUIRY_EXPIRY_SECS: u64 = 30 * 24 * 3600;

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

    /// Parses `text`, lets `fill` complete it (e.g. the demo's keys into a file that leaves
    /// them empty), then validates.
    pub fn from_toml_with(text: &str, fill: impl FnOnce(&mut Self)) -> Result<Self, ConfigError> {
        let mut config: Self =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        fill(&mut config);
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        if self.sources.is_empty() {
            return invalid("at least one [[sources]] entry is needed".into());
        }
        if let Some(problem) = self.console.problem(self.server.tls.is_some()) {
            return invalid(problem);
        }
        if self.cache.max_entries == 0 || self.cache.max_bytes < 1024 * 1024 {
            return invalid(
                "[cache] max_entries must be > 0 and max_bytes at least 1048576".into(),
            );
        }
        let mut seen = HashSet::new();
        for source in &self.sources {
            if !seen.insert(source.id.as_str()) {
                return invalid(format!("source id {:?} appears twice", source.id.as_str()));
            }
            if source.max_concurrency == 0 {
                return invalid(format!("source {}: max_concurrency must be > 0", source.id));
            }
            if !(60..=MAX_INQUIRY_EXPIRY_SECS).contains(&source.inquiry_expiry_secs) {
                return invalid(format!(
                    "source {}: inquiry_expiry_secs must be 60 to {MAX_INQUIRY_EXPIRY_SECS} (30 days)",
                    source.id
                ));
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
        if let Some(problem) = self.sweeps.problem() {
            return invalid(problem);
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
        self.trust.check()?;
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
        c.kinds().map_err(ConfigError::Invalid)?;
        // The exchange rates are checked where the orders read them (`serve` refuses to start
        // with a bad one): the money rules are `orders`', above the configuration.
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
        found.extend(self.trust.demo_keys());
        found
    }

    pub fn ttl_for(&self, source: &SourceConfig) -> Duration {
        Duration::from_secs(source.cache_ttl_secs.unwrap_or(self.cache.default_ttl_secs))
    }
}

#[cfg(test)]
mod tests;
