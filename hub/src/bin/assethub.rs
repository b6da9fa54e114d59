//! `assethub`: the hub server.
//!
//! - `assethub serve --config FILE`: serve the sources a configuration file lists.
//! - `assethub demo`: start the mock agencies in-process on their default ports and serve the
//!   embedded example configuration on 127.0.0.1:50051; nothing else needed.

use assethub_hub::config::HubConfig;
use assethub_hub::{serve, telemetry};
use assethub_mocks::population::{DEFAULT_SEED, DEFAULT_SIZE};
use assethub_mocks::{demo_agencies, start_all, Population, DEMO_BASE_PORT};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "assethub",
    about = "Debtor asset-search hub for court enforcement"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sources listed in a configuration file.
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// Override `server.listen` from the file.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Start the mock agencies in-process and serve the example configuration.
    Demo {
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// Debtors in the synthetic population.
        #[arg(long, default_value_t = DEFAULT_SIZE)]
        population: usize,
    },
}

#[tokio::main]
async fn main() {
    telemetry::init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("assethub: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (config, listen, _agencies) = match cli.command {
        Command::Serve { config, listen } => {
            let config = HubConfig::from_file(&config)?;
            let listen = listen.unwrap_or(config.server.listen);
            (config, listen, Vec::new())
        }
        Command::Demo { listen, population } => {
            let population = Arc::new(Population::generate(DEFAULT_SEED, population));
            let agencies = start_all(&demo_agencies(DEMO_BASE_PORT), population)
                .await
                .map_err(|e| {
                    format!("cannot start the mock agencies on ports {DEMO_BASE_PORT}..: {e}")
                })?;
            (HubConfig::example(), listen, agencies)
        }
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    println!("assethub listening on {listen}");
    serve(&config, listener, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: draining in-flight calls");
}
