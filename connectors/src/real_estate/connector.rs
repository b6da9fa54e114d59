//! The registry connector: one 权利人查询 per query, posted as XML with the registry's token,
//! its answer read (size-capped), classified and converted to properties.

use super::config::Config;
use super::convert;
use super::wire::{self, CxRequest};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
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
const XML: &str = "application/xml; charset=UTF-8";

pub struct RegistryConnector {
    id: SourceId,
    endpoint: String,
    token: HeaderValue,
    client: reqwest::Client,
}

impl RegistryConnector {
    pub fn new(id: SourceId, config: Config) -> Result<Self, crate::ConfigError> {
        let client = http::client(id.as_str(), config.timeout_ms)?;
        Ok(Self {
            id,
            endpoint: config.endpoint,
            token: config.token,
            client,
        })
    }
}

#[async_trait]
impl Connector for RegistryConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> AssetKind {
        AssetKind::RealEstate
    }

    fn connector_type(&self) -> &'static str {
        "real_estate"
    }

    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
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
}
