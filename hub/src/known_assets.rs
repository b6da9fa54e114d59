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

use assethub_connectors::domain::{Asset, AssetDetail, AssetRef};
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
    /// Deposits: the account's currency; payment balances: yuan; other assets: none.
    pub currency: Option<String>,
    /// Kinds counted in units (shares): how many the debtor holds, where the agency said.
    pub quantity: Option<u64>,
}

#[derive(Default)]
pub struct KnownAssets {
    assets: Mutex<HashMap<AssetRef, (Instant, KnownAsset)>>,
}

impl KnownAssets {
    /// Remembers `assets`, which an agency reported for `debtor_id`.
    pub fn record(&self, debtor_id: &str, assets: &[Asset]) {
        if assets.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut known = self.assets.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() + assets.len() > CAPACITY {
            known.clear();
        }
        for asset in assets {
            let currency = match &asset.detail {
                AssetDetail::Deposit(d) => Some(d.currency.clone()),
                AssetDetail::Payment(_) => Some("CNY".to_string()),
                _ => None,
            };
            let quantity = match &asset.detail {
                AssetDetail::Other(generic) => generic.quantity,
                _ => None,
            };
            let entry = KnownAsset {
                debtor_id: debtor_id.to_string(),
                currency,
                quantity,
            };
            known.insert(asset.asset_ref.clone(), (now, entry));
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
