//! `hubctl`: the operator's command-line client for the assethub gRPC API.
//!
//! ```text
//! hubctl [--addr URL] [--json] [--timeout-ms MS] sources
//! hubctl ... query --case CASE --id NUMBER --name NAME [--kind KIND]... [--fresh] [--deadline-ms N]
//! hubctl ... batch --file debtors.csv [--kind KIND]... [--fresh] [--item-deadline-ms N] [--quiet]
//! ```
//!
//! Exit codes: 0 success, 2 invalid arguments (local or the hub's INVALID_ARGUMENT), 1 any other
//! failure. This file holds the arguments and the dispatch; each command lives in its module.

mod batch;
mod client;
mod debtors;
mod error;
mod json;
mod names;
mod progress;
mod query;
mod render;
mod sources;
mod tally;

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use assethub_proto::v1::AssetKind;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::CliError;

/// gRPC deadline for `sources` and `query` when `--timeout-ms` is not given.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Margin above `--deadline-ms` for the gRPC deadline, so the hub can answer with what it has.
const DEADLINE_MARGIN_MS: u64 = 2_000;

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

    /// gRPC deadline of the call in milliseconds [default: 10000 for `sources` and `query`
    /// (or --deadline-ms + 2000 if larger); none for `batch`, where it bounds the whole stream].
    #[arg(long, global = true, value_name = "MS")]
    timeout_ms: Option<u64>,

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
    /// Only these kinds of source (repeatable or comma-separated); default: all.
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',')]
    kinds: Vec<KindArg>,
    /// Bypass the hub's cache and ask every agency afresh.
    #[arg(long)]
    fresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Bank,
    #[value(name = "real_estate", alias = "real-estate")]
    RealEstate,
    Vehicle,
    Payment,
}

impl KindArg {
    fn to_proto(self) -> i32 {
        let kind = match self {
            KindArg::Bank => AssetKind::Bank,
            KindArg::RealEstate => AssetKind::RealEstate,
            KindArg::Vehicle => AssetKind::Vehicle,
            KindArg::Payment => AssetKind::Payment,
        };
        kind as i32
    }
}

fn kinds(args: &[KindArg]) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    for kind in args.iter().map(|k| k.to_proto()) {
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
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
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // Output piped into `head` and closed: not worth a complaint.
        Err(CliError::Io(e)) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            err.report(as_json);
            err.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
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
                fresh: args.common.fresh,
                deadline_ms: args.deadline_ms.unwrap_or(0),
            };
            query::run(&mut hub, Some(timeout), input, cli.json, &mut out).await
        }
        Command::Batch(args) => {
            let timeout = cli.timeout_ms.map(Duration::from_millis);
            let input = batch::BatchInput {
                kinds: kinds(&args.common.kinds),
                fresh: args.common.fresh,
                item_deadline_ms: args.item_deadline_ms.unwrap_or(0),
                quiet: args.quiet,
            };
            // Read the file before connecting: a bad row is reported even with no hub running.
            let rows = debtors::read_file(&args.file)?;
            let mut hub = client::connect(&cli.addr, timeout).await?;
            batch::run(&mut hub, timeout, input, rows, cli.json, &mut out).await
        }
    };
    out.flush()?;
    result
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
            "hubctl", "query", "--case", "c", "--id", "i", "--name", "n", "--kind", "stocks",
        ]);
        assert!(parsed.is_err());
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
