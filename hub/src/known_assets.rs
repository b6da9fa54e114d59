//! What searches have reported, asset by asset: whose an asset is and, for money, its currency
//! (for kinds counted in units, how many units the debtor holds).
//! Filled by every answer an agency gives (not by cache hits: those were recorded when fetched),
//! read by the order desk to confirm that a hold names the debtor's own asset, spelled exactly
//! as its agency reports it — so an order can be recorded (and wait) while the agency is down,
//! for an asset a search found.
//!
//! One map behind one lock, taken once per answer (an uncached search records every asset of
//! every source): cheaper on the search path than a concurrent cache. Bounded: when full it
//! starts afresh, and an entry older than [`KEPT_FOR`] vouches for nothing; losing one only
//! means the desk asks the agency again.

use assethub_connectors::domain::{Asset, AssetDetail, AssetRef, HoldUnit, KindSpec};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Assets remembered at most (one small entry each).
const CAPACITY: usize = 500_000;
/// How long an answer vouches for an asset's owner.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 3600);

/// One asset as an agency reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAsset {
    /// The debtor whose search reported it.
    pub debtor_id: String,
    /// Deposits: the account's currency; payment balances and assets of other kinds that
    /// hold money in fen (a provident fund balance): yuan; other assets: none.
    pub currency: Option<String>,
    /// Kinds counted in units (shares): how many the debtor holds, where the agency said.
    pub quantity: Option<u64>,
}

impl KnownAsset {
    /// What the desk needs to know of `asset`, reported for `debtor_id` by a source of `spec`.
    pub fn of(debtor_id: &str, asset: &Asset, spec: &KindSpec) -> Self {
        let currency = match &asset.detail {
            AssetDetail::Deposit(d) => Some(d.currency.clone()),
            AssetDetail::Payment(_) => Some("CNY".to_string()),
            // A kind of money known only generically counts in fen of yuan (the connector
            // protocol's money is `value_fen`).
            AssetDetail::Other(_) if spec.holds_money && spec.unit == HoldUnit::Fen => {
                Some("CNY".to_string())
            }
            _ => None,
        };
        let quantity = match &asset.detail {
            AssetDetail::Other(generic) => generic.quantity,
            _ => None,
        };
        Self {
            debtor_id: debtor_id.to_string(),
            currency,
            quantity,
        }
    }
}

#[derive(Default)]
pub struct KnownAssets {
    assets: Mutex<HashMap<AssetRef, (Instant, KnownAsset)>>,
}

impl KnownAssets {
    /// Remembers `assets`, which an agency reported for `debtor_id`; `spec` is the kind of
    /// their source.
    pub fn record(&self, debtor_id: &str, assets: &[Asset], spec: &KindSpec) {
        if assets.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut known = self.assets.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() + assets.len() > CAPACITY {
            known.clear();
        }
        for asset in assets {
            known.insert(
                asset.asset_ref.clone(),
                (now, KnownAsset::of(debtor_id, asset, spec)),
            );
        }
    }

    /// What a search last reported of `asset`, if it is remembered and recent.
    pub fn get(&self, asset: &AssetRef) -> Option<KnownAsset> {
        let known = self.assets.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(asset)
            .filter(|(at, _)| at.elapsed() < KEPT_FOR)
            .map(|(_, entry)| entry.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_connectors::connector::Capability;
    use assethub_connectors::domain::{AssetKind, Fen, GenericDetail, LegalClass, SourceId};

    fn generic(kind: AssetKind, value: Option<i64>, quantity: Option<u64>) -> Asset {
        Asset {
            asset_ref: AssetRef::new(&SourceId::new("src").unwrap(), "A1"),
            detail: AssetDetail::Other(GenericDetail {
                kind,
                title: "t".into(),
                attributes: vec![],
                value: value.map(Fen),
                quantity,
                frozen_quantity: None,
            }),
        }
    }

    #[test]
    fn a_money_kind_known_only_generically_is_money_in_yuan_and_shares_are_units() {
        // Table: (class, unit, holds money) -> what the desk may freeze by.
        let fund = AssetKind::register("provident_fund").unwrap();
        let fund_spec = KindSpec::new(fund, "公积金", LegalClass::Funds, &[Capability::Freeze]);
        let known = KnownAsset::of("D", &generic(fund, Some(12_345), None), &fund_spec);
        assert_eq!(known.currency.as_deref(), Some("CNY"));
        assert_eq!(known.quantity, None);

        let shares = AssetKind::register("securities").unwrap();
        let mut share_spec = KindSpec::new(
            shares,
            "证券",
            LegalClass::OtherRights,
            &[Capability::Freeze],
        );
        share_spec.unit = HoldUnit::Units("shares".into());
        let known = KnownAsset::of("D", &generic(shares, Some(9), Some(20_000)), &share_spec);
        assert_eq!((known.currency, known.quantity), (None, Some(20_000)));

        let ship = AssetKind::register("ship").unwrap();
        let ship_spec = KindSpec::new(ship, "船舶", LegalClass::Movable, &[Capability::Seal]);
        let known = KnownAsset::of("D", &generic(ship, Some(9), None), &ship_spec);
        assert_eq!((known.currency, known.quantity), (None, None));
    }
}
