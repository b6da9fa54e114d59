//! Off-line agencies (`type = "offline"`): an agency the court reaches only on paper. It is
//! never called over a network: the hub issues its instructions as assistance notices
//! (协助执行通知书) and an officer records the agency's written answer (`RecordAnswer`). This
//! connector only says what the source is — its kind, its agency's name, the control actions
//! it takes — and answers searches from what the court already knows of the agency's register:
//!
//! - a debtor listed in the source's `[[sources.assets]]` (assets a written answer to an
//!   earlier inquiry named) is answered with those assets, so they can be acted on;
//! - any other debtor's search is an inquiry that can only be answered on paper:
//!   [`QueryAnswer::Pending`] with the inquiry notice's ticket, and the same answer whenever
//!   that ticket is asked about (the written answer, not this connector, ends it).
//!
//! `control` and `control_status` answer `Unsupported`: the hub must not call them for an
//! off-line source (it records notices instead), and a call by mistake changes nothing.

use crate::domain::{
    Asset, AssetDetail, AssetKind, AssetRef, Attribute, AttributeValue, Debtor, DebtorId,
    GenericDetail, SourceId,
};
use crate::QueryAnswer;
use crate::{CallContext, Capability, ConfigError, Connector, ConnectorError, ErrorClass};
use async_trait::async_trait;
use serde::Deserialize;
use std::sync::Arc;

/// The connector type name configuration uses.
pub const TYPE_NAME: &str = "offline";
/// What `settings_description` says.
pub const SETTINGS: &str = "kind (the kind of assets the agency registers, e.g. \"real_estate\"), agency (its name as notices address it, at most 100 characters); optional [[sources.assets]] (debtor_id, local_id, title: assets a written answer already named, at most 1000). Never called over a network: timeout_ms does not apply";
/// Most assets one off-line source may list.
pub const MAX_ASSETS: usize = 1000;
/// Longest agency name, title or local id (characters).
const MAX_TEXT: usize = 100;

/// What an off-line source can be asked to do: search (answered from its listed assets, else
/// pending) and every control action except watch (sightings do not come on paper). The
/// source's kind and the hub's `capabilities` key narrow it further.
const CAPABILITIES: [Capability; 6] = [
    Capability::Query,
    Capability::Freeze,
    Capability::Seal,
    Capability::Release,
    Capability::Deduct,
    Capability::Renew,
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    kind: String,
    agency: String,
    #[serde(default)]
    assets: Vec<RawAsset>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsset {
    debtor_id: String,
    local_id: String,
    title: String,
}

/// One asset the court knows the agency registers for a debtor.
struct Listed {
    debtor: DebtorId,
    asset: Asset,
}

/// An off-line agency.
pub struct OfflineConnector {
    id: SourceId,
    kind: AssetKind,
    agency: String,
    assets: Vec<Listed>,
}

impl OfflineConnector {
    /// The agency's name, as notices address it.
    pub fn agency(&self) -> &str {
        &self.agency
    }
}

/// Builds an off-line source from its settings.
pub fn build(id: SourceId, settings: toml::Table) -> Result<Arc<dyn Connector>, ConfigError> {
    let raw: RawConfig = crate::http::parse_settings(id.as_str(), settings)?;
    let error = |message: String| ConfigError::new(id.as_str(), message);
    let kind = AssetKind::register(raw.kind.trim()).map_err(|e| error(format!("kind: {e}")))?;
    let agency = raw.agency.trim().to_string();
    if agency.is_empty() || agency.chars().count() > MAX_TEXT {
        return Err(error(format!(
            "agency must name the agency in 1-{MAX_TEXT} characters"
        )));
    }
    if raw.assets.len() > MAX_ASSETS {
        return Err(error(format!(
            "assets: at most {MAX_ASSETS} entries, not {}",
            raw.assets.len()
        )));
    }
    let mut assets = Vec::with_capacity(raw.assets.len());
    for (i, a) in raw.assets.into_iter().enumerate() {
        let debtor = DebtorId::parse_recorded(&a.debtor_id)
            .map_err(|e| error(format!("assets[{i}].debtor_id: {e}")))?;
        let local = a.local_id.trim();
        if local.is_empty()
            || local.chars().count() > MAX_TEXT
            || local.chars().any(char::is_control)
        {
            return Err(error(format!(
                "assets[{i}].local_id must be 1-{MAX_TEXT} printable characters"
            )));
        }
        let title = a.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TEXT {
            return Err(error(format!(
                "assets[{i}].title must be 1-{MAX_TEXT} characters"
            )));
        }
        let asset_ref = AssetRef::new(&id, local);
        if assets
            .iter()
            .any(|l: &Listed| l.asset.asset_ref == asset_ref)
        {
            return Err(error(format!("assets[{i}]: {asset_ref} is listed twice")));
        }
        let detail = GenericDetail {
            kind,
            title: title.to_string(),
            attributes: vec![Attribute::new(
                "agency",
                "登记机构",
                AttributeValue::Text(agency.clone()),
            )],
            value: None,
            quantity: None,
            frozen_quantity: None,
        };
        assets.push(Listed {
            debtor,
            asset: Asset {
                asset_ref,
                detail: AssetDetail::Other(detail),
            },
        });
    }
    Ok(Arc::new(OfflineConnector {
        id,
        kind,
        agency,
        assets,
    }))
}

fn on_paper(id: &SourceId) -> ConnectorError {
    ConnectorError::new(
        ErrorClass::Unsupported,
        format!("source {id} is an off-line agency: its instructions go as notices and its answers are recorded by an officer"),
    )
}

/// The ticket of the inquiry notice a search of this source stands for.
fn ticket(ctx: &CallContext) -> String {
    let request: String = ctx.request_id.chars().take(64).collect();
    format!("notice-{request}")
}

#[async_trait]
impl Connector for OfflineConnector {
    fn id(&self) -> &SourceId {
        &self.id
    }
    fn kind(&self) -> AssetKind {
        self.kind
    }
    fn connector_type(&self) -> &'static str {
        TYPE_NAME
    }
    fn capabilities(&self) -> &[Capability] {
        &CAPABILITIES
    }
    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let listed: Vec<Asset> = self
            .assets
            .iter()
            .filter(|l| l.debtor == debtor.id)
            .map(|l| l.asset.clone())
            .collect();
        if listed.is_empty() {
            return Ok(QueryAnswer::Pending {
                ticket: ticket(ctx),
                expected_in: None,
            });
        }
        Ok(QueryAnswer::Found(listed))
    }
    async fn query_status(
        &self,
        _: &CallContext,
        ticket: &str,
    ) -> Result<QueryAnswer, ConnectorError> {
        Ok(QueryAnswer::Pending {
            ticket: ticket.to_string(),
            expected_in: None,
        })
    }
    async fn control(
        &self,
        _: &CallContext,
        _: &crate::ControlInstruction,
    ) -> Result<crate::ControlAnswer, ConnectorError> {
        Err(on_paper(&self.id))
    }
    async fn control_status(
        &self,
        _: &CallContext,
        _: &str,
    ) -> Result<Option<crate::ControlAnswer>, ConnectorError> {
        Err(on_paper(&self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CaseNumber;

    const PERSON: &str = "11010519491231002X";

    fn settings(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    fn ctx() -> CallContext {
        CallContext {
            case: CaseNumber::parse("(2024)鄂0116执1234号").unwrap(),
            request_id: "req-1".into(),
        }
    }

    fn debtor(id: &str) -> Debtor {
        Debtor {
            id: DebtorId::parse(id).unwrap(),
            name: "张伟".into(),
        }
    }

    #[tokio::test]
    async fn listed_assets_are_found_and_other_debtors_wait_for_a_written_answer() {
        let source = build(
            SourceId::new("registry-caidian").unwrap(),
            settings(&format!(
                "kind = \"real_estate\"\nagency = \"蔡甸区不动产登记中心\"\n[[assets]]\ndebtor_id = \"{PERSON}\"\nlocal_id = \"CD-2019-0007\"\ntitle = \"蔡甸区新农大道 7 号\"\n"
            )),
        )
        .unwrap();
        assert_eq!(source.kind(), AssetKind::REAL_ESTATE);
        assert!(!source.capabilities().contains(&Capability::Watch));
        match source.query(&ctx(), &debtor(PERSON)).await.unwrap() {
            QueryAnswer::Found(assets) => {
                assert_eq!(assets.len(), 1);
                assert_eq!(
                    assets[0].asset_ref.to_string(),
                    "registry-caidian:CD-2019-0007"
                );
            }
            other => panic!("{other:?}"),
        }
        let other = source
            .query(&ctx(), &debtor("110105194912310038"))
            .await
            .unwrap();
        assert_eq!(
            other,
            QueryAnswer::Pending {
                ticket: "notice-req-1".into(),
                expected_in: None
            }
        );
        // Nothing is ever sent to it.
        let refused = source.control_status(&ctx(), "k").await.unwrap_err();
        assert_eq!(refused.class, ErrorClass::Unsupported);
    }

    #[test]
    fn bad_settings_are_refused_naming_the_field() {
        let id = || SourceId::new("off").unwrap();
        for (text, needle) in [
            ("agency = \"x\"", "kind"),
            ("kind = \"real_estate\"\nagency = \"  \"", "agency"),
            ("kind = \"Real Estate\"\nagency = \"x\"", "kind"),
            (
                "kind = \"real_estate\"\nagency = \"x\"\n[[assets]]\ndebtor_id = \"123\"\nlocal_id = \"a\"\ntitle = \"t\"",
                "assets[0].debtor_id",
            ),
            (
                "kind = \"real_estate\"\nagency = \"x\"\nbase_url = \"http://x\"",
                "base_url",
            ),
        ] {
            let error = build(id(), settings(text)).err().expect(text);
            assert!(error.message.contains(needle), "{text}: {error}");
        }
    }
}
