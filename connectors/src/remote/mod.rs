//! The remote connector (`type = "remote"`): a source served by a connector in another
//! process, in any language, over `assethub.connector.v1`
//! (`proto/assethub/connector/v1/connector.proto`). The hub is the client and keeps
//! everything that needs guarantees (cache, retries, breaker, bulkhead, rate gate, ledger,
//! idempotency keys, signatures, audit); this folder only speaks the protocol:
//!
//! - [`config`]: settings — `address` (`http://` to loopback only, else `https://`),
//!   `ca_file`, optional `cert_file` + `key_file` (mTLS), `timeout_ms` per attempt (default
//!   5000), and a `[sources.settings]` sub-table forwarded to the connector as `settings_json`.
//! - [`describe`]: at build the connector is asked to `Describe` itself; protocol version 1
//!   only; its kind is registered ([`AssetKind::register`](crate::domain::AssetKind::register))
//!   and kept as its [`KindSpec`](crate::domain::KindSpec) (`Connector::kind_spec`), its
//!   capabilities become the source's.
//! - [`connector`]: one RPC per trait method, the per-attempt timeout as gRPC deadline.
//! - [`status`]: gRPC status → error class (the proto's table; `ErrorInfo` reason overrides
//!   the code; `RetryInfo` → `retry_after`); texts bounded, personal data masked.
//! - [`answers`]: every answer checked (ids, statuses, dates, money); violations are
//!   `malformed`.
//!
//! ```toml
//! [[sources]]
//! id = "csdc"
//! type = "remote"
//! address = "https://127.0.0.1:7001"
//! ca_file = "/etc/assethub/connectors-ca.pem"
//! timeout_ms = 3000
//! [sources.settings]          # the connector's own, sent as JSON
//! member_code = "B001"
//! ```

mod answers;
mod config;
mod connector;
mod describe;
mod status;
#[cfg(test)]
mod tests;

pub use answers::is_clean_ref;
pub use connector::RemoteConnector;
pub use describe::{Described, PROTOCOL_VERSION};
pub use status::{class_of_code, class_of_reason, ERROR_DOMAIN};

use crate::domain::SourceId;
use crate::error::ConfigError;
use crate::{Connector, ConnectorFactory};
use async_trait::async_trait;
use std::sync::Arc;

/// The factory of `type = "remote"` sources.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoteFactory;

/// What `type = "remote"` accepts, for people.
pub const SETTINGS: &str = "address (http:// to loopback, else https://), ca_file (https), optional cert_file + key_file (mTLS), optional timeout_ms (per attempt, default 5000), optional [sources.settings] table sent to the connector as JSON";

#[async_trait]
impl ConnectorFactory for RemoteFactory {
    fn type_name(&self) -> &str {
        "remote"
    }

    async fn build(
        &self,
        id: SourceId,
        settings: toml::Table,
    ) -> Result<Arc<dyn Connector>, ConfigError> {
        let config = config::RemoteConfig::parse(&id, settings)?;
        Ok(Arc::new(RemoteConnector::describe(id, config).await?))
    }

    fn settings_description(&self) -> Option<&str> {
        Some(SETTINGS)
    }
}
