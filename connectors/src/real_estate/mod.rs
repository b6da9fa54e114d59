//! Connector for real-estate registration centres (不动产登记中心): the 权利人查询 (inquiry by
//! right holder) over XML at `POST /bdc/api/cx/qlrcx`, authenticated by the static token the
//! registry issued (`X-BDC-Token`). Reports `RealEstateProperty` assets keyed by certificate
//! number (不动产权证号), with mortgages, seals and queued seals as encumbrances (the seals the
//! registry registered for courts through this connector among them).
//!
//! Control: seal (`POST /bdc/api/kz/cf`), release (`/bdc/api/kz/jf`) and renew
//! (`/bdc/api/kz/xf`) a property by its certificate number, same token and XML, the
//! instruction's key sent as 业务流水号 (`Ywlsh`); `control_status` asks `/bdc/api/kz/jgcx`, whose
//! code `1003` (never received) is `Ok(None)`. Freeze, watch and deduct are `Unsupported`
//! without a call; the registry's refusals (not the debtor's property, no such seal, wrong
//! state, key reused, bad term) are `Rejected` with its code and message.
//!
//! Settings: `base_url`, `token`, optional `timeout_ms` (per attempt).
//!
//! - `config`: settings and their validation; `wire`: the XML shapes and result codes;
//!   `connector`: the HTTP exchange; `convert`: answer to domain values; `control_wire` and
//!   `control`: the control XML and its answer to a `ControlAnswer`.

mod config;
mod connector;
mod control;
mod control_wire;
mod convert;
mod wire;

#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod tests;

use crate::domain::SourceId;
use crate::{ConfigError, Connector};
use std::sync::Arc;

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/real_estate_response.rs`): the
/// connector's own decoding of a successful HTTP body, without any HTTP. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::connector::QueryAnswer;
    use crate::control::ControlAnswer;
    use crate::domain::SourceId;
    use crate::error::ConnectorError;

    /// A 权利人查询 answer body for request `request_id`, as `query` reads it.
    pub fn decode_inquiry(
        source: &SourceId,
        request_id: &str,
        body: &[u8],
    ) -> Result<QueryAnswer, ConnectorError> {
        super::convert::answer(source, request_id, super::wire::parse_response(body)?)
    }

    /// A 查控 answer body about `key`, as `control` / `control_status` read it (`Ok(None)`: the
    /// registry never received `key`).
    pub fn decode_control(
        request_id: &str,
        key: &str,
        body: &[u8],
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        super::control::answer(request_id, key, super::control_wire::parse_response(body)?)
    }
}

/// Builds a registry connector from its settings table, with an HTTP client of its own.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    build_with(id, settings, &crate::http::Clients::default())
}

/// Builds a registry connector from its settings table, sharing the HTTP clients of `clients`.
pub fn build_with(
    id: SourceId,
    settings: toml::Table,
    clients: &crate::http::Clients,
) -> Result<Arc<dyn Connector>, ConfigError> {
    let config = config::Config::parse(&id, settings)?;
    Ok(Arc::new(connector::RegistryConnector::new(
        id, config, clients,
    )?))
}
