//! A connector served out of process, for the kit's remote test: any in-process connector
//! behind an `assethub.connector.v1` server (tonic, on a loopback port), translating requests
//! to the trait and answers (and errors, with `ErrorInfo` and `RetryInfo`) to the wire, as a
//! connector written in another language would. The agency behind it is a real mock, so the
//! kit's faults and register checks reach through both hops.

use assethub_connectors::domain::{
    AttributeValue, CaseNumber, CivilDate, Debtor, DebtorId, Fen, Kinds,
};
use assethub_connectors::signature::InstructionSignature;
use assethub_connectors::{
    CallContext, Connector, ConnectorError, ControlAction, ControlAnswer, ControlInstruction,
    ErrorClass, HoldStatus, QueryAnswer,
};
use assethub_proto::connector::v1 as wire;
use assethub_proto::connector::v1::connector_server::{self, ConnectorServer};
use std::net::SocketAddr;
use std::sync::Arc;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Serves `inner` on a loopback port until the returned task is dropped or aborted.
pub async fn serve(inner: Arc<dyn Connector>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let service = ConnectorServer::new(Bridge { inner });
    let task = tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await;
    });
    (addr, task)
}

struct Bridge {
    inner: Arc<dyn Connector>,
}

fn status(error: ConnectorError) -> Status {
    let code = match error.class {
        ErrorClass::Connect | ErrorClass::CircuitOpen => Code::Unavailable,
        ErrorClass::Timeout => Code::DeadlineExceeded,
        ErrorClass::RateLimited => Code::ResourceExhausted,
        ErrorClass::Server => Code::Internal,
        ErrorClass::Auth => Code::Unauthenticated,
        ErrorClass::Rejected => Code::InvalidArgument,
        ErrorClass::Malformed => Code::DataLoss,
        ErrorClass::Unsupported => Code::Unimplemented,
    };
    let mut details = ErrorDetails::with_error_info(
        error.class.as_str().to_uppercase(),
        "assethub.connector.v1",
        [],
    );
    details.set_retry_info(error.retry_after);
    Status::with_error_details(code, error.message, details)
}

fn invalid(what: impl std::fmt::Display) -> Status {
    Status::invalid_argument(what.to_string())
}

fn context(ctx: Option<wire::CallContext>) -> Result<CallContext, Status> {
    let ctx = ctx.ok_or_else(|| invalid("no context"))?;
    Ok(CallContext {
        case: CaseNumber::parse_recorded(&ctx.case_number).map_err(invalid)?,
        request_id: ctx.request_id,
    })
}

fn debtor(debtor: Option<wire::Debtor>) -> Result<Debtor, Status> {
    let debtor = debtor.ok_or_else(|| invalid("no debtor"))?;
    Ok(Debtor {
        id: DebtorId::parse_recorded(&debtor.id_number).map_err(invalid)?,
        name: debtor.name,
    })
}

fn date(text: &str) -> Result<CivilDate, Status> {
    CivilDate::parse(text).map_err(invalid)
}

fn query_response(answer: QueryAnswer) -> wire::QueryResponse {
    use wire::query_response::Answer;
    let answer = match answer {
        QueryAnswer::Found(assets) => Answer::Found(wire::Found {
            assets: assets
                .iter()
                .map(|asset| {
                    let generic = asset.generic();
                    wire::Asset {
                        local_id: asset.asset_ref.local.clone(),
                        title: generic.title,
                        attributes: generic.attributes.into_iter().map(attribute).collect(),
                        value_fen: generic.value.map(|v| v.0),
                        quantity: generic.quantity,
                        frozen_quantity: generic.frozen_quantity,
                    }
                })
                .collect(),
        }),
        QueryAnswer::NotFound => Answer::NotFound(wire::NotFound {}),
        QueryAnswer::NameMismatch => Answer::NameMismatch(wire::NameMismatch {}),
        QueryAnswer::Pending {
            ticket,
            expected_in,
        } => Answer::Pending(wire::Pending {
            ticket,
            expected_in_seconds: expected_in.map_or(0, |d| d.as_secs() as u32),
        }),
    };
    wire::QueryResponse {
        answer: Some(answer),
    }
}

fn attribute(a: assethub_connectors::domain::Attribute) -> wire::Attribute {
    use wire::attribute::Value;
    let value = match a.value {
        AttributeValue::Text(t) => Value::Text(t),
        AttributeValue::Integer(i) => Value::Integer(i),
        AttributeValue::Centi(c) => Value::Centi(c),
        AttributeValue::Money(m) => Value::MoneyFen(m.0),
        AttributeValue::Date(d) => Value::Date(d),
        AttributeValue::Flag(f) => Value::Flag(f),
    };
    wire::Attribute {
        key: a.key,
        label: a.label,
        value: Some(value),
        unit: a.unit,
    }
}

fn control_answer(answer: ControlAnswer) -> wire::ControlAnswer {
    let (status, queue_position) = match answer.status {
        HoldStatus::Pending => (wire::HoldStatus::Pending, 0),
        HoldStatus::Effective => (wire::HoldStatus::Effective, 0),
        HoldStatus::Queued { position } => (wire::HoldStatus::Queued, position),
        HoldStatus::Rejected => (wire::HoldStatus::Rejected, 0),
        HoldStatus::Released => (wire::HoldStatus::Released, 0),
        HoldStatus::Deducted => (wire::HoldStatus::Deducted, 0),
        HoldStatus::Expired => (wire::HoldStatus::Expired, 0),
    };
    wire::ControlAnswer {
        hold: answer.hold,
        status: status as i32,
        queue_position,
        held_fen: answer.held.0,
        deducted_fen: answer.deducted.0,
        held_quantity: answer.held_quantity,
        until: answer.until.map(|d| d.to_string()).unwrap_or_default(),
        message: answer.message,
    }
}

fn instruction(ins: wire::Instruction) -> Result<ControlInstruction, Status> {
    use wire::instruction::Action;
    let action = match ins.action.ok_or_else(|| invalid("no action"))? {
        Action::Freeze(f) => ControlAction::Freeze {
            amount: Fen(f.amount_fen),
            until: date(&f.until)?,
        },
        Action::FreezeQuantity(f) => ControlAction::FreezeQuantity {
            quantity: f.quantity,
            until: date(&f.until)?,
        },
        Action::Seal(s) => ControlAction::Seal {
            until: date(&s.until)?,
        },
        Action::Watch(w) => ControlAction::Watch {
            until: date(&w.until)?,
        },
        Action::Release(r) => ControlAction::Release { hold: r.hold },
        Action::Deduct(d) => ControlAction::Deduct {
            hold: d.hold,
            amount: Fen(d.amount_fen),
            into_account: d.into_account,
        },
        Action::Renew(r) => ControlAction::Renew {
            hold: r.hold,
            until: date(&r.until)?,
        },
    };
    Ok(ControlInstruction {
        key: ins.key,
        case: CaseNumber::parse_recorded(&ins.case_number).map_err(invalid)?,
        ruling: ins.ruling,
        officer: ins.officer,
        asset: ins.asset,
        debtor: debtor(ins.debtor)?,
        action,
        signature: ins.signature.map(|s| InstructionSignature {
            key_id: s.key_id,
            signed_at: s.signed_at,
            signature: s.signature,
        }),
    })
}

#[tonic::async_trait]
impl connector_server::Connector for Bridge {
    async fn describe(
        &self,
        _: Request<wire::DescribeRequest>,
    ) -> Result<Response<wire::Description>, Status> {
        let kinds = Kinds::default();
        let spec = kinds
            .get(self.inner.kind())
            .ok_or_else(|| Status::internal("a built-in kind"))?;
        Ok(Response::new(wire::Description {
            protocol_version: 1,
            connector_type: self.inner.connector_type().into(),
            connector_version: "bridge".into(),
            kind: Some(wire::KindSpec {
                name: spec.kind.as_str().into(),
                label: spec.label.clone(),
                legal_class: spec.class.as_str().into(),
                holds_money: spec.holds_money,
                unit: spec.unit.as_str().into(),
                max_days: spec.max_days,
                actions: spec.actions.iter().map(|a| a.as_str().into()).collect(),
            }),
            capabilities: self
                .inner
                .capabilities()
                .iter()
                .map(|c| c.as_str().into())
                .collect(),
            settings_schema: String::new(),
            agency: "bridged".into(),
        }))
    }

    async fn check(
        &self,
        _: Request<wire::CheckRequest>,
    ) -> Result<Response<wire::CheckResponse>, Status> {
        let outcome = self.inner.check().await;
        Ok(Response::new(wire::CheckResponse {
            ok: outcome.is_ok(),
            message: outcome.err().map(|e| e.to_string()).unwrap_or_default(),
        }))
    }

    async fn query(
        &self,
        request: Request<wire::QueryRequest>,
    ) -> Result<Response<wire::QueryResponse>, Status> {
        let request = request.into_inner();
        let ctx = context(request.context)?;
        let debtor = debtor(request.debtor)?;
        let answer = self.inner.query(&ctx, &debtor).await.map_err(status)?;
        Ok(Response::new(query_response(answer)))
    }

    async fn query_status(
        &self,
        request: Request<wire::QueryStatusRequest>,
    ) -> Result<Response<wire::QueryResponse>, Status> {
        let request = request.into_inner();
        let ctx = context(request.context)?;
        let answer = self
            .inner
            .query_status(&ctx, &request.ticket)
            .await
            .map_err(status)?;
        Ok(Response::new(query_response(answer)))
    }

    async fn control(
        &self,
        request: Request<wire::ControlRequest>,
    ) -> Result<Response<wire::ControlAnswer>, Status> {
        let request = request.into_inner();
        let ctx = context(request.context)?;
        let ins = instruction(
            request
                .instruction
                .ok_or_else(|| invalid("no instruction"))?,
        )?;
        let answer = self.inner.control(&ctx, &ins).await.map_err(status)?;
        Ok(Response::new(control_answer(answer)))
    }

    async fn control_status(
        &self,
        request: Request<wire::ControlStatusRequest>,
    ) -> Result<Response<wire::ControlStatusResponse>, Status> {
        let request = request.into_inner();
        let ctx = context(request.context)?;
        let answer = self
            .inner
            .control_status(&ctx, &request.key)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::ControlStatusResponse {
            known: answer.is_some(),
            answer: answer.map(control_answer),
        }))
    }

    async fn notifications(
        &self,
        _: Request<wire::NotificationsRequest>,
    ) -> Result<Response<wire::NotificationsPage>, Status> {
        Err(Status::unimplemented(
            "the bridge forwards no notifications",
        ))
    }
}
