//! Connector for a bank's head-office gateway (总行网关), court inquiry interface.
//!
//! - `POST {base_url}/gateway/v2/judicial/inquiry` with a JSON body `{reqId, caseNo, custType,
//!   idType, idNo, custName}` ([`wire`]).
//! - Signed per request ([`sign`]): `X-Api-Key`, `X-Timestamp`, `X-Nonce`, `X-Signature` (hex
//!   HMAC-SHA256 under `api_secret`).
//! - Answers `{retCode, retMsg, reqId, serialNo, data}`: `0000` found (accounts, amounts as yuan
//!   strings converted exactly to fen), `BIZ1001` not found, `BIZ1002` name mismatch; `AUTH*` is
//!   an auth error, `SYS*` (`SYS9999` system busy) a server error, `PARM*` a rejection
//!   ([`connector`]).
//!
//! - Control ([`control`]): `POST .../freeze`, `.../unfreeze`, `.../deduct`, `.../renew` under
//!   `/gateway/v2/judicial/`, signed the same way, each carrying the idempotency key as `bizNo`,
//!   the case, court, ruling, officer, debtor and account; `.../control/query` asks what became
//!   of a `bizNo`. Freezes are asynchronous (answered `Pending`, decided later by the bank).
//!   Capabilities: query, freeze, release, deduct, renew.
//!
//! Settings ([`config`]): `base_url`, `api_key`, `api_secret`, optional `timeout_ms`.

mod config;
mod connector;
mod control;
mod later;
mod sign;
#[cfg(test)]
mod tests;
mod wire;

use crate::domain::SourceId;
use crate::{ConfigError, Connector};
use std::sync::Arc;

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/bank_response.rs`): the connector's
/// own decoding of a successful HTTP body, without any HTTP. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::connector::{CallContext, QueryAnswer};
    use crate::control::ControlAnswer;
    use crate::domain::SourceId;
    use crate::error::ConnectorError;
    use crate::http;

    /// An inquiry answer body, as `query` reads it: the envelope, then its meaning.
    pub fn decode_inquiry(
        source: &SourceId,
        ctx: &CallContext,
        body: &[u8],
    ) -> Result<QueryAnswer, ConnectorError> {
        super::later::interpret_any(source, ctx, http::decode_json(body)?)
    }

    /// A control or status answer body about `key`, as `control` / `control_status` read it
    /// (`Ok(None)`: the bank never received `key`).
    pub fn decode_control(
        ctx: &CallContext,
        key: &str,
        body: &[u8],
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        super::control::answer(ctx, key, http::decode_json(body)?)
    }
}

/// Builds a bank source from its settings table, with an HTTP client of its own.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    build_with(id, settings, &crate::http::Clients::default())
}

/// Builds a bank source from its settings table, sharing the HTTP clients of `clients`.
pub fn build_with(
    id: SourceId,
    settings: toml::Table,
    clients: &crate::http::Clients,
) -> Result<Arc<dyn Connector>, ConfigError> {
    let config = config::BankConfig::parse(&id, settings)?;
    Ok(Arc::new(connector::BankConnector::new(
        id, config, clients,
    )?))
}
