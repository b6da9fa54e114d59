//! Mapping domain values onto the `assethub.v1` wire types. One direction only (domain → API);
//! requests are mapped the other way, with validation, in `validate`.

/// Kept here for existing callers (hubctl); [`crate::grpc`] owns it.
pub use crate::grpc::code_name;
use crate::inquiries::{Inquiry, InquiryState};
use crate::search::{OpenInquiry, Outcome, SourceReport};
use assethub_connectors::domain::{
    AccountStatus, Asset, AssetDetail, AssetKind, Attribute, AttributeValue, DepositType,
    Encumbrance, EncumbranceKind, KindSpec, PaymentBalanceType,
};
use assethub_connectors::QueryAnswer;
use assethub_proto::encoded::EncodedAsset;
use assethub_proto::served::v1 as served;
use assethub_proto::v1 as pb;

/// The API's enum value of a kind: one of the four built-in values, UNSPECIFIED for any other
/// kind (whose name the API carries beside it).
pub fn kind(kind: AssetKind) -> pb::AssetKind {
    pb::AssetKind::try_from(kind.wire_number()).unwrap_or(pb::AssetKind::Unspecified)
}

fn millis(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// One source's report in the served answer: its assets encoded once per cached answer
/// (`assethub_proto::encoded`), shared by every answer that reports them.
pub fn source_result(report: &SourceReport) -> served::SourceResult {
    let (status, reason, assets) = match &report.outcome {
        Outcome::Answer(cached) => match &cached.answer {
            QueryAnswer::Found(assets) => (
                pb::SourceStatus::Ok,
                String::new(),
                cached
                    .wire_assets(|| {
                        assets
                            .iter()
                            .map(|a| EncodedAsset::new(&asset(a, report.source.spec())))
                            .collect()
                    })
                    .to_vec(),
            ),
            QueryAnswer::NotFound => (pb::SourceStatus::NotFound, String::new(), vec![]),
            QueryAnswer::NameMismatch => (
                pb::SourceStatus::NameMismatch,
                "the agency holds this identity number under another name".to_string(),
                vec![],
            ),
            QueryAnswer::Pending { ticket, .. } => (
                pb::SourceStatus::Pending,
                pending_reason(ticket, report.inquiry.as_ref()),
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
    let (ticket, expected_at_ms, inquiry_id) = match &report.inquiry {
        Some(open) => (
            open.ticket.clone(),
            open.expected_at_ms,
            open.inquiry_id.clone(),
        ),
        None => (String::new(), 0, String::new()),
    };
    served::SourceResult {
        ticket,
        expected_at_ms,
        inquiry_id,
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

/// "the agency answers inquiry T later, expected by HH:MM" (Beijing time).
fn pending_reason(ticket: &str, open: Option<&OpenInquiry>) -> String {
    let ticket = open.map_or(ticket, |o| o.ticket.as_str());
    let named = if ticket.is_empty() {
        "the agency is being sent the inquiry; it answers later".to_string()
    } else {
        format!("the agency answers inquiry {ticket} later")
    };
    match open.map(|o| o.expected_at_ms).filter(|ms| *ms > 0) {
        Some(ms) => format!("{named}, expected by {} (Beijing time)", beijing_hh_mm(ms)),
        None => named,
    }
}

/// The time of day in Beijing (UTC+8 all year) of a Unix-ms instant, as `HH:MM`.
pub fn beijing_hh_mm(unix_ms: i64) -> String {
    let minutes = (unix_ms.div_euclid(60_000) + 8 * 60).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// An inquiry as the API lists it (personal data masked).
pub fn inquiry(i: &Inquiry) -> pb::Inquiry {
    pb::Inquiry {
        inquiry_id: i.inquiry_id.clone(),
        source: i.source.clone(),
        case_number: i.case_number.clone(),
        debtor_masked: i.debtor_masked.clone(),
        state: inquiry_state(i.state) as i32,
        ticket: i.ticket.clone(),
        expected_at_ms: i.expected_at_ms,
        expires_at_ms: i.expires_at_ms,
        asset_count: i.asset_count(),
        reason: i.reason.clone(),
        created_at_ms: i.created_at_ms,
        updated_at_ms: i.updated_at_ms,
        attempts: i.attempts,
    }
}

pub fn inquiry_state(state: InquiryState) -> pb::InquiryState {
    match state {
        InquiryState::Sending => pb::InquiryState::Sending,
        InquiryState::Pending => pb::InquiryState::Pending,
        InquiryState::Answered => pb::InquiryState::Answered,
        InquiryState::Expired => pb::InquiryState::Expired,
        InquiryState::Failed => pb::InquiryState::Failed,
    }
}

/// The state a listing names; `None` for UNSPECIFIED or an unknown number.
pub fn inquiry_state_from(raw: i32) -> Option<InquiryState> {
    InquiryState::ALL
        .into_iter()
        .find(|s| inquiry_state(*s) as i32 == raw)
}

/// An asset a source of kind `spec` reported.
pub fn asset(asset: &Asset, spec: &KindSpec) -> pb::Asset {
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
        generic: Some(generic(asset, spec)),
    }
}

/// The asset as a client that knows no kind shows it, labelled and counted as its kind's spec
/// says (the asset's own kind when the hub knows it, else its source's).
pub fn generic(asset: &Asset, spec: &KindSpec) -> pb::GenericDetail {
    let shown = asset.generic();
    let (label, unit) = if shown.kind == spec.kind {
        (spec.label.clone(), spec.unit.as_str().to_string())
    } else {
        (shown.kind.to_string(), String::new())
    };
    pb::GenericDetail {
        kind_name: shown.kind.to_string(),
        kind_label: label,
        title: shown.title,
        attributes: shown.attributes.into_iter().map(attribute).collect(),
        value_fen: shown.value.map(|v| v.0),
        quantity: shown.quantity,
        frozen_quantity: shown.frozen_quantity,
        unit,
    }
}

/// A kind's rules as the API shows them (`SourceInfo.kind_info`).
pub fn kind_info(spec: &KindSpec) -> pb::KindInfo {
    pb::KindInfo {
        name: spec.kind.to_string(),
        label: spec.label.clone(),
        legal_class: spec.class.as_str().to_string(),
        actions: spec
            .actions
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        holds_money: spec.holds_money,
        unit: spec.unit.as_str().to_string(),
        max_days: spec.max_days,
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

#[cfg(test)]
mod tests {
    use super::beijing_hh_mm;

    /// Instants as Unix ms (computed with Python's `datetime`) and their time of day in Beijing.
    #[test]
    fn expected_times_are_shown_in_beijing() {
        for (unix_ms, shown) in [
            (0, "08:00"),
            (1_714_521_600_000, "08:00"), // 2024-05-01T00:00:00Z
            (1_714_579_199_999, "23:59"), // 2024-05-01T15:59:59.999Z
            (1_714_579_200_000, "00:00"), // 2024-05-01T16:00:00Z
            (1_764_732_030_000, "11:20"), // 2025-12-03T03:20:30Z
            (-60_000, "07:59"),
        ] {
            assert_eq!(beijing_hh_mm(unix_ms), shown, "{unix_ms}");
        }
    }
}
