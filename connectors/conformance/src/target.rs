//! The connector under test, built in process from a connector file: a `[[sources]]`-like
//! TOML table with `id`, `type` and the type's own settings (`base_url`, credentials...), or
//! `type = "remote"` with the address of a connector served out of process. The hub's own keys
//! (cache, concurrency, breaker, rate gate, capabilities) are left out: the kit talks to the
//! connector directly, one attempt per call, as the hub's layers would.

use assethub_connectors::domain::SourceId;
use assethub_connectors::{Connector, Factories};
use std::sync::Arc;

/// Keys of a `[[sources]]` entry that are the hub's, not the connector's.
pub const HUB_KEYS: [&str; 7] = [
    "cache_ttl_secs",
    "max_concurrency",
    "breaker_failures",
    "breaker_cooldown_ms",
    "rate_limit_per_sec",
    "rate_limit_burst",
    "capabilities",
];

/// A connector file, read.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: SourceId,
    pub connector_type: String,
    pub settings: toml::Table,
}

impl Target {
    /// Reads a connector file: `id` (default `under-test`), `type`, and the settings.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| format!("connector file: {e}"))?;
        let connector_type = match table.remove("type") {
            Some(toml::Value::String(t)) => t,
            _ => return Err("connector file: `type` (a string) is required".into()),
        };
        let id = match table.remove("id") {
            Some(toml::Value::String(id)) => id,
            None => "under-test".into(),
            Some(_) => return Err("connector file: `id` must be a string".into()),
        };
        let id = SourceId::new(&id).map_err(|e| format!("connector file: id: {e}"))?;
        for key in HUB_KEYS {
            table.remove(key);
        }
        Ok(Self {
            id,
            connector_type,
            settings: table,
        })
    }

    /// The agency's base URL when the settings name one (`base_url`): the default admin URL.
    pub fn base_url(&self) -> Option<String> {
        self.settings
            .get("base_url")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }

    /// Builds the connector the way the hub does: with the built-in factories, `remote`
    /// included (an out-of-process connector is described at build).
    pub async fn build(&self) -> Result<Arc<dyn Connector>, String> {
        self.build_with(&assethub_connectors::factories()).await
    }

    /// Builds the connector with an embedder's factories.
    pub async fn build_with(&self, factories: &Factories) -> Result<Arc<dyn Connector>, String> {
        factories
            .build(self.id.clone(), &self.connector_type, self.settings.clone())
            .await
            .map_err(|e| e.to_string())
    }
}
