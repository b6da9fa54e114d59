//! The vehicle-administration connector: one signed judicial query per query (GET with the
//! debtor, case and request id as parameters), its JSON answer read (size-capped), classified
//! and converted to vehicles. Control instructions, their status and the sightings feed are
//! in `control`.

use super::config::Config;
use super::convert;
use super::sign::{sign, timestamp_now};
use super::wire::{self, Envelope};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::control::{ControlAnswer, ControlInstruction, SightingsPage};
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
pub(super) const BODY_CAP: http::BodyCap = http::BodyCap {
    max_bytes: 4 * 1024 * 1024,
    what: "administration answer",
};

pub struct VehicleConnector {
    pub(super) id: SourceId,
    endpoint: String,
    pub(super) base: String,
    app_key: String,
    app_key_header: HeaderValue,
    app_secret: String,
    pub(super) client: http::AgencyClient,
}

impl VehicleConnector {
    /// `request` with the JSON accept header and the signature headers, signed now.
    pub(super) fn signed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let timestamp = timestamp_now();
        let signature = sign(&self.app_key, &timestamp, &self.app_secret);
        request
            .header(APP_KEY_HEADER, self.app_key_header.clone())
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGN_HEADER, signature)
            .header(ACCEPT, "application/json")
    }

    pub fn new(
        id: SourceId,
        config: Config,
        clients: &http::Clients,
    ) -> Result<Self, crate::ConfigError> {
        let client = http::AgencyClient::new(
            clients,
            id.as_str(),
            config.timeout_ms,
            config.http2_prior_knowledge,
        )?;
        Ok(Self {
            id,
            endpoint: config.endpoint,
            base: config.base,
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
        AssetKind::VEHICLE
    }

    fn connector_type(&self) -> &'static str {
        "vehicle"
    }

    fn capabilities(&self) -> &[Capability] {
        &[
            Capability::Query,
            Capability::Seal,
            Capability::Release,
            Capability::Renew,
            Capability::Watch,
        ]
    }

    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        tracing::debug!(
            source = %self.id,
            debtor = ?debtor,
            case = %ctx.case,
            request_id = %ctx.request_id,
            "vehicle query"
        );
        let request = self.signed(self.client.get(&self.endpoint).query(&[
            ("sfzmhm", debtor.id.as_str()),
            ("xm", debtor.name.as_str()),
            ("ah", ctx.case.as_str()),
            ("lsh", ctx.request_id.as_str()),
        ]));
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

    async fn control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        self.send_control(ctx, instruction).await
    }

    async fn control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        self.status_of(ctx, key).await
    }

    async fn sightings(&self, cursor: &str) -> Result<SightingsPage, ConnectorError> {
        self.sightings_after(cursor).await
    }
}
