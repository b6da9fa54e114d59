//! What a remote connector says it is (`Describe`), checked before the hub serves it: the
//! protocol's major version (1; another is refused with a clear configuration error), its
//! kind (registered with [`AssetKind::register`] and kept as a [`KindSpec`]: legal class,
//! actions, money, unit, maximum period) and its capabilities (`query` among them). Unknown
//! capability or action words — added by a later minor version — are left out, not refused.

use crate::connector::Capability;
use crate::domain::{AssetKind, HoldUnit, KindSpec, LegalClass, SourceId};
use crate::error::ConfigError;
use assethub_proto::connector::v1 as wire;

/// The major version of `assethub.connector.v1`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Longest label, connector type, version or agency name kept from a description.
const MAX_TEXT_CHARS: usize = 100;

/// A description the hub can rely on.
#[derive(Debug, Clone)]
pub struct Described {
    pub spec: KindSpec,
    pub capabilities: Vec<Capability>,
    /// The connector's own name for itself (e.g. `csdc`) and its version.
    pub connector_type: String,
    pub connector_version: String,
    /// The agency's name for people.
    pub agency: String,
    /// JSON Schema of the settings the connector accepts (as it sent it).
    pub settings_schema: String,
}

/// Checks a description of source `id`.
pub fn described(id: &SourceId, description: wire::Description) -> Result<Described, ConfigError> {
    let error = |message: String| ConfigError::new(id.as_str(), message);
    if description.protocol_version != PROTOCOL_VERSION {
        return Err(error(format!(
            "the remote connector speaks assethub.connector protocol version {}; this hub speaks version {PROTOCOL_VERSION} only",
            description.protocol_version
        )));
    }
    let kind = description
        .kind
        .ok_or_else(|| error("the remote connector's description names no kind".into()))?;
    let spec = kind_spec(kind).map_err(|e| error(format!("the described kind: {e}")))?;
    let capabilities = words(&description.capabilities);
    if !capabilities.contains(&Capability::Query) {
        return Err(error(
            "the remote connector does not declare the query capability".into(),
        ));
    }
    Ok(Described {
        spec,
        capabilities,
        connector_type: short(&description.connector_type),
        connector_version: short(&description.connector_version),
        agency: short(&description.agency),
        settings_schema: description.settings_schema,
    })
}

fn kind_spec(kind: wire::KindSpec) -> Result<KindSpec, String> {
    let name = AssetKind::register(&kind.name)?;
    let class = LegalClass::parse(&kind.legal_class).ok_or_else(|| {
        format!(
            "legal_class {:?} must be funds, movable, real_estate or other_rights",
            short(&kind.legal_class)
        )
    })?;
    let unit = HoldUnit::parse(&kind.unit)?;
    if kind.max_days > 36_500 {
        return Err(format!("max_days {} is more than 100 years", kind.max_days));
    }
    let label = short(&kind.label);
    if label.trim().is_empty() {
        return Err("label must not be empty".into());
    }
    Ok(KindSpec {
        kind: name,
        label,
        class,
        actions: words(&kind.actions)
            .into_iter()
            .filter(|c| *c != Capability::Query)
            .collect(),
        holds_money: kind.holds_money,
        unit,
        max_days: match kind.max_days {
            0 => class.default_max_days(),
            days => days,
        },
    })
}

/// The capabilities named, each once, unknown words left out.
fn words(list: &[String]) -> Vec<Capability> {
    let mut found = Vec::new();
    for word in list {
        match Capability::parse(word) {
            Some(c) if !found.contains(&c) => found.push(c),
            Some(_) => {}
            None => tracing::warn!(
                word = %short(word),
                "remote connector declares a capability this hub does not know; left out"
            ),
        }
    }
    found
}

/// A connector's text, bounded and without control characters.
fn short(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect()
}
