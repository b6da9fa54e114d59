//! The bank connector: signs and sends one inquiry, reads the answer envelope, maps the bank's
//! return codes onto answers and error classes, and converts accounts into deposits with
//! exact fen. Control actions are in `control.rs`; both use [`BankConnector::post`].

use super::config::BankConfig;
use super::later::Loose;
use super::sign;
use super::wire::{self, ret, Envelope, ErrorBody, InquiryRequest, INQUIRY_PATH};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::control::{ControlAnswer, ControlInstruction};
use crate::domain::{
    mask_id, AccountStatus, Asset, AssetDetail, AssetKind, AssetRef, Debtor, DepositAccount,
    DepositType, Fen, MoneyError, SourceId,
};
use crate::error::{ConfigError, ConnectorError, ErrorClass};
use crate::http;
use async_trait::async_trait;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use std::time::Instant;

/// Longest account number accepted from the bank.
const MAX_ACCOUNT_NUMBER: usize = 64;
/// How much of an error body is kept for the error message.
const MAX_ERROR_BODY: usize = 1_024;

pub(super) struct BankConnector {
    pub(super) id: SourceId,
    config: BankConfig,
    client: http::AgencyClient,
}

impl fmt::Debug for BankConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankConnector")
            .field("id", &self.id)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl BankConnector {
    pub(super) fn new(
        id: SourceId,
        config: BankConfig,
        clients: &http::Clients,
    ) -> Result<Self, ConfigError> {
        let client = http::AgencyClient::new(
            clients,
            id.as_str(),
            config.timeout_ms,
            config.http2_prior_knowledge,
        )?;
        Ok(Self { id, config, client })
    }

    /// One signed POST of `body` to the endpoint at `path`: the decoded answer envelope, or
    /// the classified failure of a non-success HTTP status or transport.
    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Envelope<T>, ConnectorError> {
        let body = serde_json::to_vec(body).map_err(|e| {
            ConnectorError::new(
                ErrorClass::Rejected,
                format!("cannot encode the request: {e}"),
            )
        })?;
        let url = self.config.url(path)?;
        let signed = sign::sign(&self.config.api_secret, "POST", url.path(), &body);
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .header(ACCEPT, "application/json")
            .header(sign::API_KEY_HEADER, self.config.api_key.clone())
            .header(sign::TIMESTAMP_HEADER, signed.timestamp)
            .header(sign::NONCE_HEADER, signed.nonce)
            .header(sign::SIGNATURE_HEADER, signed.signature)
            .body(body);
        let bytes = http::exchange(request, None)
            .await?
            .success_body(error_detail)?;
        http::decode_json(&bytes)
    }

    /// One signed round trip: the classified answer and the gateway's serial number.
    async fn call(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<(QueryAnswer, Option<String>), ConnectorError> {
        let envelope: Envelope<Loose> = self
            .post(INQUIRY_PATH, &InquiryRequest::new(ctx, debtor))
            .await?;
        let serial_no = envelope.serial_no.clone();
        super::later::interpret_any(&self.id, ctx, envelope).map(|answer| (answer, serial_no))
    }
}

#[async_trait]
impl Connector for BankConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> AssetKind {
        AssetKind::BANK
    }

    fn connector_type(&self) -> &'static str {
        "bank"
    }

    fn capabilities(&self) -> &[Capability] {
        &[
            Capability::Query,
            Capability::Freeze,
            Capability::Release,
            Capability::Deduct,
            Capability::Renew,
        ]
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
        self.ask_status(ctx, key).await
    }

    async fn query_status(
        &self,
        ctx: &CallContext,
        ticket: &str,
    ) -> Result<QueryAnswer, ConnectorError> {
        let request = super::later::ResultRequest {
            req_id: &ctx.request_id,
            case_no: ctx.case.as_str(),
            ticket_no: ticket,
        };
        let envelope: Envelope<Loose> = self.post(wire::INQUIRY_RESULT_PATH, &request).await?;
        super::later::interpret_any(&self.id, ctx, envelope)
    }

    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let started = Instant::now();
        let result = self.call(ctx, debtor).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok((answer, serial_no)) => {
                tracing::debug!(
                    source = %self.id,
                    request_id = %ctx.request_id,
                    debtor = %debtor.id,
                    serial_no = %http::truncate(serial_no.as_deref().unwrap_or("-"), 64),
                    outcome = %outcome(&answer),
                    elapsed_ms,
                    "bank inquiry answered"
                );
                Ok(answer)
            }
            Err(error) => {
                tracing::debug!(
                    source = %self.id,
                    request_id = %ctx.request_id,
                    debtor = %debtor.id,
                    class = error.class.as_str(),
                    error = %error.message,
                    elapsed_ms,
                    "bank inquiry failed"
                );
                Err(error)
            }
        }
    }
}

fn outcome(answer: &QueryAnswer) -> String {
    match answer {
        QueryAnswer::Found(assets) => format!("found {} accounts", assets.len()),
        QueryAnswer::NotFound => "not found".into(),
        QueryAnswer::NameMismatch => "name mismatch".into(),
        QueryAnswer::Pending { .. } => "pending".into(),
    }
}

/// Maps a successfully received envelope onto an answer or an error class.
pub(super) fn interpret(
    source: &SourceId,
    ctx: &CallContext,
    envelope: Envelope,
) -> Result<QueryAnswer, ConnectorError> {
    let code = envelope.ret_code.trim();
    let detail = || {
        format!(
            "{} {}",
            http::truncate(code, 16),
            http::truncate(&envelope.ret_msg, 200)
        )
    };
    if matches!(code, ret::OK | ret::NOT_FOUND | ret::NAME_MISMATCH) {
        let echoed = envelope.req_id.as_deref().map(str::trim);
        if echoed != Some(ctx.request_id.trim()) {
            return Err(ConnectorError::malformed(format!(
                "answer {} does not echo our reqId",
                detail()
            )));
        }
    }
    match code {
        ret::OK => {
            let data = envelope.data.ok_or_else(|| {
                ConnectorError::malformed(format!("answer {} carries no data", ret::OK))
            })?;
            let mut seen = HashSet::new();
            let mut assets = Vec::with_capacity(data.accounts.len());
            for account in data.accounts {
                let asset = deposit(source, &account)?;
                if !seen.insert(asset.asset_ref.local.clone()) {
                    return Err(ConnectorError::malformed(format!(
                        "account {} is listed twice",
                        mask_id(&asset.asset_ref.local)
                    )));
                }
                assets.push(asset);
            }
            Ok(QueryAnswer::Found(assets))
        }
        ret::NOT_FOUND => Ok(QueryAnswer::NotFound),
        ret::NAME_MISMATCH => Ok(QueryAnswer::NameMismatch),
        c if c.starts_with(ret::AUTH_PREFIX) => Err(ConnectorError::new(
            ErrorClass::Auth,
            format!("refused: {}", detail()),
        )),
        c if c.starts_with(ret::SYSTEM_PREFIX) => Err(ConnectorError::new(
            ErrorClass::Server,
            format!("bank failure: {}", detail()),
        )),
        c if c.starts_with(ret::PARAM_PREFIX) => Err(ConnectorError::new(
            ErrorClass::Rejected,
            format!("invalid inquiry: {}", detail()),
        )),
        _ => Err(ConnectorError::malformed(format!(
            "unknown retCode: {}",
            detail()
        ))),
    }
}

/// Converts one account record into a deposit asset; any value the connector cannot read
/// exactly makes the whole answer malformed rather than silently wrong.
pub(super) fn deposit(source: &SourceId, account: &wire::Account) -> Result<Asset, ConnectorError> {
    let number = account.acct_no.trim();
    if number.is_empty()
        || number.len() > MAX_ACCOUNT_NUMBER
        || !number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ConnectorError::malformed(
            "an account number is empty or has unexpected characters",
        ));
    }
    let label = mask_id(number);
    let bad = |field: &str, value: &str| {
        ConnectorError::malformed(format!(
            "account {label}: {field} {:?} is not understood",
            http::truncate(value, 24)
        ))
    };
    let deposit_type = match account.acct_type.trim() {
        "D" => DepositType::Demand,
        "T" => DepositType::Time,
        other => return Err(bad("acctType", other)),
    };
    let currency = account.ccy.trim();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad("ccy", currency));
    }
    let status = match account.status.trim() {
        "0" => AccountStatus::Normal,
        "1" => AccountStatus::Frozen,
        "2" => AccountStatus::Dormant,
        "3" => AccountStatus::Closed,
        other => return Err(bad("status", other)),
    };
    let balance = amount(&label, "bal", &account.bal)?;
    let frozen = amount(&label, "frozenAmt", &account.frozen_amt)?;
    Ok(Asset {
        asset_ref: AssetRef::new(source, number),
        detail: AssetDetail::Deposit(DepositAccount {
            account_number: number.to_string(),
            deposit_type,
            currency: currency.to_string(),
            balance,
            frozen,
            status,
            branch: account.open_branch.trim().to_string(),
        }),
    })
}

/// A non-negative yuan decimal string, exactly in fen.
pub(super) fn amount(label: &str, field: &str, text: &str) -> Result<Fen, ConnectorError> {
    let fen = Fen::from_yuan_str(text).map_err(|e| {
        let why = match e {
            MoneyError::Malformed(_) => "is not a yuan amount",
            MoneyError::SubFen(_) => "is finer than one fen",
            MoneyError::Overflow(_) => "is too large",
        };
        ConnectorError::malformed(format!(
            "account {label}: {field} {:?} {why}",
            http::truncate(text, 24)
        ))
    })?;
    if fen < Fen::ZERO {
        return Err(ConnectorError::malformed(format!(
            "account {label}: {field} is negative"
        )));
    }
    Ok(fen)
}

/// The bank's `retCode retMsg` from an error answer, or the start of the raw body.
fn error_detail(body: &[u8]) -> String {
    let head = &body[..body.len().min(MAX_ERROR_BODY)];
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) => format!("{} {}", http::truncate(&error.ret_code, 16), error.ret_msg),
        Err(_) => String::from_utf8_lossy(head).trim().to_string(),
    }
}
