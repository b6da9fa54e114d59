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
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
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
        let response = self
            .client
            .post(&self.endpoint)
            .header(TOKEN_HEADER, self.token.clone())
            .header(CONTENT_TYPE, XML)
            .header(ACCEPT, "application/xml")
            .body(body)
            .send()
            .await
            .map_err(http::send_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = read_body(response).await?;
        if !status.is_success() {
            return Err(http::status_error(
                status,
                &headers,
                &wire::error_detail(&bytes),
            ));
        }
        let answer = convert::answer(&self.id, &ctx.request_id, wire::parse_response(&bytes)?)?;
        if let QueryAnswer::Found(assets) = &answer {
            tracing::debug!(source = %self.id, properties = assets.len(), "registry answered");
        }
        Ok(answer)
    }
}

/// Reads a response body, refusing one larger than `MAX_BODY_BYTES`.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, ConnectorError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(ConnectorError::malformed("registry answer is too large"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http::send_error)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ConnectorError::malformed("registry answer is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
