//! The chaos run's setup and bookkeeping: its size from the environment, the mock agencies
//! with seeded fault rules of every kind (about a fifth of all requests), the hub's
//! configuration for a process that gets SIGKILLed, and the tallies the run prints (operations
//! by kind and outcome, faults injected by kind). The load itself is in [`load`].

use crate::config_for;
use assethub_hub::HubConfig;
use assethub_mocks::{
    demo_agencies, AgencySpec, FamilySettings, FaultCounts, FaultRule, FaultsConfig, RunningAgency,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

pub mod load;

/// How big a run is: `ASSETHUB_CHAOS_SECS` of load (default 75), `ASSETHUB_CHAOS_CRASHES`
/// SIGKILLs during it (default 4, at least 3 asked by the issue), `ASSETHUB_CHAOS_SEED`,
/// `ASSETHUB_CHAOS_WORKERS` callers (default 24: most of their time is spent waiting) and `ASSETHUB_CHAOS_MIN_OPS`, the operations
/// the run must at least complete (default 1,500 per minute of load).
#[derive(Debug, Clone)]
pub struct ChaosSettings {
    pub secs: u64,
    pub crashes: u32,
    pub seed: u64,
    pub workers: usize,
    pub min_ops: u64,
}

impl ChaosSettings {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse().ok());
        let secs: u64 = var("ASSETHUB_CHAOS_SECS").unwrap_or(75).max(5);
        Self {
            secs,
            crashes: var("ASSETHUB_CHAOS_CRASHES").map_or(4, |n: u64| n as u32),
            seed: var("ASSETHUB_CHAOS_SEED").unwrap_or(20_260_515),
            workers: var("ASSETHUB_CHAOS_WORKERS").map_or(24, |n: u64| n.max(1) as usize),
            min_ops: var("ASSETHUB_CHAOS_MIN_OPS").unwrap_or(secs * 25),
        }
    }
}

/// Fault rules on every endpoint of an agency, one draw of each kind per request; the rates add
/// up to 20 % of requests (plus, at banks, 5 % of accepted freezes never decided).
pub fn fault_rules() -> Vec<FaultRule> {
    vec![FaultRule {
        latency_ms: 1,
        jitter_ms: 4,
        // Longer than the hub's timeouts: the agency acts after the hub gave up on the call.
        long_tail_rate: 0.03,
        long_tail_ms: 4_000,
        error_rate: 0.05,
        error_status: 503,
        hang_rate: 0.01,
        reset_rate: 0.02,
        throttle_rate: 0.03,
        retry_after_secs: 1,
        malformed_rate: 0.02,
        truncated_rate: 0.02,
        slow_body_rate: 0.02,
        slow_body_chunk_bytes: 64,
        slow_body_delay_ms: 20,
        never_decide_rate: 0.05,
        ..FaultRule::on("*")
    }]
}

/// The demo line-up (ephemeral ports, near-zero latency, banks deciding freezes after 300 ms)
/// with [`fault_rules`], each agency's fault RNG seeded from `seed` and its position.
pub fn agency_specs(seed: u64) -> Vec<AgencySpec> {
    demo_agencies(0)
        .into_iter()
        .enumerate()
        .map(|(n, mut agency)| {
            agency.latency_ms = 0;
            agency.jitter_ms = 0;
            if let FamilySettings::Bank(bank) = &mut agency.settings {
                bank.freeze_decision_ms = 300;
            }
            AgencySpec {
                agency,
                faults: FaultsConfig {
                    seed: Some(seed.wrapping_add(n as u64 * 7_919)),
                    rules: fault_rules(),
                },
            }
        })
        .collect()
}

/// The hub's configuration for the run: the agencies, the ledger at `ledger_url`, quick
/// follow-ups and control timeouts shorter than the agencies' long tail, no metrics listener
/// (a fixed port would collide across restarts and parallel tests).
pub fn hub_config(agencies: &[RunningAgency], ledger_url: &str) -> HubConfig {
    let mut config = config_for(agencies);
    config.ledger.url = ledger_url.to_string();
    config.control.follow_up_ms = 200;
    config.control.call_timeout_ms = 2_500;
    config.server.default_deadline_ms = 2_000;
    config.metrics.enabled = false;
    // Holds in force are compared with the agencies' registers during the run too.
    config.control.reconcile_ms = 3_000;
    // US-dollar deposits count toward claims at a fixed rate, so they are frozen too.
    config.control.exchange_rates.insert(
        "USD".into(),
        assethub_hub::config::RateConfig {
            cny_per_unit: "7.1234".into(),
            date: "2026-11-30".into(),
        },
    );
    config
}

/// Faults injected so far, summed over `agencies`.
pub fn faults_injected(agencies: &[RunningAgency]) -> FaultCounts {
    let mut sum = FaultCounts::default();
    for agency in agencies {
        let c = agency.knobs.faults().counts();
        sum.latency += c.latency;
        sum.long_tail += c.long_tail;
        sum.error += c.error;
        sum.hang += c.hang;
        sum.reset += c.reset;
        sum.throttle += c.throttle;
        sum.malformed += c.malformed;
        sum.truncated += c.truncated;
        sum.slow_body += c.slow_body;
        sum.never_decided += c.never_decided;
        sum.total += c.total;
    }
    sum
}

/// Operations (one caller request, retries included) and calls (each attempt) by kind and
/// outcome (`ok` or the gRPC code), shared by every load worker.
#[derive(Debug, Default)]
pub struct Tally {
    inner: Mutex<TallyInner>,
}

#[derive(Debug, Default, Clone)]
struct TallyInner {
    ops: BTreeMap<(String, String), u64>,
    calls: BTreeMap<(String, String), u64>,
    /// Per operation kind: total and longest time (ms), retries included.
    took: BTreeMap<String, (u64, u64)>,
    /// Requests given up after retrying a transient failure for [`RETRY_FOR`]: why.
    gave_up: Vec<String>,
}

impl TallyInner {
    /// Per operation kind: mean and longest time (ms), retries included.
    fn durations(&self) -> impl Iterator<Item = (&String, u64, u64)> {
        self.took.iter().map(|(op, (total, longest))| {
            let n: u64 = self
                .ops
                .iter()
                .filter(|((o, _), _)| o == op)
                .map(|(_, n)| n)
                .sum();
            (op, total / n.max(1), *longest)
        })
    }
}

impl Tally {
    fn lock(&self) -> std::sync::MutexGuard<'_, TallyInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn call(&self, op: &str, outcome: &str) {
        *self
            .lock()
            .calls
            .entry((op.into(), outcome.into()))
            .or_default() += 1;
    }

    /// One operation done, with its outcome and how long it took (retries included).
    pub fn op(&self, op: &str, outcome: &str, took: Duration) {
        let mut inner = self.lock();
        *inner.ops.entry((op.into(), outcome.into())).or_default() += 1;
        let ms = took.as_millis() as u64;
        let (total, longest) = inner.took.entry(op.into()).or_default();
        *total += ms;
        *longest = (*longest).max(ms);
    }

    /// A request given up after retrying for [`RETRY_FOR`], with the last answer's code and
    /// message (the hub's words; no personal data).
    pub fn gave_up(&self, op: &str, status: &tonic::Status) {
        self.lock()
            .gave_up
            .push(format!("{op}: {:?}: {}", status.code(), status.message()));
    }

    /// Requests given up after retrying for [`RETRY_FOR`].
    pub fn given_up(&self) -> Vec<String> {
        self.lock().gave_up.clone()
    }

    /// Operations completed (any outcome).
    pub fn ops(&self) -> u64 {
        self.lock().ops.values().sum()
    }

    pub fn calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }

    /// Operations and calls of `op` by outcome, as JSON.
    pub fn to_json(&self) -> Value {
        let inner = self.lock().clone();
        let nest = |map: &BTreeMap<(String, String), u64>| {
            let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for ((op, outcome), n) in map {
                out.entry(op.clone())
                    .or_default()
                    .insert(outcome.clone(), *n);
            }
            out
        };
        let took: BTreeMap<&String, Value> = inner
            .durations()
            .map(|(op, mean, longest)| (op, json!({"mean_ms": mean, "max_ms": longest})))
            .collect();
        json!({"ops": nest(&inner.ops), "calls": nest(&inner.calls), "took": took})
    }

    /// A table: one line per operation kind and outcome, operations and calls.
    pub fn table(&self) -> String {
        let inner = self.lock().clone();
        let mut out = format!(
            "  {:<30} {:>8} {:>8}\n",
            "operation / outcome", "ops", "calls"
        );
        let mut keys: Vec<&(String, String)> = inner.ops.keys().chain(inner.calls.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            out += &format!(
                "  {:<30} {:>8} {:>8}\n",
                format!("{} / {}", key.0, key.1),
                inner.ops.get(key).copied().unwrap_or(0),
                inner.calls.get(key).copied().unwrap_or(0)
            );
        }
        for (op, mean, longest) in inner.durations() {
            out += &format!(
                "  {:<30} mean {:>6} ms, longest {:>6} ms\n",
                format!("{op} took"),
                mean,
                longest
            );
        }
        out
    }
}

/// The gRPC codes a caller retries with the same idempotency key: the hub died, restarted or
/// did not answer in time.
pub fn transient(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Unavailable
            | tonic::Code::Unknown
            | tonic::Code::Cancelled
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Internal
    )
}

/// A gRPC code as a short word.
pub fn code_word(code: tonic::Code) -> String {
    format!("{code:?}")
}

/// How long a caller keeps retrying one request before giving up.
pub const RETRY_FOR: Duration = Duration::from_secs(60);
