//! The command line hubctl accepts: the global options (`Cli`) and the commands (`Command`),
//! and which commands call the Orders service. Each group keeps its arguments beside it:
//! searches in `cli/search.rs`, control orders in `cli/control.rs`, reading and deciding
//! orders in `cli/orders.rs` (`audit`, `case` and `token` in their own modules); who a
//! command calls as, and so its token, in `cli/caller.rs`.

mod caller;
pub mod control;
pub mod orders;
pub mod search;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use self::control::{DeductArgs, FreezeArgs, FreezeAssetArgs, HoldArgs, ReleaseArgs, RenewArgs};
use self::orders::{EventsArgs, OrderArgs, OrdersArgs, RejectArgs};
use self::search::{BatchArgs, QueryArgs};
use crate::{audit, cases, notices, tokens};

pub use self::caller::credential;

/// Operator's client for the assethub debtor asset-search hub.
#[derive(Debug, Parser)]
#[command(name = "hubctl", version)]
pub struct Cli {
    /// Address of the hub's gRPC endpoint; several hubs sharing one ledger, separated by
    /// commas, share the calls (those that answer at start).
    #[arg(
        long,
        global = true,
        env = "ASSETHUB_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub addr: String,

    /// Machine-readable output (JSON; JSON lines for `batch`).
    #[arg(long, global = true)]
    pub json: bool,

    /// gRPC deadline of the call in milliseconds [default: 10000 for `sources`, `query` (or
    /// --deadline-ms + 2000 if larger) and the order commands, 30000 for `freeze`; none for
    /// `batch` and `events`, where it bounds the whole stream].
    #[arg(long, global = true, value_name = "MS")]
    pub timeout_ms: Option<u64>,

    /// Bearer token to call with [default: the one the credentials file holds for the
    /// command's role and court (`assethub-demo` writes development ones)].
    #[arg(long, global = true, env = "ASSETHUB_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// PEM CA certificate that signed the hub's TLS certificate (for `https://` addresses).
    #[arg(long, global = true, env = "ASSETHUB_CA_CERT", value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,

    /// PEM client certificate and key, when the hub asks for one (mutual TLS).
    #[arg(long, global = true, env = "ASSETHUB_CLIENT_CERT", value_name = "PEM")]
    pub client_cert: Option<PathBuf>,
    #[arg(long, global = true, env = "ASSETHUB_CLIENT_KEY", value_name = "PEM")]
    pub client_key: Option<PathBuf>,

    /// Court to act for when the command names no case [default: the first one the
    /// credentials file holds for the command's role].
    #[arg(long, global = true, env = "ASSETHUB_COURT")]
    pub court: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the hub's sources: kind, connector, capabilities, cache TTL, concurrency.
    Sources,
    /// Search one debtor's assets at every source (or the chosen kinds).
    Query(QueryArgs),
    /// List the inquiries agencies answer later (pending, answered, expired, failed).
    Inquiries(crate::inquiries::InquiriesArgs),
    /// Search every debtor of a CSV file (header: case_number,id_number,name).
    Batch(BatchArgs),
    /// One-click freeze of a debtor's funds at every bank and payment platform, up to --amount.
    Freeze(FreezeArgs),
    /// Freeze funds in one account found by a search (its asset ref).
    FreezeAsset(FreezeAssetArgs),
    /// Seal one asset (real estate, vehicle) found by a search.
    Seal(HoldArgs),
    /// Watch one vehicle found by a search: sightings appear in `events`.
    Watch(HoldArgs),
    /// Release a hold (freeze, seal, watch) the case placed.
    Release(ReleaseArgs),
    /// Deduct frozen funds into the court's case account.
    Deduct(DeductArgs),
    /// Extend a hold from its current end date.
    Renew(RenewArgs),
    /// Off-line agencies: record the agency's written answer to an order's notice.
    Answer(crate::answer::AnswerArgs),
    /// Four-eyes: approve an order awaiting approval (supervisors of its court; not its author).
    Approve(OrderArgs),
    /// Four-eyes: reject an order awaiting approval, with the reason.
    Reject(RejectArgs),
    /// Show one control order.
    Order(OrderArgs),
    /// List control orders, newest first.
    Orders(OrdersArgs),
    /// Print the event feed (order changes, vehicle sightings) after a cursor.
    Events(EventsArgs),
    /// Verify, list or checkpoint the hub's tamper-evident audit log.
    Audit(audit::AuditArgs),
    /// The court's enforcement cases: register, import, show, list, update, suspend, close.
    Case(cases::CaseArgs),
    /// Bearer tokens: revoke one by its id, or a subject's (admins).
    Token(tokens::TokenArgs),
    /// Durable sweeps the hub keeps: submit a CSV of debtors, follow, read results, cancel.
    Sweep(crate::sweep::SweepArgs),
    /// An order's assistance notice (协助执行通知书) as a signed PDF; `notice verify` checks one
    /// off-line.
    Notice(notices::NoticeArgs),
}

impl Command {
    /// Whether the command calls the Orders service (whose refusals get a hint).
    pub fn uses_orders(&self) -> bool {
        !matches!(
            self,
            Command::Sources
                | Command::Query(_)
                | Command::Inquiries(_)
                | Command::Batch(_)
                | Command::Audit(_)
                | Command::Case(_)
                | Command::Token(_)
                | Command::Sweep(_)
                | Command::Notice(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn audit_arguments() {
        let cli = Cli::try_parse_from(["hubctl", "--json", "audit", "verify"]).expect("parses");
        assert!(cli.json && !cli.command.uses_orders());
        let Command::Audit(a) = cli.command else {
            panic!("audit expected")
        };
        assert!(matches!(a.command, audit::AuditCommand::Verify(_)));
        let cli = Cli::try_parse_from(["hubctl", "audit", "list", "--after", "40", "--limit", "5"])
            .expect("parses");
        let Command::Audit(audit::AuditArgs {
            command: audit::AuditCommand::List(l),
        }) = cli.command
        else {
            panic!("audit list expected")
        };
        assert_eq!((l.request().after_seq, l.request().limit), (40, 5));
        assert!(Cli::try_parse_from(["hubctl", "audit", "list", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["hubctl", "audit"]).is_err());
    }
}
