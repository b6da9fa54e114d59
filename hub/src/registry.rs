//! The connector registry: every configured source, built once from the configuration by the
//! registry of connector factories ([`Factories`]: the built-in ones of
//! `assethub_connectors::factories()`, or an embedder's), with the hub-side settings that wrap it: cache TTL and the
//! protection layers of [`crate::guard`] (breaker, concurrency limit, rate gate, retry budget)
//! and what the hub may ask of it (its capabilities, narrowed by configuration). It also holds
//! the kinds table every source's kind is judged by: the configured kinds plus those the
//! connectors describe (configuration wins); a source of a kind nobody describes does not start.

mod call;
pub mod members;
pub use call::{call, circuit_open};

use crate::breaker::Breaker;
use crate::config::{HubConfig, RetryConfig};
use crate::guard::{RateGate, RetryBudget, Share};
use crate::metrics::{breaker_index, Metrics, ScrapeSource};
use assethub_connectors::domain::{AssetKind, KindSpec, Kinds, LegalClass};
use assethub_connectors::{Capability, ConfigError, Connector, Factories};
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
    /// The agency answers inquiries later: each is recorded before it is sent.
    pub asynchronous: bool,
    /// How long an inquiry may stay unanswered before it is expired.
    pub inquiry_expiry: Duration,
    /// What the hub may ask of it: what the connector declares, narrowed by configuration.
    capabilities: Vec<Capability>,
    /// The rules of its kind (configured, built in or described by its connector).
    spec: KindSpec,
    /// Its id, shared by every cache key naming it (not allocated per search).
    shared_id: Arc<str>,
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

    /// Its id as a shared string (cache keys hold it).
    pub fn shared_id(&self) -> &Arc<str> {
        &self.shared_id
    }

    pub fn kind(&self) -> AssetKind {
        self.connector.kind()
    }

    /// The rules of the source's kind.
    pub fn spec(&self) -> &KindSpec {
        &self.spec
    }

    /// Whether the agency is off-line (`type = "offline"`): its instructions are issued as
    /// notices and its written answers recorded by officers; it is never called about them.
    pub fn offline(&self) -> bool {
        self.connector_type == assethub_connectors::offline::TYPE_NAME
    }
}

/// All sources, in configuration order, and the kinds they hold.
pub struct Registry {
    sources: Vec<Arc<Source>>,
    kinds: Kinds,
    /// How many hubs share the agencies' quotas (every source's rate gate paces at its share).
    share: Share,
}

impl Registry {
    /// Builds every configured source with the built-in connector types.
    pub async fn from_config(config: &HubConfig) -> Result<Self, ConfigError> {
        Self::from_config_with(config, &assethub_connectors::factories()).await
    }

    /// Builds every configured source with `factories`. Every source's type is checked
    /// before any is built (building a remote source is a call to its connector); sources
    /// are built concurrently and kept in configuration order.
    pub async fn from_config_with(
        config: &HubConfig,
        factories: &Factories,
    ) -> Result<Self, ConfigError> {
        let configured = config
            .control
            .kinds()
            .map_err(|e| ConfigError::new("control.kinds", e))?;
        for s in &config.sources {
            factories.check_type(&s.id, &s.connector_type)?;
        }
        let built = futures::future::try_join_all(
            config
                .sources
                .iter()
                .map(|s| factories.build(s.id.clone(), &s.connector_type, s.settings.clone())),
        )
        .await?;
        let kinds = kinds_of(configured, built.iter())?;
        let share = Share::default();
        let sources = config
            .sources
            .iter()
            .zip(built)
            .map(|(s, connector)| {
                let capabilities = narrowed(connector.capabilities(), s.capabilities.as_deref());
                Arc::new(Source {
                    capabilities,
                    spec: spec_of(&kinds, connector.kind()),
                    shared_id: connector.id().as_str().into(),
                    connector,
                    connector_type: s.connector_type.clone(),
                    cache_ttl: config.ttl_for(s),
                    max_concurrency: s.max_concurrency,
                    limiter: Semaphore::new(s.max_concurrency as usize),
                    breaker: Breaker::new(
                        s.breaker_failures,
                        Duration::from_millis(s.breaker_cooldown_ms),
                    ),
                    rate: RateGate::shared(s.rate_limit_per_sec, s.rate_limit_burst, share.clone()),
                    budget: budget_of(&config.retry),
                    asynchronous: s.asynchronous,
                    inquiry_expiry: Duration::from_secs(s.inquiry_expiry_secs),
                })
            })
            .collect();
        Ok(Self {
            sources,
            kinds,
            share,
        })
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
        let kinds = kinds_of(kinds, connectors.iter().map(|(c, _, _)| c))?;
        let sources = connectors
            .into_iter()
            .map(|(connector, cache_ttl, max_concurrency)| {
                Arc::new(Source {
                    capabilities: connector.capabilities().to_vec(),
                    spec: spec_of(&kinds, connector.kind()),
                    shared_id: connector.id().as_str().into(),
                    connector_type: connector.connector_type().to_string(),
                    connector,
                    cache_ttl,
                    max_concurrency,
                    limiter: Semaphore::new(max_concurrency as usize),
                    breaker: Breaker::new(0, Duration::ZERO),
                    rate: RateGate::new(0, 0),
                    budget: RetryBudget::unlimited(),
                    asynchronous: false,
                    inquiry_expiry: Duration::from_secs(crate::config::DEFAULT_INQUIRY_EXPIRY_SECS),
                })
            })
            .collect();
        Ok(Self {
            sources,
            kinds,
            share: Share::default(),
        })
    }

    /// Makes source `id` asynchronous with inquiries expiring after `expiry` (tests,
    /// embedding; configuration says `asynchronous = true`). Only before the registry is
    /// shared: a source already handed out is left as it is (and `false` returned).
    pub fn set_asynchronous(&mut self, id: &str, expiry: Duration) -> bool {
        let Some(source) = self.sources.iter_mut().find(|s| s.id() == id) else {
            return false;
        };
        match Arc::get_mut(source) {
            Some(source) => {
                source.asynchronous = true;
                source.inquiry_expiry = expiry;
                true
            }
            None => false,
        }
    }

    pub fn all(&self) -> &[Arc<Source>] {
        &self.sources
    }

    /// Every kind the hub knows, with its rules.
    pub fn kinds(&self) -> &Kinds {
        &self.kinds
    }

    /// How many hubs share the agencies' quotas; [`members::Members`] keeps it.
    pub fn quota_share(&self) -> &Share {
        &self.share
    }
}

/// The `configured` kinds plus those the sources' connectors describe (configuration wins);
/// refused when a source's kind is described nowhere.
fn kinds_of<'a>(
    mut kinds: Kinds,
    connectors: impl Iterator<Item = &'a Arc<dyn Connector>>,
) -> Result<Kinds, ConfigError> {
    for connector in connectors {
        let kind = connector.kind();
        if let Some(spec) = connector.kind_spec().filter(|s| s.kind == kind) {
            kinds.insert_if_absent(spec);
        }
        if kinds.get(kind).is_none() {
            return Err(ConfigError::new(
                connector.id().as_str(),
                format!(
                    "its connector reports kind \"{kind}\", which is neither configured ([control.kinds.{kind}] with at least a class) nor described by the connector; the source cannot start"
                ),
            ));
        }
    }
    Ok(kinds)
}

/// The spec of `kind`, which [`kinds_of`] made sure exists.
fn spec_of(kinds: &Kinds, kind: AssetKind) -> KindSpec {
    kinds
        .get(kind)
        .cloned()
        .unwrap_or_else(|| KindSpec::new(kind, kind.as_str(), LegalClass::Funds, &[]))
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

/// At each scrape: every source's breaker state, calls in flight and retry budget (as many
/// of them as the metrics export per source), the same per kind, and the HTTP clients built.
impl ScrapeSource for Registry {
    fn refresh<'a>(&'a self, metrics: &'a Metrics) -> BoxFuture<'a, ()> {
        metrics.begin_source_states();
        let mut by_kind: Vec<(AssetKind, [i64; 3], i64)> = Vec::new();
        for source in self.all() {
            let in_flight = source
                .max_concurrency
                .saturating_sub(u32::try_from(source.limiter.available_permits()).unwrap_or(0));
            let budget = match source.budget.available() {
                u32::MAX => None,
                n => Some(n),
            };
            let state = source.breaker.state();
            metrics.source_state(source.id(), state, in_flight, budget);
            let kind = source.kind();
            let at = match by_kind.iter().position(|(k, _, _)| *k == kind) {
                Some(at) => at,
                None => {
                    by_kind.push((kind, [0; 3], 0));
                    by_kind.len() - 1
                }
            };
            by_kind[at].1[breaker_index(state)] += 1;
            by_kind[at].2 += i64::from(in_flight);
        }
        for (kind, breakers, in_flight) in by_kind {
            metrics.kind_state(kind.as_str(), breakers, in_flight);
        }
        metrics.agency_http_clients(assethub_connectors::http::clients_built());
        Box::pin(std::future::ready(()))
    }
}
