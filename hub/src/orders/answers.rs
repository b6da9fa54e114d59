//! How an agency's answer changes the ledger's orders, so that no answer can move a hold
//! backwards. Pure functions; the executor applies them under the ledger's version checks.
//!
//! - A hold order takes the agency's figures (status, amount held, end date) from answers about
//!   its own instruction only while it is not yet in force (pending or queued). Once in force,
//!   it changes only through the action orders on it, and through reconciliation.
//! - An action order's answer changes its hold by what that action did, never by the snapshot
//!   of the hold the answer carries: a deduction moves its own amount from frozen to deducted, a
//!   renewal can only push the end date later, a release ends the hold. Two answers on one hold
//!   that cross on the way back therefore add up, in whichever order they are applied.
//! - A hold in a final state (released, deducted, expired, rejected, failed) never changes,
//!   except to count money a deduction's answer says it moved: what the agency moved is the
//!   amount, even when a reconciliation already ended the hold in the ledger.
//! - Reconciliation takes the agency's view of a hold in force when nothing else is under way
//!   on it (the ledger checks that in the writing transaction).

use super::model::{Action, Order, State};
use assethub_connectors::{ControlAnswer, HoldStatus};

/// The order state an agency status stands for (`Effective` becomes `Partial` for a freeze
/// holding less than it asked, in fen or, for a freeze by quantity, in units).
fn state_of(order: &Order, status: HoldStatus, held: i64, held_quantity: i64) -> State {
    match status {
        HoldStatus::Pending => State::AwaitingAgency,
        HoldStatus::Effective
            if order.action == Action::Freeze
                && order.quantity > 0
                && held_quantity < order.quantity =>
        {
            State::Partial
        }
        HoldStatus::Effective
            if order.action == Action::Freeze && held + order.deducted_fen < order.amount_fen =>
        {
            State::Partial
        }
        HoldStatus::Effective => State::Effective,
        HoldStatus::Queued { .. } => State::Queued,
        HoldStatus::Rejected => State::Rejected,
        HoldStatus::Released => State::Released,
        HoldStatus::Deducted => State::Deducted,
        HoldStatus::Expired => State::Expired,
    }
}

/// The agency's view of a hold, taken as it is (placement answers, reconciliation).
fn take_view(order: &Order, answer: &ControlAnswer) -> Order {
    let mut next = order.clone();
    if !answer.hold.is_empty() {
        next.agency_ref = answer.hold.clone();
    }
    next.frozen_fen = answer.held.0;
    next.held_quantity = i64::try_from(answer.held_quantity).unwrap_or(i64::MAX);
    next.queue_position = match answer.status {
        HoldStatus::Queued { position } => position,
        _ => 0,
    };
    if let Some(until) = answer.until {
        next.end_day = until.days();
    }
    // The agency's current words (a shortfall, a queue, a refusal); stale ones go.
    next.detail = answer.message.clone();
    next.state = state_of(order, answer.status, answer.held.0, next.held_quantity);
    next
}

/// A hold order after an answer about its own instruction (placing it, or asking by its key).
/// Only a hold not yet in force takes it; any other is returned unchanged.
pub fn hold_after(order: &Order, answer: &ControlAnswer) -> Order {
    let open = order.state.is_pending() || order.state == State::Queued;
    if !open {
        return order.clone();
    }
    take_view(order, answer)
}

/// A hold in force after reconciliation with the agency's `answer` about it (the caller made
/// sure no action on it is under way).
pub fn reconciled(order: &Order, answer: &ControlAnswer) -> Order {
    if order.state.is_final() || !order.action.places_hold() {
        return order.clone();
    }
    let mut next = take_view(order, answer);
    next.detail = order.detail.clone();
    if next.differs_visibly(order) {
        let word = answer.status.as_str();
        next.detail = if answer.message.is_empty() {
            format!("reconciled with the agency's register: {word}")
        } else {
            format!(
                "reconciled with the agency's register: {word}: {}",
                answer.message
            )
        };
    }
    next
}

/// A release, deduct or renew order after the agency's answer, and the hold it acted on (when
/// the hold changes).
pub fn action_after(
    order: &Order,
    target: &Order,
    answer: &ControlAnswer,
) -> (Order, Option<Order>) {
    let mut next = order.clone();
    next.detail = answer.message.clone();
    if answer.status == HoldStatus::Pending {
        next.state = State::AwaitingAgency;
        return (next, None);
    }
    let done = match order.action {
        Action::Release => answer.status == HoldStatus::Released,
        Action::Deduct => answer.deducted.0 > 0,
        // An answer about an earlier renewal is the hold as it stands now: released, deducted
        // or expired since, it was still renewed if it ends on or after the day asked.
        Action::Renew => {
            !answer.status.is_final() || answer.until.is_some_and(|u| u.days() >= order.end_day)
        }
        _ => false,
    };
    if !done {
        next.state = State::Rejected;
        if next.detail.is_empty() {
            next.detail = format!("the agency answered {}", answer.status.as_str());
        }
        return (next, None);
    }
    next.state = State::Effective;
    if order.action == Action::Deduct {
        // The agency's word on what this instruction moved is the amount, whatever the ledger
        // thought was frozen (a reconciliation may have ended the hold first: money moved is
        // counted on it all the same, and nothing else about a final hold changes).
        let moved = answer.deducted.0;
        next.deducted_fen = moved;
        let mut hold = target.clone();
        hold.deducted_fen += moved;
        hold.frozen_fen = (hold.frozen_fen - moved).max(0);
        if !target.state.is_final() {
            hold.detail = answer.message.clone();
            if hold.frozen_fen == 0 {
                hold.state = State::Deducted;
            }
        }
        return (next, Some(hold));
    }
    if target.state.is_final() {
        return (next, None);
    }
    let mut hold = target.clone();
    hold.detail = answer.message.clone();
    match order.action {
        Action::Release => {
            hold.state = State::Released;
            hold.frozen_fen = 0;
            hold.held_quantity = 0;
            hold.queue_position = 0;
        }
        Action::Renew => {
            let asked = answer
                .until
                .map_or(order.end_day, |u| u.days().max(order.end_day));
            next.end_day = asked;
            hold.end_day = hold.end_day.max(asked);
        }
        _ => {}
    }
    (next, Some(hold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_connectors::domain::{CivilDate, Fen};

    fn hold() -> Order {
        Order {
            state: State::Effective,
            amount_fen: 9_465_540,
            frozen_fen: 9_465_540,
            end_day: 20_365,
            agency_ref: "H1".into(),
            ..crate::orders::ledger::tests::order("hold", "c", 9_465_540)
        }
    }

    fn action(action: Action, amount: i64, end_day: i64) -> Order {
        Order {
            action,
            state: State::AwaitingAgency,
            amount_fen: amount,
            end_day,
            target_order_id: "hold".into(),
            ..crate::orders::ledger::tests::order("act", "c", 0)
        }
    }

    fn answer(status: HoldStatus, held: i64, deducted: i64, until: i64) -> ControlAnswer {
        ControlAnswer {
            hold: "H1".into(),
            status,
            held: Fen(held),
            deducted: Fen(deducted),
            held_quantity: 0,
            until: Some(CivilDate::from_days(until)),
            message: String::new(),
        }
    }

    #[test]
    fn a_freeze_by_quantity_takes_the_units_held_and_is_partial_below_them() {
        let asked = Order {
            state: State::AwaitingAgency,
            amount_fen: 0,
            quantity: 12_000,
            ..crate::orders::ledger::tests::order("shares", "c", 0)
        };
        // (units the agency holds, state written out)
        for (held, want) in [(12_000, State::Effective), (9_000, State::Partial)] {
            let answer = ControlAnswer {
                held_quantity: held,
                ..answer(HoldStatus::Effective, 0, 0, 20_365)
            };
            let next = hold_after(&asked, &answer);
            assert_eq!((next.state, next.held_quantity), (want, held as i64));
            assert_eq!(next.frozen_fen, 0);
        }
    }

    #[test]
    fn crossed_deduction_answers_add_up_in_either_order() {
        // 10,000.00 asked first and answered last: the bank applied it first (84,655.40 left),
        // then 20,000.00 (64,655.40 left).
        let first = (
            action(Action::Deduct, 1_000_000, 0),
            answer(HoldStatus::Effective, 8_465_540, 1_000_000, 20_365),
        );
        let second = (
            action(Action::Deduct, 2_000_000, 0),
            answer(HoldStatus::Effective, 6_465_540, 2_000_000, 20_365),
        );
        for order in [[&first, &second], [&second, &first]] {
            let mut h = hold();
            for (act, ans) in order {
                h = action_after(act, &h, ans).1.unwrap();
            }
            assert_eq!((h.frozen_fen, h.deducted_fen), (6_465_540, 3_000_000));
            assert_eq!(h.state, State::Effective);
        }
    }

    #[test]
    fn a_deduction_never_moves_the_end_date_back_after_a_renewal() {
        let renew = action(Action::Renew, 0, 20_500);
        let (_, renewed) = action_after(
            &renew,
            &hold(),
            &answer(HoldStatus::Effective, 9_465_540, 0, 20_500),
        );
        let renewed = renewed.unwrap();
        assert_eq!(renewed.end_day, 20_500);
        // The deduction's answer still carries the old end date (it was sent before the renewal).
        let deduct = action(Action::Deduct, 100, 0);
        let (_, after) = action_after(
            &deduct,
            &renewed,
            &answer(HoldStatus::Effective, 9_465_440, 100, 20_365),
        );
        assert_eq!(after.unwrap().end_day, 20_500);
    }

    #[test]
    fn final_holds_and_holds_in_force_ignore_late_answers_about_themselves() {
        let mut released = hold();
        released.state = State::Released;
        released.frozen_fen = 0;
        let late = answer(HoldStatus::Effective, 9_465_540, 0, 20_365);
        assert_eq!(hold_after(&released, &late), released);
        let release = action(Action::Release, 0, 0);
        assert!(action_after(
            &release,
            &released,
            &answer(HoldStatus::Released, 0, 0, 20_365)
        )
        .1
        .is_none());
        // In force: a stale placement answer changes nothing.
        let stale = answer(HoldStatus::Effective, 1, 0, 20_000);
        assert_eq!(hold_after(&hold(), &stale), hold());
        // Pending: the placement answer is taken.
        let mut pending = hold();
        pending.state = State::AwaitingAgency;
        pending.frozen_fen = 0;
        let taken = hold_after(&pending, &answer(HoldStatus::Effective, 5_000, 0, 20_365));
        assert_eq!((taken.state, taken.frozen_fen), (State::Partial, 5_000));
    }

    #[test]
    fn the_last_deduction_ends_the_hold() {
        let deduct = action(Action::Deduct, 9_465_540, 0);
        let (done, hold) = action_after(
            &deduct,
            &hold(),
            &answer(HoldStatus::Deducted, 0, 9_465_540, 20_365),
        );
        assert_eq!(done.deducted_fen, 9_465_540);
        let hold = hold.unwrap();
        assert_eq!(
            (hold.state, hold.frozen_fen, hold.deducted_fen),
            (State::Deducted, 0, 9_465_540)
        );
    }

    /// A chaos run found a deduction recorded done with 0 fen, and its freeze ended with 0 fen
    /// deducted, while the bank had moved all that was frozen: the freeze had been ended by a
    /// reconciliation (the bank's register said `deducted`) before the deduction's answer
    /// was applied, and a final hold took nothing. The money the bank moved is counted on both.
    #[test]
    fn a_deduction_answered_after_its_freeze_ended_still_counts_what_moved() {
        let mut ended = hold();
        ended.state = State::Deducted;
        ended.frozen_fen = 0;
        let deduct = action(Action::Deduct, 9_465_540, 0);
        let (done, after) = action_after(
            &deduct,
            &ended,
            &answer(HoldStatus::Deducted, 0, 9_465_540, 20_365),
        );
        assert_eq!(
            (done.state, done.deducted_fen),
            (State::Effective, 9_465_540)
        );
        let after = after.expect("the freeze counts the money moved");
        assert_eq!(
            (after.state, after.frozen_fen, after.deducted_fen),
            (State::Deducted, 0, 9_465_540)
        );
        // Released in the ledger meanwhile: still released, the money still counted.
        let mut released = ended.clone();
        released.state = State::Released;
        let (_, after) = action_after(
            &deduct,
            &released,
            &answer(HoldStatus::Deducted, 0, 9_465_540, 20_365),
        );
        let after = after.unwrap();
        assert_eq!(
            (after.state, after.deducted_fen),
            (State::Released, 9_465_540)
        );
    }

    /// The agency moved more than the ledger thought was frozen (its figure was stale): the
    /// agency's amount is recorded, and nothing is left frozen.
    #[test]
    fn a_deduction_counts_the_agencys_amount_over_a_stale_frozen_figure() {
        let mut stale = hold();
        stale.frozen_fen = 100;
        let deduct = action(Action::Deduct, 149, 0);
        let (done, after) = action_after(
            &deduct,
            &stale,
            &answer(HoldStatus::Deducted, 0, 149, 20_365),
        );
        assert_eq!(done.deducted_fen, 149);
        let after = after.unwrap();
        assert_eq!(
            (after.state, after.frozen_fen, after.deducted_fen),
            (State::Deducted, 0, 149)
        );
    }

    /// A release and a deduction sent on one freeze (the caller's first call failed when its
    /// hub was killed, so it went on with the second while the first was still to be sent): the
    /// bank moved 100.00 yuan, then released the rest. Whichever answer is applied first, the
    /// ledger ends as the bank: released, 100.00 deducted, the deduction counting it. Before,
    /// the release applied first ended the freeze and the deduction's answer counted nothing —
    /// the chaos run's mismatch.
    #[test]
    fn a_deduction_and_a_release_crossing_add_up_in_either_order() {
        let deduct = (
            action(Action::Deduct, 10_000, 0),
            answer(HoldStatus::Effective, 9_455_540, 10_000, 20_365),
        );
        let release = (
            action(Action::Release, 0, 0),
            answer(HoldStatus::Released, 0, 0, 20_365),
        );
        for order in [[&deduct, &release], [&release, &deduct]] {
            let mut h = hold();
            let mut deducted_by_order = 0;
            for (act, ans) in order {
                let (done, after) = action_after(act, &h, ans);
                assert_eq!(done.state, State::Effective);
                if act.action == Action::Deduct {
                    deducted_by_order = done.deducted_fen;
                }
                if let Some(after) = after {
                    h = after;
                }
            }
            assert_eq!(deducted_by_order, 10_000);
            assert_eq!(
                (h.state, h.frozen_fen, h.deducted_fen),
                (State::Released, 0, 10_000)
            );
        }
    }
}
