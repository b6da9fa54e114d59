//! Embedding the hub with a connector type of one's own: a land-contract office (承包地) that
//! is none of the built-in families, registered on top of the built-in factories and served
//! with `serve_with` — no file of the hub edited.
//!
//! ```sh
//! cargo run -p assethub-hub --example embed            # serves on 127.0.0.1:50061
//! ```
//!
//! It uses the example configuration (the demo's token issuer: loopback only) with fresh
//! signing keys of its own and one source, `land-office`, of type `land_office`; the demo's
//! credentials (`assethub-demo` writes them)
//! let `hubctl --hub http://127.0.0.1:50061 query ...` ask it about 张伟 (11010519491231002X)
//! once a case naming him is registered.

use assethub_connectors::domain::{
    Asset, AssetDetail, AssetKind, AssetRef, Attribute, AttributeValue, Debtor, Fen, GenericDetail,
    KindSpec, LegalClass, SourceId,
};
use assethub_connectors::{
    CallContext, Capability, ConfigError, Connector, ConnectorError, ConnectorFactory, QueryAnswer,
};
use assethub_hub::config::TrustConfig;
use assethub_hub::server::{serve_with, shutdown_signal};
use assethub_hub::HubConfig;
use async_trait::async_trait;
use base64::Engine as _;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The office's connector: here an in-memory table; a real one would call the office.
struct LandOffice {
    id: SourceId,
    kind: AssetKind,
    office: String,
}

#[async_trait]
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
        if who.id.as_str() != "11010519491231002X" {
            return Ok(QueryAnswer::NotFound);
        }
        Ok(QueryAnswer::Found(vec![Asset {
            asset_ref: AssetRef::new(&self.id, "plot-7"),
            detail: AssetDetail::Other(GenericDetail {
                kind: self.kind,
                title: format!("{} 承包地 7 号", self.office),
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

/// The factory of `type = "land_office"` sources: checks its settings, registers its kind.
struct LandOfficeFactory;

#[async_trait]
impl ConnectorFactory for LandOfficeFactory {
    fn type_name(&self) -> &str {
        "land_office"
    }

    async fn build(
        &self,
        id: SourceId,
        settings: toml::Table,
    ) -> Result<Arc<dyn Connector>, ConfigError> {
        let office = match settings.get("office") {
            Some(toml::Value::String(name)) if settings.len() == 1 => name.clone(),
            _ => {
                return Err(ConfigError::new(
                    id.as_str(),
                    "office = \"...\" and nothing else",
                ))
            }
        };
        let kind =
            AssetKind::register("land_rights").map_err(|e| ConfigError::new(id.as_str(), e))?;
        Ok(Arc::new(LandOffice { id, kind, office }))
    }

    fn settings_description(&self) -> Option<&str> {
        Some("office: the office's name")
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _log = assethub_hub::telemetry::init();
    let mut config = HubConfig::from_toml_with(include_str!("../config/example.toml"), |config| {
        config.trust = fresh_trust()
    })?;
    let table: toml::Table = toml::from_str(
        "id = \"land-office\"\ntype = \"land_office\"\noffice = \"江夏区农村土地承包经营权登记中心\"\n",
    )?;
    config.sources = vec![toml::Value::Table(table).try_into()?];
    // Its own ledger and audit checkpoints (not the demo's), metrics on any free port.
    config.ledger.url = "sqlite://data/embed-ledger.db".into();
    config.audit.checkpoint_file = "data/embed-audit-checkpoints.jsonl".into();
    config.metrics.listen = "127.0.0.1:0".parse()?;
    // The built-in types (bank, real_estate, vehicle, payment, remote) and the office's.
    let factories = assethub_connectors::factories().with(LandOfficeFactory);
    let listener = TcpListener::bind("127.0.0.1:50061").await?;
    println!("embedded hub on 127.0.0.1:50061 with source land-office");
    serve_with(&config, &factories, listener, shutdown_signal()).await?;
    Ok(())
}

/// Signing keys made now (a real deployment keeps its own from `assethub keygen`).
fn fresh_trust() -> TrustConfig {
    let seed = || base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
    TrustConfig {
        instruction_key_id: "embed-1".into(),
        instruction_key_seed: seed(),
        audit_key: seed(),
        audit_checkpoint_key_id: "embed-audit-1".into(),
        audit_checkpoint_key_seed: seed(),
    }
}
