//! Connector for the bank agency family (placeholder until implemented).

use crate::domain::SourceId;
use crate::{ConfigError, Connector};
use std::sync::Arc;

pub fn build(id: SourceId, _settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    Err(ConfigError {
        source_id: id.to_string(),
        message: "not implemented yet".into(),
    })
}
