//! What a control order is: its action, its state machine and the record the ledger keeps.
//! Pure data and rules; no I/O.

use serde::{Deserialize, Serialize};

/// What an order asks an agency to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Freeze,
    Seal,
    Watch,
    Release,
    Deduct,
    Renew,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Self::Freeze,
        Self::Seal,
        Self::Watch,
        Self::Release,
        Self::Deduct,
        Self::Renew,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Freeze => "freeze",
            Self::Seal => "seal",
            Self::Watch => "watch",
            Self::Release => "release",
            Self::Deduct => "deduct",
            Self::Renew => "renew",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The past participle, for messages ("can be released").
    pub fn done(self) -> &'static str {
        match self {
            Self::Freeze => "frozen",
            Self::Seal => "sealed",
            Self::Watch => "watched",
            Self::Release => "released",
            Self::Deduct => "deducted",
            Self::Renew => "renewed",
        }
    }

    /// Whether the order creates a hold (rather than acting on one).
    pub fn places_hold(self) -> bool {
        matches!(self, Self::Freeze | Self::Seal | Self::Watch)
    }
}

/// Where an order stands. Hold orders (freeze, seal, watch) live through
/// (awaiting approval →) requested → awaiting agency → effective / partial / queued →
/// released / deducted / expired;
/// action orders (release, deduct, renew) end effective (done), rejected or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waits for a supervisor of the court to approve it (four-eyes); nothing sent yet.
    AwaitingApproval,
    Requested,
    AwaitingAgency,
    Effective,
    Partial,
    Queued,
    Rejected,
    Failed,
    Released,
    Deducted,
    Expired,
}

impl State {
    pub const ALL: [State; 11] = [
        Self::AwaitingApproval,
        Self::Requested,
        Self::AwaitingAgency,
        Self::Effective,
        Self::Partial,
        Self::Queued,
        Self::Rejected,
        Self::Failed,
        Self::Released,
        Self::Deducted,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingApproval => "awaiting_approval",
            Self::Requested => "requested",
            Self::AwaitingAgency => "awaiting_agency",
            Self::Effective => "effective",
            Self::Partial => "partial",
            Self::Queued => "queued",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Released => "released",
            Self::Deducted => "deducted",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The agency has not given its answer yet: the hub must follow up.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Requested | Self::AwaitingAgency)
    }

    /// Nothing will change this order any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Failed | Self::Released | Self::Deducted | Self::Expired
        )
    }

    /// A hold in this state is in force or will be (it can be released, renewed, expires).
    pub fn is_live_hold(self) -> bool {
        matches!(self, Self::Effective | Self::Partial | Self::Queued)
    }
}

/// One control order as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub action: Action,
    pub state: State,
    pub case_number: String,
    pub court: String,
    pub ruling: String,
    pub officer: String,
    pub source: String,
    pub asset_local: String,
    /// Personal data: kept in the ledger for the agency calls, never in events or logs.
    #[serde(skip)]
    pub debtor_id: String,
    #[serde(skip)]
    pub debtor_name: String,
    pub debtor_masked: String,
    pub amount_fen: i64,
    pub frozen_fen: i64,
    pub deducted_fen: i64,
    pub reserved_fen: i64,
    /// Days since the epoch; 0 when none.
    pub start_day: i64,
    pub end_day: i64,
    pub queue_position: u32,
    pub agency_ref: String,
    pub target_order_id: String,
    pub group_id: String,
    pub case_account: String,
    pub detail: String,
    pub client_key: String,
    pub attempts: u32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub version: i64,
    /// ISO 4217 currency of `amount_fen`, `frozen_fen` and `deducted_fen` (minor units).
    #[serde(default = "cny")]
    pub currency: String,
    /// What one million minor units of `currency` count against the case's claim, in fen of
    /// yuan (1,000,000 for CNY), as configured on `rate_date` when the order was placed.
    #[serde(default = "unit_rate")]
    pub rate_micro: i64,
    #[serde(default)]
    pub rate_date: String,
    /// Who gave the order: the token's identity (issuer/subject); `officer` is the name.
    #[serde(default)]
    pub officer_id: String,
    /// Four-eyes: who approved or rejected it (identity, and name).
    #[serde(default)]
    pub approver_id: String,
    #[serde(default)]
    pub approver: String,
    /// The registered kind of the asset acted on ("bank", "securities"); empty for orders
    /// recorded before kinds were kept (their source's kind).
    #[serde(default)]
    pub kind: String,
    /// Freeze by quantity (kinds counted in units): units asked (0 for a freeze in fen) and
    /// units the agency holds now.
    #[serde(default)]
    pub quantity: i64,
    #[serde(default)]
    pub held_quantity: i64,
    /// What the kind counted in when the order was placed: "fen", "whole" or a unit name
    /// ("shares"); empty for orders recorded before.
    #[serde(default)]
    pub unit: String,
}

pub const CNY: &str = "CNY";
/// `rate_micro` of an amount in yuan.
pub const UNIT_RATE: i64 = 1_000_000;

fn cny() -> String {
    CNY.to_string()
}

fn unit_rate() -> i64 {
    UNIT_RATE
}

/// What `minor` units at `rate_micro` count in fen of yuan, rounded up (a reservation never
/// counts less than it holds).
pub fn value_fen(minor: i64, rate_micro: i64) -> i64 {
    if rate_micro == UNIT_RATE {
        return minor;
    }
    let product = i128::from(minor) * i128::from(rate_micro);
    let value = product.div_euclid(i128::from(UNIT_RATE))
        + i128::from(product.rem_euclid(i128::from(UNIT_RATE)) != 0);
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The most minor units at `rate_micro` whose value stays within `fen` of yuan.
pub fn minor_within(fen: i64, rate_micro: i64) -> i64 {
    if fen <= 0 {
        return 0;
    }
    if rate_micro == UNIT_RATE {
        return fen;
    }
    let minor = (i128::from(fen) * i128::from(UNIT_RATE)) / i128::from(rate_micro.max(1));
    i64::try_from(minor).unwrap_or(i64::MAX)
}

impl Order {
    /// `<source>:<agency-local id>`, as searches report it.
    pub fn asset_ref(&self) -> String {
        format!("{}:{}", self.source, self.asset_local)
    }

    /// The idempotency key the agency sees: the order id, so every resend reuses it.
    pub fn agency_key(&self) -> &str {
        &self.order_id
    }

    /// What this order counts against its case's claim now, in fen of yuan: money frozen or
    /// moved, plus what a freeze may still take (asked but not decided, or queued). Only
    /// freezes count.
    pub fn reservation(&self) -> i64 {
        if self.action != Action::Freeze {
            return 0;
        }
        let minor = match self.state {
            State::AwaitingApproval | State::Requested | State::AwaitingAgency | State::Queued => {
                self.amount_fen.max(self.frozen_fen + self.deducted_fen)
            }
            _ => self.frozen_fen + self.deducted_fen,
        };
        self.value(minor)
    }

    /// What `minor` units of this order's currency count in fen of yuan.
    pub fn value(&self, minor: i64) -> i64 {
        value_fen(minor, self.rate_micro)
    }

    /// Whether an update to `next` is worth recording (and publishing as an event).
    pub fn differs_visibly(&self, next: &Order) -> bool {
        let mut a = self.clone();
        a.updated_at_ms = next.updated_at_ms;
        a.version = next.version;
        a != *next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_up_and_planned_amounts_stay_within() {
        // USD at 7.1234 yuan: one cent is 7.1234 fen.
        let rate = 7_123_400;
        assert_eq!(value_fen(100, rate), 713); // 712.34 fen, rounded up
        assert_eq!(value_fen(10_000, UNIT_RATE), 10_000);
        assert_eq!(value_fen(0, rate), 0);
        for fen in [0, 1, 7, 8, 712, 713, 1_000_000, 17_909_037_739] {
            let minor = minor_within(fen, rate);
            assert!(value_fen(minor, rate) <= fen, "{fen}");
            assert!(value_fen(minor + 1, rate) > fen, "{fen}");
        }
        assert_eq!(minor_within(5_000, UNIT_RATE), 5_000);
    }

    #[test]
    fn words_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
    }
}
