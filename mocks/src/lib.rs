//! Mock agencies for tests and demos: faithful stand-ins for the agencies assethub talks to,
//! each with its own HTTP API, auth scheme, wire format, latency and failure modes, all drawing
//! on one seeded synthetic population.
//!
//! - `bank/`: a bank's head-office gateway (API key + HMAC-signed JSON requests, yuan strings).
//! - `real_estate/`: a real-estate registration centre.
//! - `vehicle/`: a vehicle administration.
//! - `payment/`: a payment platform (OAuth2 client credentials, fen integers, 429 quotas).
//!
//! - `csdc`: the Python securities depository example (`connectors/examples/csdc`) and its
//!   out-of-process connector, started as child processes.
//! - `demo_cases`: the enforcement cases the demo registers, and one per debtor for sweeps.
//! - `demo_keys`: the demo's PUBLIC seeds (instruction, checkpoint, audit, token issuer).
//!
//! Run in-process with [`start_all`] or as the `mock-agencies` binary.

pub mod bank;
pub mod csdc;
pub mod date;
pub mod demo_cases;
pub mod demo_keys;
pub mod faults;
pub mod holds;
pub mod inquiry_log;
pub mod instruction_keys;
pub mod knobs;
pub mod payment;
pub mod population;
pub mod real_estate;
pub mod seal;
pub mod server;
pub mod vehicle;

pub use faults::{FaultCounts, FaultRule, Faults, FaultsConfig};
pub use holds::HoldBook;
pub use knobs::Knobs;
pub use population::Population;
pub use server::{start, RunningAgency};

use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

/// The agency families the mocks implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Bank,
    RealEstate,
    Vehicle,
    Payment,
}

/// A family's own settings (credentials, names, quotas), tagged by `family`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum FamilySettings {
    Bank(bank::Settings),
    RealEstate(real_estate::Settings),
    Vehicle(vehicle::Settings),
    Payment(payment::Settings),
}

/// One mock agency instance.
#[derive(Debug, Clone, Deserialize)]
pub struct AgencyConfig {
    /// Instance name; also the source id the hub's example config uses for it.
    pub name: String,
    #[serde(default = "default_host")]
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Mean simulated latency and uniform jitter added on top, per request.
    pub latency_ms: u64,
    #[serde(default)]
    pub jitter_ms: u64,
    #[serde(flatten)]
    pub settings: FamilySettings,
}

/// One agency as the `mock-agencies` TOML lists it: an [`AgencyConfig`] plus the fault rules
/// it starts with, an optional `faults` table (`[agencies.faults]`, `[[agencies.faults.rules]]`;
/// see [`knobs`] for the fields). Kept beside `AgencyConfig` rather than in it so code building
/// an `AgencyConfig` literally keeps compiling; files without `faults` read as before.
#[derive(Debug, Clone, Deserialize)]
pub struct AgencySpec {
    #[serde(flatten)]
    pub agency: AgencyConfig,
    #[serde(default)]
    pub faults: FaultsConfig,
}

impl From<AgencyConfig> for AgencySpec {
    fn from(agency: AgencyConfig) -> Self {
        Self {
            agency,
            faults: FaultsConfig::default(),
        }
    }
}

fn default_host() -> String {
    "127.0.0.1".into()
}

impl AgencyConfig {
    pub fn family(&self) -> Family {
        match self.settings {
            FamilySettings::Bank(_) => Family::Bank,
            FamilySettings::RealEstate(_) => Family::RealEstate,
            FamilySettings::Vehicle(_) => Family::Vehicle,
            FamilySettings::Payment(_) => Family::Payment,
        }
    }
}

/// The agency's own API (without the knobs middleware and admin routes).
pub(crate) fn agency_router(
    config: &AgencyConfig,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
) -> Router {
    let name = config.name.as_str();
    match &config.settings {
        FamilySettings::Bank(s) => bank::router(name, s, population, knobs),
        FamilySettings::RealEstate(s) => real_estate::router(name, s, population, knobs),
        FamilySettings::Vehicle(s) => vehicle::router(name, s, population, knobs),
        FamilySettings::Payment(s) => payment::router(name, s, population, knobs),
    }
}

/// Default port of the first demo agency; the others follow (18081..=18086).
pub const DEMO_BASE_PORT: u16 = 18081;

/// The demo line-up: two banks, one real-estate registry, one vehicle administration and two
/// payment platforms, on consecutive ports from `base_port` (0: ephemeral ports), with
/// realistic default latencies. The hub's example configuration matches these names,
/// ports and credentials.
pub fn demo_agencies(base_port: u16) -> Vec<AgencyConfig> {
    let lineup: [(&str, u64, u64, FamilySettings); 6] = [
        (
            "bank-gongxin",
            40,
            30,
            FamilySettings::Bank(bank::Settings::demo(0)),
        ),
        (
            "bank-hengtong",
            50,
            30,
            FamilySettings::Bank(bank::Settings::demo(1)),
        ),
        (
            "registry-wuhan",
            60,
            40,
            FamilySettings::RealEstate(real_estate::Settings::demo(0)),
        ),
        (
            "vehicle-hubei",
            30,
            20,
            FamilySettings::Vehicle(vehicle::Settings::demo(0)),
        ),
        (
            "pay-xinfu",
            20,
            15,
            FamilySettings::Payment(payment::Settings::demo(0)),
        ),
        (
            "pay-weiqian",
            25,
            15,
            FamilySettings::Payment(payment::Settings::demo(1)),
        ),
    ];
    lineup
        .into_iter()
        .enumerate()
        .map(
            |(i, (name, latency_ms, jitter_ms, settings))| AgencyConfig {
                name: name.to_string(),
                host: default_host(),
                port: if base_port == 0 {
                    0
                } else {
                    base_port + i as u16
                },
                latency_ms,
                jitter_ms,
                settings,
            },
        )
        .collect()
}

/// Starts every agency in `configs` against one shared population.
pub async fn start_all(
    configs: &[AgencyConfig],
    population: Arc<Population>,
) -> std::io::Result<Vec<RunningAgency>> {
    let mut running = Vec::with_capacity(configs.len());
    for config in configs {
        running.push(start(config, population.clone()).await?);
    }
    Ok(running)
}

/// Starts every agency in `configs`, each keeping its hold register in `dir` (created if
/// missing, private): what they held when they last stopped, they hold again.
pub async fn start_all_keeping(
    configs: &[AgencyConfig],
    population: Arc<Population>,
    dir: &std::path::Path,
) -> std::io::Result<Vec<RunningAgency>> {
    let specs: Vec<AgencySpec> = configs.iter().cloned().map(AgencySpec::from).collect();
    start_all_with_faults(&specs, population, Some(dir)).await
}

/// Creates `dir` (and its parents) if missing; the directory itself readable by its owner
/// only, since the registers in it name accounts and cases.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Starts every agency in `specs`, each with its starting fault rules; with `keep`, each
/// keeps its hold register in that directory (created if missing, private).
pub async fn start_all_with_faults(
    specs: &[AgencySpec],
    population: Arc<Population>,
    keep: Option<&std::path::Path>,
) -> std::io::Result<Vec<RunningAgency>> {
    if let Some(dir) = keep {
        private_dir(dir)?;
    }
    let mut running = Vec::with_capacity(specs.len());
    for spec in specs {
        let agency = server::start_keeping(&spec.agency, &spec.faults, population.clone(), keep);
        running.push(agency.await?);
    }
    Ok(running)
}
