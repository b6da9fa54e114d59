//! The registry connector: one 权利人查询 per query, posted as XML with the registry's token,
//! its answer read (size-capped), classified and converted to properties; one 查控 request per
//! control instruction (seal, release, renew) or result query, converted to a `ControlAnswer`.

use super::config::Config;
use super::control;
use super::control_wire::{self, KzRequest, STATUS_PATH};
use super::convert;
use super::wire::{self, CxRequest};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::control::{ControlAnswer, ControlInstruction};
use crate::domain::{AssetKind, Debtor, SourceId};
use crate::error::ConnectorError;
use crate::http;
use async_trait::async_trait;
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};

/// Header carrying the registry's access token.
pub const TOKEN_HEADER: &str = "X-BDC-Token";
/// Largest answer read; a registry answer is a few kilobytes per property.
const BODY_CAP: http::BodyCap = http::BodyCap {
    max_bytes: 4 * 1024 * 1024,
    what: "registry answer",
};
/// Largest control answer read; one is a few hundred bytes.
const CONTROL_CAP: http::BodyCap = http::BodyCap {
    max_bytes: 64 * 1024,
    what: "registry control answer",
};
const XML: &str = "application/xml; charset=UTF-8";
const CAPABILITIES: [Capability; 4] = [
    Capability::Query,
    Capability::Seal,
    Capability::Release,
    Capability::Renew,
];

pub struct RegistryConnector {
    id: SourceId,
    base: String,
    endpoint: String,
    token: HeaderValue,
    client: http::AgencyClient,
}

impl RegistryConnector {
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
            base: config.base,
            endpoint: config.endpoint,
            token: config.token,
            client,
        })
    }

    /// Posts one control request and converts the answer (`None`: key never received).
    async fn post_control(
        &self,
        path: &str,
        ctx: &CallContext,
        key: &str,
        request: &KzRequest<'_>,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(TOKEN_HEADER, self.token.clone())
            .header(CONTENT_TYPE, XML)
            .header(ACCEPT, "application/xml")
            .body(request.to_xml()?);
        let bytes = http::exchange(request, Some(CONTROL_CAP))
            .await?
            .success_body(control_wire::error_detail)?;
        control::answer(&ctx.request_id, key, control_wire::parse_response(&bytes)?)
    }
}

#[async_trait]
impl Connector for RegistryConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> AssetKind {
        AssetKind::REAL_ESTATE
    }

    fn connector_type(&self) -> &'static str {
        "real_estate"
    }

    fn capabilities(&self) -> &[Capability] {
        &CAPABILITIES
    }

    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let body = CxRequest::new(ctx, debtor).to_xml()?;
        tracing::debug!(
            source = %self.id,
            debtor = ?debtor,
            case = %ctx.case,
            request_id = %ctx.request_id,
            "registry inquiry"
        );
        let request = self
            .client
            .post(&self.endpoint)
            .header(TOKEN_HEADER, self.token.clone())
            .header(CONTENT_TYPE, XML)
            .header(ACCEPT, "application/xml")
            .body(body);
        let bytes = http::exchange(request, Some(BODY_CAP))
            .await?
            .success_body(wire::error_detail)?;
        let answer = convert::answer(&self.id, &ctx.request_id, wire::parse_response(&bytes)?)?;
        if let QueryAnswer::Found(assets) = &answer {
            tracing::debug!(source = %self.id, properties = assets.len(), "registry answered");
        }
        Ok(answer)
    }

    async fn control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let (path, request) = KzRequest::control(ctx, instruction)?;
        tracing::debug!(
            source = %self.id,
            action = instruction.action.name(),
            key = %instruction.key,
            case = %instruction.case,
            request_id = %ctx.request_id,
            "registry control"
        );
        let answer = self
            .post_control(path, ctx, &instruction.key, &request)
            .await?
            .ok_or_else(|| {
                ConnectorError::malformed("registry answered a control request as never received")
            })?;
        tracing::debug!(source = %self.id, hold = %answer.hold, status = ?answer.status, "registry control answered");
        Ok(answer)
    }

    async fn control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        tracing::debug!(source = %self.id, key = %key, request_id = %ctx.request_id, "registry control status");
        self.post_control(STATUS_PATH, ctx, key, &KzRequest::status(ctx, key))
            .await
    }
}
