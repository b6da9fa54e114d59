//! The remote connector: every trait method is one RPC of `assethub.connector.v1` to the
//! connector process, with the per-attempt timeout as its gRPC deadline (and enforced here
//! too, so a connector that ignores deadlines still ends in a `timeout`). Requests carry the
//! source id, the case and the request id; answers are checked by [`super::answers`]; gRPC
//! statuses become error classes by [`super::status`].

use super::answers;
use super::config::RemoteConfig;
use super::describe::{self, Described};
use super::status::{clean_text, error_of};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer, ReadyPage};
use crate::control::{ControlAction, ControlAnswer, ControlInstruction, SightingsPage};
use crate::domain::{AssetKind, Debtor, KindSpec, SourceId};
use crate::error::{ConfigError, ConnectorError, ErrorClass};
use assethub_proto::connector::v1 as wire;
use assethub_proto::connector::v1::connector_client::ConnectorClient;
use async_trait::async_trait;
use std::fmt;
use std::future::Future;
use std::time::Duration;
use tonic::transport::Channel;

/// A source served by a connector in another process.
pub struct RemoteConnector {
    id: SourceId,
    client: ConnectorClient<Channel>,
    timeout: Duration,
    settings_json: String,
    described: Described,
}

impl fmt::Debug for RemoteConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteConnector")
            .field("id", &self.id)
            .field("kind", &self.described.spec.kind)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RemoteConnector {
    /// One page of the connector's notifications after `cursor`.
    async fn notifications(&self, cursor: &str) -> Result<wire::NotificationsPage, ConnectorError> {
        let request = wire::NotificationsRequest {
            source_id: self.id.to_string(),
            cursor: cursor.to_string(),
            limit: 0,
        };
        self.unary("Notifications", None, request, |mut c, r| async move {
            c.notifications(r).await
        })
        .await
    }

    /// Connects (lazily) to the connector of source `id` and asks it to describe itself: a
    /// connector that cannot be reached, refuses its settings, speaks another protocol
    /// version or describes itself wrongly is a configuration error.
    pub(super) async fn describe(id: SourceId, config: RemoteConfig) -> Result<Self, ConfigError> {
        let client = ConnectorClient::new(config.channel());
        let request = wire::DescribeRequest {
            source_id: id.to_string(),
            settings_json: config.settings_json.clone(),
        };
        let description = call(config.timeout, "Describe", None, {
            let mut client = client.clone();
            let request = deadline(request, config.timeout);
            async move { client.describe(request).await }
        })
        .await
        .map_err(|e| {
            let what = match e.class {
                ErrorClass::Rejected => "refused its settings",
                _ => "could not describe itself",
            };
            ConfigError::new(
                id.as_str(),
                format!(
                    "the remote connector at {} {what}: {}",
                    config.address, e.message
                ),
            )
        })?;
        let described = describe::described(&id, description)?;
        tracing::info!(
            source = %id,
            address = %config.address,
            connector = %described.connector_type,
            version = %described.connector_version,
            kind = %described.spec.kind,
            "remote connector described itself"
        );
        Ok(Self {
            id,
            client,
            timeout: config.timeout,
            settings_json: config.settings_json,
            described,
        })
    }

    /// What the connector said about itself.
    pub fn description(&self) -> &Described {
        &self.described
    }

    fn context(&self, ctx: &CallContext) -> Option<wire::CallContext> {
        Some(wire::CallContext {
            source_id: self.id.to_string(),
            case_number: ctx.case.as_str().to_string(),
            request_id: ctx.request_id.clone(),
        })
    }

    async fn unary<Req, Resp, Fut>(
        &self,
        name: &str,
        debtor: Option<&Debtor>,
        request: Req,
        send: impl FnOnce(ConnectorClient<Channel>, tonic::Request<Req>) -> Fut,
    ) -> Result<Resp, ConnectorError>
    where
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        let request = deadline(request, self.timeout);
        call(
            self.timeout,
            name,
            debtor,
            send(self.client.clone(), request),
        )
        .await
    }
}

fn deadline<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    request
}

/// One attempt of `name` within `timeout`.
async fn call<Resp>(
    timeout: Duration,
    name: &str,
    debtor: Option<&Debtor>,
    attempt: impl Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
) -> Result<Resp, ConnectorError> {
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(error_of(&status, name, debtor)),
        Err(_) => Err(ConnectorError::new(
            ErrorClass::Timeout,
            format!("remote connector {name}: no answer within {timeout:?}"),
        )),
    }
}

fn debtor(debtor: &Debtor) -> Option<wire::Debtor> {
    Some(wire::Debtor {
        id_number: debtor.id.as_str().to_string(),
        name: debtor.name.clone(),
    })
}

fn instruction(instruction: &ControlInstruction) -> wire::Instruction {
    use wire::instruction::Action;
    let action = match &instruction.action {
        ControlAction::Freeze { amount, until } => Action::Freeze(wire::Freeze {
            amount_fen: amount.0,
            until: until.to_string(),
        }),
        ControlAction::FreezeQuantity { quantity, until } => {
            Action::FreezeQuantity(wire::FreezeQuantity {
                quantity: *quantity,
                until: until.to_string(),
            })
        }
        ControlAction::Seal { until } => Action::Seal(wire::Seal {
            until: until.to_string(),
        }),
        ControlAction::Watch { until } => Action::Watch(wire::Watch {
            until: until.to_string(),
        }),
        ControlAction::Release { hold } => Action::Release(wire::Release { hold: hold.clone() }),
        ControlAction::Deduct {
            hold,
            amount,
            into_account,
        } => Action::Deduct(wire::Deduct {
            hold: hold.clone(),
            amount_fen: amount.0,
            into_account: into_account.clone(),
        }),
        ControlAction::Renew { hold, until } => Action::Renew(wire::Renew {
            hold: hold.clone(),
            until: until.to_string(),
        }),
    };
    wire::Instruction {
        key: instruction.key.clone(),
        case_number: instruction.case.as_str().to_string(),
        court: instruction.case.court().to_string(),
        ruling: instruction.ruling.clone(),
        officer: instruction.officer.clone(),
        asset: instruction.asset.clone(),
        debtor: debtor(&instruction.debtor),
        action: Some(action),
        signature: instruction.signature.as_ref().map(|s| wire::Signature {
            key_id: s.key_id.clone(),
            signed_at: s.signed_at,
            signature: s.signature.clone(),
        }),
    }
}

#[async_trait]
impl Connector for RemoteConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> AssetKind {
        self.described.spec.kind
    }

    fn connector_type(&self) -> &'static str {
        "remote"
    }

    fn capabilities(&self) -> &[Capability] {
        &self.described.capabilities
    }

    fn kind_spec(&self) -> Option<KindSpec> {
        Some(self.described.spec.clone())
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        let request = wire::CheckRequest {
            source_id: self.id.to_string(),
            settings_json: self.settings_json.clone(),
        };
        let answer = self
            .unary("Check", None, request, |mut c, r| async move {
                c.check(r).await
            })
            .await?;
        if answer.ok {
            Ok(())
        } else {
            Err(ConnectorError::new(
                ErrorClass::Server,
                format!(
                    "remote connector Check: the agency is not ready: {}",
                    clean_text(&answer.message, None)
                ),
            ))
        }
    }

    async fn query(&self, ctx: &CallContext, who: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        let request = wire::QueryRequest {
            context: self.context(ctx),
            debtor: debtor(who),
        };
        let answer = self
            .unary("Query", Some(who), request, |mut c, r| async move {
                c.query(r).await
            })
            .await?;
        answers::query_answer(&self.id, self.kind(), answer)
    }

    async fn query_status(
        &self,
        ctx: &CallContext,
        ticket: &str,
    ) -> Result<QueryAnswer, ConnectorError> {
        let request = wire::QueryStatusRequest {
            context: self.context(ctx),
            ticket: ticket.to_string(),
        };
        let answer = self
            .unary("QueryStatus", None, request, |mut c, r| async move {
                c.query_status(r).await
            })
            .await?;
        answers::query_answer(&self.id, self.kind(), answer)
    }

    async fn control(
        &self,
        ctx: &CallContext,
        order: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let request = wire::ControlRequest {
            context: self.context(ctx),
            instruction: Some(instruction(order)),
        };
        let answer = self
            .unary(
                "Control",
                Some(&order.debtor),
                request,
                |mut c, r| async move { c.control(r).await },
            )
            .await?;
        answers::control_answer(answer, Some(&order.debtor))
    }

    async fn control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        let request = wire::ControlStatusRequest {
            context: self.context(ctx),
            key: key.to_string(),
        };
        let answer = self
            .unary("ControlStatus", None, request, |mut c, r| async move {
                c.control_status(r).await
            })
            .await?;
        answers::control_status(answer, None)
    }

    async fn sightings(&self, cursor: &str) -> Result<SightingsPage, ConnectorError> {
        answers::sightings(self.notifications(cursor).await?)
    }

    /// The same notifications feed, read for its `query_ready` events (the hub keeps a
    /// cursor of its own for them, so sightings are not disturbed).
    async fn ready_tickets(&self, cursor: &str) -> Result<ReadyPage, ConnectorError> {
        answers::ready_tickets(self.notifications(cursor).await?)
    }
}
