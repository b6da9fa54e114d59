//! Connector for vehicle administrations (车管所): the judicial vehicle query of a provincial
//! 公安 traffic-management system, `GET /vehicle/judicial/query` with pinyin parameters, signed
//! with the issued app key and secret (`appKey`, `timestamp`, `sign` = SHA-256 hex of key +
//! timestamp + secret). Reports `Vehicle` assets keyed by VIN, with seals, queued seals and
//! mortgages as encumbrances.
//!
//! Settings: `base_url`, `app_key`, `app_secret`, optional `timeout_ms` (per attempt).
//!
//! - `config`: settings and their validation; `sign`: the request signature; `wire`: the
//!   JSON shapes and result codes; `connector`: the HTTP exchange; `convert`: answer to domain
//!   values; `vin`: the VIN alphabet and check digit (public, for the mock).

mod config;
mod connector;
mod convert;
mod sign;
pub mod vin;
mod wire;

#[cfg(test)]
mod tests;

use crate::domain::SourceId;
use crate::{ConfigError, Connector};
use std::sync::Arc;

/// Builds a vehicle-administration connector from its settings table.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    let config = config::Config::parse(&id, settings)?;
    Ok(Arc::new(connector::VehicleConnector::new(id, config)?))
}
