//! The payment-platform connector: obtains and caches an OAuth2 access token (client
//! credentials), asks the judicial holdings inquiry, and converts the platform's answer (fen
//! integers, product codes, result codes) into domain types. A token the platform refuses as
//! `invalid_token` is replaced once and the request sent once more (the platform refused it
//! before looking at it, so this holds for control instructions too); everything else is one
//! attempt, classified for the hub. Control instructions are in `control.rs`.

use super::config::Config;
use super::token::{AccessToken, TokenCache};
use super::wire;
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::control::{ControlAnswer, ControlInstruction};
use crate::domain::{
    Asset, AssetDetail, AssetKind, AssetRef, Debtor, DebtorId, Fen, PaymentBalance,
    PaymentBalanceType, SourceId,
};
use crate::error::{ConnectorError, ErrorClass};
use crate::http;
use async_trait::async_trait;
use reqwest::header::ACCEPT;
use reqwest::StatusCode;
use std::future::Future;
use std::time::Duration;

const CAPABILITIES: [Capability; 5] = [
    Capability::Query,
    Capability::Freeze,
    Capability::Release,
    Capability::Deduct,
    Capability::Renew,
];

pub(crate) struct PaymentConnector {
    pub(super) id: SourceId,
    pub(super) config: Config,
    pub(super) http: crate::http::AgencyClient,
    token_url: String,
    holdings_url: String,
    tokens: TokenCache,
}

/// Outcome of one request with one token.
pub(super) enum Attempt<T> {
    Answered(T),
    /// The platform refused the token (`invalid_token`): expired early, revoked, rotated.
    TokenRefused,
}

/// Whether an answer refuses the bearer token (RFC 6750 `invalid_token`).
pub(super) fn token_refused(exchange: &http::Exchange) -> bool {
    exchange.status == StatusCode::UNAUTHORIZED
        && wire::is_invalid_token(&exchange.headers, &exchange.body)
}

fn context(mut error: ConnectorError, step: &str) -> ConnectorError {
    error.message = format!("{step}: {}", error.message);
    error
}

impl PaymentConnector {
    pub fn new(id: SourceId, config: Config, http: crate::http::AgencyClient) -> Self {
        Self {
            token_url: format!("{}{}", config.base_url, wire::TOKEN_PATH),
            holdings_url: format!("{}{}", config.base_url, wire::HOLDINGS_PATH),
            id,
            config,
            http,
            tokens: TokenCache::default(),
        }
    }

    /// Asks the token endpoint for a new access token and its lifetime.
    async fn fetch_token(&self) -> Result<(AccessToken, Duration), ConnectorError> {
        let request = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .header(ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")]);
        let exchange = http::exchange(request, None)
            .await
            .map_err(|e| context(e, "token"))?;
        if !exchange.status.is_success() {
            let detail = wire::error_detail(&exchange.body);
            let mut error = http::status_error(exchange.status, &exchange.headers, &detail);
            // Some platforms answer a bad client with 400; it is still our credentials.
            let code = wire::oauth_error_code(&exchange.body);
            if matches!(
                code.as_deref(),
                Some("invalid_client" | "unauthorized_client")
            ) {
                error.class = ErrorClass::Auth;
            }
            return Err(context(error, "token"));
        }
        let answer: wire::TokenResponse =
            http::decode_json(&exchange.body).map_err(|e| context(e, "token"))?;
        if !answer.token_type.eq_ignore_ascii_case("bearer") {
            return Err(ConnectorError::malformed(format!(
                "token: unsupported token_type {:?}",
                http::truncate(&answer.token_type, 20)
            )));
        }
        let usable = !answer.access_token.is_empty()
            && answer.access_token.bytes().all(|b| b.is_ascii_graphic());
        if !usable {
            return Err(ConnectorError::malformed(
                "token: access_token is empty or not printable ASCII",
            ));
        }
        tracing::debug!(source = %self.id, expires_in = answer.expires_in, "access token obtained");
        Ok((
            AccessToken::new(&answer.access_token),
            Duration::from_secs(answer.expires_in),
        ))
    }

    async fn token(&self, refused: Option<&AccessToken>) -> Result<AccessToken, ConnectorError> {
        self.tokens.get(refused, || self.fetch_token()).await
    }

    /// Runs `call` with the cached token and, when the platform refuses that token, once more
    /// with a fresh one.
    pub(super) async fn with_token<T, F, Fut>(&self, mut call: F) -> Result<T, ConnectorError>
    where
        F: FnMut(AccessToken) -> Fut,
        Fut: Future<Output = Result<Attempt<T>, ConnectorError>>,
    {
        let token = self.token(None).await?;
        if let Attempt::Answered(answer) = call(token.clone()).await? {
            return Ok(answer);
        }
        tracing::debug!(source = %self.id, "access token refused; fetching a new one");
        let fresh = self.token(Some(&token)).await?;
        match call(fresh).await? {
            Attempt::Answered(answer) => Ok(answer),
            Attempt::TokenRefused => Err(ConnectorError::new(
                ErrorClass::Auth,
                "the platform refused a freshly issued access token",
            )),
        }
    }

    /// One holdings inquiry with `token`.
    async fn inquire(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
        token: AccessToken,
    ) -> Result<Attempt<QueryAnswer>, ConnectorError> {
        let cert_type = match debtor.id {
            DebtorId::Resident(_) => wire::CERT_IDCARD,
            DebtorId::Company(_) => wire::CERT_USCC,
        };
        let request = self
            .http
            .get(&self.holdings_url)
            .bearer_auth(token.as_str())
            .header(ACCEPT, "application/json")
            .query(&[
                ("cert_type", cert_type),
                ("cert_no", debtor.id.as_str()),
                ("name", debtor.name.as_str()),
                ("case_no", ctx.case.as_str()),
                ("request_id", ctx.request_id.as_str()),
            ]);
        let exchange = http::exchange(request, None).await?;
        if token_refused(&exchange) {
            return Ok(Attempt::TokenRefused);
        }
        let body = exchange.success_body(wire::error_detail)?;
        let answer: wire::HoldingsResponse = http::decode_json(&body)?;
        convert(&self.id, ctx, answer).map(Attempt::Answered)
    }
}

/// The holdings answer for request `ctx` as a `QueryAnswer`, balances keyed under `source`.
pub(super) fn convert(
    source: &SourceId,
    ctx: &CallContext,
    answer: wire::HoldingsResponse,
) -> Result<QueryAnswer, ConnectorError> {
    if let Some(echoed) = &answer.request_id {
        if *echoed != ctx.request_id {
            return Err(ConnectorError::malformed(
                "the answer carries another request's request_id",
            ));
        }
    }
    match answer.result_code.as_str() {
        wire::SUCCESS => {}
        wire::USER_NOT_EXIST => return Ok(QueryAnswer::NotFound),
        wire::CERT_NAME_MISMATCH => return Ok(QueryAnswer::NameMismatch),
        other => {
            let message = answer.result_msg.as_deref().unwrap_or("");
            return Err(ConnectorError::malformed(format!(
                "unexpected result_code {}: {}",
                http::truncate(other, 40),
                http::truncate(message, 120)
            )));
        }
    }
    let holdings = answer
        .holdings
        .ok_or_else(|| ConnectorError::malformed("result_code SUCCESS without holdings"))?;
    holdings
        .into_iter()
        .map(|h| asset(source, h))
        .collect::<Result<Vec<_>, _>>()
        .map(QueryAnswer::Found)
}

fn asset(source: &SourceId, holding: wire::Holding) -> Result<Asset, ConnectorError> {
    let balance_type = match holding.product.as_str() {
        wire::PRODUCT_BALANCE | wire::PRODUCT_MERCHANT => PaymentBalanceType::Wallet,
        wire::PRODUCT_FUND => PaymentBalanceType::Fund,
        other => {
            // Never drop a balance silently: an unknown product fails the answer.
            return Err(ConnectorError::malformed(format!(
                "unknown product {:?}",
                http::truncate(other, 40)
            )));
        }
    };
    if holding.account_id.trim().is_empty() {
        return Err(ConnectorError::malformed("holding without account_id"));
    }
    if holding.amount_fen < 0 || !(0..=holding.amount_fen).contains(&holding.frozen_fen) {
        return Err(ConnectorError::malformed(format!(
            "holding {}: amounts out of range (amount_fen {}, frozen_fen {})",
            holding.product, holding.amount_fen, holding.frozen_fen
        )));
    }
    Ok(Asset {
        asset_ref: AssetRef::new(
            source,
            format!("{}:{}", holding.account_id, holding.product),
        ),
        detail: AssetDetail::Payment(PaymentBalance {
            account_id: holding.account_id,
            balance_type,
            balance: Fen(holding.amount_fen),
            frozen: Fen(holding.frozen_fen),
        }),
    })
}

#[async_trait]
impl Connector for PaymentConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> AssetKind {
        AssetKind::PAYMENT
    }

    fn connector_type(&self) -> &'static str {
        "payment"
    }

    fn capabilities(&self) -> &[Capability] {
        &CAPABILITIES
    }

    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let answer = self
            .with_token(|token| self.inquire(ctx, debtor, token))
            .await?;
        tracing::debug!(
            source = %self.id,
            request_id = %ctx.request_id,
            ?debtor,
            answer = match &answer {
                QueryAnswer::Found(assets) => format!("{} balances", assets.len()),
                QueryAnswer::NotFound => "not found".into(),
                QueryAnswer::NameMismatch => "name mismatch".into(),
                QueryAnswer::Pending { .. } => "pending".into(),
            },
            "payment platform answered"
        );
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
        self.ask_control_status(ctx, key).await
    }
}
