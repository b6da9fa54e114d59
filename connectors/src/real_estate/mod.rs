//! Connector for real-estate registration centres (不动产登记中心): the 权利人查询 (inquiry by
//! right holder) over XML at `POST /bdc/api/cx/qlrcx`, authenticated by the static token the
//! registry issued (`X-BDC-Token`). Reports `RealEstateProperty` assets keyed by certificate
//! number (不动产权证号), with mortgages, seals and queued seals as encumbrances.
//!
//! Settings: `base_url`, `token`, optional `timeout_ms` (per attempt).
//!
//! - `config`: settings and their validation; `wire`: the XML shapes and result codes;
//!   `connector`: the HTTP exchange; `convert`: answer to domain values.

mod config;
mod connector;
mod convert;
mod wire;

#[cfg(test)]
mod tests;

use crate::domain::SourceId;
use crate::{ConfigError, Connector};
use std::sync::Arc;

/// Builds a registry connector from its settings table.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    let config = config::Config::parse(&id, settings)?;
    Ok(Arc::new(connector::RegistryConnector::new(id, config)?))
}
