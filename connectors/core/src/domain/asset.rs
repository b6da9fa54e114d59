//! What agencies report: assets, each with a stable reference that later control actions
//! accept, and the source (configured connector instance) that reported it. The four built-in
//! kinds have typed details; an asset of any other kind carries a [`GenericDetail`], and every
//! asset can be shown through one (see [`Asset::generic`]).

use super::Fen;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::kinds::AssetKind;

/// Id of a configured source (connector instance), e.g. `bank-gongxin`: lowercase ASCII
/// letters, digits and dashes, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SourceId(String);

impl SourceId {
    pub fn new(id: &str) -> Result<Self, String> {
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(id.to_string()))
        } else {
            Err(format!(
                "source id {id:?} must be 1-64 characters of a-z, 0-9 and '-'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SourceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        SourceId::new(&raw).map_err(serde::de::Error::custom)
    }
}

/// Stable reference to one asset at one source: `<source>:<agency-local id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssetRef {
    pub source: SourceId,
    pub local: String,
}

impl AssetRef {
    pub fn new(source: &SourceId, local: impl Into<String>) -> Self {
        Self {
            source: source.clone(),
            local: local.into(),
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let (source, local) = text
            .split_once(':')
            .ok_or_else(|| format!("asset ref {text:?} must be <source>:<id>"))?;
        if local.is_empty() {
            return Err(format!("asset ref {text:?} has an empty id"));
        }
        Ok(Self {
            source: SourceId::new(source)?,
            local: local.to_string(),
        })
    }
}

/// As its text `<source>:<id>` (the answers the hub stores for asynchronous inquiries).
impl Serialize for AssetRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AssetRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for AssetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.local)
    }
}

/// One asset found at one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub asset_ref: AssetRef,
    pub detail: AssetDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetDetail {
    Deposit(DepositAccount),
    Property(RealEstateProperty),
    Vehicle(Vehicle),
    Payment(PaymentBalance),
    /// An asset of a kind the hub has no typed detail for (securities positions, housing
    /// provident fund balances, ship registrations...): described by typed attributes.
    Other(GenericDetail),
}

/// An asset described without knowing its kind: what any client can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenericDetail {
    /// The registered kind, e.g. `securities`.
    pub kind: AssetKind,
    /// One line naming the asset for a person, e.g. "600000 浦发银行 (A 股)".
    pub title: String,
    pub attributes: Vec<Attribute>,
    /// What the asset is worth in fen where the agency states it (a balance, a market value).
    pub value: Option<Fen>,
    /// How many units the debtor holds, for kinds counted in units (shares); None otherwise.
    pub quantity: Option<u64>,
    /// How many of those units are frozen already (by any court).
    pub frozen_quantity: Option<u64>,
}

/// One labelled, typed fact about an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Stable machine name, e.g. `security_code`.
    pub key: String,
    /// What a person reads, e.g. "证券代码".
    pub label: String,
    pub value: AttributeValue,
    /// Unit of a number ("shares", "m²"); empty when none.
    pub unit: String,
}

/// The value of an attribute, typed so a client can format it (money in yuan, dates as dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeValue {
    Text(String),
    Integer(i64),
    /// Hundredths of the unit (areas in centi-m², rates in basis points of a percent).
    Centi(i64),
    Money(Fen),
    /// An ISO date, YYYY-MM-DD.
    Date(String),
    Flag(bool),
}

impl Attribute {
    pub fn new(key: &str, label: &str, value: AttributeValue) -> Self {
        Self {
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit: String::new(),
        }
    }

    pub fn with_unit(mut self, unit: &str) -> Self {
        self.unit = unit.to_string();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DepositType {
    /// 活期
    Demand,
    /// 定期
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountStatus {
    Normal,
    Frozen,
    Dormant,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositAccount {
    pub account_number: String,
    pub deposit_type: DepositType,
    /// ISO 4217, e.g. "CNY".
    pub currency: String,
    pub balance: Fen,
    pub frozen: Fen,
    pub status: AccountStatus,
    pub branch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealEstateProperty {
    pub certificate_number: String,
    pub address: String,
    /// Hundredths of a square metre.
    pub area_centi_m2: u64,
    pub ownership_share: String,
    pub usage: String,
    pub encumbrances: Vec<Encumbrance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    pub plate: String,
    pub vin: String,
    pub brand: String,
    pub model: String,
    pub registration_status: String,
    pub encumbrances: Vec<Encumbrance>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentBalanceType {
    Wallet,
    Fund,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentBalance {
    pub account_id: String,
    pub balance_type: PaymentBalanceType,
    pub balance: Fen,
    pub frozen: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EncumbranceKind {
    Mortgage,
    Seal,
    QueuedSeal,
}

/// A right someone else already holds over an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encumbrance {
    pub kind: EncumbranceKind,
    pub holder: String,
    /// ISO date, YYYY-MM-DD.
    pub since: String,
    /// ISO date; None when open-ended.
    pub until: Option<String>,
    /// Secured amount for mortgages; zero when not stated.
    pub amount: Fen,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_refs_round_trip() {
        let r = AssetRef::parse("bank-a:6222:0001").unwrap();
        assert_eq!(r.source.as_str(), "bank-a");
        assert_eq!(r.local, "6222:0001");
        assert_eq!(r.to_string(), "bank-a:6222:0001");
        assert!(AssetRef::parse("Bank:1").is_err());
        assert!(AssetRef::parse("bank:").is_err());
    }
}
