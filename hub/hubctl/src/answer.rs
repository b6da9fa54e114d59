//! `hubctl answer ORDER_ID ...`: records an off-line agency's written answer to the notice of
//! an order (`RecordAnswer`), and the `--awaiting-answer` filter of `orders`. Exactly one
//! outcome: `--held` (with `--from`/`--until`; on a freeze, `--amount` or `--quantity` when the
//! agency held less than asked — without them, what was asked), `--queued N`, `--refused
//! REASON`, `--released`, `--deducted YUAN`. Amounts are yuan, dates `yyyy-MM-dd`.

use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::{
    AnswerOutcome, GetOrderRequest, Order, OrderAction, OrderState, RecordAnswerRequest,
};
use clap::{ArgGroup, Args};

use crate::client::{bounded, request};
use crate::control::{ended_well, print_order};
use crate::error::CliError;
use crate::order_client::{self, OrdersHub};
use crate::yuan;

/// Record an off-line agency's written answer.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("outcome").required(true).args(["held", "queued", "refused", "released", "deducted"])))]
pub struct AnswerArgs {
    /// The order whose notice the agency answered.
    #[arg(value_name = "ORDER_ID")]
    pub order_id: String,
    /// The agency holds the asset (freeze, seal), or renewed the hold (renew).
    #[arg(long)]
    pub held: bool,
    /// The hold waits behind other courts' holds (轮候) at this position.
    #[arg(long, value_name = "POSITION", value_parser = clap::value_parser!(u32).range(1..))]
    pub queued: Option<u32>,
    /// The agency refused, for this reason.
    #[arg(long, value_name = "REASON")]
    pub refused: Option<String>,
    /// The agency released the hold (a release order).
    #[arg(long)]
    pub released: bool,
    /// The agency deducted this many yuan into the case account (a deduct order).
    #[arg(long, value_name = "YUAN", value_parser = yuan::parse_amount)]
    pub deducted: Option<i64>,
    /// With --held on a freeze: the yuan the agency froze [default: the amount asked].
    #[arg(long, value_name = "YUAN", value_parser = yuan::parse_amount, conflicts_with_all = ["quantity", "queued", "refused", "released", "deducted"])]
    pub amount: Option<i64>,
    /// With --held on a freeze by quantity: the units the agency froze [default: those asked].
    #[arg(long, value_name = "N", conflicts_with_all = ["queued", "refused", "released", "deducted"], value_parser = clap::value_parser!(i64).range(1..))]
    pub quantity: Option<i64>,
    /// The agency's reference (文书号 / 回执号) of the answer; required for --held and --queued
    /// on a hold.
    #[arg(long = "ref", value_name = "REF", default_value = "")]
    pub agency_ref: String,
    /// First day of the period the answer states (yyyy-MM-dd).
    #[arg(long, value_name = "DATE", default_value = "")]
    pub from: String,
    /// Last day of the period the answer states (yyyy-MM-dd).
    #[arg(long, value_name = "DATE", default_value = "")]
    pub until: String,
    /// The date of the written answer (yyyy-MM-dd).
    #[arg(long = "answered-on", value_name = "DATE")]
    pub answered_on: String,
    /// Where the document is kept, e.g. the scan's file name.
    #[arg(long, value_name = "FILE", default_value = "")]
    pub document: String,
    /// Idempotency key; default: a new UUID v4, printed on stderr.
    #[arg(long, value_name = "KEY", value_parser = order_client::parse_key)]
    pub key: Option<String>,
}

impl AnswerArgs {
    /// The request for `order` (what was asked fills a freeze's figure when none is given).
    fn request(
        &self,
        order: &Order,
        stderr: &mut impl Write,
    ) -> Result<RecordAnswerRequest, CliError> {
        let key = match &self.key {
            Some(key) => key.clone(),
            None => {
                let key = uuid::Uuid::new_v4().to_string();
                writeln!(
                    stderr,
                    "idempotency key: {key} (to replay this request, add --key {key})"
                )?;
                key
            }
        };
        let mut r = RecordAnswerRequest {
            order_id: self.order_id.clone(),
            idempotency_key: key,
            agency_ref: self.agency_ref.clone(),
            held_from: self.from.clone(),
            held_until: self.until.clone(),
            answered_on: self.answered_on.clone(),
            document: self.document.clone(),
            ..Default::default()
        };
        let freeze = order.action == OrderAction::Freeze as i32;
        if self.held {
            r.outcome = AnswerOutcome::Held as i32;
            if freeze && order.quantity > 0 {
                r.quantity = self
                    .quantity
                    .unwrap_or(i64::try_from(order.quantity).unwrap_or(0));
            } else if freeze {
                r.amount_fen = self.amount.unwrap_or(order.amount_fen);
            }
        } else if let Some(position) = self.queued {
            r.outcome = AnswerOutcome::Queued as i32;
            r.queue_position = position;
        } else if let Some(reason) = &self.refused {
            r.outcome = AnswerOutcome::Refused as i32;
            r.reason = reason.clone();
        } else if self.released {
            r.outcome = AnswerOutcome::Released as i32;
        } else if let Some(fen) = self.deducted {
            r.outcome = AnswerOutcome::Deducted as i32;
            r.amount_fen = fen;
        }
        Ok(r)
    }
}

/// Reads the order (for a freeze's asked figure), records the answer, prints the order.
pub async fn record(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    args: AnswerArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let get = hub.client.get_order(request(
        GetOrderRequest {
            order_id: args.order_id.clone(),
        },
        timeout,
    ));
    let order = bounded(timeout, get)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    let message = args.request(&order, &mut std::io::stderr())?;
    let call = hub.client.record_answer(request(message, timeout));
    let order = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    print_order(&order, as_json, out)?;
    ended_well(std::slice::from_ref(&order))
}

/// Whether a listed order waits for an off-line agency's written answer (its notice issued, or
/// an answer proposed and not yet confirmed): what `orders --awaiting-answer` keeps.
pub fn awaits_answer(order: &Order) -> bool {
    order.state == OrderState::AwaitingAgency as i32
        && (order.detail.starts_with("notice issued on ")
            || order.detail.starts_with("written answer "))
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Result<AnswerArgs, clap::Error> {
        let mut all = vec!["hubctl", "answer", "ord-1"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all)?.command {
            Command::Answer(a) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    fn freeze(amount_fen: i64) -> Order {
        Order {
            order_id: "ord-1".into(),
            action: OrderAction::Freeze as i32,
            amount_fen,
            ..Default::default()
        }
    }

    #[test]
    fn one_outcome_with_its_figures() {
        let a = parse(&[
            "--held",
            "--amount",
            "12000.00",
            "--ref",
            "R1",
            "--from",
            "2026-12-03",
            "--until",
            "2027-12-02",
            "--answered-on",
            "2026-12-03",
            "--key",
            "k",
        ])
        .unwrap();
        let r = a.request(&freeze(2_000_000), &mut Vec::new()).unwrap();
        assert_eq!(r.outcome, AnswerOutcome::Held as i32);
        assert_eq!((r.amount_fen, r.quantity), (1_200_000, 0));
        assert_eq!(
            (
                r.held_from.as_str(),
                r.held_until.as_str(),
                r.idempotency_key.as_str()
            ),
            ("2026-12-03", "2027-12-02", "k")
        );
        // Without --amount, a freeze is held for what it asked.
        let a = parse(&["--held", "--answered-on", "2026-12-03"]).unwrap();
        let r = a.request(&freeze(2_000_000), &mut Vec::new()).unwrap();
        assert_eq!(r.amount_fen, 2_000_000);
        let a = parse(&["--queued", "2", "--answered-on", "2026-12-03"]).unwrap();
        let r = a.request(&freeze(1), &mut Vec::new()).unwrap();
        assert_eq!(
            (r.outcome, r.queue_position, r.amount_fen),
            (AnswerOutcome::Queued as i32, 2, 0)
        );
        let a = parse(&["--deducted", "5.00", "--answered-on", "2026-12-03"]).unwrap();
        let r = a.request(&freeze(1), &mut Vec::new()).unwrap();
        assert_eq!(
            (r.outcome, r.amount_fen),
            (AnswerOutcome::Deducted as i32, 500)
        );
        // No outcome, two outcomes, an amount without --held, a position of 0: usage errors.
        assert!(parse(&["--answered-on", "2026-12-03"]).is_err());
        assert!(parse(&["--held", "--released", "--answered-on", "2026-12-03"]).is_err());
        assert!(parse(&["--released", "--amount", "1", "--answered-on", "2026-12-03"]).is_err());
        assert!(parse(&["--queued", "0", "--answered-on", "2026-12-03"]).is_err());
        assert!(parse(&["--held"]).is_err());
    }

    #[test]
    fn orders_awaiting_a_written_answer_are_told_by_state_and_detail() {
        let order = |state: OrderState, detail: &str| Order {
            state: state as i32,
            detail: detail.into(),
            ..Default::default()
        };
        let waiting = "notice issued on 2026-12-03; awaiting the agency's written answer";
        assert!(awaits_answer(&order(OrderState::AwaitingAgency, waiting)));
        assert!(!awaits_answer(&order(OrderState::AwaitingAgency, "")));
        assert!(!awaits_answer(&order(
            OrderState::Effective,
            "written answer R1 of 2026-12-03"
        )));
    }
}
