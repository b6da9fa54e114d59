//! The checker's findings: counts of what it compared and each mismatch by kind, printed as a
//! table and as JSON (the chaos test's `CHAOS {json}` line).

use super::AgencyRegister;
use assethub_hub::orders::Order;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;

/// What disagrees between the ledger and the agencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MismatchKind {
    /// A hold order that reached its agency (by its state) has no instruction under its key.
    MissingHold,
    /// The agency holds (or carried out) an instruction the ledger says was never sent or
    /// was refused.
    UnexpectedHold,
    /// The order's state and the agency's status disagree.
    StateMismatch,
    /// Frozen or deducted money differs.
    AmountMismatch,
    /// The hold's end date differs.
    PeriodMismatch,
    /// The ledger names another hold than the one the agency acted on.
    WrongHold,
    /// An order's key reached an agency other than its source.
    WrongAgency,
    /// A release, deduction or renewal the ledger counts as done never reached the agency.
    MissingInstruction,
    /// A hold placed under a key no order has.
    OrphanHold,
    /// A change (release, deduction, renewal) under a key no order has.
    OrphanInstruction,
    /// A hold no instruction placed.
    UnkeyedHold,
    /// The hub still waits for an order it should have settled.
    Unsettled,
    /// Two orders from one caller request (court + key) on one asset.
    DuplicateRequest,
    /// Two holds on one asset for one case and ruling from one caller request.
    DoubleHold,
    /// One case holds one asset twice with the same kind of hold at once.
    TwoLiveHolds,
    /// What the agencies hold frozen or moved for a case is worth more than its claim.
    OverClaim,
}

impl MismatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingHold => "missing_hold",
            Self::UnexpectedHold => "unexpected_hold",
            Self::StateMismatch => "state_mismatch",
            Self::AmountMismatch => "amount_mismatch",
            Self::PeriodMismatch => "period_mismatch",
            Self::WrongHold => "wrong_hold",
            Self::WrongAgency => "wrong_agency",
            Self::MissingInstruction => "missing_instruction",
            Self::OrphanHold => "orphan_hold",
            Self::OrphanInstruction => "orphan_instruction",
            Self::UnkeyedHold => "unkeyed_hold",
            Self::Unsettled => "unsettled",
            Self::DuplicateRequest => "duplicate_request",
            Self::DoubleHold => "double_hold",
            Self::TwoLiveHolds => "two_live_holds",
            Self::OverClaim => "over_claim",
        }
    }
}

/// One disagreement: its kind, the order (or key) and the agency hold concerned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub kind: MismatchKind,
    pub order_id: String,
    pub hold: String,
    pub detail: String,
}

/// What the checker compared and found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Orders in the ledger, and by `action/state`.
    pub orders: usize,
    pub by_state: BTreeMap<String, usize>,
    /// Orders sent to their agency more than once (the agency said it never got the earlier
    /// sends): evidence the reconciliation path ran.
    pub sent_more_than_once: usize,
    /// Holds in all agency registers, and by status.
    pub agency_holds: usize,
    pub holds_by_status: BTreeMap<String, usize>,
    /// Keyed instructions (placements and changes) in all registers.
    pub keyed_instructions: usize,
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    pub(super) fn new(orders: &[Order], registers: &[AgencyRegister]) -> Self {
        let mut report = Self {
            orders: orders.len(),
            ..Self::default()
        };
        report.sent_more_than_once = orders.iter().filter(|o| o.attempts > 1).count();
        for order in orders {
            *report
                .by_state
                .entry(format!(
                    "{}/{}",
                    order.action.as_str(),
                    order.state.as_str()
                ))
                .or_default() += 1;
        }
        for register in registers {
            report.agency_holds += register.export.holds.len();
            report.keyed_instructions += register.export.keyed.len();
            for hold in &register.export.holds {
                *report
                    .holds_by_status
                    .entry(hold.status.clone())
                    .or_default() += 1;
            }
        }
        report
    }

    pub(super) fn add(&mut self, kind: MismatchKind, order_id: &str, hold: &str, detail: String) {
        self.mismatches.push(Mismatch {
            kind,
            order_id: order_id.to_string(),
            hold: hold.to_string(),
            detail,
        });
    }

    /// Mismatches by kind.
    pub fn mismatch_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for m in &self.mismatches {
            *counts.entry(m.kind.as_str()).or_default() += 1;
        }
        counts
    }

    /// Mismatches of `kind`.
    pub fn of(&self, kind: MismatchKind) -> Vec<&Mismatch> {
        self.mismatches.iter().filter(|m| m.kind == kind).collect()
    }

    /// Counts as JSON (the first few mismatches included).
    pub fn to_json(&self) -> Value {
        json!({
            "orders": self.orders,
            "by_state": self.by_state,
            "sent_more_than_once": self.sent_more_than_once,
            "agency_holds": self.agency_holds,
            "holds_by_status": self.holds_by_status,
            "keyed_instructions": self.keyed_instructions,
            "mismatches": self.mismatches.len(),
            "mismatches_by_kind": self.mismatch_counts(),
            "first_mismatches": self.mismatches.iter().take(20).map(|m| json!({
                "kind": m.kind.as_str(), "order": m.order_id, "hold": m.hold, "detail": m.detail,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Mismatches listed in the table at most.
const SHOWN: usize = 30;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invariant check")?;
        writeln!(f, "  {:<34} {:>8}", "orders in the ledger", self.orders)?;
        for (state, n) in &self.by_state {
            writeln!(f, "    {state:<32} {n:>8}")?;
        }
        writeln!(
            f,
            "  {:<34} {:>8}",
            "orders sent more than once", self.sent_more_than_once
        )?;
        writeln!(f, "  {:<34} {:>8}", "agency holds", self.agency_holds)?;
        for (status, n) in &self.holds_by_status {
            writeln!(f, "    {status:<32} {n:>8}")?;
        }
        writeln!(
            f,
            "  {:<34} {:>8}",
            "keyed instructions", self.keyed_instructions
        )?;
        writeln!(f, "  {:<34} {:>8}", "mismatches", self.mismatches.len())?;
        for (kind, n) in self.mismatch_counts() {
            writeln!(f, "    {kind:<32} {n:>8}")?;
        }
        for m in self.mismatches.iter().take(SHOWN) {
            writeln!(
                f,
                "  ! {} order={} hold={} {}",
                m.kind.as_str(),
                m.order_id,
                m.hold,
                m.detail
            )?;
        }
        if self.mismatches.len() > SHOWN {
            writeln!(f, "  ! … {} more", self.mismatches.len() - SHOWN)?;
        }
        Ok(())
    }
}
