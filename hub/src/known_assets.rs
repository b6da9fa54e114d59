//! What searches have reported, asset by asset: whose an asset is and, for money, its currency
//! (for kinds counted in units, how many units the debtor holds).
//! Filled by every answer an agency gives (not by cache hits: those were recorded when fetched),
//! read by the order desk to confirm that a hold names the debtor's own asset, spelled exactly
//! as its agency reports it — so an order can be recorded (and wait) while the agency is down,
//! for an asset a search found.
//!
//! Two maps (generations) behind one lock, taken once per answer (an uncached search records
//! every asset of every source): cheaper on the search path than a concurrent cache. Bounded
//! by bytes, not by the number of debtors searched: assets go into the current generation;
//! when it weighs half the budget ([`MAX_BYTES`], each entry its approximate heap size) it
//! becomes the previous one and the oldest generation is dropped. So memory stays under the
//! budget whatever a sweep's size, and the most recently reported half of it is always kept
//! (a hold placed soon after a search is vouched for). An entry older than [`KEPT_FOR`]
//! vouches for nothing; losing one only means the desk asks the agency again.

use assethub_connectors::domain::{Asset, AssetDetail, AssetRef, HoldUnit, KindSpec};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// What the remembered assets weigh at most, in bytes (about 400,000 assets).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// What an entry costs beyond its strings: the key and value structs, the timestamp and the
/// hash table's own slot and control byte at its load factor.
const ENTRY_OVERHEAD: usize = 96;
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

type Generation = HashMap<AssetRef, (Instant, KnownAsset)>;

#[derive(Default)]
struct Generations {
    current: Generation,
    current_bytes: usize,
    previous: Generation,
}

pub struct KnownAssets {
    assets: Mutex<Generations>,
    /// Bytes a generation may weigh (half the budget).
    generation_bytes: usize,
}

impl Default for KnownAssets {
    fn default() -> Self {
        Self::with_max_bytes(MAX_BYTES)
    }
}

/// The approximate heap size of one entry.
fn entry_bytes(asset: &AssetRef, known: &KnownAsset) -> usize {
    ENTRY_OVERHEAD
        + asset.source.as_str().len()
        + asset.local.len()
        + known.debtor_id.len()
        + known.currency.as_ref().map_or(0, String::len)
}

impl KnownAssets {
    /// An index weighing at most about `max_bytes`.
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        Self {
            assets: Mutex::default(),
            generation_bytes: max_bytes / 2,
        }
    }

    /// Remembers `assets`, which an agency reported for `debtor_id`; `spec` is the kind of
    /// their source.
    pub fn record(&self, debtor_id: &str, assets: &[Asset], spec: &KindSpec) {
        if assets.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut known = self.assets.lock().unwrap_or_else(|p| p.into_inner());
        for asset in assets {
            let entry = KnownAsset::of(debtor_id, asset, spec);
            let bytes = entry_bytes(&asset.asset_ref, &entry);
            if known.current_bytes + bytes > self.generation_bytes {
                // A new generation: the previous one's memory is freed (not kept as capacity).
                known.previous = std::mem::take(&mut known.current);
                known.current_bytes = 0;
            }
            known.current_bytes += bytes;
            known.current.insert(asset.asset_ref.clone(), (now, entry));
        }
    }

    /// What a search last reported of `asset`, if it is remembered and recent.
    pub fn get(&self, asset: &AssetRef) -> Option<KnownAsset> {
        let known = self.assets.lock().unwrap_or_else(|p| p.into_inner());
        known
            .current
            .get(asset)
            .or_else(|| known.previous.get(asset))
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

    fn deposit(local: &str) -> Asset {
        use assethub_connectors::domain::{AccountStatus, DepositAccount, DepositType};
        Asset {
            asset_ref: AssetRef::new(&SourceId::new("bank-a").unwrap(), local),
            detail: AssetDetail::Deposit(DepositAccount {
                account_number: local.into(),
                deposit_type: DepositType::Demand,
                currency: "CNY".into(),
                balance: Fen(1),
                frozen: Fen(0),
                status: AccountStatus::Normal,
                branch: String::new(),
            }),
        }
    }

    /// A sweep reporting far more assets than the budget holds: the index keeps at most the
    /// budget's worth (each entry weighs at least its 1,000-byte account number, so at most
    /// 100 of a 100,000-byte budget), and always the most recent ones: the last 40 reported
    /// (under half the budget) are vouched for, with their debtor.
    #[tokio::test(start_paused = true)]
    async fn the_index_is_bounded_by_bytes_and_keeps_the_most_recent_assets() {
        let kind = AssetKind::register("bank").unwrap();
        let spec = KindSpec::new(kind, "存款", LegalClass::Funds, &[Capability::Freeze]);
        let index = KnownAssets::with_max_bytes(100_000);
        let local = |i: usize| format!("{i:01000}");
        for i in 0..10_000 {
            index.record(&format!("D{i}"), &[deposit(&local(i))], &spec);
        }
        let source = SourceId::new("bank-a").unwrap();
        let held: Vec<usize> = (0..10_000)
            .filter(|&i| index.get(&AssetRef::new(&source, local(i))).is_some())
            .collect();
        assert!(held.len() <= 100, "{} held", held.len());
        for i in 10_000 - 40..10_000 {
            let known = index.get(&AssetRef::new(&source, local(i)));
            assert_eq!(known.map(|k| k.debtor_id), Some(format!("D{i}")));
        }
        // ... until they are older than KEPT_FOR.
        tokio::time::advance(KEPT_FOR).await;
        assert!(index.get(&AssetRef::new(&source, local(9_999))).is_none());
    }
}
