//! Asset kinds as data. A kind is a registered name (`bank`, `securities`, `ship`...) with its
//! legal class, the control actions it allows, whether it holds money, the unit a partial
//! freeze counts in and its legal maximum period ([`KindSpec`]). The four built-in kinds are
//! constants; any other kind is registered once, from configuration or from a connector's
//! description, and from then on is as good as a built-in one. Nothing a caller types is ever
//! registered: requests only [`AssetKind::lookup`] names that exist.

use crate::connector::Capability;
use serde::{Deserialize, Serialize, Serializer};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// How many kinds a process may register beyond the built-in ones: names are interned for
/// the life of the process, so registration is bounded.
pub const MAX_REGISTERED_KINDS: usize = 256;

/// The kind of an asset, as a registered name. `Copy`, and usable in `match` patterns through
/// the built-in constants (`AssetKind::BANK => ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetKind(&'static str);

static REGISTERED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

impl AssetKind {
    pub const BANK: AssetKind = AssetKind("bank");
    pub const REAL_ESTATE: AssetKind = AssetKind("real_estate");
    pub const VEHICLE: AssetKind = AssetKind("vehicle");
    pub const PAYMENT: AssetKind = AssetKind("payment");

    /// The built-in kinds, in the order the API's enum numbers them (1 to 4).
    pub const BUILT_IN: [AssetKind; 4] =
        [Self::BANK, Self::REAL_ESTATE, Self::VEHICLE, Self::PAYMENT];

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Whether `name` is well formed for a kind: 1-32 of `a-z`, `0-9`, `_`, starting with a letter.
    pub fn is_valid_name(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 32
            && name.as_bytes()[0].is_ascii_lowercase()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    /// Registers a kind name (idempotent) and returns it. For configuration and connector
    /// descriptions only — never for a name a caller sent (use [`lookup`](Self::lookup)).
    pub fn register(name: &str) -> Result<AssetKind, String> {
        if let Some(kind) = Self::lookup(name) {
            return Ok(kind);
        }
        if !Self::is_valid_name(name) {
            return Err(format!(
                "kind {name:?} must be 1-32 characters of a-z, 0-9 and '_', starting with a letter"
            ));
        }
        let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = registered.iter().find(|k| **k == name) {
            return Ok(AssetKind(found));
        }
        if registered.len() >= MAX_REGISTERED_KINDS {
            return Err(format!(
                "kind {name:?}: no more than {MAX_REGISTERED_KINDS} kinds may be registered"
            ));
        }
        let interned: &'static str = Box::leak(name.to_string().into_boxed_str());
        registered.push(interned);
        Ok(AssetKind(interned))
    }

    /// The kind of this name if it is built in or registered.
    pub fn lookup(name: &str) -> Option<AssetKind> {
        if let Some(kind) = Self::BUILT_IN.into_iter().find(|k| k.0 == name) {
            return Some(kind);
        }
        let registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        registered
            .iter()
            .find(|k| **k == name)
            .map(|k| AssetKind(k))
    }

    /// Every kind known now: the built-in ones, then the registered ones by name.
    pub fn known() -> Vec<AssetKind> {
        let mut all = Self::BUILT_IN.to_vec();
        let registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        let mut others: Vec<AssetKind> = registered.iter().map(|k| AssetKind(k)).collect();
        others.sort();
        all.extend(others);
        all
    }

    /// The API's enum number of a built-in kind (1 to 4); 0 for any other kind.
    pub fn wire_number(self) -> i32 {
        Self::BUILT_IN
            .iter()
            .position(|k| *k == self)
            .map_or(0, |i| i as i32 + 1)
    }

    /// The built-in kind of an API enum number.
    pub fn from_wire_number(number: i32) -> Option<AssetKind> {
        usize::try_from(number - 1)
            .ok()
            .and_then(|i| Self::BUILT_IN.get(i).copied())
    }

    fn rank(self) -> (usize, &'static str) {
        let built_in = Self::BUILT_IN.iter().position(|k| *k == self);
        (built_in.unwrap_or(Self::BUILT_IN.len()), self.0)
    }
}

/// Built-in kinds first, in the API's order, then the others by name.
impl Ord for AssetKind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for AssetKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for AssetKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::lookup(s).ok_or_else(|| {
            let known: Vec<&str> = Self::known().iter().map(|k| k.as_str()).collect();
            let shown: String = s.chars().take(40).collect();
            format!("unknown kind {shown:?} (known: {})", known.join(", "))
        })
    }
}

impl Serialize for AssetKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// A kind by its name, which must be built in or registered (configuration registers kinds
/// before anything stored is read back).
impl<'de> Deserialize<'de> for AssetKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The legal class of a kind, which sets its default maximum period (DOMAIN rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegalClass {
    /// Deposits, payment balances, provident fund balances: at most 1 year.
    Funds,
    /// Vehicles, ships, aircraft, goods: at most 2 years.
    Movable,
    /// Land and buildings: at most 3 years.
    RealEstate,
    /// Shares, securities, intellectual property and other property rights: at most 3 years.
    OtherRights,
}

impl LegalClass {
    pub const ALL: [LegalClass; 4] = [
        Self::Funds,
        Self::Movable,
        Self::RealEstate,
        Self::OtherRights,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Funds => "funds",
            Self::Movable => "movable",
            Self::RealEstate => "real_estate",
            Self::OtherRights => "other_rights",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The legal maximum period of a hold in days for this class.
    pub fn default_max_days(self) -> u32 {
        match self {
            Self::Funds => 365,
            Self::Movable => 730,
            Self::RealEstate | Self::OtherRights => 1095,
        }
    }
}

/// What a partial freeze of an asset of this kind counts in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HoldUnit {
    /// Money: a freeze names an amount in fen (deposits, balances).
    Fen,
    /// Countable units named so (e.g. `shares`): a freeze names a quantity.
    Units(String),
    /// The whole asset or nothing (a seal of a flat, of a car).
    Whole,
}

impl HoldUnit {
    /// `fen`, `whole`, or any other word naming counted units (`shares`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "fen" => Ok(Self::Fen),
            "whole" => Ok(Self::Whole),
            other if AssetKind::is_valid_name(other) => Ok(Self::Units(other.to_string())),
            other => Err(format!(
                "unit {other:?} must be fen, whole, or a unit name of a-z, 0-9 and '_'"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Fen => "fen",
            Self::Units(name) => name,
            Self::Whole => "whole",
        }
    }
}

/// What the hub knows about a kind: everything the desk needs to judge an order on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: AssetKind,
    /// What a person calls the kind, e.g. "证券" (shown by clients that do not know it).
    pub label: String,
    pub class: LegalClass,
    /// The control actions the kind allows (a subset of freeze, seal, watch, release,
    /// deduct, renew). A source of the kind may support fewer.
    pub actions: Vec<Capability>,
    /// Whether its assets hold money that counts against a case's claim and may be deducted.
    pub holds_money: bool,
    pub unit: HoldUnit,
    /// The longest period a hold of this kind may have, in days.
    pub max_days: u32,
}

impl KindSpec {
    /// A spec with its class's defaults: maximum period by class, money only for funds.
    pub fn new(kind: AssetKind, label: &str, class: LegalClass, actions: &[Capability]) -> Self {
        Self {
            kind,
            label: label.to_string(),
            class,
            actions: actions.to_vec(),
            holds_money: class == LegalClass::Funds,
            unit: if class == LegalClass::Funds {
                HoldUnit::Fen
            } else {
                HoldUnit::Whole
            },
            max_days: class.default_max_days(),
        }
    }

    pub fn allows(&self, action: Capability) -> bool {
        self.actions.contains(&action)
    }

    /// The four built-in kinds as the hub has always treated them.
    pub fn built_in() -> [KindSpec; 4] {
        use Capability::*;
        [
            KindSpec::new(
                AssetKind::BANK,
                "银行存款",
                LegalClass::Funds,
                &[Freeze, Release, Deduct, Renew],
            ),
            KindSpec::new(
                AssetKind::REAL_ESTATE,
                "不动产",
                LegalClass::RealEstate,
                &[Seal, Release, Renew],
            ),
            KindSpec::new(
                AssetKind::VEHICLE,
                "车辆",
                LegalClass::Movable,
                &[Seal, Watch, Release, Renew],
            ),
            KindSpec::new(
                AssetKind::PAYMENT,
                "网络支付账户",
                LegalClass::Funds,
                &[Freeze, Release, Deduct, Renew],
            ),
        ]
    }
}

/// The kinds a hub knows, by name: the built-in ones plus those configured or described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinds(BTreeMap<AssetKind, KindSpec>);

impl Default for Kinds {
    fn default() -> Self {
        Self(
            KindSpec::built_in()
                .into_iter()
                .map(|spec| (spec.kind, spec))
                .collect(),
        )
    }
}

impl Kinds {
    pub fn get(&self, kind: AssetKind) -> Option<&KindSpec> {
        self.0.get(&kind)
    }

    /// Adds or replaces the spec of `spec.kind`.
    pub fn insert(&mut self, spec: KindSpec) {
        self.0.insert(spec.kind, spec);
    }

    /// Adds `spec` unless its kind is known already (configuration wins over a description).
    pub fn insert_if_absent(&mut self, spec: KindSpec) {
        self.0.entry(spec.kind).or_insert(spec);
    }

    pub fn iter(&self) -> impl Iterator<Item = &KindSpec> {
        self.0.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_kinds_keep_their_wire_numbers_and_order() {
        assert_eq!(AssetKind::BANK.wire_number(), 1);
        assert_eq!(AssetKind::PAYMENT.wire_number(), 4);
        assert_eq!(AssetKind::from_wire_number(2), Some(AssetKind::REAL_ESTATE));
        assert_eq!(AssetKind::from_wire_number(0), None);
        assert_eq!(AssetKind::from_wire_number(5), None);
        let shares = AssetKind::register("securities").unwrap();
        assert_eq!(shares.wire_number(), 0);
        let mut kinds = vec![
            shares,
            AssetKind::PAYMENT,
            AssetKind::BANK,
            AssetKind::VEHICLE,
        ];
        kinds.sort();
        assert_eq!(
            kinds,
            vec![
                AssetKind::BANK,
                AssetKind::VEHICLE,
                AssetKind::PAYMENT,
                shares
            ]
        );
    }

    #[test]
    fn lookups_never_register_and_names_are_checked() {
        assert_eq!("bank".parse(), Ok(AssetKind::BANK));
        assert!("never_registered_kind".parse::<AssetKind>().is_err());
        assert!(AssetKind::lookup("never_registered_kind").is_none());
        assert!(AssetKind::register("Ship").is_err());
        assert!(AssetKind::register("9ship").is_err());
        assert!(AssetKind::register(&"s".repeat(33)).is_err());
        let ship = AssetKind::register("ship").unwrap();
        assert_eq!(AssetKind::register("ship").unwrap(), ship);
        assert_eq!(AssetKind::lookup("ship"), Some(ship));
        assert!(!matches!(ship, AssetKind::BANK));
    }

    #[test]
    fn classes_set_the_legal_maximum_periods() {
        // DOMAIN rule 1: funds 1 year, movables 2 years, real estate and other rights 3 years.
        let table = [
            ("funds", 365),
            ("movable", 730),
            ("real_estate", 1095),
            ("other_rights", 1095),
        ];
        for (name, days) in table {
            assert_eq!(LegalClass::parse(name).unwrap().default_max_days(), days);
        }
        let built = Kinds::default();
        assert_eq!(built.get(AssetKind::BANK).unwrap().max_days, 365);
        assert_eq!(built.get(AssetKind::VEHICLE).unwrap().max_days, 730);
        assert_eq!(built.get(AssetKind::REAL_ESTATE).unwrap().max_days, 1095);
        assert!(built.get(AssetKind::BANK).unwrap().holds_money);
        assert!(!built.get(AssetKind::VEHICLE).unwrap().holds_money);
    }

    #[test]
    fn units_parse() {
        assert_eq!(HoldUnit::parse("fen"), Ok(HoldUnit::Fen));
        assert_eq!(HoldUnit::parse("whole"), Ok(HoldUnit::Whole));
        assert_eq!(
            HoldUnit::parse("shares"),
            Ok(HoldUnit::Units("shares".into()))
        );
        assert!(HoldUnit::parse("股").is_err());
    }
}
