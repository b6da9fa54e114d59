//! Orders and events from the ledger onto the wire, and wire enums into domain ones.

use crate::orders::ledger::{Event, EventBody};
use crate::orders::{Action, Order, State};
use assethub_connectors::domain::CivilDate;
use assethub_proto::v1 as pb;

pub fn action_from(raw: i32) -> Option<Action> {
    Some(match pb::OrderAction::try_from(raw).ok()? {
        pb::OrderAction::Freeze => Action::Freeze,
        pb::OrderAction::Seal => Action::Seal,
        pb::OrderAction::Watch => Action::Watch,
        pb::OrderAction::Release => Action::Release,
        pb::OrderAction::Deduct => Action::Deduct,
        pb::OrderAction::Renew => Action::Renew,
        pb::OrderAction::Unspecified => return None,
    })
}

fn action(a: Action) -> pb::OrderAction {
    match a {
        Action::Freeze => pb::OrderAction::Freeze,
        Action::Seal => pb::OrderAction::Seal,
        Action::Watch => pb::OrderAction::Watch,
        Action::Release => pb::OrderAction::Release,
        Action::Deduct => pb::OrderAction::Deduct,
        Action::Renew => pb::OrderAction::Renew,
    }
}

pub fn state_from(raw: i32) -> Option<State> {
    Some(match pb::OrderState::try_from(raw).ok()? {
        pb::OrderState::AwaitingApproval => State::AwaitingApproval,
        pb::OrderState::Requested => State::Requested,
        pb::OrderState::AwaitingAgency => State::AwaitingAgency,
        pb::OrderState::Effective => State::Effective,
        pb::OrderState::Partial => State::Partial,
        pb::OrderState::Queued => State::Queued,
        pb::OrderState::Rejected => State::Rejected,
        pb::OrderState::Failed => State::Failed,
        pb::OrderState::Released => State::Released,
        pb::OrderState::Deducted => State::Deducted,
        pb::OrderState::Expired => State::Expired,
        pb::OrderState::Unspecified => return None,
    })
}

fn state(s: State) -> pb::OrderState {
    match s {
        State::AwaitingApproval => pb::OrderState::AwaitingApproval,
        State::Requested => pb::OrderState::Requested,
        State::AwaitingAgency => pb::OrderState::AwaitingAgency,
        State::Effective => pb::OrderState::Effective,
        State::Partial => pb::OrderState::Partial,
        State::Queued => pb::OrderState::Queued,
        State::Rejected => pb::OrderState::Rejected,
        State::Failed => pb::OrderState::Failed,
        State::Released => pb::OrderState::Released,
        State::Deducted => pb::OrderState::Deducted,
        State::Expired => pb::OrderState::Expired,
    }
}

fn date(day: i64) -> String {
    if day == 0 {
        String::new()
    } else {
        CivilDate::from_days(day).to_string()
    }
}

/// The order on the wire; `today` (days since the epoch) gives `days_left`.
pub fn order(o: &Order, today: i64) -> pb::Order {
    pb::Order {
        order_id: o.order_id.clone(),
        action: action(o.action) as i32,
        state: state(o.state) as i32,
        case_number: o.case_number.clone(),
        ruling: o.ruling.clone(),
        officer: o.officer.clone(),
        court: o.court.clone(),
        source: o.source.clone(),
        asset_ref: o.asset_ref(),
        debtor_masked: o.debtor_masked.clone(),
        amount_fen: o.amount_fen,
        frozen_fen: o.frozen_fen,
        deducted_fen: o.deducted_fen,
        start_date: date(o.start_day),
        end_date: date(o.end_day),
        days_left: if o.end_day == 0 {
            0
        } else {
            i32::try_from(o.end_day - today).unwrap_or(0)
        },
        queue_position: o.queue_position,
        agency_ref: o.agency_ref.clone(),
        target_order_id: o.target_order_id.clone(),
        group_id: o.group_id.clone(),
        detail: o.detail.clone(),
        idempotency_key: o.client_key.clone(),
        created_at_ms: o.created_at_ms,
        updated_at_ms: o.updated_at_ms,
        case_account: o.case_account.clone(),
        currency: o.currency.clone(),
        value_fen: o.value(o.amount_fen.max(o.frozen_fen + o.deducted_fen)),
        exchange_rate: crate::orders::currency::rate_text(&o.currency, o.rate_micro),
        rate_date: o.rate_date.clone(),
        officer_id: o.officer_id.clone(),
        approver_id: o.approver_id.clone(),
        approver: o.approver.clone(),
        // Orders recorded before kinds were kept: their kind is their source's (empty here).
        kind_name: o.kind.clone(),
        quantity: u64::try_from(o.quantity).unwrap_or(0),
        held_quantity: u64::try_from(o.held_quantity).unwrap_or(0),
        unit: o.unit.clone(),
    }
}

pub fn event(e: &Event, today: i64) -> pb::OrderEvent {
    pb::OrderEvent {
        cursor: e.seq,
        at_ms: e.at_ms,
        case_number: e.case_number.clone(),
        body: Some(match &e.body {
            EventBody::Order(o) => pb::order_event::Body::Order(order(o, today)),
            EventBody::Sighting(s) => pb::order_event::Body::Sighting(pb::Sighting {
                order_id: s.order_id.clone(),
                plate: s.plate.clone(),
                place: s.place.clone(),
                seen_at: s.seen_at.clone(),
            }),
            EventBody::Inquiry(i) => pb::order_event::Body::Inquiry(pb::InquiryEvent {
                inquiry_id: i.inquiry_id.clone(),
                source: i.source.clone(),
                state: i.state.clone(),
                debtor_masked: i.debtor_masked.clone(),
                asset_count: i.asset_count,
                reason: i.reason.clone(),
            }),
        }),
    }
}
