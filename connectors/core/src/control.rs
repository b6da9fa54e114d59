//! Control instructions as a connector receives them (freeze, seal, watch, release, deduct,
//! renew), the agency's answer, and vehicle sightings. The hub decides what to send and
//! records it durably; a connector only speaks the agency's protocol for one instruction at a
//! time and never retries on its own (a retry is the hub's call, always with the same key).

use crate::domain::{CaseNumber, CivilDate, Debtor, Fen};

/// What one instruction asks the agency to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlAction {
    /// Freeze up to `amount` of a fund asset (deposit account, payment balance) until `until`
    /// (inclusive). The agency freezes what is available and says how much.
    Freeze { amount: Fen, until: CivilDate },
    /// Freeze up to `quantity` units (shares of a security, units of a fund) of an asset whose
    /// kind counts in units, until `until`. The agency freezes what is free and says how many.
    FreezeQuantity { quantity: u64, until: CivilDate },
    /// Seal real estate or a vehicle (no transfer, no mortgage) until `until`.
    Seal { until: CivilDate },
    /// Put a vehicle on watch until `until`: the agency reports sightings.
    Watch { until: CivilDate },
    /// Release the hold `hold` (the agency's reference of an earlier freeze, seal or watch).
    Release { hold: String },
    /// Move `amount` of the money frozen under `hold` into the court's case account.
    Deduct {
        hold: String,
        amount: Fen,
        into_account: String,
    },
    /// Extend the hold `hold` to end on `until`.
    Renew { hold: String, until: CivilDate },
}

impl ControlAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Freeze { .. } | Self::FreezeQuantity { .. } => "freeze",
            Self::Seal { .. } => "seal",
            Self::Watch { .. } => "watch",
            Self::Release { .. } => "release",
            Self::Deduct { .. } => "deduct",
            Self::Renew { .. } => "renew",
        }
    }
}

/// One control instruction to one agency about one asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlInstruction {
    /// Idempotency key: the agency answers a repeated key with the original result and never
    /// acts twice. The hub derives it from its order id, so retries reuse it.
    pub key: String,
    /// The case the court acts in; its court code is the holder of the hold.
    pub case: CaseNumber,
    /// The ruling (裁定书文号) that orders the action.
    pub ruling: String,
    /// The enforcement officer who ordered it.
    pub officer: String,
    /// The agency-local asset id (the part of an `AssetRef` after the source).
    pub asset: String,
    /// Whose asset it is; agencies refuse an asset that is not the debtor's.
    pub debtor: Debtor,
    pub action: ControlAction,
    /// The court system's electronic seal over all of the above (see `signature`); the hub
    /// signs every send, connectors carry it in the agency's own wire form.
    pub signature: Option<crate::signature::InstructionSignature>,
}

/// Where a hold stands at the agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    /// Accepted, decision pending (a bank answering freezes asynchronously).
    Pending,
    /// In force.
    Effective,
    /// Waiting behind earlier holds of other courts; `position` 1 is next in line.
    Queued { position: u32 },
    /// Refused (asset not the debtor's, closed account, hold not found...); see the message.
    Rejected,
    /// Released by the court.
    Released,
    /// Every frozen fen was deducted; the hold has ended.
    Deducted,
    /// Reached its end date without renewal.
    Expired,
}

impl HoldStatus {
    /// A stable lower-case word for the status (audit outcomes, metrics labels, messages).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Effective => "effective",
            Self::Queued { .. } => "queued",
            Self::Rejected => "rejected",
            Self::Released => "released",
            Self::Deducted => "deducted",
            Self::Expired => "expired",
        }
    }

    /// Whether the agency will not change this status any more by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Released | Self::Deducted | Self::Expired
        )
    }
}

/// The agency's answer to an instruction, or its current view of it (see
/// [`Connector::control_status`](crate::Connector::control_status)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlAnswer {
    /// The agency's reference of the hold created (freeze, seal, watch) or acted upon
    /// (release, deduct, renew). For a pending freeze it is the ticket, which stays the
    /// hold's reference once decided.
    pub hold: String,
    pub status: HoldStatus,
    /// Money frozen under the hold now (zero for seals and watches, and once released).
    pub held: Fen,
    /// Money this instruction moved to the court (deductions only).
    pub deducted: Fen,
    /// Units frozen under the hold now, for kinds that count in units (zero otherwise).
    pub held_quantity: u64,
    /// The hold's end date, when the agency states one.
    pub until: Option<CivilDate>,
    /// The agency's own words, e.g. why less was frozen than asked or why it refused.
    pub message: String,
}

/// A watched vehicle seen somewhere (a car park camera, a toll gate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The agency's reference of the watch that matched.
    pub hold: String,
    pub plate: String,
    pub place: String,
    /// When it was seen, ISO 8601 as the agency states it.
    pub seen_at: String,
}

/// One page of the sightings feed and the cursor to ask with next time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SightingsPage {
    pub sightings: Vec<Sighting>,
    /// Opaque; pass it back to get only later sightings.
    pub cursor: String,
}
