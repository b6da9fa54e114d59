//! The connector registry: every configured source, built once from the configuration through
//! `assethub_connectors::build`, with the hub-side settings that wrap it: cache TTL and the
//! protection layers of [`crate::guard`] (breaker, concurrency limit, rate gate, retry budget)
//! and what the hub may ask of it (its capabilities, narrowed by configuration). It also holds
//! the kinds table every source's kind is judged by: the configured kinds plus those the
//! connectors describe (configuration wins); a source of a kind nobody describes does not start.

use crate::breaker::Breaker;
use crate::config::{HubConfig, RetryConfig};
use crate::guard::{RateGate, RetryBudget};
use assethub_connectors::domain::{AssetKind, Kinds};
use assethub_connectors::{Capability, ConfigError, Connector};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// One source: a connector and the hub's limits around it.
pub struct Source {
    pub connector: Arc<dyn Connector>,
    pub connector_type: String,
    pub cache_ttl: Duration,
    pub max_concurrency: u32,
    /// Agency calls in flight to this source; one permit per attempt.
    pub limiter: Semaphore,
    /// Fails calls fast while the agency is down.
    pub breaker: Breaker,
    /// Paces calls to the agency's quota.
    pub rate: RateGate,
    /// Retries this source may still make (shared by every caller).
    pub budget: RetryBudget,
    /// What the hub may ask of it: what the connector declares, narrowed by configuration.
    capabilities: Vec<Capability>,
}

impl Source {
    /// What the hub may ask of this source.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    pub fn offers(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    pub fn id(&self) -> &str {
        self.connector.id().as_str()
    }

    pub fn kind(&self) -> AssetKind {
        self.connector.kind()
    }
}

/// All sources, in configuration order, and the kinds they hold.
pub struct Registry {
    sources: Vec<Arc<Source>>,
    kinds: Kinds,
}

impl Registry {
    pub fn from_config(config: &HubConfig) -> Result<Self, ConfigError> {
        let configured = config
            .control
            .kinds()
            .map_err(|e| ConfigError::new("control.kinds", e))?;
        let sources: Vec<Arc<Source>> = config
            .sources
            .iter()
            .map(|s| {
                let connector = assethub_connectors::build(
                    s.id.clone(),
                    &s.connector_type,
                    s.settings.clone(),
                )?;
                let capabilities = narrowed(connector.capabilities(), s.capabilities.as_deref());
                Ok(Arc::new(Source {
                    capabilities,
                    connector,
                    connector_type: s.connector_type.clone(),
                    cache_ttl: config.ttl_for(s),
                    max_concurrency: s.max_concurrency,
                    limiter: Semaphore::new(s.max_concurrency as usize),
                    breaker: Breaker::new(
                        s.breaker_failures,
                        Duration::from_millis(s.breaker_cooldown_ms),
                    ),
                    rate: RateGate::new(s.rate_limit_per_sec, s.rate_limit_burst),
                    budget: budget_of(&config.retry),
                }))
            })
            .collect::<Result<_, ConfigError>>()?;
        let kinds = kinds_of(configured, &sources)?;
        Ok(Self { sources, kinds })
    }

    /// Builds a registry from ready connectors (tests, embedding) with the built-in kinds and
    /// those the connectors describe. Panics when a connector's kind is described nowhere
    /// (use [`Registry::with_kinds`] to configure it).
    pub fn from_connectors(connectors: Vec<(Arc<dyn Connector>, Duration, u32)>) -> Self {
        Self::with_kinds(connectors, Kinds::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Builds a registry from ready connectors and the configured `kinds` (tests, embedding):
    /// refused when a connector's kind is neither configured nor described by the connector.
    pub fn with_kinds(
        connectors: Vec<(Arc<dyn Connector>, Duration, u32)>,
        kinds: Kinds,
    ) -> Result<Self, ConfigError> {
        let sources: Vec<Arc<Source>> = connectors
            .into_iter()
            .map(|(connector, cache_ttl, max_concurrency)| {
                Arc::new(Source {
                    capabilities: connector.capabilities().to_vec(),
                    connector_type: connector.connector_type().to_string(),
                    connector,
                    cache_ttl,
                    max_concurrency,
                    limiter: Semaphore::new(max_concurrency as usize),
                    breaker: Breaker::new(0, Duration::ZERO),
                    rate: RateGate::new(0, 0),
                    budget: RetryBudget::unlimited(),
                })
            })
            .collect();
        let kinds = kinds_of(kinds, &sources)?;
        Ok(Self { sources, kinds })
    }

    pub fn all(&self) -> &[Arc<Source>] {
        &self.sources
    }

    /// Every kind the hub knows, with its rules.
    pub fn kinds(&self) -> &Kinds {
        &self.kinds
    }
}

/// The `configured` kinds plus those the sources' connectors describe (configuration wins);
/// refused when a source's kind is described nowhere.
fn kinds_of(mut kinds: Kinds, sources: &[Arc<Source>]) -> Result<Kinds, ConfigError> {
    for source in sources {
        let kind = source.kind();
        if let Some(spec) = source.connector.kind_spec().filter(|s| s.kind == kind) {
            kinds.insert_if_absent(spec);
        }
        if kinds.get(kind).is_none() {
            return Err(ConfigError::new(
                source.id(),
                format!(
                    "its connector reports kind \"{kind}\", which is neither configured ([control.kinds.{kind}] with at least a class) nor described by the connector; the source cannot start"
                ),
            ));
        }
    }
    Ok(kinds)
}

/// What a connector `declares`, narrowed to the words `allowed` when configured.
fn narrowed(declares: &[Capability], allowed: Option<&[String]>) -> Vec<Capability> {
    declares
        .iter()
        .copied()
        .filter(|c| allowed.is_none_or(|words| words.iter().any(|w| w == c.as_str())))
        .collect()
}

fn budget_of(retry: &RetryConfig) -> RetryBudget {
    RetryBudget::new(
        retry.budget_ratio,
        retry.budget_min_per_sec,
        retry.budget_max_saved,
    )
}
