//! Domain types the connectors and the hub speak: identifiers, money, assets, civil dates. Each is parsed
//! once at the edge and cannot hold an invalid value afterwards. No I/O here.

mod asset;
mod case_number;
pub mod civil;
mod ids;
mod money;

pub use asset::{
    AccountStatus, Asset, AssetDetail, AssetKind, AssetRef, DepositAccount, DepositType,
    Encumbrance, EncumbranceKind, PaymentBalance, PaymentBalanceType, RealEstateProperty, SourceId,
    Vehicle,
};
pub use case_number::{is_court_code, CaseNumber, CaseNumberError};
pub use civil::CivilDate;
pub use ids::{mask_id, mask_name, CreditCode, Debtor, DebtorId, IdError, ResidentId};
pub use money::{Fen, MoneyError};
