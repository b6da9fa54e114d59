//! Connector for payment platforms (Alipay- / WeChat-Pay-like) and their judicial-assistance
//! open API: OAuth2 client credentials (HTTP Basic) for a bearer token that is cached and
//! refreshed, then `GET /v3/judicial/holdings` answering wallet, merchant and fund balances in
//! integer fen.
//!
//! Control: freeze, release, renew and deduct balances (`POST /v3/judicial/freezes...` with
//! an `Idempotency-Key` header, amounts in fen) and the status of an instruction by its key
//! (`GET /v3/judicial/instructions`, 404 `INSTRUCTION_NOT_FOUND` → `Ok(None)`). All
//! synchronous; seals and watches are `Unsupported`. Asset ids are `account_id:PRODUCT`.
//!
//! Settings (`[[sources]]` keys): `base_url`, `client_id`, `client_secret`, optional
//! `timeout_ms` (per HTTP request, default 5000).
//!
//! Files: `config.rs` (settings), `wire.rs` (the platform's JSON), `token.rs` (token cache),
//! `connector.rs` (the `Connector` impl and conversion to domain types), `control.rs` (control
//! instructions and their status), `control_wire.rs` (their JSON), `tests.rs`, `control_tests.rs`.

mod config;
mod connector;
mod control;
mod control_wire;
mod token;
mod wire;

#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod tests;

use crate::domain::SourceId;
use crate::{http, ConfigError, Connector};
use std::sync::Arc;

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/payment_response.rs`): the
/// connector's own decoding of a successful HTTP body, without any HTTP. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::connector::{CallContext, QueryAnswer};
    use crate::control::ControlAnswer;
    use crate::domain::SourceId;
    use crate::error::ConnectorError;
    use crate::http;

    /// A holdings answer body, as `query` reads it.
    pub fn decode_inquiry(
        source: &SourceId,
        ctx: &CallContext,
        body: &[u8],
    ) -> Result<QueryAnswer, ConnectorError> {
        super::connector::convert(source, ctx, http::decode_json(body)?)
    }

    /// A control or status answer body about `key`, as `control` / `control_status` read it.
    pub fn decode_control(
        ctx: &CallContext,
        key: &str,
        body: &[u8],
    ) -> Result<ControlAnswer, ConnectorError> {
        super::control::decode(ctx, key, body)
    }
}

/// Builds a payment-platform connector from its `[[sources]]` settings, with an HTTP client of
/// its own.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    build_with(id, settings, &http::Clients::default())
}

/// Builds a payment-platform connector, sharing the HTTP clients of `clients`.
pub fn build_with(
    id: SourceId,
    settings: toml::Table,
    clients: &http::Clients,
) -> Result<Arc<dyn Connector>, ConfigError> {
    let config = config::Config::from_table(id.as_str(), settings)?;
    let client = http::AgencyClient::new(
        clients,
        id.as_str(),
        config.timeout_ms,
        config.http2_prior_knowledge,
    )?;
    Ok(Arc::new(connector::PaymentConnector::new(
        id, config, client,
    )))
}
