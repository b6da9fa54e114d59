//! What agencies report: assets of four kinds, each with a stable reference that later control
//! actions accept, and the source (configured connector instance) that reported it.

use super::Fen;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The family of agency a source belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    Bank,
    RealEstate,
    Vehicle,
    Payment,
}

impl AssetKind {
    pub const ALL: [AssetKind; 4] = [Self::Bank, Self::RealEstate, Self::Vehicle, Self::Payment];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bank => "bank",
            Self::RealEstate => "real_estate",
            Self::Vehicle => "vehicle",
            Self::Payment => "payment",
        }
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AssetKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind {s:?} (bank, real_estate, vehicle, payment)"))
    }
}

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

impl fmt::Display for AssetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.local)
    }
}

/// One asset found at one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub asset_ref: AssetRef,
    pub detail: AssetDetail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetDetail {
    Deposit(DepositAccount),
    Property(RealEstateProperty),
    Vehicle(Vehicle),
    Payment(PaymentBalance),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositType {
    /// 活期
    Demand,
    /// 定期
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Normal,
    Frozen,
    Dormant,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealEstateProperty {
    pub certificate_number: String,
    pub address: String,
    /// Hundredths of a square metre.
    pub area_centi_m2: u64,
    pub ownership_share: String,
    pub usage: String,
    pub encumbrances: Vec<Encumbrance>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vehicle {
    pub plate: String,
    pub vin: String,
    pub brand: String,
    pub model: String,
    pub registration_status: String,
    pub encumbrances: Vec<Encumbrance>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentBalanceType {
    Wallet,
    Fund,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentBalance {
    pub account_id: String,
    pub balance_type: PaymentBalanceType,
    pub balance: Fen,
    pub frozen: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncumbranceKind {
    Mortgage,
    Seal,
    QueuedSeal,
}

/// A right someone else already holds over an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    #[test]
    fn kinds_parse() {
        assert_eq!("real_estate".parse(), Ok(AssetKind::RealEstate));
        assert!("boat".parse::<AssetKind>().is_err());
    }
}
