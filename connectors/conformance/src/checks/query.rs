//! Query checks: the known debtor is found (and the asset the control checks hold is chosen),
//! an unknown identifier is `NotFound`, a known identifier under another name is
//! `NameMismatch`.

use crate::kit::{HoldWith, Kit};
use crate::outcome::Outcome;
use assethub_connectors::domain::{Asset, AssetDetail};
use assethub_connectors::{Capability, QueryAnswer};

pub async fn known_debtor(kit: &mut Kit) -> Outcome {
    if !kit.supports(Capability::Query) {
        return Outcome::Skip("the connector does not declare query".into());
    }
    let debtor = kit.fixture.known.clone();
    let assets = match kit.query("known-debtor", &debtor).await {
        Ok(QueryAnswer::Found(assets)) => assets,
        Ok(other) => return Outcome::Fail(format!("expected Found, got {}", name(&other))),
        Err(e) => return Outcome::Fail(format!("the query failed: {e}")),
    };
    let with = kit.hold_with();
    let chosen = match &kit.fixture.asset {
        Some(wanted) => assets.iter().find(|a| a.asset_ref.local == *wanted),
        None => pick(&assets, with),
    };
    match (chosen, &kit.fixture.asset) {
        (Some(asset), _) => {
            kit.asset = Some(asset.asset_ref.local.clone());
            kit.asset_size = size(asset, with);
            Outcome::Pass(format!(
                "found {} asset(s); the control checks hold {}",
                assets.len(),
                asset.asset_ref.local
            ))
        }
        (None, Some(wanted)) => Outcome::Fail(format!(
            "found {} asset(s), none is the fixture's asset {wanted}",
            assets.len()
        )),
        (None, None) if assets.is_empty() => {
            Outcome::Fail("found the debtor with no asset: name one who holds some".into())
        }
        (None, None) => Outcome::Pass(format!(
            "found {} asset(s), none suitable to hold (set control.asset)",
            assets.len()
        )),
    }
}

pub async fn not_found(kit: &mut Kit) -> Outcome {
    if !kit.supports(Capability::Query) {
        return Outcome::Skip("the connector does not declare query".into());
    }
    let debtor = kit.fixture.unknown.clone();
    match kit.query("not-found", &debtor).await {
        Ok(QueryAnswer::NotFound) => Outcome::Pass("NotFound".into()),
        Ok(other) => Outcome::Fail(format!("expected NotFound, got {}", name(&other))),
        Err(e) => Outcome::Fail(format!("expected NotFound, the query failed: {e}")),
    }
}

pub async fn name_mismatch(kit: &mut Kit) -> Outcome {
    if !kit.supports(Capability::Query) {
        return Outcome::Skip("the connector does not declare query".into());
    }
    let debtor = kit.fixture.wrong_name.clone();
    match kit.query("name-mismatch", &debtor).await {
        Ok(QueryAnswer::NameMismatch) => Outcome::Pass("NameMismatch".into()),
        Ok(other) => Outcome::Fail(format!("expected NameMismatch, got {}", name(&other))),
        Err(e) => Outcome::Fail(format!("expected NameMismatch, the query failed: {e}")),
    }
}

/// An answer's variant, without its content (which may carry personal data).
pub fn name(answer: &QueryAnswer) -> String {
    match answer {
        QueryAnswer::Found(assets) => format!("Found ({} assets)", assets.len()),
        QueryAnswer::NotFound => "NotFound".into(),
        QueryAnswer::NameMismatch => "NameMismatch".into(),
        QueryAnswer::Pending { .. } => "Pending (never answered)".into(),
    }
}

/// The first asset a hold can take whole: money to freeze, nothing frozen or encumbered yet.
fn pick(assets: &[Asset], with: Option<HoldWith>) -> Option<&Asset> {
    let free = |a: &&Asset| match &a.detail {
        AssetDetail::Deposit(d) => d.frozen.0 == 0 && d.balance.0 > 0 && d.currency == "CNY",
        AssetDetail::Payment(p) => p.frozen.0 == 0 && p.balance.0 > 0,
        AssetDetail::Property(p) => p.encumbrances.is_empty(),
        AssetDetail::Vehicle(v) => v.encumbrances.is_empty(),
        AssetDetail::Other(g) => match with {
            Some(HoldWith::Units) => {
                g.quantity.unwrap_or(0) > 0 && g.frozen_quantity.unwrap_or(0) == 0
            }
            Some(HoldWith::Money) => g.value.is_some_and(|v| v.0 > 0),
            _ => true,
        },
    };
    assets.iter().find(free).or_else(|| assets.first())
}

/// What the asset is worth (money) or holds (units), as the query reported it.
fn size(asset: &Asset, with: Option<HoldWith>) -> Option<i64> {
    match with {
        Some(HoldWith::Units) => asset
            .generic()
            .quantity
            .map(|q| i64::try_from(q).unwrap_or(i64::MAX)),
        _ => asset.detail.value().map(|v| v.0),
    }
}
