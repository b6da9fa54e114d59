//! Domain types the connectors and the hub speak: identifiers, money, assets and their kinds, civil dates. Each is parsed
//! once at the edge and cannot hold an invalid value afterwards. No I/O here.

mod asset;
mod case_number;
pub mod civil;
mod generic;
mod ids;
pub mod kinds;
mod money;

pub use asset::{
    AccountStatus, Asset, AssetDetail, AssetRef, Attribute, AttributeValue, DepositAccount,
    DepositType, Encumbrance, EncumbranceKind, GenericDetail, PaymentBalance, PaymentBalanceType,
    RealEstateProperty, SourceId, Vehicle,
};
pub use case_number::{is_court_code, CaseNumber, CaseNumberError};
pub use civil::CivilDate;
pub use ids::{mask_id, mask_name, CreditCode, Debtor, DebtorId, IdError, ResidentId};
pub use kinds::{AssetKind, HoldUnit, KindSpec, Kinds, LegalClass};
pub use money::{Fen, MoneyError};
