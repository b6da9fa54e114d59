//! The demo's off-line agency (`mocks/demo/offline.toml`): source `registry-caidian`, a county
//! real-estate registry that is reached only by notices on paper. Added to the served
//! configuration by `assethub-demo` (and by the tests that walk through it); the example
//! configuration the other tests share stays as it is.

use assethub_hub::config::{HubConfig, SourceConfig};

/// The source id of the off-line registry in the demo.
pub const SOURCE: &str = "registry-caidian";
/// Its configuration, as an operator would write it.
pub const TOML: &str = include_str!("../offline.toml");
/// The flat the registry's earlier written answer named for 张伟, as searches report it.
pub const FLAT: &str = "registry-caidian:蔡甸-2018-0042";

/// The off-line registry's `[[sources]]` entry.
pub fn source() -> SourceConfig {
    let mut table: toml::Table = toml::from_str(TOML).expect("offline.toml is TOML");
    let entry = table
        .remove("sources")
        .and_then(|s| s.as_array().and_then(|a| a.first().cloned()))
        .expect("offline.toml has one [[sources]] entry");
    entry.try_into().expect("offline.toml is a source entry")
}

/// Adds the off-line registry to `config`.
pub fn add(config: &mut HubConfig) {
    config.sources.push(source());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_off_line_registry_builds_as_configured() {
        let source = source();
        assert_eq!(source.id.as_str(), SOURCE);
        let built = assethub_connectors::factories()
            .build(
                source.id.clone(),
                &source.connector_type,
                source.settings.clone(),
            )
            .await
            .unwrap();
        assert_eq!(built.connector_type(), "offline");
        assert_eq!(built.kind().as_str(), "real_estate");
    }
}
