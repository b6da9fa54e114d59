//! `assethub-under-test`: the hub server as the tests run it in a separate process (see
//! `assethub_tests::hub_process`): serves one configuration file on one address until SIGTERM
//! or Ctrl-C, with the real binary's logging (stderr, `RUST_LOG`) and shutdown signal.

use assethub_hub::server::{serve, shutdown_signal};
use assethub_hub::{telemetry, HubConfig};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::net::TcpListener;

/// mimalloc: the server's threads allocate many small, short-lived buffers (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "assethub-under-test",
    about = "The assethub hub, for process-level tests"
)]
struct Cli {
    /// The hub's configuration file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Where to listen, overriding `server.listen` from the file.
    #[arg(long)]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    let _log = telemetry::init();
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assethub-under-test: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    let config = HubConfig::from_file(&cli.config)?;
    let listener = TcpListener::bind(cli.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
    eprintln!("assethub-under-test listening on {}", cli.listen);
    serve(&config, listener, shutdown_signal()).await?;
    eprintln!("assethub-under-test stopped");
    Ok(())
}
