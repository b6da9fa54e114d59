//! `assethub-conformance`: the command line of the conformance kit. Reads the connector file
//! and the fixture, builds the connector, runs the suite, prints the table and exits 0 only
//! when no check failed (1 when one did, 2 when the kit could not start).

use assethub_conformance::{checks::CHECKS, run, Fixture, Target};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

const ABOUT: &str = "Runs the conformance suite against one connector and the agency behind it.";

const LONG_ABOUT: &str = "\
Runs the conformance suite against ONE connector and the agency behind it, and prints a table
of PASS / FAIL / SKIP; exits 0 only when nothing failed.

Point it at a connector with a connector file (TOML), written like a hub [[sources]] entry:

  In process (a connector type built into assethub):
      id = \"bank-gongxin\"
      type = \"bank\"
      base_url = \"http://127.0.0.1:18081\"
      api_key = \"gx-demo-key\"
      api_secret = \"gx-demo-secret\"

  Remote (a connector served out of process over assethub.connector.v1):
      id = \"csdc\"
      type = \"remote\"
      address = \"http://127.0.0.1:50071\"

The hub's own keys (cache_ttl_secs, max_concurrency, breaker_*, rate_limit_*, capabilities)
are ignored.

The agency's admin API (--admin, default: the connector's base_url) must serve
/__admin/faults, /__admin/holds and /__admin/holds/lift (and /__admin/knobs with
clock_offset_days for the expiry check); checks needing a missing endpoint are skipped.

The fixture (TOML) names the debtors and what to hold:
      case = \"(2024)鄂0116执1234号\"          # the kit's case (optional)
      other_court_case = \"(2024)鄂01执77号\"  # another court's (optional)
      [known]
      id = \"11010519491231002X\"
      name = \"张伟\"
      wrong_name = \"张三\"
      [unknown]
      id = \"110101198001010019\"
      name = \"赵无名\"
      [control]               # optional
      asset = \"\"              # empty: the first suitable asset of the known debtor
      amount_fen = 10000
      quantity = 100
      days = 30
      queue_asset = \"\"        # empty: the same asset
      [signing]               # a key the agency trusts (base64 Ed25519 seed);
      key_id = \"demo-1\"       # the mocks trust the demo hub key of
      seed = \"...\"            # mocks/src/demo_keys.rs

The kit places, releases and expires holds at the agency: run it against a test agency,
never a production one.";

#[derive(Debug, Parser)]
#[command(name = "assethub-conformance", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Args {
    /// The connector file: `type` plus its settings, or `type = "remote"` with `address`.
    #[arg(long, value_name = "FILE")]
    connector: PathBuf,
    /// The fixture file: known and unknown debtors, what to freeze, signing key.
    #[arg(long, value_name = "FILE")]
    fixture: PathBuf,
    /// Base URL of the agency's admin API (default: the connector's `base_url`).
    #[arg(long, value_name = "URL")]
    admin: Option<String>,
    /// List the checks and exit.
    #[arg(long)]
    list: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for check in CHECKS {
            println!("{check}");
        }
        return ExitCode::SUCCESS;
    }
    match start(&args).await {
        Ok(report) => {
            print!("{}", report.table());
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(why) => {
            eprintln!("assethub-conformance: {why}");
            ExitCode::from(2)
        }
    }
}

async fn start(args: &Args) -> Result<assethub_conformance::Report, String> {
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let target = Target::parse(&read(&args.connector)?)?;
    let fixture = Fixture::parse(&read(&args.fixture)?)?;
    let admin = match (&args.admin, target.base_url()) {
        (Some(admin), _) => admin.clone(),
        (None, Some(base)) => base,
        (None, None) => return Err("no --admin URL and the connector names no base_url".into()),
    };
    let connector = target.build().await?;
    Ok(run(connector, &admin, fixture).await)
}
