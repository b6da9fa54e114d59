//! `hubctl`: the operator's command-line client for the assethub gRPC API.
//!
//! ```text
//! hubctl [--addr URL] [--json] [--timeout-ms MS] [--token T] [--court COURT]
//!        [--ca-cert PEM] [--client-cert PEM --client-key PEM] sources
//! hubctl ... query --case CASE --id NUMBER --name NAME [--kind KIND]... [--fresh] [--deadline-ms N]
//! hubctl ... batch --file debtors.csv [--kind KIND]... [--fresh] [--item-deadline-ms N] [--quiet]
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
//! hubctl ... order ID
//! hubctl ... orders [--case CASE] [--state STATE]... [--expiring-within DAYS] [--limit N]
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
//! ```
//!
//! Exit codes: 0 success, 2 invalid arguments (local or the hub's INVALID_ARGUMENT), 1 any other
//! failure (and a broken audit chain). This file holds the arguments and the dispatch; each command lives in its module.

mod audit;
mod batch;
mod cases;
mod client;
mod control;
mod debtors;
mod error;
mod json;
mod names;
mod order_client;
mod order_json;
mod order_names;
mod order_render;
mod orders;
mod progress;
mod query;
mod render;
mod sources;
mod tally;
mod tokens;
mod yuan;

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use assethub_proto::v1::{AssetKind, ListOrdersRequest, OrderAction};
use clap::{Args, Parser, Subcommand};

use crate::error::CliError;
use crate::order_client::InstructionInput;
use crate::order_names::StateArg;
use assethub_client::credentials::{self, CredentialsFile};
use assethub_client::Role;

/// gRPC deadline for `sources` and `query` when `--timeout-ms` is not given.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Margin above `--deadline-ms` for the gRPC deadline, so the hub can answer with what it has.
const DEADLINE_MARGIN_MS: u64 = 2_000;
/// gRPC deadline for `freeze` when `--timeout-ms` is not given: the hub waits for the
/// agencies' answers up to the deadline and reports what is still pending.
const FREEZE_TIMEOUT_MS: u64 = 30_000;

/// Operator's client for the assethub debtor asset-search hub.
#[derive(Debug, Parser)]
#[command(name = "hubctl", version)]
struct Cli {
    /// Address of the hub's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "ASSETHUB_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    addr: String,

    /// Machine-readable output (JSON; JSON lines for `batch`).
    #[arg(long, global = true)]
    json: bool,

    /// gRPC deadline of the call in milliseconds [default: 10000 for `sources`, `query` (or
    /// --deadline-ms + 2000 if larger) and the order commands, 30000 for `freeze`; none for
    /// `batch` and `events`, where it bounds the whole stream].
    #[arg(long, global = true, value_name = "MS")]
    timeout_ms: Option<u64>,

    /// Bearer token to call with [default: the one the credentials file holds for the
    /// command's role and court (`assethub-demo` writes development ones)].
    #[arg(long, global = true, env = "ASSETHUB_TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// PEM CA certificate that signed the hub's TLS certificate (for `https://` addresses).
    #[arg(long, global = true, env = "ASSETHUB_CA_CERT", value_name = "PEM")]
    ca_cert: Option<PathBuf>,

    /// PEM client certificate and key, when the hub asks for one (mutual TLS).
    #[arg(long, global = true, env = "ASSETHUB_CLIENT_CERT", value_name = "PEM")]
    client_cert: Option<PathBuf>,
    #[arg(long, global = true, env = "ASSETHUB_CLIENT_KEY", value_name = "PEM")]
    client_key: Option<PathBuf>,

    /// Court to act for when the command names no case [default: the first one the
    /// credentials file holds for the command's role].
    #[arg(long, global = true, env = "ASSETHUB_COURT")]
    court: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the hub's sources: kind, connector, capabilities, cache TTL, concurrency.
    Sources,
    /// Search one debtor's assets at every source (or the chosen kinds).
    Query(QueryArgs),
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
}

impl Command {
    /// The roles that may run this command, preferred first, and the case it names (whose
    /// court picks the credential).
    fn caller(&self) -> (&'static [Role], Option<&str>) {
        const READ: &[Role] = &[Role::CaseSystem, Role::Judge, Role::Supervisor];
        const ACT: &[Role] = &[Role::Judge, Role::Supervisor];
        match self {
            Command::Sources | Command::Token(_) => (&[Role::Admin], None),
            Command::Audit(_) => (&[Role::Auditor], None),
            Command::Case(c) => match c.command.case_and_writes() {
                (case, true) => (&[Role::CaseSystem], case),
                (case, false) => (READ, case),
            },
            Command::Query(q) => (READ, Some(&q.case_number)),
            Command::Batch(_) | Command::Order(_) => (READ, None),
            Command::Approve(_) | Command::Reject(_) => (&[Role::Supervisor], None),
            Command::Orders(o) => (READ, o.case_number.as_deref()),
            Command::Events(e) => (READ, e.case_number.as_deref()),
            Command::Freeze(a) => (ACT, Some(&a.instruction.case_number)),
            Command::FreezeAsset(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Seal(a) | Command::Watch(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Release(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Deduct(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Renew(a) => (ACT, Some(&a.instruction.case_number)),
        }
    }

    /// Whether the command calls the Orders service (whose refusals get a hint).
    fn uses_orders(&self) -> bool {
        !matches!(
            self,
            Command::Sources
                | Command::Query(_)
                | Command::Batch(_)
                | Command::Audit(_)
                | Command::Case(_)
                | Command::Token(_)
        )
    }
}

/// Who orders a control action, under which ruling, with which idempotency key.
#[derive(Debug, Args)]
struct InstructionArgs {
    /// Enforcement case number, e.g. "(2024)鄂0116执1234号".
    #[arg(long = "case", value_name = "CASE")]
    case_number: String,
    /// The ruling ordering the action, e.g. "(2024)鄂0116执1234号之一".
    #[arg(long, value_name = "RULING")]
    ruling: String,
    /// The enforcement officer acting [default: the officer named by the credential's token;
    /// another name is refused by the hub].
    #[arg(
        long,
        value_name = "NAME",
        env = "ASSETHUB_OFFICER",
        default_value = ""
    )]
    officer: String,
    /// Idempotency key (1-128 printable ASCII); replaying a request with its key never acts
    /// twice. Default: a new UUID v4, printed on stderr.
    #[arg(long, value_name = "KEY", value_parser = order_client::parse_key)]
    key: Option<String>,
}

impl InstructionArgs {
    fn input(self) -> InstructionInput {
        InstructionInput {
            case_number: self.case_number,
            ruling: self.ruling,
            officer: self.officer,
            key: self.key,
        }
    }
}

/// The debtor whose assets are acted on.
#[derive(Debug, Args)]
struct DebtorArgs {
    /// Resident identity number or unified social credit code.
    #[arg(long = "id", value_name = "NUMBER")]
    id_number: String,
    /// Full legal name of the person or company.
    #[arg(long, value_name = "NAME")]
    name: String,
}

#[derive(Debug, Args)]
struct FreezeArgs {
    #[command(flatten)]
    instruction: InstructionArgs,
    #[command(flatten)]
    debtor: DebtorArgs,
    /// The cap: what the case claims, in yuan (e.g. 12345.67); the case never holds more.
    #[arg(
        long,
        value_name = "YUAN",
        value_parser = yuan::parse_amount,
        allow_negative_numbers = true
    )]
    amount: i64,
    /// Freeze period in days; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    days: u32,
}

#[derive(Debug, Args)]
struct FreezeAssetArgs {
    #[command(flatten)]
    instruction: InstructionArgs,
    /// The asset ref from a search, e.g. "bank-gongxin:6228480000000001".
    #[arg(long, value_name = "REF")]
    asset: String,
    #[command(flatten)]
    debtor: DebtorArgs,
    /// Amount to freeze in the account's currency (e.g. 12345.67); 0 with --quantity.
    #[arg(
        long,
        value_name = "YUAN",
        value_parser = yuan::parse_amount,
        allow_negative_numbers = true,
        required_unless_present = "quantity",
        conflicts_with = "quantity"
    )]
    amount: Option<i64>,
    /// Units to freeze instead of an amount, for kinds counted in units (e.g. 12000 shares).
    #[arg(long, value_name = "N")]
    quantity: Option<u64>,
    /// The currency --amount is in (ISO 4217, e.g. USD); refused unless it is the account's.
    /// Default: the account's own.
    #[arg(long, value_name = "CODE", default_value = "")]
    currency: String,
    /// Freeze period in days; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    days: u32,
}

#[derive(Debug, Args)]
struct HoldArgs {
    #[command(flatten)]
    instruction: InstructionArgs,
    /// The asset ref from a search, e.g. "re-wuhan:鄂(2020)武汉市不动产权第0001号".
    #[arg(long, value_name = "REF")]
    asset: String,
    #[command(flatten)]
    debtor: DebtorArgs,
    /// Period in days; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    days: u32,
}

#[derive(Debug, Args)]
struct ReleaseArgs {
    #[command(flatten)]
    instruction: InstructionArgs,
    /// The hold order to release.
    #[arg(long = "order", value_name = "ID")]
    order_id: String,
}

#[derive(Debug, Args)]
struct DeductArgs {
    #[command(flatten)]
    instruction: InstructionArgs,
    /// The freeze order to deduct from.
    #[arg(long = "order", value_name = "ID")]
    order_id: String,
    /// Amount to move in the hold's currency (e.g. 12345.67), at most what is frozen. The
    /// money goes to the case's registered account (一案一账号) and nowhere else.
    #[arg(
        long,
        value_name = "YUAN",
        value_parser = yuan::parse_amount,
        allow_negative_numbers = true
    )]
    amount: i64,
}

#[derive(Debug, Args)]
struct RenewArgs {
    #[command(flatten)]
    instruction: InstructionArgs,
    /// The hold order to renew.
    #[arg(long = "order", value_name = "ID")]
    order_id: String,
    /// Days to extend by from the current end date; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    days: u32,
}

#[derive(Debug, Args)]
struct OrderArgs {
    /// The order id.
    #[arg(value_name = "ID")]
    order_id: String,
}

/// Reject an order awaiting approval.
#[derive(Debug, Args)]
struct RejectArgs {
    /// The order awaiting approval.
    order_id: String,
    /// Why it is not approved (kept in the order).
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
struct OrdersArgs {
    /// Only this case's orders.
    #[arg(long = "case", value_name = "CASE")]
    case_number: Option<String>,
    /// Only orders in these states (repeatable or comma-separated).
    #[arg(long = "state", value_name = "STATE", value_delimiter = ',')]
    states: Vec<StateArg>,
    /// Only holds in force or queued that end within this many days.
    #[arg(
        long = "expiring-within",
        value_name = "DAYS",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    expiring_within: Option<u32>,
    /// At most this many orders [hub default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: Option<u32>,
}

impl OrdersArgs {
    fn request(self) -> ListOrdersRequest {
        ListOrdersRequest {
            case_number: self.case_number.unwrap_or_default(),
            states: order_names::states(&self.states),
            expiring_within_days: self.expiring_within.unwrap_or(0),
            limit: self.limit.unwrap_or(0),
        }
    }
}

#[derive(Debug, Args)]
struct EventsArgs {
    /// Resume after this event's cursor (0: from the first event).
    #[arg(long = "after", value_name = "CURSOR", default_value_t = 0)]
    after: u64,
    /// Only this case's events.
    #[arg(long = "case", value_name = "CASE")]
    case_number: Option<String>,
    /// Keep printing live events until interrupted; without it, stop once the stream has been
    /// quiet for a second.
    #[arg(long, short)]
    follow: bool,
}

#[derive(Debug, Args)]
struct QueryArgs {
    /// Enforcement case number, e.g. "(2024)鄂0116执1234号".
    #[arg(long = "case", value_name = "CASE")]
    case_number: String,
    /// Resident identity number or unified social credit code.
    #[arg(long = "id", value_name = "NUMBER")]
    id_number: String,
    /// Full legal name of the person or company.
    #[arg(long, value_name = "NAME")]
    name: String,
    #[command(flatten)]
    common: SearchArgs,
    /// Deadline for the search in milliseconds (0 or absent: the hub's default).
    #[arg(long, value_name = "N")]
    deadline_ms: Option<u32>,
}

#[derive(Debug, Args)]
struct BatchArgs {
    /// CSV file with a header row case_number,id_number,name.
    #[arg(long, value_name = "PATH")]
    file: PathBuf,
    #[command(flatten)]
    common: SearchArgs,
    /// Deadline per debtor in milliseconds (0 or absent: the hub's default).
    #[arg(long, value_name = "N")]
    item_deadline_ms: Option<u32>,
    /// No progress on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct SearchArgs {
    /// Only these kinds of source (repeatable or comma-separated), by the names the hub
    /// registers: bank, real_estate, vehicle, payment, or any configured kind such as
    /// securities (`hubctl sources` lists them); default: all.
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',', value_parser = kind_arg)]
    kinds: Vec<String>,
    /// Bypass the hub's cache and ask every agency afresh.
    #[arg(long)]
    fresh: bool,
}

/// A kind name as the hub registers them (`real-estate` is taken for `real_estate`); whether
/// the hub knows it is the hub's to say.
fn kind_arg(text: &str) -> Result<String, String> {
    let name = text.trim().replace('-', "_");
    let well_formed = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(name)
    } else {
        Err("a kind is 1-32 characters of a-z, 0-9 and '_' (e.g. bank, securities)".into())
    }
}

/// The built-in kinds among `names`, as the API's enum values (understood by every hub).
fn kinds(names: &[String]) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    for kind in names.iter().filter_map(|n| built_in(n)) {
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
}

/// The other kinds among `names`, sent by name (`kind_names`).
fn kind_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names.iter().filter(|n| built_in(n).is_none()) {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

fn built_in(name: &str) -> Option<i32> {
    let kind = match name {
        "bank" => AssetKind::Bank,
        "real_estate" => AssetKind::RealEstate,
        "vehicle" => AssetKind::Vehicle,
        "payment" => AssetKind::Payment,
        _ => return None,
    };
    Some(kind as i32)
}

/// The gRPC deadline for a unary call.
fn unary_timeout(explicit: Option<u64>, deadline_ms: Option<u32>) -> Duration {
    let ms = explicit.unwrap_or_else(|| {
        let wanted = deadline_ms.map_or(0, |d| u64::from(d) + DEADLINE_MARGIN_MS);
        DEFAULT_TIMEOUT_MS.max(wanted)
    });
    Duration::from_millis(ms)
}

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

/// The token this command calls with: `--token`, else the credentials file's for the role and
/// court (the named case's court, else `--court`). None: the call goes unauthenticated and the
/// hub says so.
fn credential(cli: &Cli) -> Result<Option<String>, CliError> {
    if let Some(token) = &cli.token {
        return Ok(Some(token.clone()));
    }
    let (roles, case) = cli.command.caller();
    let case_court = case
        .and_then(|c| assethub_core::domain::CaseNumber::parse(c).ok())
        .map(|c| c.court().to_string());
    if let (Some(of_case), Some(asked)) = (&case_court, &cli.court) {
        if of_case != asked {
            eprintln!("note: the case belongs to court {of_case}; --court {asked} applies only to commands that name no case");
        }
    }
    let court = case_court.or_else(|| cli.court.clone());
    let Some(path) = credentials::default_path() else {
        return Ok(None);
    };
    let file = CredentialsFile::load(&path).map_err(CliError::Input)?;
    // No credential for that court: call as what we have, and let the hub say why not.
    let picked = file
        .pick(roles, court.as_deref())
        .or_else(|| file.pick(roles, None));
    if picked.is_none() {
        eprintln!("{}", no_credential_note(roles, &path));
    }
    Ok(picked.map(|c| c.token.clone()))
}

/// What to do when the credentials file holds no token for any of `roles`: the hub will only
/// say that a bearer token is required.
fn no_credential_note(roles: &[Role], path: &std::path::Path) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    format!(
        "note: {} holds no token for role {}, so this call goes without one: pass --token \
         (or ASSETHUB_TOKEN), or add one with `assethub issue-token --role {} ... --save` \
         (README, \"Calling the hub you started\"); `assethub-demo` writes them for its own hub",
        path.display(),
        names.join(" or "),
        names[0]
    )
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
        Command::Order(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            orders::get(&mut hub, Some(timeout), args.order_id, cli.json, &mut out).await
        }
        Command::Orders(args) => {
            let timeout = unary_timeout(cli.timeout_ms, None);
            let mut hub = order_client::connect(&cli.addr, Some(timeout)).await?;
            let message = args.request();
            orders::list(&mut hub, Some(timeout), message, cli.json, &mut out).await
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
    };
    out.flush()?;
    result
}

impl HoldArgs {
    fn input(self, action: OrderAction) -> control::HoldInput {
        control::HoldInput {
            instruction: self.instruction.input(),
            action,
            asset_ref: self.asset,
            id_number: self.debtor.id_number,
            name: self.debtor.name,
            amount_fen: 0,
            quantity: 0,
            currency: String::new(),
            days: self.days,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_missing_credential_names_the_file_the_role_and_the_way_to_get_one() {
        let path = std::path::Path::new("/tmp/creds.toml");
        let note = no_credential_note(&[Role::Admin], path);
        assert_eq!(
            note,
            "note: /tmp/creds.toml holds no token for role admin, so this call goes without one: \
             pass --token (or ASSETHUB_TOKEN), or add one with `assethub issue-token --role admin \
             ... --save` (README, \"Calling the hub you started\"); `assethub-demo` writes them \
             for its own hub"
        );
        let note = no_credential_note(&[Role::CaseSystem, Role::Judge], path);
        assert!(note.contains("for role case_system or judge,"), "{note}");
        assert!(note.contains("--role case_system "), "{note}");
    }

    #[test]
    fn query_arguments() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "--json",
            "query",
            "--case",
            "(2024)鄂0116执1234号",
            "--id",
            "11010519491231002X",
            "--name",
            "张三",
            "--kind",
            "bank,real_estate",
            "--kind",
            "real-estate",
            "--kind",
            "payment",
            "--fresh",
            "--deadline-ms",
            "15000",
            "--addr",
            "http://hub:1",
        ])
        .expect("parses");
        assert!(cli.json);
        assert_eq!(cli.addr, "http://hub:1");
        let Command::Query(q) = cli.command else {
            panic!("query expected")
        };
        assert_eq!(q.case_number, "(2024)鄂0116执1234号");
        assert!(q.common.fresh);
        assert_eq!(
            kinds(&q.common.kinds),
            vec![
                AssetKind::Bank as i32,
                AssetKind::RealEstate as i32,
                AssetKind::Payment as i32
            ]
        );
        assert_eq!(
            unary_timeout(cli.timeout_ms, q.deadline_ms),
            Duration::from_millis(17_000)
        );
    }

    #[test]
    fn timeouts() {
        assert_eq!(unary_timeout(None, None), Duration::from_millis(10_000));
        assert_eq!(
            unary_timeout(None, Some(500)),
            Duration::from_millis(10_000)
        );
        assert_eq!(
            unary_timeout(Some(300), Some(50_000)),
            Duration::from_millis(300)
        );
    }

    #[test]
    fn bad_kind_is_rejected() {
        let parsed = Cli::try_parse_from([
            "hubctl", "query", "--case", "c", "--id", "i", "--name", "n", "--kind", "Stocks!",
        ]);
        assert!(parsed.is_err());
    }

    #[test]
    fn any_registered_kind_is_sent_by_name_and_built_in_ones_by_number() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "query",
            "--case",
            "c",
            "--id",
            "i",
            "--name",
            "n",
            "--kind",
            "securities,bank,ship",
            "--kind",
            "securities",
        ])
        .expect("parses");
        let Command::Query(q) = cli.command else {
            panic!("query expected")
        };
        assert_eq!(kinds(&q.common.kinds), vec![AssetKind::Bank as i32]);
        assert_eq!(kind_names(&q.common.kinds), vec!["securities", "ship"]);
    }

    #[test]
    fn freeze_asset_takes_a_quantity_instead_of_an_amount() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "freeze-asset",
            "--case",
            "(2024)鄂0116执1234号",
            "--ruling",
            "r",
            "--key",
            "k",
            "--asset",
            "csdc:A1-600000",
            "--id",
            "11010519491231002X",
            "--name",
            "张伟",
            "--quantity",
            "12000",
        ])
        .expect("parses");
        let Command::FreezeAsset(f) = cli.command else {
            panic!("freeze-asset expected")
        };
        assert_eq!((f.amount, f.quantity), (None, Some(12_000)));
    }

    const INSTRUCTION: [&str; 8] = [
        "--case",
        "(2024)鄂0116执1234号",
        "--ruling",
        "(2024)鄂0116执1234号之一",
        "--officer",
        "李四",
        "--key",
        "k-1",
    ];

    fn parse(command: &[&str], extra: &[&str]) -> Result<Cli, clap::Error> {
        let mut argv = vec!["hubctl"];
        argv.extend_from_slice(command);
        argv.extend_from_slice(&INSTRUCTION);
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv)
    }

    #[test]
    fn freeze_arguments() {
        let cli = parse(
            &["--json", "freeze"],
            &[
                "--id",
                "11010519491231002X",
                "--name",
                "张三",
                "--amount",
                "12345.67",
            ],
        )
        .expect("parses");
        assert!(cli.json);
        assert!(cli.command.uses_orders());
        let Command::Freeze(f) = cli.command else {
            panic!("freeze expected")
        };
        assert_eq!(f.amount, 1_234_567);
        assert_eq!(f.days, 0);
        let i = f.instruction.input();
        assert_eq!(i.case_number, "(2024)鄂0116执1234号");
        assert_eq!(i.ruling, "(2024)鄂0116执1234号之一");
        assert_eq!(i.officer, "李四");
        assert_eq!(i.key.as_deref(), Some("k-1"));
        assert_eq!(f.debtor.name, "张三");
    }

    #[test]
    fn bad_amounts_are_usage_errors() {
        for bad in ["1,000.5", "1.001", "-5", "0", "12e3", "abc"] {
            let err =
                parse(&["freeze"], &["--id", "i", "--name", "n", "--amount", bad]).expect_err(bad);
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
            assert_eq!(err.exit_code(), 2);
        }
        let err = parse(&["deduct"], &["--order", "o", "--amount", "0.001"]).expect_err("sub-fen");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn hold_arguments() {
        let cli = parse(
            &["freeze-asset"],
            &[
                "--asset",
                "bank-gongxin:6228",
                "--id",
                "i",
                "--name",
                "n",
                "--amount",
                "100",
                "--days",
                "90",
            ],
        )
        .expect("parses");
        let Command::FreezeAsset(f) = cli.command else {
            panic!("freeze-asset expected")
        };
        assert_eq!(
            (f.amount, f.days, f.asset.as_str()),
            (Some(10_000), 90, "bank-gongxin:6228")
        );
        for (word, action) in [("seal", OrderAction::Seal), ("watch", OrderAction::Watch)] {
            let cli =
                parse(&[word], &["--asset", "veh:1", "--id", "i", "--name", "n"]).expect(word);
            let (Command::Seal(h) | Command::Watch(h)) = cli.command else {
                panic!("{word} expected")
            };
            let input = h.input(action);
            assert_eq!(input.action, action);
            assert_eq!((input.amount_fen, input.days), (0, 0));
        }
        // seal takes no amount.
        assert!(parse(
            &["seal"],
            &["--asset", "a", "--id", "i", "--name", "n", "--amount", "1"]
        )
        .is_err());
    }

    #[test]
    fn act_arguments() {
        let cli = parse(&["deduct"], &["--order", "ord-1", "--amount", "0.5"]).expect("parses");
        let Command::Deduct(d) = cli.command else {
            panic!("deduct expected")
        };
        assert_eq!((d.order_id.as_str(), d.amount), ("ord-1", 50));
        // Where the money goes is not the caller's to name.
        assert!(parse(
            &["deduct"],
            &[
                "--order",
                "ord-1",
                "--amount",
                "0.5",
                "--into",
                "ANY-ACCOUNT-I-LIKE-001"
            ]
        )
        .is_err());
        let cli = parse(&["renew"], &["--order", "ord-1", "--days", "30"]).expect("parses");
        let Command::Renew(r) = cli.command else {
            panic!("renew expected")
        };
        assert_eq!(r.days, 30);
        let cli = parse(&["release"], &["--order", "ord-1"]).expect("parses");
        assert!(matches!(cli.command, Command::Release(_)));
        // The order is required; a bad key is refused locally.
        assert!(parse(&["release"], &[]).is_err());
        let mut argv = vec!["hubctl", "release", "--order", "o"];
        argv.extend_from_slice(&INSTRUCTION[..6]);
        argv.extend_from_slice(&["--key", "键"]);
        assert!(Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn officer_comes_from_the_environment_and_key_is_optional() {
        // The only test touching ASSETHUB_OFFICER; the others always pass --officer.
        std::env::remove_var("ASSETHUB_OFFICER");
        let argv = [
            "hubctl", "release", "--order", "o", "--case", "c", "--ruling", "r",
        ];
        // Without --officer the hub records the officer its token names.
        let Command::Release(r) = Cli::try_parse_from(argv).expect("parses").command else {
            panic!("release expected")
        };
        assert_eq!(r.instruction.input().officer, "");
        std::env::set_var("ASSETHUB_OFFICER", "王五");
        let parsed = Cli::try_parse_from(argv);
        std::env::remove_var("ASSETHUB_OFFICER");
        let Command::Release(r) = parsed.expect("parses").command else {
            panic!("release expected")
        };
        let i = r.instruction.input();
        assert_eq!(i.officer, "王五");
        assert_eq!(i.key, None);
    }

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

    #[test]
    fn batch_arguments() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "batch",
            "--file",
            "d.csv",
            "--item-deadline-ms",
            "3000",
            "-q",
            "--timeout-ms",
            "60000",
        ])
        .expect("parses");
        assert_eq!(cli.timeout_ms, Some(60_000));
        let Command::Batch(b) = cli.command else {
            panic!("batch expected")
        };
        assert_eq!(b.item_deadline_ms, Some(3000));
        assert!(b.quiet);
        assert!(b.common.kinds.is_empty());
    }
}
