//! Written answers of off-line agencies: what an officer records from the agency's reply to a
//! notice (outcome, the agency's reference, the period it states, the date of the reply, the
//! scanned document), how it is checked against the order it answers, and the agency answer
//! ([`ControlAnswer`]) it stands for — applied through the executor exactly as an online
//! agency's answer is, so states, events, money, expiry and renewal follow the same rules.
//! Recording, idempotency and four-eyes confirmation are in `record`; storage in `store`.

mod record;
pub mod store;

pub use record::Recording;

use super::model::{Action, Order};
use assethub_connectors::domain::CivilDate;
use assethub_connectors::domain::Fen;
use assethub_connectors::{ControlAnswer, HoldStatus};

/// What the agency's written answer says it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A hold in force (all or part of a freeze's amount or quantity), or a renewal done.
    Held,
    /// A hold waiting behind other courts' holds (轮候), at a position.
    Queued,
    /// The agency refused, with its reason.
    Refused,
    /// A hold released.
    Released,
    /// Money deducted into the case account.
    Deducted,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Self::Held,
        Self::Queued,
        Self::Refused,
        Self::Released,
        Self::Deducted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Queued => "queued",
            Self::Refused => "refused",
            Self::Released => "released",
            Self::Deducted => "deducted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The outcomes an answer to an order of `action` may have.
    pub fn fits(self, action: Action) -> bool {
        match action {
            Action::Freeze | Action::Seal | Action::Watch => {
                matches!(self, Self::Held | Self::Queued | Self::Refused)
            }
            Action::Release => matches!(self, Self::Released | Self::Refused),
            Action::Deduct => matches!(self, Self::Deducted | Self::Refused),
            Action::Renew => matches!(self, Self::Held | Self::Refused),
        }
    }
}

/// An agency's written answer as recorded (validated for shape at the API's edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenAnswer {
    pub outcome: Outcome,
    /// Fen held (a freeze by amount) or deducted; 0 otherwise.
    pub amount_fen: i64,
    /// Units held (a freeze by quantity); 0 otherwise.
    pub quantity: i64,
    /// Queued: the position (1 is next in line).
    pub queue_position: u32,
    /// Refused: the agency's reason.
    pub reason: String,
    /// The agency's reference (文书号 / 回执号): the hold's reference from now on.
    pub agency_ref: String,
    /// The period the answer states (holds and renewals).
    pub from: Option<CivilDate>,
    pub until: Option<CivilDate>,
    /// The date of the written answer.
    pub answered_on: CivilDate,
    /// Where the document is kept (a scan's file name).
    pub document: String,
}

impl WrittenAnswer {
    /// The answer's content as one canonical text: what a confirmation must match and what
    /// the idempotency hash covers.
    pub fn canonical(&self, order_id: &str) -> Vec<String> {
        let day = |d: Option<CivilDate>| d.map(|d| d.to_string()).unwrap_or_default();
        vec![
            order_id.to_string(),
            self.outcome.as_str().to_string(),
            self.amount_fen.to_string(),
            self.quantity.to_string(),
            self.queue_position.to_string(),
            self.reason.clone(),
            self.agency_ref.clone(),
            day(self.from),
            day(self.until),
            self.answered_on.to_string(),
            self.document.clone(),
        ]
    }

    /// Which fields differ from `other` (by name), for a confirmation that does not match.
    pub fn differences(&self, other: &WrittenAnswer) -> Vec<&'static str> {
        let names = [
            "order_id",
            "outcome",
            "amount_fen",
            "quantity",
            "queue_position",
            "reason",
            "agency_ref",
            "held_from",
            "held_until",
            "answered_on",
            "document",
        ];
        self.canonical("")
            .iter()
            .zip(other.canonical(""))
            .zip(names)
            .filter(|((a, b), _)| **a != *b)
            .map(|(_, name)| name)
            .collect()
    }
}

/// Checks `answer` against the order it answers: an outcome the action can have, amounts
/// within what was asked, the period within the kind's maximum of `max_days`, and dates that
/// are possible (`issued`: the day the notice was issued; `today`: the hub's calendar).
/// The reason names the field.
pub fn check(
    order: &Order,
    answer: &WrittenAnswer,
    max_days: u32,
    issued: Option<CivilDate>,
    today: CivilDate,
) -> Result<(), String> {
    let o = answer.outcome;
    if !o.fits(order.action) {
        let fits: Vec<&str> = Outcome::ALL
            .into_iter()
            .filter(|x| x.fits(order.action))
            .map(Outcome::as_str)
            .collect();
        return Err(format!(
            "outcome: a written answer to a {} order is {}, not {}",
            order.action.as_str(),
            fits.join(", "),
            o.as_str()
        ));
    }
    if answer.answered_on > today {
        return Err(format!(
            "answered_on: {} is later than today ({today})",
            answer.answered_on
        ));
    }
    if let Some(issued) = issued.filter(|i| answer.answered_on < *i) {
        return Err(format!(
            "answered_on: {} is before the notice was issued ({issued})",
            answer.answered_on
        ));
    }
    check_money(order, answer)?;
    let holds = matches!(o, Outcome::Held | Outcome::Queued);
    if holds && answer.agency_ref.is_empty() && order.action.places_hold() {
        return Err("agency_ref: a hold needs the agency's reference (文书号 / 回执号)".into());
    }
    if o == Outcome::Held {
        let (Some(from), Some(until)) = (answer.from, answer.until) else {
            return Err("held_from, held_until: a hold or renewal states its period".into());
        };
        check_period(from, until, max_days)?;
    } else if let (Some(from), Some(until)) = (answer.from, answer.until) {
        check_period(from, until, max_days)?;
    }
    if o == Outcome::Queued && answer.queue_position == 0 {
        return Err("queue_position: a queued hold has a position, 1 or more".into());
    }
    if o == Outcome::Refused && answer.reason.is_empty() {
        return Err("reason: a refusal states the agency's reason".into());
    }
    Ok(())
}

fn check_period(from: CivilDate, until: CivilDate, max_days: u32) -> Result<(), String> {
    if until < from {
        return Err(format!("held_until: {until} is before held_from ({from})"));
    }
    if from.days_until(until) > i64::from(max_days) {
        return Err(format!(
            "held_until: {from} to {until} is {} days, longer than the legal maximum of {max_days} days for this kind",
            from.days_until(until)
        ));
    }
    Ok(())
}

fn check_money(order: &Order, answer: &WrittenAnswer) -> Result<(), String> {
    let (amount, quantity) = (answer.amount_fen, answer.quantity);
    let by_units = order.action == Action::Freeze && order.quantity > 0;
    let by_money = order.action == Action::Freeze && !by_units;
    let within = |figure: i64, most: i64| figure > 0 && figure <= most;
    let refusal = match answer.outcome {
        Outcome::Held if by_money => (quantity != 0 || !within(amount, order.amount_fen)).then(|| {
            format!(
                "amount_fen: a freeze of {} holds a positive amount up to it (and no quantity), not {}",
                Fen(order.amount_fen).to_yuan_string(),
                Fen(amount).to_yuan_string()
            )
        }),
        Outcome::Held if by_units => (amount != 0 || !within(quantity, order.quantity)).then(|| {
            format!(
                "quantity: a freeze of {} units holds 1 to {} units (and no amount), not {quantity}",
                order.quantity, order.quantity
            )
        }),
        Outcome::Deducted => (quantity != 0 || !within(amount, order.amount_fen)).then(|| {
            format!(
                "amount_fen: a deduction of {} moves a positive amount up to it, not {}",
                Fen(order.amount_fen).to_yuan_string(),
                Fen(amount).to_yuan_string()
            )
        }),
        _ => (amount != 0 || quantity != 0).then(|| {
            format!(
                "amount_fen, quantity: a {} answer to a {} order names no amount nor quantity",
                answer.outcome.as_str(),
                order.action.as_str()
            )
        }),
    };
    refusal.map_or(Ok(()), Err)
}

/// The agency answer a written answer stands for; `words` become the order's detail.
pub fn agency_answer(order: &Order, answer: &WrittenAnswer, words: String) -> ControlAnswer {
    let status = match answer.outcome {
        Outcome::Held | Outcome::Deducted => HoldStatus::Effective,
        Outcome::Queued => HoldStatus::Queued {
            position: answer.queue_position,
        },
        Outcome::Refused => HoldStatus::Rejected,
        Outcome::Released => HoldStatus::Released,
    };
    let held = match answer.outcome {
        Outcome::Held if order.action == Action::Freeze => answer.amount_fen,
        _ => 0,
    };
    ControlAnswer {
        hold: answer.agency_ref.clone(),
        status,
        held: Fen(held),
        deducted: Fen(if answer.outcome == Outcome::Deducted {
            answer.amount_fen
        } else {
            0
        }),
        held_quantity: u64::try_from(answer.quantity).unwrap_or(0),
        until: answer.until,
        message: words,
    }
}
