//! The control instruction an order stands for, exactly as its agency receives it: built once
//! here for the executor (online delivery) and for assistance notices (paper delivery), so a
//! notice signs what an online agency would. Pure: the hold acted on is looked up by the caller.

use super::model::{Action, Order};
use assethub_connectors::domain::{CaseNumber, CivilDate, Debtor, DebtorId, Fen};
use assethub_connectors::{ControlAction, ControlInstruction};

/// The unsigned instruction of `order`; `hold` is the agency's reference of the hold acted on
/// (release, deduct, renew), ignored for orders that place a hold. An error says what in the
/// stored order cannot be read.
pub fn instruction_of(order: &Order, hold: String) -> Result<ControlInstruction, String> {
    let case = CaseNumber::parse_recorded(&order.case_number)
        .map_err(|e| format!("stored case number unreadable: {e}"))?;
    let id = DebtorId::parse_recorded(&order.debtor_id)
        .map_err(|e| format!("stored debtor id unreadable: {e}"))?;
    let until = CivilDate::from_days(order.end_day);
    let hold = if order.action.places_hold() {
        String::new()
    } else {
        hold
    };
    let action = match order.action {
        // A kind counted in units (shares) is frozen by quantity; the amount is then 0.
        Action::Freeze if order.quantity > 0 => ControlAction::FreezeQuantity {
            quantity: u64::try_from(order.quantity).unwrap_or(0),
            until,
        },
        Action::Freeze => ControlAction::Freeze {
            amount: Fen(order.amount_fen),
            until,
        },
        Action::Seal => ControlAction::Seal { until },
        Action::Watch => ControlAction::Watch { until },
        Action::Release => ControlAction::Release { hold },
        Action::Deduct => ControlAction::Deduct {
            hold,
            amount: Fen(order.amount_fen),
            into_account: order.case_account.clone(),
        },
        Action::Renew => ControlAction::Renew { hold, until },
    };
    Ok(ControlInstruction {
        key: order.agency_key().to_string(),
        case,
        ruling: order.ruling.clone(),
        officer: order.officer.clone(),
        asset: order.asset_local.clone(),
        debtor: Debtor {
            id,
            name: order.debtor_name.clone(),
        },
        action,
        signature: None,
    })
}
