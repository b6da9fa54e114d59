//! Lowercase names of the API's enums, shared by the JSON and the table output.
//!
//! Enum fields arrive as raw `i32`; a value this build does not know (a newer hub) is named
//! `"unknown"` rather than rejected, so an old `hubctl` still shows everything else.

use assethub_proto::v1::{
    AccountStatus, AssetKind, DepositType, EncumbranceKind, PaymentBalanceType, SourceStatus,
};

/// `"bank"`, `"real_estate"`, `"vehicle"`, `"payment"`.
pub fn asset_kind(value: i32) -> &'static str {
    match AssetKind::try_from(value) {
        Ok(AssetKind::Bank) => "bank",
        Ok(AssetKind::RealEstate) => "real_estate",
        Ok(AssetKind::Vehicle) => "vehicle",
        Ok(AssetKind::Payment) => "payment",
        Ok(AssetKind::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

/// A kind as the hub names it (`"securities"`), or the built-in enum's name for a hub that
/// sends no name.
pub fn kind_name(name: &str, value: i32) -> String {
    if name.is_empty() {
        asset_kind(value).to_string()
    } else {
        name.to_string()
    }
}

/// `"ok"`, `"not_found"`, `"name_mismatch"`, `"error"`, `"timed_out"`, `"pending"`,
/// `"expired"`.
pub fn source_status(value: i32) -> &'static str {
    match SourceStatus::try_from(value) {
        Ok(SourceStatus::Ok) => "ok",
        Ok(SourceStatus::NotFound) => "not_found",
        Ok(SourceStatus::NameMismatch) => "name_mismatch",
        Ok(SourceStatus::Error) => "error",
        Ok(SourceStatus::TimedOut) => "timed_out",
        Ok(SourceStatus::Pending) => "pending",
        Ok(SourceStatus::Expired) => "expired",
        Ok(SourceStatus::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

/// `"demand"` (活期), `"time"` (定期).
pub fn deposit_type(value: i32) -> &'static str {
    match DepositType::try_from(value) {
        Ok(DepositType::Demand) => "demand",
        Ok(DepositType::Time) => "time",
        Ok(DepositType::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

/// `"normal"`, `"frozen"`, `"dormant"`, `"closed"`.
pub fn account_status(value: i32) -> &'static str {
    match AccountStatus::try_from(value) {
        Ok(AccountStatus::Normal) => "normal",
        Ok(AccountStatus::Frozen) => "frozen",
        Ok(AccountStatus::Dormant) => "dormant",
        Ok(AccountStatus::Closed) => "closed",
        Ok(AccountStatus::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

/// `"wallet"`, `"fund"`.
pub fn payment_balance_type(value: i32) -> &'static str {
    match PaymentBalanceType::try_from(value) {
        Ok(PaymentBalanceType::Wallet) => "wallet",
        Ok(PaymentBalanceType::Fund) => "fund",
        Ok(PaymentBalanceType::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

/// `"mortgage"`, `"seal"`, `"queued_seal"`.
pub fn encumbrance_kind(value: i32) -> &'static str {
    match EncumbranceKind::try_from(value) {
        Ok(EncumbranceKind::Mortgage) => "mortgage",
        Ok(EncumbranceKind::Seal) => "seal",
        Ok(EncumbranceKind::QueuedSeal) => "queued_seal",
        Ok(EncumbranceKind::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_lowercase_wire_names() {
        assert_eq!(source_status(SourceStatus::Ok as i32), "ok");
        assert_eq!(source_status(SourceStatus::NotFound as i32), "not_found");
        assert_eq!(
            source_status(SourceStatus::NameMismatch as i32),
            "name_mismatch"
        );
        assert_eq!(source_status(SourceStatus::Error as i32), "error");
        assert_eq!(source_status(SourceStatus::TimedOut as i32), "timed_out");
        assert_eq!(source_status(0), "unspecified");
        assert_eq!(source_status(99), "unknown");
    }

    #[test]
    fn kinds_and_other_enums() {
        assert_eq!(asset_kind(AssetKind::Bank as i32), "bank");
        assert_eq!(asset_kind(AssetKind::RealEstate as i32), "real_estate");
        assert_eq!(asset_kind(AssetKind::Vehicle as i32), "vehicle");
        assert_eq!(asset_kind(AssetKind::Payment as i32), "payment");
        assert_eq!(asset_kind(-1), "unknown");
        assert_eq!(deposit_type(DepositType::Time as i32), "time");
        assert_eq!(account_status(AccountStatus::Dormant as i32), "dormant");
        assert_eq!(
            payment_balance_type(PaymentBalanceType::Fund as i32),
            "fund"
        );
        assert_eq!(
            encumbrance_kind(EncumbranceKind::QueuedSeal as i32),
            "queued_seal"
        );
    }
}
