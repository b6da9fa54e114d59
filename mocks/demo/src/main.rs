//! `assethub-demo`: the whole system on one machine for a newcomer. Starts the mock agencies
//! in-process on their default ports (18081..) and serves the hub's embedded example
//! configuration on 127.0.0.1:50051, after writing development credentials for every role
//! (courts 鄂0116 and 鄂01) where `hubctl` finds them and registering the walkthroughs' cases.
//! Prometheus metrics at http://127.0.0.1:9464/metrics (`[metrics]` in the configuration);
//! the enforcement console (`assethub-console`) at http://127.0.0.1:8080/, signing in with
//! the demo identities.
//!
//! It wires the mocks to the hub through the hub's library, so the production `assethub`
//! binary links no mock agency, holds no demo key and writes no demo credential. The library
//! (`lib.rs`) holds the demo's configuration and token issuer, for the tests too.
//!
//! - `state`: where the demo keeps its ledger, checkpoints and agency registers (`--fresh`).
//! - `cases`: the walkthroughs' cases, registered as a court's case system would.
//! - `credentials`: development tokens of the demo issuer for every role.
//! - `securities`: the Python securities depository (source `csdc`, an out-of-process
//!   connector) started beside the built-in agencies when Python and its packages are here.
//! - `later`: a bank answering inquiries after about 20 seconds (source `bank-xiecheng`,
//!   `asynchronous = true`).
//! - the off-line county registry (`registry-caidian`, `lib.rs`'s `offline`): notices and
//!   written answers, no network.

mod cases;
mod credentials;
mod later;
mod securities;
mod state;

use assethub_hub::server::{build, serve_hub, shutdown_signal};
use assethub_hub::telemetry;
use assethub_mocks::population::{DEFAULT_SEED, DEFAULT_SIZE};
use assethub_mocks::{demo_agencies, start_all_keeping, Population, DEMO_BASE_PORT};
use clap::Parser;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// mimalloc: the server's threads allocate many small, short-lived buffers (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "assethub-demo",
    about = "Start the mock agencies in-process and serve the hub's example configuration against them"
)]
struct Cli {
    #[arg(long, default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Debtors in the synthetic population.
    #[arg(long, default_value_t = DEFAULT_SIZE)]
    population: usize,
    /// Start afresh: delete the demo's ledger, audit checkpoints and agency registers
    /// (under ./data) first. Without it the demo carries on where it stopped.
    #[arg(long)]
    fresh: bool,
    /// Do not start the Python securities depository example (source `csdc`).
    #[arg(long)]
    no_csdc: bool,
    /// Where the enforcement console (web pages) listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    console: SocketAddr,
}

#[tokio::main]
async fn main() {
    let log = telemetry::init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("assethub-demo: {e}");
        drop(log); // write out what is buffered: exit skips destructors
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = assethub_demo::config();
    let state = state::DemoState::of(&config);
    if cli.fresh {
        state.clear()?;
    }
    let population = Arc::new(Population::generate(DEFAULT_SEED, cli.population));
    let lineup = demo_agencies(DEMO_BASE_PORT);
    // Kept until the hub stops: dropping them stops the agencies.
    let _agencies = start_all_keeping(&lineup, population.clone(), &state.registers)
        .await
        .map_err(|e| format!("cannot start the mock agencies on ports {DEMO_BASE_PORT}..: {e}"))?;
    // The securities depository runs out of process, in Python, when its runtime is here.
    let _csdc = securities::start(&mut config, &state.registers, cli.no_csdc).await;
    let _later = later::start(&mut config, population).await;
    // The county registry that is not online: notices and written answers.
    assethub_demo::offline::add(&mut config);
    println!(
        "{} (off-line real-estate registry): instructions as notices, answers with `hubctl answer`",
        assethub_demo::offline::SOURCE
    );
    credentials::write();
    state.describe(cli.fresh);
    let listen = cli.listen;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let hub = build(&config).await?;
    cases::register(&hub.case_book).await?;
    println!("assethub listening on {listen}");
    // The console signs in with the demo identities of both courts and every role.
    let console = assethub_console::spawn(
        assethub_console::ConsoleConfig {
            hub_addr: format!("http://{listen}"),
            identities: credentials::demo(&credentials::COURTS, assethub_hub::auth::now_secs(), 30)
                .credentials,
            secure_cookies: false,
            ca_file: None,
        },
        cli.console,
    )
    .await?;
    println!("enforcement console at {}", console.url());
    if let Some(addr) = hub.metrics_addr() {
        println!("metrics at http://{addr}/metrics");
    }
    serve_hub(hub, listener, shutdown_signal()).await?;
    Ok(())
}
