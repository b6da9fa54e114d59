//! The vehicle-administration connector: one signed judicial query per query (GET with the
//! debtor, case and request id as parameters), its JSON answer read (size-capped), classified
//! and converted to vehicles.

use super::config::Config;
use super::convert;
use super::sign::{sign, timestamp_now};
use super::wire::{self, Envelope};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::domain::{AssetKind, Debtor, SourceId};
use crate::error::ConnectorError;
use crate::http;
use async_trait::async_trait;
use reqwest::header::{HeaderValue, ACCEPT};

/// Authentication headers.
pub const APP_KEY_HEADER: &str = "appKey";
pub const TIMESTAMP_HEADER: &str = "timestamp";
pub const SIGN_HEADER: &str = "sign";
/// Largest answer read; an answer is under a kilobyte per vehicle.
const BODY_CAP: http::BodyCap = http::BodyCap {
    max_bytes: 4 * 1024 * 1024,
    what: "administration answer",
};

pub struct VehicleConnector {
    id: SourceId,
    endpoint: String,
    app_key: String,
    app_key_header: HeaderValue,
    app_secret: String,
    client: reqwest::Client,
}

impl VehicleConnector {
    pub fn new(id: SourceId, config: Config) -> Result<Self, crate::ConfigError> {
        let client = http::client(id.as_str(), config.timeout_ms)?;
        Ok(Self {
            id,
            endpoint: config.endpoint,
            app_key: config.app_key,
            app_key_header: config.app_key_header,
            app_secret: config.app_secret,
            client,
        })
    }
}

#[async_trait]
impl Connector for VehicleConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> AssetKind {
        AssetKind::Vehicle
    }

    fn connector_type(&self) -> &'static str {
        "vehicle"
    }

    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }

    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let timestamp = timestamp_now();
        let signature = sign(&self.app_key, &timestamp, &self.app_secret);
        tracing::debug!(
            source = %self.id,
            debtor = ?debtor,
            case = %ctx.case,
            request_id = %ctx.request_id,
            "vehicle query"
        );
        let request = self
            .client
            .get(&self.endpoint)
            .query(&[
                ("sfzmhm", debtor.id.as_str()),
                ("xm", debtor.name.as_str()),
                ("ah", ctx.case.as_str()),
                ("lsh", ctx.request_id.as_str()),
            ])
            .header(APP_KEY_HEADER, self.app_key_header.clone())
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGN_HEADER, signature)
            .header(ACCEPT, "application/json");
        let bytes = http::exchange(request, Some(BODY_CAP))
            .await?
            .success_body(wire::error_detail)?;
        let envelope: Envelope = http::decode_json(&bytes)?;
        let answer = convert::answer(&self.id, envelope)?;
        if let QueryAnswer::Found(assets) = &answer {
            tracing::debug!(source = %self.id, vehicles = assets.len(), "administration answered");
        }
        Ok(answer)
    }
}
