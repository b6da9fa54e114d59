//! Connector factories: how a configured source (`[[sources]]` with `type = "..."` and its own
//! settings) becomes a [`Connector`]. A [`ConnectorFactory`] knows one connector type; a
//! [`Factories`] registry maps type names to factories and is what the hub builds its sources
//! with. The built-in agency families and the remote connector are one registry
//! (`assethub_connectors::factories()`); an embedder registers its own factories on top of it
//! and serves, without editing any `match`. No hub code and no I/O here beyond what a factory
//! itself does (a remote factory asks its connector to describe itself).

use crate::connector::Connector;
use crate::domain::SourceId;
use crate::error::ConfigError;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Builds connectors of one type from their settings.
#[async_trait]
pub trait ConnectorFactory: Send + Sync + 'static {
    /// The type name configuration uses (`type = "bank"`): unique in a registry.
    fn type_name(&self) -> &str;

    /// Builds the source `id` from its settings table (every key of its `[[sources]]` entry
    /// that is not the hub's own). Settings are validated here, before the hub serves: a bad
    /// setting is a [`ConfigError`] naming the source, never a failure at the first call.
    async fn build(
        &self,
        id: SourceId,
        settings: toml::Table,
    ) -> Result<Arc<dyn Connector>, ConfigError>;

    /// The settings the type accepts, for people (one line per key is plenty); `None` when
    /// the factory does not say.
    fn settings_description(&self) -> Option<&str> {
        None
    }
}

/// A synchronous build function: what most in-process connectors need.
pub type BuildFn = fn(SourceId, toml::Table) -> Result<Arc<dyn Connector>, ConfigError>;

/// A factory made of a type name, a synchronous build function and, optionally, the
/// description of its settings.
#[derive(Clone, Copy)]
pub struct FnFactory {
    type_name: &'static str,
    build: BuildFn,
    settings: Option<&'static str>,
}

impl FnFactory {
    pub const fn new(type_name: &'static str, build: BuildFn) -> Self {
        Self {
            type_name,
            build,
            settings: None,
        }
    }

    /// The same factory, describing its settings as `description`.
    pub const fn with_settings(mut self, description: &'static str) -> Self {
        self.settings = Some(description);
        self
    }
}

#[async_trait]
impl ConnectorFactory for FnFactory {
    fn type_name(&self) -> &str {
        self.type_name
    }

    async fn build(
        &self,
        id: SourceId,
        settings: toml::Table,
    ) -> Result<Arc<dyn Connector>, ConfigError> {
        (self.build)(id, settings)
    }

    fn settings_description(&self) -> Option<&str> {
        self.settings
    }
}

/// Connector factories by type name: what a hub can build its sources from.
#[derive(Clone, Default)]
pub struct Factories {
    by_type: BTreeMap<String, Arc<dyn ConnectorFactory>>,
}

impl fmt::Debug for Factories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Factories")
            .field(&self.type_names())
            .finish()
    }
}

impl Factories {
    /// A registry with no factory at all (start from `assethub_connectors::factories()` to
    /// keep the built-in ones).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `factory` under its type name, replacing (and returning) a factory registered
    /// under the same name before: an embedder may replace a built-in type.
    pub fn register(
        &mut self,
        factory: impl ConnectorFactory,
    ) -> Option<Arc<dyn ConnectorFactory>> {
        self.register_arc(Arc::new(factory))
    }

    /// [`register`](Self::register) for a factory already shared.
    pub fn register_arc(
        &mut self,
        factory: Arc<dyn ConnectorFactory>,
    ) -> Option<Arc<dyn ConnectorFactory>> {
        self.by_type
            .insert(factory.type_name().to_string(), factory)
    }

    /// The registry with `factory` added (see [`register`](Self::register)).
    pub fn with(mut self, factory: impl ConnectorFactory) -> Self {
        self.register(factory);
        self
    }

    pub fn get(&self, type_name: &str) -> Option<&Arc<dyn ConnectorFactory>> {
        self.by_type.get(type_name)
    }

    pub fn contains(&self, type_name: &str) -> bool {
        self.by_type.contains_key(type_name)
    }

    /// The registered type names, sorted.
    pub fn type_names(&self) -> Vec<&str> {
        self.by_type.keys().map(String::as_str).collect()
    }

    /// Whether `type_name` can be built, or the configuration error saying what can.
    pub fn check_type(&self, id: &SourceId, type_name: &str) -> Result<(), ConfigError> {
        if self.contains(type_name) {
            return Ok(());
        }
        let shown: String = type_name.chars().take(40).collect();
        Err(ConfigError::new(
            id.as_str(),
            format!(
                "unknown connector type {shown:?} (known: {})",
                self.type_names().join(", ")
            ),
        ))
    }

    /// Builds the source `id` of type `type_name` from its settings with the registered
    /// factory; an unknown type is a configuration error listing the known ones.
    pub async fn build(
        &self,
        id: SourceId,
        type_name: &str,
        settings: toml::Table,
    ) -> Result<Arc<dyn Connector>, ConfigError> {
        self.check_type(&id, type_name)?;
        let factory = self.by_type[type_name].clone();
        factory.build(id, settings).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::{CallContext, Capability, QueryAnswer};
    use crate::domain::{AssetKind, Debtor};
    use crate::error::ConnectorError;

    struct Nobody(SourceId, &'static str);

    #[async_trait]
    impl Connector for Nobody {
        fn id(&self) -> &SourceId {
            &self.0
        }
        fn kind(&self) -> AssetKind {
            AssetKind::BANK
        }
        fn connector_type(&self) -> &'static str {
            self.1
        }
        fn capabilities(&self) -> &[Capability] {
            &[Capability::Query]
        }
        async fn query(&self, _: &CallContext, _: &Debtor) -> Result<QueryAnswer, ConnectorError> {
            Ok(QueryAnswer::NotFound)
        }
    }

    fn first(id: SourceId, _: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
        Ok(Arc::new(Nobody(id, "first")))
    }

    fn second(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
        if settings.contains_key("wrong") {
            return Err(ConfigError::new(id.as_str(), "wrong is not a setting"));
        }
        Ok(Arc::new(Nobody(id, "second")))
    }

    fn id() -> SourceId {
        SourceId::new("src-a").unwrap()
    }

    #[tokio::test]
    async fn builds_by_type_and_names_the_known_types_when_asked_for_another() {
        let factories = Factories::new()
            .with(FnFactory::new("nobody", first).with_settings("none"))
            .with(FnFactory::new("another", second));
        assert_eq!(factories.type_names(), vec!["another", "nobody"]);
        let built = factories
            .build(id(), "nobody", toml::Table::new())
            .await
            .unwrap();
        assert_eq!(built.connector_type(), "first");
        assert_eq!(
            factories.get("nobody").unwrap().settings_description(),
            Some("none")
        );
        let error = factories
            .build(id(), "bnak", toml::Table::new())
            .await
            .err()
            .unwrap();
        assert_eq!(error.source_id, "src-a");
        assert!(error.message.contains("\"bnak\""), "{error}");
        assert!(error.message.contains("another, nobody"), "{error}");
        let mut settings = toml::Table::new();
        settings.insert("wrong".into(), toml::Value::Boolean(true));
        let refused = factories.build(id(), "another", settings).await.err();
        assert_eq!(refused.unwrap().message, "wrong is not a setting");
    }

    #[tokio::test]
    async fn a_registered_type_replaces_the_one_of_the_same_name() {
        let mut factories = Factories::new().with(FnFactory::new("nobody", first));
        let replaced = factories.register(FnFactory::new("nobody", second));
        assert_eq!(replaced.unwrap().type_name(), "nobody");
        let built = factories
            .build(id(), "nobody", toml::Table::new())
            .await
            .unwrap();
        assert_eq!(built.connector_type(), "second");
        assert_eq!(factories.type_names(), vec!["nobody"]);
    }
}
