//! Lowercase words for the control-order enums (`freeze`, `awaiting_agency`, ...), shared by
//! the JSON, the tables and the `--state` argument.
//!
//! As in `names`, a value this build does not know (a newer hub) is named `"unknown"`.

use assethub_proto::v1::{OrderAction, OrderState};
use clap::ValueEnum;

/// `"freeze"`, `"seal"`, `"watch"`, `"release"`, `"deduct"`, `"renew"`.
pub fn action(value: i32) -> &'static str {
    match OrderAction::try_from(value) {
        Ok(OrderAction::Freeze) => "freeze",
        Ok(OrderAction::Seal) => "seal",
        Ok(OrderAction::Watch) => "watch",
        Ok(OrderAction::Release) => "release",
        Ok(OrderAction::Deduct) => "deduct",
        Ok(OrderAction::Renew) => "renew",
        Ok(OrderAction::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

/// `"requested"`, `"awaiting_agency"`, `"effective"`, ... `"expired"`.
pub fn state(value: i32) -> &'static str {
    match OrderState::try_from(value) {
        Ok(s) => StateArg::from_proto(s).map_or("unspecified", StateArg::word),
        Err(_) => "unknown",
    }
}

/// An order state as `--state` takes it: the same lowercase words as the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    #[value(name = "awaiting_approval", alias = "awaiting-approval")]
    AwaitingApproval,
    Requested,
    #[value(name = "awaiting_agency", alias = "awaiting-agency")]
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

impl StateArg {
    pub const ALL: [StateArg; 11] = [
        StateArg::AwaitingApproval,
        StateArg::Requested,
        StateArg::AwaitingAgency,
        StateArg::Effective,
        StateArg::Partial,
        StateArg::Queued,
        StateArg::Rejected,
        StateArg::Failed,
        StateArg::Released,
        StateArg::Deducted,
        StateArg::Expired,
    ];

    pub fn to_proto(self) -> OrderState {
        match self {
            StateArg::AwaitingApproval => OrderState::AwaitingApproval,
            StateArg::Requested => OrderState::Requested,
            StateArg::AwaitingAgency => OrderState::AwaitingAgency,
            StateArg::Effective => OrderState::Effective,
            StateArg::Partial => OrderState::Partial,
            StateArg::Queued => OrderState::Queued,
            StateArg::Rejected => OrderState::Rejected,
            StateArg::Failed => OrderState::Failed,
            StateArg::Released => OrderState::Released,
            StateArg::Deducted => OrderState::Deducted,
            StateArg::Expired => OrderState::Expired,
        }
    }

    pub fn from_proto(state: OrderState) -> Option<StateArg> {
        StateArg::ALL.into_iter().find(|s| s.to_proto() == state)
    }

    /// The lowercase word, as printed and as `--state` parses it.
    pub fn word(self) -> &'static str {
        match self {
            StateArg::AwaitingApproval => "awaiting_approval",
            StateArg::Requested => "requested",
            StateArg::AwaitingAgency => "awaiting_agency",
            StateArg::Effective => "effective",
            StateArg::Partial => "partial",
            StateArg::Queued => "queued",
            StateArg::Rejected => "rejected",
            StateArg::Failed => "failed",
            StateArg::Released => "released",
            StateArg::Deducted => "deducted",
            StateArg::Expired => "expired",
        }
    }
}

/// The `--state` values as the request's raw enum numbers, without duplicates, in order.
pub fn states(args: &[StateArg]) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    for value in args.iter().map(|s| s.to_proto() as i32) {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_words_round_trip() {
        let expected = [
            (OrderState::Requested, "requested"),
            (OrderState::AwaitingAgency, "awaiting_agency"),
            (OrderState::Effective, "effective"),
            (OrderState::Partial, "partial"),
            (OrderState::Queued, "queued"),
            (OrderState::Rejected, "rejected"),
            (OrderState::Failed, "failed"),
            (OrderState::Released, "released"),
            (OrderState::Deducted, "deducted"),
            (OrderState::Expired, "expired"),
            (OrderState::AwaitingApproval, "awaiting_approval"),
        ];
        for (proto, word) in expected {
            assert_eq!(state(proto as i32), word);
            let parsed = StateArg::from_str(word, false).expect(word);
            assert_eq!(parsed.to_proto(), proto);
            assert_eq!(parsed.word(), word);
            // The clap name is the printed word.
            let name = parsed.to_possible_value().expect("visible");
            assert_eq!(name.get_name(), word);
        }
        assert_eq!(StateArg::ALL.len(), expected.len());
        assert_eq!(
            StateArg::from_str("awaiting-agency", false),
            Ok(StateArg::AwaitingAgency)
        );
        assert!(StateArg::from_str("frozen", false).is_err());
        assert_eq!(state(OrderState::Unspecified as i32), "unspecified");
        assert_eq!(state(99), "unknown");
    }

    #[test]
    fn action_words() {
        for (proto, word) in [
            (OrderAction::Freeze, "freeze"),
            (OrderAction::Seal, "seal"),
            (OrderAction::Watch, "watch"),
            (OrderAction::Release, "release"),
            (OrderAction::Deduct, "deduct"),
            (OrderAction::Renew, "renew"),
            (OrderAction::Unspecified, "unspecified"),
        ] {
            assert_eq!(action(proto as i32), word);
        }
        assert_eq!(action(42), "unknown");
    }

    #[test]
    fn repeated_states_are_deduplicated() {
        assert_eq!(
            states(&[StateArg::Queued, StateArg::Effective, StateArg::Queued]),
            vec![OrderState::Queued as i32, OrderState::Effective as i32]
        );
    }
}
