//! The kinds table of the configuration: `[control.kinds.<kind>]` entries merged over the four
//! built-in kinds (label, legal class, allowed actions, money, the unit a partial freeze counts
//! in, legal maximum period), and the older `[control.max_days]` keys mapped onto them. Turns
//! them into [`Kinds`], registering each configured name with [`AssetKind::register`] — the
//! only place configuration makes kind names exist. Parsing and checking only.

use assethub_connectors::domain::{AssetKind, HoldUnit, KindSpec, Kinds, LegalClass};
use assethub_connectors::Capability;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One `[control.kinds.<kind>]` table. Every key is optional for a built-in kind (its own rules
/// fill the gaps); a new kind needs `class`, and the rest defaults from the class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KindConfig {
    /// What a person calls the kind, e.g. "证券" (default: the kind's name).
    pub label: Option<String>,
    /// funds | movable | real_estate | other_rights.
    pub class: Option<String>,
    /// Control actions the kind allows: freeze, seal, watch, release, deduct, renew.
    pub actions: Option<Vec<String>>,
    /// Whether its assets hold money that counts against a case's claim (default: funds only).
    pub holds_money: Option<bool>,
    /// What a partial freeze counts in: "fen", "whole" or a unit name such as "shares"
    /// (default: fen for funds, whole otherwise).
    pub unit: Option<String>,
    /// Longest hold, in days: 1 up to the class's legal maximum (default: that maximum).
    pub max_days: Option<u32>,
}

/// The older policy table (`[control.max_days]`), still read: `funds` applies to bank and
/// payment, `vehicles` to vehicle, `real_estate` to real_estate. `[control.kinds]` wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyMaxDays {
    pub funds: Option<u32>,
    pub vehicles: Option<u32>,
    pub real_estate: Option<u32>,
}

/// The actions a kind of `class` allows unless configured.
fn default_actions(class: LegalClass) -> Vec<Capability> {
    use Capability::*;
    match class {
        LegalClass::Funds => vec![Freeze, Release, Deduct, Renew],
        LegalClass::Movable | LegalClass::RealEstate => vec![Seal, Release, Renew],
        LegalClass::OtherRights => vec![Freeze, Release, Renew],
    }
}

/// The kinds the configuration describes: the built-in four, the legacy periods, then every
/// `[control.kinds]` entry (registering its name). An error names the table and the key.
pub fn kinds_of(
    table: &BTreeMap<String, KindConfig>,
    legacy: Option<&LegacyMaxDays>,
) -> Result<Kinds, String> {
    let mut kinds = Kinds::default();
    if let Some(old) = legacy {
        let pairs = [
            (old.funds, &[AssetKind::BANK, AssetKind::PAYMENT][..]),
            (old.vehicles, &[AssetKind::VEHICLE][..]),
            (old.real_estate, &[AssetKind::REAL_ESTATE][..]),
        ];
        for (days, targets) in pairs {
            let Some(days) = days else { continue };
            for kind in targets {
                let mut spec = kinds.get(*kind).cloned().expect("built-in kind");
                spec.max_days =
                    checked_days(days, spec.class).map_err(|e| format!("control.max_days: {e}"))?;
                kinds.insert(spec);
            }
        }
    }
    for (name, entry) in table {
        let spec =
            spec_of(name, entry, &kinds).map_err(|e| format!("control.kinds.{name}: {e}"))?;
        kinds.insert(spec);
    }
    Ok(kinds)
}

fn spec_of(name: &str, entry: &KindConfig, known: &Kinds) -> Result<KindSpec, String> {
    let kind = AssetKind::register(name)?;
    let class = match &entry.class {
        Some(word) => Some(LegalClass::parse(word).ok_or_else(|| {
            format!("class {word:?} must be one of funds, movable, real_estate, other_rights")
        })?),
        None => None,
    };
    // A built-in kind keeps its own rules unless its class changes; anything else starts from
    // its class's defaults.
    let mut spec = match (known.get(kind), class) {
        (Some(existing), None) => existing.clone(),
        (Some(existing), Some(class)) if existing.class == class => existing.clone(),
        (_, Some(class)) => KindSpec::new(kind, name, class, &default_actions(class)),
        (None, None) => {
            return Err(
                "class is required for a kind that is not built in (funds, movable, real_estate, other_rights)"
                    .into(),
            )
        }
    };
    if let Some(label) = &entry.label {
        if label.trim().is_empty() || label.chars().count() > 40 {
            return Err("label must be 1-40 characters".into());
        }
        spec.label = label.trim().to_string();
    }
    if let Some(words) = &entry.actions {
        spec.actions = actions_of(words)?;
    }
    if let Some(money) = entry.holds_money {
        spec.holds_money = money;
    }
    if let Some(unit) = &entry.unit {
        spec.unit = HoldUnit::parse(unit)?;
    }
    if let Some(days) = entry.max_days {
        spec.max_days = checked_days(days, spec.class)?;
    }
    if spec.max_days > spec.class.default_max_days() {
        spec.max_days = spec.class.default_max_days();
    }
    if spec.unit == HoldUnit::Fen && !spec.holds_money {
        return Err("unit \"fen\" needs holds_money = true (a freeze in fen holds money)".into());
    }
    if spec.allows(Capability::Deduct) && !spec.holds_money {
        return Err("action \"deduct\" needs holds_money = true".into());
    }
    Ok(spec)
}

fn actions_of(words: &[String]) -> Result<Vec<Capability>, String> {
    let mut actions = Vec::new();
    for word in words {
        match Capability::parse(word) {
            Some(Capability::Query) | None => {
                return Err(format!(
                    "action {word:?} must be one of freeze, seal, watch, release, deduct, renew"
                ))
            }
            Some(action) if !actions.contains(&action) => actions.push(action),
            Some(_) => {}
        }
    }
    Ok(actions)
}

fn checked_days(days: u32, class: LegalClass) -> Result<u32, String> {
    let max = class.default_max_days();
    if days == 0 || days > max {
        return Err(format!(
            "max_days {days} must be 1 to {max} (the legal maximum for {} assets)",
            class.as_str()
        ));
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> BTreeMap<String, KindConfig> {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_new_kind_takes_its_class_defaults() {
        let kinds = kinds_of(
            &table("[securities]\nclass = \"other_rights\"\nunit = \"shares\"\nlabel = \"证券\"\n"),
            None,
        )
        .unwrap();
        let shares = AssetKind::lookup("securities").unwrap();
        let spec = kinds.get(shares).unwrap();
        // Written out: other property rights hold 3 years, no money, freeze/release/renew.
        assert_eq!(spec.max_days, 1095);
        assert!(!spec.holds_money);
        assert_eq!(spec.unit, HoldUnit::Units("shares".into()));
        assert_eq!(spec.label, "证券");
        assert_eq!(
            spec.actions,
            vec![Capability::Freeze, Capability::Release, Capability::Renew]
        );
        assert_eq!(kinds.get(AssetKind::BANK).unwrap().max_days, 365);
    }

    #[test]
    fn built_in_kinds_can_be_narrowed_and_legacy_keys_still_count() {
        let legacy = LegacyMaxDays {
            funds: Some(180),
            vehicles: None,
            real_estate: Some(900),
        };
        let kinds = kinds_of(&table("[vehicle]\nmax_days = 100\n"), Some(&legacy)).unwrap();
        assert_eq!(kinds.get(AssetKind::BANK).unwrap().max_days, 180);
        assert_eq!(kinds.get(AssetKind::PAYMENT).unwrap().max_days, 180);
        assert_eq!(kinds.get(AssetKind::REAL_ESTATE).unwrap().max_days, 900);
        let vehicle = kinds.get(AssetKind::VEHICLE).unwrap();
        assert_eq!(vehicle.max_days, 100);
        assert!(
            vehicle.allows(Capability::Watch),
            "keeps its built-in actions"
        );
    }

    #[test]
    fn bad_entries_are_clear_errors() {
        let cases = [
            ("[ship_x]\nunit = \"whole\"\n", "class is required"),
            ("[ship_y]\nclass = \"boats\"\n", "class \"boats\""),
            (
                "[ship_z]\nclass = \"movable\"\nmax_days = 731\n",
                "1 to 730",
            ),
            ("[bank]\nmax_days = 0\n", "1 to 365"),
            ("[bank]\nactions = [\"query\"]\n", "action \"query\""),
            ("[bank]\nactions = [\"fly\"]\n", "action \"fly\""),
            ("[bank]\nunit = \"股\"\n", "unit"),
            ("[Ship]\nclass = \"movable\"\n", "kind \"Ship\""),
            (
                "[stamps]\nclass = \"movable\"\nunit = \"fen\"\n",
                "holds_money",
            ),
        ];
        for (text, words) in cases {
            let err = kinds_of(&table(text), None).unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
            assert!(err.starts_with("control.kinds."), "{err}");
        }
        let legacy = LegacyMaxDays {
            funds: Some(400),
            ..Default::default()
        };
        let err = kinds_of(&BTreeMap::new(), Some(&legacy)).unwrap_err();
        assert!(
            err.contains("control.max_days") && err.contains("1 to 365"),
            "{err}"
        );
    }
}
