//! What searches have reported, asset by asset: whose an asset is and, for money, its currency.
//! Filled by every answer an agency gives (not by cache hits: those were recorded when fetched),
//! read by the order desk to confirm that a hold names the debtor's own asset, spelled exactly
//! as its agency reports it — so an order can be recorded (and wait) while the agency is down,
//! for an asset a search found. Bounded (moka, by count and age); losing an entry only means the
//! desk asks the agency again.

use assethub_connectors::domain::{Asset, AssetDetail, AssetRef};
use moka::future::Cache;
use std::time::Duration;

/// Assets remembered at most (one small entry each).
const CAPACITY: u64 = 500_000;
/// How long an answer vouches for an asset's owner.
const KEPT_FOR: Duration = Duration::from_secs(24 * 3600);

/// One asset as an agency reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAsset {
    /// The debtor whose search reported it.
    pub debtor_id: String,
    /// Deposits: the account's currency; payment balances: yuan; other assets: none.
    pub currency: Option<String>,
}

#[derive(Clone)]
pub struct KnownAssets {
    assets: Cache<AssetRef, KnownAsset>,
}

impl Default for KnownAssets {
    fn default() -> Self {
        Self {
            assets: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(KEPT_FOR)
                .build(),
        }
    }
}

impl KnownAssets {
    /// Remembers `assets`, which an agency reported for `debtor_id`.
    pub async fn record(&self, debtor_id: &str, assets: &[Asset]) {
        for asset in assets {
            let currency = match &asset.detail {
                AssetDetail::Deposit(d) => Some(d.currency.clone()),
                AssetDetail::Payment(_) => Some("CNY".to_string()),
                _ => None,
            };
            self.assets
                .insert(
                    asset.asset_ref.clone(),
                    KnownAsset {
                        debtor_id: debtor_id.to_string(),
                        currency,
                    },
                )
                .await;
        }
    }

    /// What a search last reported of `asset`, if it is remembered.
    pub async fn get(&self, asset: &AssetRef) -> Option<KnownAsset> {
        self.assets.get(asset).await
    }
}
