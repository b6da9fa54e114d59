//! `hubctl`: the operator's command-line client for the assethub gRPC API.
//!
//! ```text
//! hubctl [--addr URL] [--json] [--timeout-ms MS] [--token T] [--court COURT]
//!        [--ca-cert PEM] [--client-cert PEM --client-key PEM] sources
//! hubctl ... query --case CASE --id NUMBER --name NAME [--kind KIND]... [--fresh] [--deadline-ms N]
//! hubctl ... batch --file debtors.csv [--kind KIND]... [--fresh] [--item-deadline-ms N] [--quiet]
//!            [--durable [--key KEY]]                     # --durable: a sweep, as `sweep submit`
//!
//! # Durable sweeps the hub keeps and resumes after a restart
//! hubctl ... sweep submit debtors.csv [--kind KIND]... [--fresh] [--key KEY] [--item-deadline-ms N]
//! hubctl ... sweep status ID | sweep results ID | sweep cancel ID
//!
//! # Every call carries a bearer token: --token, else the credentials file's token for the
//! # command's role and the case's court (`assethub-demo` writes development ones).
//! # Control orders; each takes --case CASE --ruling RULING [--officer NAME] [--key KEY]
//! # (the officer is the token's; without --key a UUID v4 key is made and printed on stderr,
//! # so the request can be replayed); amounts are yuan, e.g. 12345.67
//! hubctl ... freeze --id NUMBER --name NAME --amount YUAN [--days N]
//! hubctl ... freeze-asset --asset REF --id NUMBER --name NAME --amount YUAN [--days N]
//! hubctl ... seal --asset REF --id NUMBER --name NAME [--days N]
//! hubctl ... watch --asset REF --id NUMBER --name NAME [--days N]
//! hubctl ... release --order ID
//! hubctl ... deduct --order ID --amount YUAN             # into the case's registered account
//! hubctl ... renew --order ID [--days N]
//! hubctl ... approve ID | reject ID --reason TEXT      # four-eyes (supervisors)
//! hubctl ... answer ID (--held [--amount YUAN | --quantity N] | --queued N | --refused TEXT
//!            | --released | --deducted YUAN) [--ref REF] [--from D --until D]
//!            --answered-on D [--document FILE] [--key KEY]   # off-line agencies' answers
//! hubctl ... order ID
//! hubctl ... orders [--case CASE] [--state STATE]... [--expiring-within DAYS] [--limit N]
//!            [--awaiting-answer]
//! hubctl ... events [--after CURSOR] [--case CASE] [--follow]
//!
//! # Enforcement cases (case systems register and change them; the court's officers read)
//! hubctl ... case register --case CASE --debtor ID:NAME [--debtor ...] --claim YUAN --account ACCOUNT
//! hubctl ... case import --file intake.csv     # case_number,id_number,name,claim_yuan,account
//! hubctl ... case show CASE [--history] | case list [--state STATE]...
//! hubctl ... case update CASE [--claim YUAN] [--add-debtor ID:NAME]... [--account A] [--reason R]
//! hubctl ... case suspend|reopen|close CASE [--reason R]
//!
//! # The tamper-evident audit log (auditors)
//! hubctl ... audit verify [--checkpoint FILE]...
//! hubctl ... audit list [--after N] [--limit N] [--case CASE] [--method METHOD]
//! hubctl ... audit checkpoint [--now]                  # --json: the line to keep
//!
//! # Bearer tokens (admins)
//! hubctl ... token revoke --issuer ISS (--jti ID | --subject SUB) --reason TEXT
//!
//! # Assistance notices for agencies that work on paper (the PDF holds personal data)
//! hubctl ... notice ORDER_ID > notice.pdf | notice ORDER_ID -o FILE   # FILE written 0600
//! hubctl notice verify FILE --public-key B64 [--key-id ID]           # off-line: exit 0 valid
//! ```
//!
//! Exit codes: 0 success, 2 invalid arguments (local or the hub's INVALID_ARGUMENT), 1 any other
//! failure (and a broken audit chain). This file holds the dispatch: each command's arguments
//! are defined in `cli.rs` and its submodules, and each command lives in its own module.

mod answer;
mod audit;
mod batch;
mod cases;
mod cli;
mod client;
mod control;
mod deadlines;
mod debtors;
mod error;
mod inquiries;
mod json;
mod names;
mod notices;
mod order_client;
mod order_json;
mod order_names;
mod order_render;
mod orders;
mod progress;
mod query;
mod render;
mod sources;
mod sweep;
mod tally;
mod tokens;
mod yuan;

use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::time::Duration;

use assethub_proto::v1::OrderAction;
use clap::Parser;

use crate::cli::search::{kind_names, kinds};
use crate::cli::{credential, Cli, Command};
use crate::deadlines::{unary_timeout, FREEZE_TIMEOUT_MS};
use crate::error::CliError;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let as_json = cli.json;
    let uses_orders = cli.command.uses_orders();
    match run(cli).await {
        Ok(()) if audit::found_broken() => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
        // Output piped into `head` and closed: not worth a complaint.
        Err(CliError::Io(e)) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            err.report(as_json);
            if let Some(hint) = uses_orders.then(|| order_client::hint(&err)).flatten() {
                eprintln!("{hint}");
            }
            err.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    client::set_token(credential(&cli)?)?;
    client::set_tls(
        cli.ca_cert.as_deref(),
        cli.client_cert.as_deref(),
        cli.client_key.as_deref(),
    )?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Sources => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = client::connect(&cli.addr, Some(timeout)).await?;
            sources::run(&mut hub, Some(timeout), cli.json, &mut out).await
        }
        Command::Query(args) => {
            let timeout = unary_timeout(cli.timeout_ms, args.deadline_ms);
            let mut hub = client::connect(&cli.addr, Some(timeout)).await?;
            let input = query::QueryInput {
                case_number: args.case_number,
                id_number: args.id_number,
                name: args.name,
                kinds: kinds(&args.common.kinds),
                kind_names: kind_names(&args.common.kinds),
                fresh: args.common.fresh,
                deadline_ms: args.deadline_ms.unwrap_or(0),
            };
            query::run(&mut hub, Some(timeout), input, cli.json, &mut out).await
        }
        Command::Inquiries(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = client::connect(&cli.addr, Some(timeout)).await?;
            inquiries::run(&mut hub, Some(timeout), args, cli.json, &mut out).await
        }
        Command::Batch(args) if args.durable => {
            let rows = debtors::read_file(&args.file)?;
            let input = sweep::SubmitInput {
                key: args.key.unwrap_or_else(|| sweep::default_key(&args.file)),
                kinds: kinds(&args.common.kinds),
                kind_names: kind_names(&args.common.kinds),
                fresh: args.common.fresh,
                item_deadline_ms: args.item_deadline_ms.unwrap_or(0),
            };
            let mut hub =
                sweep::connect(&cli.addr, cli.timeout_ms.map(Duration::from_millis)).await?;
            sweep::submit(&mut hub, input, rows, cli.json, &mut out).await
        }
        Command::Sweep(args) => {
            let timeout = cli.timeout_ms.map(Duration::from_millis);
            match args.command {
                sweep::SweepCommand::Submit(a) => {
                    let rows = debtors::read_file(&a.file)?;
                    let input = sweep::SubmitInput {
                        key: a.key.unwrap_or_else(|| sweep::default_key(&a.file)),
                        kinds: kinds(&a.common.kinds),
                        kind_names: kind_names(&a.common.kinds),
                        fresh: a.common.fresh,
                        item_deadline_ms: a.item_deadline_ms.unwrap_or(0),
                    };
                    let mut hub = sweep::connect(&cli.addr, timeout).await?;
                    sweep::submit(&mut hub, input, rows, cli.json, &mut out).await
                }
                sweep::SweepCommand::Status(a) => {
                    let mut hub = sweep::connect(&cli.addr, timeout).await?;
                    sweep::status(&mut hub, a.id, cli.json, &mut out).await
                }
                sweep::SweepCommand::Results(a) => {
                    let mut hub = sweep::connect(&cli.addr, timeout).await?;
                    sweep::results(&mut hub, a.id, cli.json, &mut out).await
                }
                sweep::SweepCommand::Cancel(a) => {
                    let mut hub = sweep::connect(&cli.addr, timeout).await?;
                    sweep::cancel(&mut hub, a.id, cli.json, &mut out).await
                }
            }
        }
        Command::Batch(args) => {
            let timeout = cli.timeout_ms.map(Duration::from_millis);
            let input = batch::BatchInput {
                kinds: kinds(&args.common.kinds),
                kind_names: kind_names(&args.common.kinds),
                fresh: args.common.fresh,
                item_deadline_ms: args.item_deadline_ms.unwrap_or(0),
                quiet: args.quiet,
            };
            // Read the file before connecting: a bad row is reported even with no hub running.
            let rows = debtors::read_file(&args.file)?;
            let mut hub = client::connect(&cli.addr, timeout).await?;
            batch::run(&mut hub, timeout, input, rows, cli.json, &mut out).await
        }
        Command::Freeze(args) => {
            let timeout = Duration::from_millis(cli.timeout_ms.unwrap_or(FREEZE_TIMEOUT_MS));
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            let input = control::FreezeInput {
                instruction: args.instruction.input(),
                id_number: args.debtor.id_number,
                name: args.debtor.name,
                cap_fen: args.amount,
                days: args.days,
            };
            control::freeze(&mut hub, Some(timeout), input, cli.json, &mut out).await
        }
        Command::FreezeAsset(args) => {
            let input = control::HoldInput {
                instruction: args.instruction.input(),
                action: OrderAction::Freeze,
                asset_ref: args.asset,
                id_number: args.debtor.id_number,
                name: args.debtor.name,
                amount_fen: args.amount.unwrap_or(0),
                quantity: args.quantity.unwrap_or(0),
                currency: args.currency,
                days: args.days,
            };
            place_hold(&cli.addr, cli.timeout_ms, input, cli.json, &mut out).await
        }
        Command::Seal(args) => {
            let input = args.input(OrderAction::Seal);
            place_hold(&cli.addr, cli.timeout_ms, input, cli.json, &mut out).await
        }
        Command::Watch(args) => {
            let input = args.input(OrderAction::Watch);
            place_hold(&cli.addr, cli.timeout_ms, input, cli.json, &mut out).await
        }
        Command::Release(args) => {
            let input = control::ActInput {
                instruction: args.instruction.input(),
                action: OrderAction::Release,
                order_id: args.order_id,
                amount_fen: 0,
                days: 0,
            };
            act_on_hold(&cli.addr, cli.timeout_ms, input, cli.json, &mut out).await
        }
        Command::Deduct(args) => {
            let input = control::ActInput {
                instruction: args.instruction.input(),
                action: OrderAction::Deduct,
                order_id: args.order_id,
                amount_fen: args.amount,
                days: 0,
            };
            act_on_hold(&cli.addr, cli.timeout_ms, input, cli.json, &mut out).await
        }
        Command::Renew(args) => {
            let input = control::ActInput {
                instruction: args.instruction.input(),
                action: OrderAction::Renew,
                order_id: args.order_id,
                amount_fen: 0,
                days: args.days,
            };
            act_on_hold(&cli.addr, cli.timeout_ms, input, cli.json, &mut out).await
        }
        Command::Approve(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            let message = assethub_proto::v1::DecideApprovalRequest {
                order_id: args.order_id,
                approve: true,
                reason: String::new(),
            };
            orders::decide(&mut hub, Some(timeout), message, cli.json, &mut out).await
        }
        Command::Reject(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            let message = assethub_proto::v1::DecideApprovalRequest {
                order_id: args.order_id,
                approve: false,
                reason: args.reason,
            };
            orders::decide(&mut hub, Some(timeout), message, cli.json, &mut out).await
        }
        Command::Answer(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            answer::record(&mut hub, Some(timeout), args, cli.json, &mut out).await
        }
        Command::Order(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            orders::get(&mut hub, Some(timeout), args.order_id, cli.json, &mut out).await
        }
        Command::Orders(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            let awaiting = args.awaiting_answer;
            let message = args.request();
            orders::list(
                &mut hub,
                Some(timeout),
                message,
                awaiting,
                cli.json,
                &mut out,
            )
            .await
        }
        Command::Events(args) => {
            let timeout = cli.timeout_ms.map(Duration::from_millis);
            let mut hub = order_client::connect(&cli.addr, timeout).await?;
            let input = orders::EventsInput {
                after_cursor: args.after,
                case_number: args.case_number.unwrap_or_default(),
                follow: args.follow,
            };
            orders::events(&mut hub, timeout, input, cli.json, &mut out).await
        }
        Command::Audit(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            audit::run(&cli.addr, timeout, args, cli.json, &mut out).await
        }
        Command::Case(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            cases::run(&cli.addr, timeout, args, cli.json, &mut out).await
        }
        Command::Token(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            tokens::run(&cli.addr, timeout, args, cli.json, &mut out).await
        }
        Command::Notice(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            notices::run(&cli.addr, timeout, args, cli.json, &mut out).await
        }
    };
    out.flush()?;
    result
}

/// `freeze-asset`, `seal`, `watch`.
async fn place_hold(
    addr: &str,
    timeout_ms: Option<u64>,
    input: control::HoldInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let timeout = unary_timeout(timeout_ms, None);
    let mut hub = order_client::connect(addr, Some(timeout)).await?;
    control::place_hold(&mut hub, Some(timeout), input, as_json, out).await
}

/// `release`, `deduct`, `renew`.
async fn act_on_hold(
    addr: &str,
    timeout_ms: Option<u64>,
    input: control::ActInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let timeout = unary_timeout(timeout_ms, None);
    let mut hub = order_client::connect(addr, Some(timeout)).await?;
    control::act_on_hold(&mut hub, Some(timeout), input, as_json, out).await
}
