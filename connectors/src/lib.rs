//! assethub connector SDK: the `Connector` trait, the domain types it speaks, shared HTTP
//! plumbing, and one connector per agency family (one folder each). Nothing hub-specific:
//! the hub knows connectors only through the trait and `build`.
//!
//! Adding an agency family means one new folder here and one arm in [`build`].

pub use assethub_core::{connector, control, domain, error, signature};
pub mod http;

pub mod bank;
pub mod payment;
pub mod real_estate;
pub mod vehicle;

pub use assethub_core::{CallContext, Capability, Connector, QueryAnswer};
pub use assethub_core::{ConfigError, ConnectorError, ErrorClass};
pub use assethub_core::{
    ControlAction, ControlAnswer, ControlInstruction, HoldStatus, Sighting, SightingsPage,
};

use domain::SourceId;
use std::sync::Arc;

/// Connector types that `build` knows, as named in configuration.
pub const CONNECTOR_TYPES: [&str; 4] = ["bank", "real_estate", "vehicle", "payment"];

/// Builds one connector instance from its configuration: the source id, the connector type
/// and the type's own settings table (base URL, credentials, timeouts...).
pub fn build(
    id: SourceId,
    connector_type: &str,
    settings: toml::Table,
) -> Result<Arc<dyn Connector>, ConfigError> {
    match connector_type {
        "bank" => bank::build(id, settings),
        "real_estate" => real_estate::build(id, settings),
        "vehicle" => vehicle::build(id, settings),
        "payment" => payment::build(id, settings),
        other => Err(ConfigError {
            source_id: id.to_string(),
            message: format!(
                "unknown connector type {other:?} (known: {})",
                CONNECTOR_TYPES.join(", ")
            ),
        }),
    }
}
