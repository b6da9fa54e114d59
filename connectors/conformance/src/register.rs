//! The hold-register export format: what an agency (a mock, or a third party's test agency)
//! serves at `GET /__admin/holds` so that the conformance kit and the chaos test's invariant
//! checker can compare what was sent with what the agency holds. Plain serde types; this module
//! is the contract (documented in the crate's README) and reads nothing but JSON.
//!
//! It must not hold any checking logic: the kit's checks are in [`crate::invariants`], the
//! hub ledger's in the tests crate.

use serde::{Deserialize, Serialize};

/// One hold as the register shows it, as of the agency's today (expiries and queue promotions
/// applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRow {
    /// The agency's hold id: the reference its connector reports for the hold.
    pub id: String,
    /// The agency's own id of the asset (an account number, a certificate number, a VIN); it
    /// may differ from the connector's local id (which may add a sub-account, say).
    pub asset: String,
    /// `freeze`, `seal` or `watch`.
    pub kind: String,
    /// Court code of the holder (the court of the case number).
    pub court: String,
    pub case: String,
    pub ruling: String,
    /// `pending`, `effective`, `queued`, `rejected`, `released`, `deducted` or `expired`.
    pub status: String,
    /// 1 is next in line; 0 unless queued.
    pub queue_position: u32,
    /// Asked (freezes of money); 0 otherwise.
    pub requested_fen: i64,
    /// Frozen now.
    pub held_fen: i64,
    /// Moved to courts from this hold so far (by its deduction instructions).
    pub deducted_fen: i64,
    /// Units asked and frozen now, for kinds counted in units (shares); optional, 0 when absent.
    #[serde(default)]
    pub requested_quantity: u64,
    #[serde(default)]
    pub held_quantity: u64,
    /// ISO dates (`2026-12-02`).
    pub since: String,
    pub until: String,
    /// Idempotency key of the instruction that placed the hold; empty when none did (a hold
    /// recorded at the counter).
    pub placed_by: String,
}

/// One keyed instruction (placement, release, deduction, renewal) and the hold it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedHold {
    /// The instruction's idempotency key.
    pub key: String,
    /// `place` (the key created the hold) or `change` (release, deduction, renewal of an
    /// existing hold).
    pub instruction: String,
    pub hold: String,
    pub asset: String,
    /// See [`HoldRow::kind`].
    pub kind: String,
    pub court: String,
    pub case: String,
    /// The hold's status now (see [`HoldRow::status`]).
    pub status: String,
    pub queue_position: u32,
    /// Frozen now under the hold.
    pub held_fen: i64,
    /// Units frozen now under the hold (kinds counted in units); optional, 0 when absent.
    #[serde(default)]
    pub held_quantity: u64,
    /// Moved by this instruction (deductions); 0 otherwise.
    pub deducted_fen: i64,
    /// The hold's end date now (ISO).
    pub until: String,
}

/// A whole register: `{"holds": [...], "keyed": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterExport {
    /// Every hold, in the order placed.
    pub holds: Vec<HoldRow>,
    /// Every keyed instruction, one entry per key. Refused instructions record no key.
    pub keyed: Vec<KeyedHold>,
}

impl RegisterExport {
    /// The entry of `key`, if the agency recorded it.
    pub fn keyed(&self, key: &str) -> Option<&KeyedHold> {
        self.keyed.iter().find(|k| k.key == key)
    }

    /// The hold `id`, if the register has it.
    pub fn hold(&self, id: &str) -> Option<&HoldRow> {
        self.holds.iter().find(|h| h.id == id)
    }

    /// Holds on `asset` in force, pending or queued.
    pub fn live_on<'a>(&'a self, asset: &'a str) -> impl Iterator<Item = &'a HoldRow> + 'a {
        self.holds
            .iter()
            .filter(move |h| h.asset == asset && is_live(&h.status))
    }
}

/// Whether a status word names a hold that still binds the asset (or will).
pub fn is_live(status: &str) -> bool {
    matches!(status, "pending" | "effective" | "queued")
}
