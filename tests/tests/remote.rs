//! A hub with a source served out of process: a `type = "remote"` source whose connector (a
//! fake securities depository speaking `assethub.connector.v1`, served here by tonic) is
//! described at start and answers the hub's queries; and an embedder's own connector type,
//! registered on top of the built-in factories and served by `spawn_with`.

use assethub_connectors::domain::{
    Asset, AssetDetail, AssetKind, AssetRef, Attribute, AttributeValue, Debtor, Fen, GenericDetail,
    KindSpec, LegalClass, SourceId,
};
use assethub_connectors::{
    CallContext, Capability, ConfigError, Connector, ConnectorError, FnFactory, QueryAnswer,
};
use assethub_hub::config::SourceConfig;
use assethub_hub::{factories, spawn, spawn_with, HubConfig, RunningHub};
use assethub_mocks::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_proto::connector::v1 as wire;
use assethub_proto::connector::v1::connector_server::{self, ConnectorServer};
use assethub_proto::v1 as pb;
use assethub_tests::{
    clients_as, query, register_case, Role, CASE, CASE_ACCOUNT, CASE_CLAIM_FEN, COURT,
};
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// A depository that knows one debtor and her one position.
struct Depository;

#[tonic::async_trait]
impl connector_server::Connector for Depository {
    async fn describe(
        &self,
        _: Request<wire::DescribeRequest>,
    ) -> Result<Response<wire::Description>, Status> {
        Ok(Response::new(wire::Description {
            protocol_version: 1,
            connector_type: "csdc".into(),
            connector_version: "0.1.0".into(),
            kind: Some(wire::KindSpec {
                name: "securities".into(),
                label: "证券".into(),
                legal_class: "other_rights".into(),
                holds_money: false,
                unit: "shares".into(),
                max_days: 0,
                actions: vec!["freeze".into(), "release".into()],
            }),
            capabilities: vec!["query".into(), "freeze".into(), "release".into()],
            settings_schema: String::new(),
            agency: "中国证券登记结算有限责任公司".into(),
        }))
    }

    async fn check(
        &self,
        _: Request<wire::CheckRequest>,
    ) -> Result<Response<wire::CheckResponse>, Status> {
        Ok(Response::new(wire::CheckResponse {
            ok: true,
            message: String::new(),
        }))
    }

    async fn query(
        &self,
        request: Request<wire::QueryRequest>,
    ) -> Result<Response<wire::QueryResponse>, Status> {
        use wire::query_response::Answer;
        let debtor = request.into_inner().debtor.unwrap_or_default();
        let answer = if debtor.id_number == DEMO_PERSON_ID && debtor.name == DEMO_PERSON_NAME {
            Answer::Found(wire::Found {
                assets: vec![wire::Asset {
                    local_id: "A123456789:600000".into(),
                    title: "600000 浦发银行".into(),
                    attributes: vec![wire::Attribute {
                        key: "security_code".into(),
                        label: "证券代码".into(),
                        value: Some(wire::attribute::Value::Text("600000".into())),
                        unit: String::new(),
                    }],
                    value_fen: Some(1_234_500),
                    quantity: Some(20_000),
                    frozen_quantity: Some(0),
                }],
            })
        } else {
            Answer::NotFound(wire::NotFound {})
        };
        Ok(Response::new(wire::QueryResponse {
            answer: Some(answer),
        }))
    }

    async fn query_status(
        &self,
        _: Request<wire::QueryStatusRequest>,
    ) -> Result<Response<wire::QueryResponse>, Status> {
        Err(Status::unimplemented("answers at once"))
    }

    async fn control(
        &self,
        _: Request<wire::ControlRequest>,
    ) -> Result<Response<wire::ControlAnswer>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn control_status(
        &self,
        _: Request<wire::ControlStatusRequest>,
    ) -> Result<Response<wire::ControlStatusResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn notifications(
        &self,
        _: Request<wire::NotificationsRequest>,
    ) -> Result<Response<wire::NotificationsPage>, Status> {
        Err(Status::unimplemented("not in this test"))
    }
}

async fn serve_depository() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(ConnectorServer::new(Depository))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    address
}

/// The example configuration with `sources` instead of its own, its ledger and checkpoints
/// in `data`.
fn config(sources: &str, data: &tempfile::TempDir) -> HubConfig {
    let table: toml::Table = toml::from_str(sources).unwrap();
    let mut config = assethub_demo::config();
    config.sources = table["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.clone().try_into::<SourceConfig>().unwrap())
        .collect();
    config.ledger.url = format!("sqlite://{}/ledger.db", data.path().display());
    config.audit.checkpoint_file = data.path().join("audit-checkpoints.jsonl");
    config.metrics.listen = "127.0.0.1:0".parse().unwrap();
    config
}

/// Registers the demo person on [`CASE`] and asks the hub about her, as a judge of [`COURT`].
async fn ask(hub: &RunningHub) -> pb::QueryResponse {
    let channel = Channel::from_shared(hub.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let person = [(DEMO_PERSON_ID.to_string(), DEMO_PERSON_NAME.to_string())];
    register_case(&channel, CASE, &person, CASE_CLAIM_FEN, CASE_ACCOUNT).await;
    let (mut client, _) = clients_as(&channel, Role::Judge, COURT);
    client
        .query(query(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect("the hub answers")
        .into_inner()
}

#[tokio::test]
async fn a_hub_answers_with_the_assets_of_a_remote_connector() {
    let address = serve_depository().await;
    let data = tempfile::tempdir().unwrap();
    let sources = format!(
        "[[sources]]\nid = \"csdc\"\ntype = \"remote\"\naddress = \"{address}\"\ntimeout_ms = 2000\n"
    );
    let hub = spawn(config(&sources, &data), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the hub starts with a remote source");
    let answer = ask(&hub).await;
    assert_eq!(answer.sources.len(), 1);
    let csdc = &answer.sources[0];
    assert_eq!(csdc.source, "csdc");
    assert_eq!(csdc.status, pb::SourceStatus::Ok as i32, "{csdc:?}");
    assert_eq!(csdc.kind_name, "securities");
    assert_eq!(csdc.assets.len(), 1);
    let asset = &csdc.assets[0];
    assert_eq!(asset.asset_ref, "csdc:A123456789:600000");
    assert!(asset.detail.is_none(), "no built-in detail for securities");
    let generic = asset
        .generic
        .as_ref()
        .expect("every asset has a generic detail");
    assert_eq!(generic.kind_name, "securities");
    assert_eq!(generic.title, "600000 浦发银行");
    assert_eq!(generic.value_fen, Some(1_234_500));
    assert_eq!(generic.quantity, Some(20_000));
    assert_eq!(generic.attributes.len(), 1);
    assert_eq!(generic.attributes[0].key, "security_code");
}

#[tokio::test]
async fn a_hub_refuses_to_start_with_a_remote_connector_it_cannot_describe_or_an_unknown_type() {
    let data = tempfile::tempdir().unwrap();
    let unreachable =
        "[[sources]]\nid = \"csdc\"\ntype = \"remote\"\naddress = \"http://127.0.0.1:1\"\n";
    let error = spawn(config(unreachable, &data), "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("csdc"), "{error}");
    assert!(
        error.to_string().contains("could not describe itself"),
        "{error}"
    );
    let unknown = "[[sources]]\nid = \"office\"\ntype = \"land_office\"\n";
    let error = spawn(config(unknown, &data), "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .expect("refused");
    let text = error.to_string();
    assert!(
        text.contains("unknown connector type \"land_office\""),
        "{text}"
    );
    assert!(
        text.contains("bank, offline, payment, real_estate, remote, vehicle"),
        "{text}"
    );
}

/// An embedder's own connector: a land office that knows one plot of the demo person.
struct LandOffice {
    id: SourceId,
    kind: AssetKind,
}

#[async_trait::async_trait]
impl Connector for LandOffice {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        self.kind
    }
    fn connector_type(&self) -> &'static str {
        "land_office"
    }
    fn capabilities(&self) -> &[Capability] {
        &[Capability::Query]
    }
    /// The kind's rules, for a hub whose configuration does not name it: land-contract rights
    /// are a property right (three years at most), searched only here.
    fn kind_spec(&self) -> Option<KindSpec> {
        Some(KindSpec::new(
            self.kind,
            "土地承包经营权",
            LegalClass::OtherRights,
            &[],
        ))
    }
    async fn query(&self, _: &CallContext, who: &Debtor) -> Result<QueryAnswer, ConnectorError> {
        if who.id.as_str() != DEMO_PERSON_ID {
            return Ok(QueryAnswer::NotFound);
        }
        Ok(QueryAnswer::Found(vec![Asset {
            asset_ref: AssetRef::new(&self.id, "plot-7"),
            detail: AssetDetail::Other(GenericDetail {
                kind: self.kind,
                title: "承包地 7 号".into(),
                attributes: vec![
                    Attribute::new("area", "面积", AttributeValue::Centi(120_000)).with_unit("m²"),
                ],
                value: Some(Fen(5_000_000)),
                quantity: None,
                frozen_quantity: None,
            }),
        }]))
    }
}

fn land_office(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    if !settings.is_empty() {
        return Err(ConfigError::new(
            id.as_str(),
            "land_office takes no settings",
        ));
    }
    let kind = AssetKind::register("land_rights").map_err(|e| ConfigError::new(id.as_str(), e))?;
    Ok(Arc::new(LandOffice { id, kind }))
}

#[tokio::test]
async fn an_embedder_serves_its_own_connector_type_beside_the_built_in_ones() {
    let data = tempfile::tempdir().unwrap();
    let sources = "[[sources]]\nid = \"land-office\"\ntype = \"land_office\"\n";
    let mine = factories().with(FnFactory::new("land_office", land_office));
    let hub = spawn_with(
        config(sources, &data),
        &mine,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("the hub starts with the embedder's type");
    let answer = ask(&hub).await;
    let office = &answer.sources[0];
    assert_eq!(office.source, "land-office");
    assert_eq!(office.status, pb::SourceStatus::Ok as i32, "{office:?}");
    assert_eq!(office.kind_name, "land_rights");
    let generic = office.assets[0].generic.as_ref().unwrap();
    assert_eq!(generic.title, "承包地 7 号");
    assert_eq!(generic.attributes[0].unit, "m²");
}
