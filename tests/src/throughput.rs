//! What the throughput measurements share (`tests/tests/sweep_throughput.rs`,
//! `tests/tests/batch_throughput.rs`): a real hub process in front of the demo line-up of
//! instant mock agencies, every source paced to its configured rate ([`sweep::pace_sources`]),
//! N debtors of the synthetic population registered on cases of [`COURT`](crate::COURT); the
//! hub's resident memory sampled every second; and the one-line JSON report of a run, its
//! elapsed time against the bound the agencies' rates set ([`sweep::bound`]).

use crate::hub_process::{rss_kib_of, HubProcess};
use crate::{chaos, instant_agencies, sweep};
use assethub_hub::HubConfig;
use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::{Population, RunningAgency};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

/// A size read from the environment variable `name`, or `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A hub process and its agencies, ready to be asked about [`Bed::debtors`]. Dropping it
/// SIGKILLs the hub, then stops the agencies and removes the hub's data directory.
pub struct Bed {
    pub channel: Channel,
    pub hub: HubProcess,
    /// The configuration the hub runs with (sources paced to the run's rate).
    pub config: HubConfig,
    /// Identity number and name of each debtor, in population order.
    pub debtors: Vec<(String, String)>,
    /// The registered case of each debtor, in the same order.
    pub case_of: Vec<String>,
    agencies: Vec<RunningAgency>,
    _dir: tempfile::TempDir,
}

impl Bed {
    /// `debtors` debtors registered on cases numbered from `first_case`, every source held to
    /// `rate` requests a second (the banks to twice that), deadlines up to a minute.
    pub async fn start(debtors: usize, rate: u32, first_case: usize) -> Bed {
        let population = Arc::new(Population::generate(DEFAULT_SEED, debtors));
        let pairs: Vec<(String, String)> = population
            .debtors()
            .iter()
            .map(|d| (d.id_number.clone(), d.name.clone()))
            .collect();
        let agencies = instant_agencies(population).await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger_url = format!("sqlite://{}/ledger.db", dir.path().display());
        let mut config = chaos::hub_config(&agencies, &ledger_url);
        config.server.max_deadline_ms = 60_000;
        config.audit.checkpoint_file = dir.path().join("checkpoints.jsonl");
        sweep::pace_sources(&mut config, rate);
        let hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
        let channel = Endpoint::from_shared(hub.url())
            .expect("hub url")
            .connect_timeout(Duration::from_secs(1))
            .connect_lazy();
        let case_of = sweep::register_cases(&channel, &pairs, first_case).await;
        Bed {
            channel,
            hub,
            config,
            debtors: pairs,
            case_of,
            agencies,
            _dir: dir,
        }
    }

    /// Asset inquiries each configured source's agency has answered so far, by source id.
    pub fn inquiries(&self) -> Vec<(String, u64)> {
        self.config
            .sources
            .iter()
            .map(|source| {
                let agency = self
                    .agencies
                    .iter()
                    .find(|a| a.name == source.id.as_str())
                    .unwrap_or_else(|| panic!("no agency for source {}", source.id));
                (agency.name.clone(), agency.knobs.inquiries())
            })
            .collect()
    }
}

/// The hub's resident memory, read every second until [`RssSampler::finish`].
pub struct RssSampler {
    pid: u32,
    samples: Arc<Mutex<Vec<u64>>>,
    task: JoinHandle<()>,
}

/// Resident memory (KiB) over a run: when it started, half-way (the middle sample), at the end
/// (the last sample) and at most.
#[derive(Debug, Clone, Copy)]
pub struct Rss {
    pub start_kib: u64,
    pub mid_kib: u64,
    pub end_kib: u64,
    pub max_kib: u64,
}

impl RssSampler {
    pub fn spawn(pid: u32) -> Self {
        let samples: Arc<Mutex<Vec<u64>>> = Arc::default();
        let task = {
            let samples = samples.clone();
            tokio::spawn(async move {
                loop {
                    if let Some(kib) = rss_kib_of(pid) {
                        samples.lock().unwrap().push(kib);
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        };
        Self { pid, samples, task }
    }

    /// The resident memory now (0 when it cannot be read).
    pub fn now(&self) -> u64 {
        rss_kib_of(self.pid).unwrap_or(0)
    }

    /// Stops sampling; `start_kib` is the reading taken when the measured part began.
    pub fn finish(self, start_kib: u64) -> Rss {
        self.task.abort();
        let samples = self.samples.lock().unwrap();
        Rss {
            start_kib,
            mid_kib: samples.get(samples.len() / 2).copied().unwrap_or(0),
            end_kib: samples.last().copied().unwrap_or(0),
            max_kib: samples.iter().copied().max().unwrap_or(0),
        }
    }
}

/// One measured run: `debtors` in `elapsed` against `bound`, the slowest source at `rate`.
#[derive(Debug)]
pub struct Run {
    pub debtors: usize,
    pub rate: u32,
    pub sources: usize,
    pub bound: Duration,
    pub elapsed: Duration,
    /// elapsed / bound: 1.0 is as fast as the agencies' limits allow.
    pub ratio: f64,
    /// Debtors a second as the hub reported it (a sweep's rate) or as the client saw them.
    pub hub_rate_per_sec: f64,
    pub rss: Rss,
}

impl Run {
    pub fn new(
        debtors: usize,
        rate: u32,
        sources: usize,
        elapsed: Duration,
        hub_rate_per_sec: f64,
        rss: Rss,
    ) -> Run {
        let bound = sweep::bound(debtors, &[rate]);
        Run {
            debtors,
            rate,
            sources,
            bound,
            elapsed,
            ratio: elapsed.as_secs_f64() / bound.as_secs_f64(),
            hub_rate_per_sec,
            rss,
        }
    }

    /// The report line: `LABEL {json}`.
    pub fn line(&self, label: &str) -> String {
        format!(
            "{label} {{\"debtors\":{},\"slowest_rate_per_sec\":{},\"sources\":{},\"bound_s\":{:.2},\"elapsed_s\":{:.2},\"ratio\":{:.3},\"hub_rate_per_sec\":{:.1},\"rss_kib\":{{\"start\":{},\"mid\":{},\"end\":{},\"max\":{}}}}}",
            self.debtors,
            self.rate,
            self.sources,
            self.bound.as_secs_f64(),
            self.elapsed.as_secs_f64(),
            self.ratio,
            self.hub_rate_per_sec,
            self.rss.start_kib,
            self.rss.mid_kib,
            self.rss.end_kib,
            self.rss.max_kib
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_measured_against_the_slowest_rate() {
        let rss = Rss {
            start_kib: 1,
            mid_kib: 2,
            end_kib: 3,
            max_kib: 4,
        };
        let run = Run::new(1_000, 50, 6, Duration::from_secs(21), 47.6, rss);
        assert_eq!(run.bound, Duration::from_secs(20));
        assert!((run.ratio - 1.05).abs() < 1e-9, "{run:?}");
        assert_eq!(
            run.line("X"),
            "X {\"debtors\":1000,\"slowest_rate_per_sec\":50,\"sources\":6,\"bound_s\":20.00,\"elapsed_s\":21.00,\"ratio\":1.050,\"hub_rate_per_sec\":47.6,\"rss_kib\":{\"start\":1,\"mid\":2,\"end\":3,\"max\":4}}"
        );
    }
}
