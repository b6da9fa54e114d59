//! `mock-agencies`: runs the demo line-up of mock agencies (two banks, a real-estate registry,
//! a vehicle administration, two payment platforms) until interrupted, or the agencies listed
//! in a TOML file (`[[agencies]]` tables in the shape of `AgencySpec`:
//! `AgencyConfig` plus an optional `faults` table).

use assethub_mocks::population::{DEFAULT_SEED, DEFAULT_SIZE};
use assethub_mocks::{
    demo_agencies, start_all_with_faults, AgencySpec, Population, DEMO_BASE_PORT,
};
use clap::Parser;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(about = "Run the mock agencies assethub's demo and tests talk to")]
struct Args {
    /// Agencies to run (TOML with [[agencies]] tables); default: the demo line-up.
    #[arg(long)]
    config: Option<PathBuf>,
    /// First port of the demo line-up (the six agencies use consecutive ports).
    #[arg(long, default_value_t = DEMO_BASE_PORT)]
    base_port: u16,
    /// Seed of the synthetic population.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Number of debtors in the synthetic population.
    #[arg(long, default_value_t = DEFAULT_SIZE)]
    size: usize,
    /// Give every agency this latency (ms, no jitter) instead of its own.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Print the first N debtors of the population as an intake CSV and exit: one case per
    /// debtor (the demo debtors under their walkthrough case), with claim and account, which
    /// `hubctl case import --file` registers and `hubctl batch --file` searches.
    #[arg(long, value_name = "N")]
    export_debtors: Option<usize>,
    /// Keep each agency's hold register in DIR/<agency>.json, read back at the next start (as
    /// `assethub-demo` does in data/agencies); without it registers start empty each run.
    #[arg(long, value_name = "DIR")]
    keep_registers: Option<PathBuf>,
}

#[derive(Deserialize)]
struct AgencyFile {
    agencies: Vec<AgencySpec>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(count) = args.export_debtors {
        let population = Population::generate(args.seed, args.size.max(count));
        print!(
            "{}",
            assethub_mocks::demo_cases::intake_csv(population.debtors().iter().take(count))
        );
        return Ok(());
    }
    let mut configs = match &args.config {
        Some(path) => toml::from_str::<AgencyFile>(&std::fs::read_to_string(path)?)?.agencies,
        None => demo_agencies(args.base_port)
            .into_iter()
            .map(AgencySpec::from)
            .collect(),
    };
    if let Some(latency_ms) = args.latency_ms {
        for spec in &mut configs {
            spec.agency.latency_ms = latency_ms;
            spec.agency.jitter_ms = 0;
        }
    }
    let population = Arc::new(Population::generate(args.seed, args.size));
    let running =
        start_all_with_faults(&configs, population, args.keep_registers.as_deref()).await?;
    for agency in &running {
        println!(
            "{:<16} {:?} {}",
            agency.name,
            agency.family,
            agency.base_url()
        );
    }
    tokio::signal::ctrl_c().await?;
    for agency in running {
        agency.shutdown().await;
    }
    Ok(())
}
