//! A fake securities depository served over `assethub.connector.v1` by an in-test tonic
//! server: what a connector written in any language would answer. It holds two positions for
//! 张伟, answers 福建某某贸易有限公司 by ticket, freezes by quantity (idempotent per key),
//! releases, reports sightings, checks the hub's instruction signatures from the wire fields
//! alone, and can be told to fail every call with a chosen status or answer a chosen
//! malformed response.

use crate::signature::{InstructionSignature, SignedFields};
use assethub_proto::connector::v1 as wire;
use assethub_proto::connector::v1::connector_server::{Connector, ConnectorServer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::ServerTlsConfig;
use tonic::{Request, Response, Status};

pub const PERSON_ID: &str = "11010519491231002X";
pub const PERSON_NAME: &str = "张伟";
pub const COMPANY_ID: &str = "91350100M000100Y43";
pub const COMPANY_NAME: &str = "福建某某贸易有限公司";
pub const TICKET: &str = "tk-0001";
/// Shares of 600000 张伟 holds, of which 1,000 are frozen by another court already.
pub const HELD: u64 = 20_000;
pub const FROZEN_BEFORE: u64 = 1_000;

/// What the fake does instead of answering.
#[derive(Clone, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Every call fails with this status.
    Fail(Status),
    /// Queries answer this response.
    Answer(wire::QueryResponse),
    /// Control answers this.
    Control(wire::ControlAnswer),
    /// Every call waits this long first.
    Slow(Duration),
}

#[derive(Default)]
pub struct State {
    pub mode: Mode,
    pub protocol_version: u32,
    /// Answers by idempotency key.
    pub holds: HashMap<String, wire::ControlAnswer>,
    /// Control instructions received (keys), in order, replays included.
    pub received: Vec<String>,
    /// The grpc-timeout header of the last call.
    pub last_deadline: Option<String>,
    /// The settings_json the last Describe carried.
    pub settings_json: String,
}

#[derive(Clone)]
pub struct Depository(pub Arc<Mutex<State>>);

impl Depository {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes the call's deadline, then sleeps or fails as the mode says.
    async fn enter<T>(&self, request: &Request<T>) -> Result<Mode, Status> {
        let mode = {
            let mut state = self.state();
            state.last_deadline = request
                .metadata()
                .get("grpc-timeout")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            state.mode.clone()
        };
        match mode {
            Mode::Fail(status) => Err(status),
            Mode::Slow(delay) => {
                tokio::time::sleep(delay).await;
                Ok(Mode::Normal)
            }
            other => Ok(other),
        }
    }
}

fn position(local_id: &str, code: &str, name: &str, quantity: u64, frozen: u64) -> wire::Asset {
    use wire::attribute::Value;
    let attribute = |key: &str, label: &str, value: Value, unit: &str| wire::Attribute {
        key: key.into(),
        label: label.into(),
        value: Some(value),
        unit: unit.into(),
    };
    wire::Asset {
        local_id: local_id.into(),
        title: format!("{code} {name}"),
        attributes: vec![
            attribute("security_code", "证券代码", Value::Text(code.into()), ""),
            attribute(
                "quantity",
                "持有数量",
                Value::Integer(quantity as i64),
                "shares",
            ),
            attribute("market_value", "市值", Value::MoneyFen(1_234_500), ""),
            attribute(
                "listed_on",
                "上市日期",
                Value::Date("1999-11-10".into()),
                "",
            ),
            attribute("tradable", "可流通", Value::Flag(true), ""),
        ],
        value_fen: Some(1_234_500),
        quantity: Some(quantity),
        frozen_quantity: Some(frozen),
    }
}

/// 张伟's positions.
pub fn person_positions() -> Vec<wire::Asset> {
    vec![
        position(
            "A123456789:600000",
            "600000",
            "浦发银行",
            HELD,
            FROZEN_BEFORE,
        ),
        position("A123456789:000001", "000001", "平安银行", 500, 0),
    ]
}

fn found(assets: Vec<wire::Asset>) -> wire::QueryResponse {
    wire::QueryResponse {
        answer: Some(wire::query_response::Answer::Found(wire::Found { assets })),
    }
}

/// The fields the hub signed, rebuilt from the wire instruction (as any agency would).
fn signed_fields(i: &wire::Instruction) -> SignedFields {
    use wire::instruction::Action;
    let debtor = i.debtor.clone().unwrap_or_default();
    let mut fields = SignedFields {
        key: i.key.clone(),
        case: i.case_number.clone(),
        court: i.court.clone(),
        ruling: i.ruling.clone(),
        officer: i.officer.clone(),
        asset: i.asset.clone(),
        debtor_id: debtor.id_number,
        debtor_name: debtor.name,
        ..SignedFields::default()
    };
    match &i.action {
        Some(Action::Freeze(f)) => {
            fields.action = "freeze".into();
            fields.amount_fen = f.amount_fen;
            fields.until = f.until.clone();
        }
        Some(Action::FreezeQuantity(f)) => {
            fields.action = "freeze".into();
            fields.quantity = Some(f.quantity);
            fields.until = f.until.clone();
        }
        Some(Action::Release(r)) => {
            fields.action = "release".into();
            fields.hold = r.hold.clone();
        }
        Some(Action::Renew(r)) => {
            fields.action = "renew".into();
            fields.hold = r.hold.clone();
            fields.until = r.until.clone();
        }
        _ => fields.action = "other".into(),
    }
    fields
}

#[tonic::async_trait]
impl Connector for Depository {
    async fn describe(
        &self,
        request: Request<wire::DescribeRequest>,
    ) -> Result<Response<wire::Description>, Status> {
        self.enter(&request).await?;
        let mut state = self.state();
        state.settings_json = request.into_inner().settings_json;
        Ok(Response::new(wire::Description {
            protocol_version: state.protocol_version,
            connector_type: "csdc".into(),
            connector_version: "0.1.0".into(),
            kind: Some(wire::KindSpec {
                name: "securities".into(),
                label: "证券".into(),
                legal_class: "other_rights".into(),
                holds_money: false,
                unit: "shares".into(),
                max_days: 0,
                actions: vec!["freeze".into(), "release".into(), "renew".into()],
            }),
            capabilities: vec![
                "query".into(),
                "freeze".into(),
                "release".into(),
                "renew".into(),
                "watch".into(),
                "teleport".into(),
            ],
            settings_schema: "{\"type\": \"object\"}".into(),
            agency: "中国证券登记结算有限责任公司".into(),
        }))
    }

    async fn check(
        &self,
        request: Request<wire::CheckRequest>,
    ) -> Result<Response<wire::CheckResponse>, Status> {
        self.enter(&request).await?;
        Ok(Response::new(wire::CheckResponse {
            ok: true,
            message: String::new(),
        }))
    }

    async fn query(
        &self,
        request: Request<wire::QueryRequest>,
    ) -> Result<Response<wire::QueryResponse>, Status> {
        if let Mode::Answer(answer) = self.enter(&request).await? {
            return Ok(Response::new(answer));
        }
        let query = request.into_inner();
        let context = query.context.unwrap_or_default();
        if context.source_id != "csdc" || !context.case_number.contains("执") {
            return Err(Status::invalid_argument("source or case missing"));
        }
        let debtor = query.debtor.unwrap_or_default();
        use wire::query_response::Answer;
        let answer = match (debtor.id_number.as_str(), debtor.name.as_str()) {
            (PERSON_ID, PERSON_NAME) => found(person_positions()),
            (PERSON_ID, _) => wire::QueryResponse {
                answer: Some(Answer::NameMismatch(wire::NameMismatch {})),
            },
            (COMPANY_ID, COMPANY_NAME) => wire::QueryResponse {
                answer: Some(Answer::Pending(wire::Pending {
                    ticket: TICKET.into(),
                    expected_in_seconds: 30,
                })),
            },
            _ => wire::QueryResponse {
                answer: Some(Answer::NotFound(wire::NotFound {})),
            },
        };
        Ok(Response::new(answer))
    }

    async fn query_status(
        &self,
        request: Request<wire::QueryStatusRequest>,
    ) -> Result<Response<wire::QueryResponse>, Status> {
        self.enter(&request).await?;
        match request.into_inner().ticket.as_str() {
            TICKET => Ok(Response::new(found(vec![position(
                "B987654321:601398",
                "601398",
                "工商银行",
                100_000,
                0,
            )]))),
            _ => Err(Status::not_found("no such ticket")),
        }
    }

    async fn control(
        &self,
        request: Request<wire::ControlRequest>,
    ) -> Result<Response<wire::ControlAnswer>, Status> {
        if let Mode::Control(answer) = self.enter(&request).await? {
            return Ok(Response::new(answer));
        }
        let instruction = request
            .into_inner()
            .instruction
            .ok_or_else(|| Status::invalid_argument("no instruction"))?;
        let signature = instruction.signature.clone().map(|s| InstructionSignature {
            key_id: s.key_id,
            signed_at: s.signed_at,
            signature: s.signature,
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        assethub_mocks::demo_keys::trusted_keys()
            .verify(&signed_fields(&instruction), signature.as_ref(), now)
            .map_err(|e| Status::permission_denied(format!("signature: {e}")))?;
        let mut state = self.state();
        state.received.push(instruction.key.clone());
        if let Some(earlier) = state.holds.get(&instruction.key) {
            return Ok(Response::new(earlier.clone()));
        }
        use wire::instruction::Action;
        let answer = match &instruction.action {
            Some(Action::FreezeQuantity(f)) => {
                let free = HELD - FROZEN_BEFORE;
                wire::ControlAnswer {
                    hold: format!("H-{}", state.holds.len() + 1),
                    status: wire::HoldStatus::Effective as i32,
                    held_quantity: f.quantity.min(free),
                    until: f.until.clone(),
                    message: if f.quantity > free {
                        format!("only {free} shares free")
                    } else {
                        String::new()
                    },
                    ..Default::default()
                }
            }
            Some(Action::Release(r)) => {
                let known = state.holds.values().any(|a| a.hold == r.hold);
                if !known {
                    return Err(Status::failed_precondition("no such hold"));
                }
                wire::ControlAnswer {
                    hold: r.hold.clone(),
                    status: wire::HoldStatus::Released as i32,
                    ..Default::default()
                }
            }
            _ => return Err(Status::unimplemented("only freeze by quantity and release")),
        };
        state.holds.insert(instruction.key, answer.clone());
        Ok(Response::new(answer))
    }

    async fn control_status(
        &self,
        request: Request<wire::ControlStatusRequest>,
    ) -> Result<Response<wire::ControlStatusResponse>, Status> {
        self.enter(&request).await?;
        let key = request.into_inner().key;
        let answer = self.state().holds.get(&key).cloned();
        Ok(Response::new(wire::ControlStatusResponse {
            known: answer.is_some(),
            answer,
        }))
    }

    async fn notifications(
        &self,
        request: Request<wire::NotificationsRequest>,
    ) -> Result<Response<wire::NotificationsPage>, Status> {
        self.enter(&request).await?;
        use wire::notification::Event;
        let page = match request.into_inner().cursor.as_str() {
            "" => wire::NotificationsPage {
                notifications: vec![
                    wire::Notification {
                        event: Some(Event::Sighting(wire::Sighting {
                            hold: "W-1".into(),
                            plate: "鄂A12345".into(),
                            place: "武汉天河机场停车场".into(),
                            seen_at: "2024-05-01T08:00:00+08:00".into(),
                        })),
                    },
                    wire::Notification {
                        event: Some(Event::QueryReady(wire::QueryReady {
                            ticket: TICKET.into(),
                        })),
                    },
                    wire::Notification { event: None },
                ],
                cursor: "c-3".into(),
            },
            _ => wire::NotificationsPage {
                notifications: vec![],
                cursor: "c-3".into(),
            },
        };
        Ok(Response::new(page))
    }
}

/// A running fake depository.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn address(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Stops serving and waits until the port is closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Serves a fake depository answering `protocol_version` on a free loopback port.
pub async fn start(protocol_version: u32) -> Running {
    start_with(protocol_version, None).await
}

/// [`start`] over TLS when `tls` is given.
pub async fn start_with(protocol_version: u32, tls: Option<ServerTlsConfig>) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(Mutex::new(State {
        protocol_version,
        ..State::default()
    }));
    let service = ConnectorServer::new(Depository(state.clone()));
    let (stop, stopped) = oneshot::channel::<()>();
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls).unwrap();
    }
    let task = tokio::spawn(async move {
        let _ = builder
            .add_service(service)
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                async {
                    let _ = stopped.await;
                },
            )
            .await;
    });
    Running {
        addr,
        state,
        stop: Some(stop),
        task,
    }
}
