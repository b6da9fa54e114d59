//! Mapping domain values onto the `assethub.v1` wire types. One direction only (domain → API);
//! requests are mapped the other way, with validation, in `validate`.

/// Kept here for existing callers (hubctl); [`crate::grpc`] owns it.
pub use crate::grpc::code_name;
use crate::search::{Outcome, SourceReport};
use assethub_connectors::domain::{
    AccountStatus, Asset, AssetDetail, AssetKind, Attribute, AttributeValue, DepositType,
    Encumbrance, EncumbranceKind, PaymentBalanceType,
};
use assethub_connectors::QueryAnswer;
use assethub_proto::v1 as pb;

/// The API's enum value of a kind: one of the four built-in values, UNSPECIFIED for any other
/// kind (whose name the API carries beside it).
pub fn kind(kind: AssetKind) -> pb::AssetKind {
    pb::AssetKind::try_from(kind.wire_number()).unwrap_or(pb::AssetKind::Unspecified)
}

fn millis(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

pub fn source_result(report: &SourceReport) -> pb::SourceResult {
    let (status, reason, assets) = match &report.outcome {
        Outcome::Answer(cached) => match &cached.answer {
            QueryAnswer::Found(assets) => (
                pb::SourceStatus::Ok,
                String::new(),
                assets.iter().map(asset).collect(),
            ),
            QueryAnswer::NotFound => (pb::SourceStatus::NotFound, String::new(), vec![]),
            QueryAnswer::NameMismatch => (
                pb::SourceStatus::NameMismatch,
                "the agency holds this identity number under another name".to_string(),
                vec![],
            ),
            QueryAnswer::Pending { .. } => (
                pb::SourceStatus::Error,
                "the agency will answer later; answers by ticket are not followed yet".to_string(),
                vec![],
            ),
        },
        Outcome::Failed(error) => (pb::SourceStatus::Error, error.to_string(), vec![]),
        Outcome::TimedOut => (
            pb::SourceStatus::TimedOut,
            format!(
                "no answer within the deadline ({} ms)",
                report.latency.as_millis()
            ),
            vec![],
        ),
    };
    pb::SourceResult {
        source: report.source.id().to_string(),
        kind: kind(report.source.kind()) as i32,
        kind_name: report.source.kind().to_string(),
        status: status as i32,
        reason,
        cached: report.cached,
        age_ms: u64::try_from(report.age.as_millis()).unwrap_or(u64::MAX),
        assets,
        latency_ms: millis(report.latency),
        attempts: report.attempts,
    }
}

pub fn asset(asset: &Asset) -> pb::Asset {
    use pb::asset::Detail;
    let detail = match &asset.detail {
        AssetDetail::Other(_) => None,
        AssetDetail::Deposit(d) => Some(Detail::Deposit(pb::DepositAccount {
            account_number: d.account_number.clone(),
            deposit_type: match d.deposit_type {
                DepositType::Demand => pb::DepositType::Demand,
                DepositType::Time => pb::DepositType::Time,
            } as i32,
            currency: d.currency.clone(),
            balance_fen: d.balance.0,
            frozen_fen: d.frozen.0,
            status: match d.status {
                AccountStatus::Normal => pb::AccountStatus::Normal,
                AccountStatus::Frozen => pb::AccountStatus::Frozen,
                AccountStatus::Dormant => pb::AccountStatus::Dormant,
                AccountStatus::Closed => pb::AccountStatus::Closed,
            } as i32,
            branch: d.branch.clone(),
        })),
        AssetDetail::Property(p) => Some(Detail::Property(pb::RealEstateProperty {
            certificate_number: p.certificate_number.clone(),
            address: p.address.clone(),
            area_centi_m2: p.area_centi_m2,
            ownership_share: p.ownership_share.clone(),
            usage: p.usage.clone(),
            encumbrances: p.encumbrances.iter().map(encumbrance).collect(),
        })),
        AssetDetail::Vehicle(v) => Some(Detail::Vehicle(pb::Vehicle {
            plate: v.plate.clone(),
            vin: v.vin.clone(),
            brand: v.brand.clone(),
            model: v.model.clone(),
            registration_status: v.registration_status.clone(),
            encumbrances: v.encumbrances.iter().map(encumbrance).collect(),
        })),
        AssetDetail::Payment(b) => Some(Detail::PaymentBalance(pb::PaymentBalance {
            account_id: b.account_id.clone(),
            balance_type: match b.balance_type {
                PaymentBalanceType::Wallet => pb::PaymentBalanceType::Wallet,
                PaymentBalanceType::Fund => pb::PaymentBalanceType::Fund,
            } as i32,
            balance_fen: b.balance.0,
            frozen_fen: b.frozen.0,
        })),
    };
    pb::Asset {
        asset_ref: asset.asset_ref.to_string(),
        detail,
        generic: Some(generic(asset)),
    }
}

/// The asset as a client that knows no kind shows it.
pub fn generic(asset: &Asset) -> pb::GenericDetail {
    let shown = asset.generic();
    pb::GenericDetail {
        kind_name: shown.kind.to_string(),
        kind_label: String::new(),
        title: shown.title,
        attributes: shown.attributes.into_iter().map(attribute).collect(),
        value_fen: shown.value.map(|v| v.0),
        quantity: shown.quantity,
        frozen_quantity: shown.frozen_quantity,
        unit: String::new(),
    }
}

fn attribute(a: Attribute) -> pb::Attribute {
    use pb::attribute::Value;
    let value = match a.value {
        AttributeValue::Text(t) => Value::Text(t),
        AttributeValue::Integer(n) => Value::Integer(n),
        AttributeValue::Centi(n) => Value::Centi(n),
        AttributeValue::Money(f) => Value::MoneyFen(f.0),
        AttributeValue::Date(d) => Value::Date(d),
        AttributeValue::Flag(b) => Value::Flag(b),
    };
    pb::Attribute {
        key: a.key,
        label: a.label,
        value: Some(value),
        unit: a.unit,
    }
}

fn encumbrance(e: &Encumbrance) -> pb::Encumbrance {
    pb::Encumbrance {
        kind: match e.kind {
            EncumbranceKind::Mortgage => pb::EncumbranceKind::Mortgage,
            EncumbranceKind::Seal => pb::EncumbranceKind::Seal,
            EncumbranceKind::QueuedSeal => pb::EncumbranceKind::QueuedSeal,
        } as i32,
        holder: e.holder.clone(),
        since: e.since.clone(),
        until: e.until.clone().unwrap_or_default(),
        amount_fen: e.amount.0,
    }
}
