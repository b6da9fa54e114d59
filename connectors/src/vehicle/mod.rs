//! Connector for vehicle administrations (车管所): the judicial vehicle query of a provincial
//! 公安 traffic-management system, `GET /vehicle/judicial/query` with pinyin parameters, signed
//! with the issued app key and secret (`appKey`, `timestamp`, `sign` = SHA-256 hex of key +
//! timestamp + secret). Reports `Vehicle` assets keyed by VIN, with seals, queued seals and
//! mortgages as encumbrances.
//!
//! Control: seal, watch, release and renew a vehicle (by VIN) with signed JSON `POST`s, the
//! status of an instruction by its idempotency key (请求编号), and the sightings feed of
//! watched vehicles. Freeze and deduct are `Unsupported`.
//!
//! Settings: `base_url`, `app_key`, `app_secret`, optional `timeout_ms` (per attempt).
//!
//! - `config`: settings and their validation; `sign`: the request signature; `wire`: the
//!   JSON shapes and result codes; `connector`: the HTTP exchange; `convert`: answer to domain
//!   values; `control`: control instructions, their status and sightings; `vin`: the VIN
//!   alphabet and check digit (public, for the mock).

mod config;
mod connector;
mod control;
mod convert;
mod sign;
pub mod vin;
mod wire;

#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod tests;

use crate::domain::SourceId;
use crate::{ConfigError, Connector};
use std::sync::Arc;

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/vehicle_response.rs`): the
/// connector's own decoding of a successful HTTP body, without any HTTP. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::connector::QueryAnswer;
    use crate::control::ControlAnswer;
    use crate::domain::SourceId;
    use crate::error::ConnectorError;
    use crate::http;

    /// A judicial query answer body, as `query` reads it.
    pub fn decode_inquiry(source: &SourceId, body: &[u8]) -> Result<QueryAnswer, ConnectorError> {
        super::convert::answer(source, http::decode_json(body)?)
    }

    /// A control instruction's answer body, as `control` reads it.
    pub fn decode_control(body: &[u8]) -> Result<ControlAnswer, ConnectorError> {
        super::control::control_reply(http::decode_json(body)?)
    }

    /// A status query's answer body, as `control_status` reads it (`Ok(None)`: never
    /// received).
    pub fn decode_control_status(body: &[u8]) -> Result<Option<ControlAnswer>, ConnectorError> {
        super::control::status_reply(http::decode_json(body)?)
    }
}

/// Builds a vehicle-administration connector from its settings table, with an HTTP client of its own.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    build_with(id, settings, &crate::http::Clients::default())
}

/// Builds a vehicle-administration connector from its settings table, sharing the HTTP clients of `clients`.
pub fn build_with(
    id: SourceId,
    settings: toml::Table,
    clients: &crate::http::Clients,
) -> Result<Arc<dyn Connector>, ConfigError> {
    let config = config::Config::parse(&id, settings)?;
    Ok(Arc::new(connector::VehicleConnector::new(
        id, config, clients,
    )?))
}
