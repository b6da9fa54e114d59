//! The connector registry: every configured source, built once from the configuration through
//! `assethub_connectors::build`, with the hub-side settings that wrap it: cache TTL and the
//! protection layers of [`crate::guard`] (breaker, concurrency limit, rate gate, retry budget)
//! and what the hub may ask of it (its capabilities, narrowed by configuration).

mod call;
pub use call::{call, circuit_open};

use crate::breaker::Breaker;
use crate::config::{HubConfig, RetryConfig};
use crate::guard::{RateGate, RetryBudget};
use crate::metrics::{Metrics, ScrapeSource};
use assethub_connectors::domain::AssetKind;
use assethub_connectors::{Capability, ConfigError, Connector};
use futures::future::BoxFuture;
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

/// All sources, in configuration order.
pub struct Registry {
    sources: Vec<Arc<Source>>,
}

impl Registry {
    pub fn from_config(config: &HubConfig) -> Result<Self, ConfigError> {
        let sources = config
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
        Ok(Self { sources })
    }

    /// Builds a registry from ready connectors (tests, embedding).
    pub fn from_connectors(connectors: Vec<(Arc<dyn Connector>, Duration, u32)>) -> Self {
        let sources = connectors
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
        Self { sources }
    }

    pub fn all(&self) -> &[Arc<Source>] {
        &self.sources
    }
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

/// At each scrape: every source's breaker state, calls in flight and retry budget.
impl ScrapeSource for Registry {
    fn refresh<'a>(&'a self, metrics: &'a Metrics) -> BoxFuture<'a, ()> {
        for source in self.all() {
            let in_flight = source
                .max_concurrency
                .saturating_sub(u32::try_from(source.limiter.available_permits()).unwrap_or(0));
            let budget = match source.budget.available() {
                u32::MAX => None,
                n => Some(n),
            };
            metrics.source_state(source.id(), source.breaker.state(), in_flight, budget);
        }
        Box::pin(std::future::ready(()))
    }
}
