//! The arguments of the commands that read and decide control orders: `order`, `orders`,
//! `events`, and the four-eyes `approve` and `reject`.

use assethub_proto::v1::ListOrdersRequest;
use clap::Args;

use crate::order_names::{self, StateArg};

#[derive(Debug, Args)]
pub struct OrderArgs {
    /// The order id.
    #[arg(value_name = "ID")]
    pub order_id: String,
}

/// Reject an order awaiting approval.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The order awaiting approval.
    pub order_id: String,
    /// Why it is not approved (kept in the order).
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Only this case's orders.
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: Option<String>,
    /// Only orders in these states (repeatable or comma-separated).
    #[arg(long = "state", value_name = "STATE", value_delimiter = ',')]
    pub states: Vec<StateArg>,
    /// Only holds in force or queued that end within this many days.
    #[arg(
        long = "expiring-within",
        value_name = "DAYS",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub expiring_within: Option<u32>,
    /// At most this many orders [hub default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: Option<u32>,
    /// Only orders of off-line agencies awaiting a written answer (`hubctl answer`).
    #[arg(long, conflicts_with = "states")]
    pub awaiting_answer: bool,
}

impl OrdersArgs {
    pub fn request(self) -> ListOrdersRequest {
        let states = if self.awaiting_answer {
            vec![assethub_proto::v1::OrderState::AwaitingAgency as i32]
        } else {
            order_names::states(&self.states)
        };
        ListOrdersRequest {
            case_number: self.case_number.unwrap_or_default(),
            states,
            expiring_within_days: self.expiring_within.unwrap_or(0),
            limit: self.limit.unwrap_or(0),
        }
    }
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Resume after this event's cursor (0: from the first event).
    #[arg(long = "after", value_name = "CURSOR", default_value_t = 0)]
    pub after: u64,
    /// Only this case's events.
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: Option<String>,
    /// Keep printing live events until interrupted; without it, stop once the stream has been
    /// quiet for a second.
    #[arg(long, short)]
    pub follow: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn reading_arguments() {
        let cli = Cli::try_parse_from(["hubctl", "order", "ord-1"]).expect("parses");
        let Command::Order(o) = cli.command else {
            panic!("order expected")
        };
        assert_eq!(o.order_id, "ord-1");
        let cli = Cli::try_parse_from([
            "hubctl",
            "orders",
            "--case",
            "c",
            "--state",
            "queued,awaiting_agency",
            "--state",
            "queued",
            "--expiring-within",
            "7",
            "--limit",
            "50",
        ])
        .expect("parses");
        let Command::Orders(o) = cli.command else {
            panic!("orders expected")
        };
        let r = o.request();
        assert_eq!(r.case_number, "c");
        assert_eq!(
            r.states,
            vec![
                assethub_proto::v1::OrderState::Queued as i32,
                assethub_proto::v1::OrderState::AwaitingAgency as i32
            ]
        );
        assert_eq!((r.expiring_within_days, r.limit), (7, 50));
        let Command::Orders(o) = Cli::try_parse_from(["hubctl", "orders"])
            .expect("parses")
            .command
        else {
            panic!("orders expected")
        };
        assert_eq!(o.request(), ListOrdersRequest::default());
        assert!(Cli::try_parse_from(["hubctl", "orders", "--state", "frozen"]).is_err());
        assert!(Cli::try_parse_from(["hubctl", "orders", "--limit", "1001"]).is_err());
        assert!(Cli::try_parse_from(["hubctl", "orders", "--limit", "0"]).is_err());
        let cli = Cli::try_parse_from(["hubctl", "events", "--after", "42", "--case", "c", "-f"])
            .expect("parses");
        let Command::Events(e) = cli.command else {
            panic!("events expected")
        };
        assert_eq!(
            (e.after, e.case_number.as_deref(), e.follow),
            (42, Some("c"), true)
        );
        let cli = Cli::try_parse_from(["hubctl", "events"]).expect("parses");
        let Command::Events(e) = cli.command else {
            panic!("events expected")
        };
        assert_eq!((e.after, e.follow), (0, false));
    }
}
