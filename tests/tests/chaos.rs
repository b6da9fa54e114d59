//! Chaos: thousands of mixed searches and control actions from judges of two courts against
//! mock agencies injecting faults of every kind into about a fifth of their requests, while the
//! hub — a separate process — is SIGKILLed and restarted at random moments. Then the faults
//! stop, the hub settles what it can, exits on SIGTERM, and the invariant checker compares its
//! ledger with every agency's hold register: no double hold, no orphan, no lost order.
//!
//! Size: `ASSETHUB_CHAOS_SECS` (default 75 s of load), `ASSETHUB_CHAOS_CRASHES` (4),
//! `ASSETHUB_CHAOS_SEED`, `ASSETHUB_CHAOS_WORKERS` (24), `ASSETHUB_CHAOS_MIN_OPS`; see
//! `assethub_tests::chaos::ChaosSettings`. The run prints a table and one `CHAOS {json}` line.
#![cfg(unix)]

use assethub_hub::orders::{Order, State};
use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::{start_all_with_faults, Population, RunningAgency};
use assethub_tests::chaos::load::{Caller, Worker};
use assethub_tests::chaos::{self, ChaosSettings, Tally};
use assethub_tests::hub_process::HubProcess;
use assethub_tests::invariants::{self, AgencyRegister};
use assethub_tests::register_case;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tonic::transport::Endpoint;

/// The courts whose judges call: Wuhan's Hongshan basic court and intermediate court.
const COURTS: [&str; 2] = ["鄂0116", "鄂01"];
/// Debtors the callers search (every one a debtor of every caller's case).
const POPULATION: usize = 300;
/// Each caller's case claims 50,000,000.00 yuan: large, but reachable by its freezes.
const CLAIM_FEN: i64 = 5_000_000_000;
/// Longest wait for the hub to settle its orders once the faults stop.
const SETTLE_FOR: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_hub_under_faults_never_double_holds_loses_or_orphans_an_order() {
    let settings = ChaosSettings::from_env();
    let started = std::time::Instant::now();
    let population = Arc::new(Population::generate(DEFAULT_SEED, POPULATION));
    let debtors: Arc<Vec<(String, String)>> = Arc::new(
        population
            .debtors()
            .iter()
            .map(|d| (d.id_number.clone(), d.name.clone()))
            .collect(),
    );
    let agencies = start_all_with_faults(&chaos::agency_specs(settings.seed), population, None)
        .await
        .expect("mock agencies start");
    let dir = tempfile::tempdir().expect("temporary directory");
    let ledger_url = format!("sqlite://{}/ledger.db", dir.path().display());
    let config = chaos::hub_config(&agencies, &ledger_url);
    let hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
    let channel = Endpoint::from_shared(hub.url())
        .expect("hub url")
        .connect_timeout(Duration::from_secs(1))
        .connect_lazy();
    let hub = Arc::new(Mutex::new(hub));

    // Every caller's case, registered by its court's case system with every debtor searched.
    let case_of = |index: usize| {
        let court = COURTS[index % COURTS.len()];
        (court, format!("(2025){court}执{}号", 7_000 + index))
    };
    for index in 0..settings.workers {
        let (_, case) = case_of(index);
        let account = format!("CHAOS-{}", 7_000 + index);
        register_case(&channel, &case, &debtors, CLAIM_FEN, &account).await;
    }

    // Load and crashes.
    let tally = Arc::new(Tally::default());
    let until = Instant::now() + Duration::from_secs(settings.secs);
    let workers: Vec<_> = (0..settings.workers)
        .map(|index| {
            let (court, case) = case_of(index);
            let caller = Caller {
                index,
                court: court.into(),
                case,
                seed: settings.seed,
            };
            let worker = Worker::new(caller, &channel, debtors.clone(), tally.clone());
            tokio::spawn(worker.run(until))
        })
        .collect();
    let killer = tokio::spawn(kill_at_random(hub.clone(), settings.clone()));
    let restarts = killer.await.expect("the killer task");
    let crashes = restarts.len() as u32;
    for worker in workers {
        worker.await.expect("a load worker");
    }
    let load_done = started.elapsed();

    // Faults off, a clean restart, settle, SIGTERM.
    for agency in &agencies {
        agency.knobs.faults().remove_rules(None);
    }
    {
        let mut hub = hub.lock().await;
        hub.terminate().await;
        hub.restart().await;
    }
    let (settled, waited) = settle(&ledger_url, &agencies).await;
    // A few more follow-up rounds: queued holds that took effect are asked about.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let exit = hub.lock().await.terminate().await;
    let hub_errors = error_lines(hub.lock().await.log_path());

    let report = invariants::check_ledger(&ledger_url, &invariants::registers(&agencies))
        .await
        .expect("the ledger reads");
    let faults = chaos::faults_injected(&agencies);
    let summary = json!({
        "seed": settings.seed,
        "load_secs": settings.secs,
        "workers": settings.workers,
        "crashes": crashes,
        "down_ms": restarts,
        "ops": tally.ops(),
        "calls": tally.calls(),
        "ops_by_kind": tally.to_json(),
        "faults": faults,
        "settled": settled,
        "settle_ms": waited.as_millis() as u64,
        "hub_exit": exit.code(),
        "hub_error_lines": hub_errors.len(),
        "given_up": tally.given_up(),
        "load_ms": load_done.as_millis() as u64,
        "total_ms": started.elapsed().as_millis() as u64,
        "check": report.to_json(),
    });
    println!(
        "chaos run: seed {}, {} s of load by {} callers, {} SIGKILLs, settled in {} ms, hub exit {:?}",
        settings.seed,
        settings.secs,
        settings.workers,
        crashes,
        waited.as_millis(),
        exit.code()
    );
    println!("{}", tally.table());
    println!(
        "  faults injected: {}",
        serde_json::to_string(&faults).unwrap()
    );
    println!("{report}");
    println!("CHAOS {summary}");
    for why in tally.given_up() {
        println!("  gave up: {why}");
    }
    for line in hub_errors.iter().take(10) {
        println!("  hub error: {line}");
    }
    if !report.mismatches.is_empty() {
        println!("hub log tail:\n{}", hub.lock().await.log_tail());
        println!(
            "{}",
            invariants::history::of_mismatches(&ledger_url, &report).await
        );
        println!("ledger and hub log kept in {}", dir.keep().display());
    }

    assert!(
        crashes >= settings.crashes,
        "the hub was killed {crashes} times"
    );
    assert!(faults.total > 0, "faults were injected");
    assert!(
        report.mismatches.is_empty(),
        "{} mismatches between the ledger and the agencies (seed {}):\n{report}",
        report.mismatches.len(),
        settings.seed
    );
    assert!(
        tally.ops() >= settings.min_ops,
        "only {} operations completed; at least {} expected",
        tally.ops(),
        settings.min_ops
    );
    assert!(report.orders > 0 && report.agency_holds > 0, "{report}");
}

/// SIGKILLs the hub `settings.crashes` times at seeded random moments spread over the load,
/// restarting it after a short random pause; returns how long each restart took (until the
/// new hub was SERVING).
async fn kill_at_random(hub: Arc<Mutex<HubProcess>>, settings: ChaosSettings) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(settings.seed ^ 0x6b69_6c6c);
    let start = Instant::now();
    let slot = Duration::from_secs(settings.secs) / settings.crashes.max(1);
    let mut restarts = Vec::new();
    for n in 0..settings.crashes {
        let at = start + slot * n + slot.mul_f64(rng.random_range(0.15..0.85));
        tokio::time::sleep_until(at).await;
        let pause = Duration::from_millis(rng.random_range(100..1_500));
        let mut hub = hub.lock().await;
        hub.kill();
        let down = Instant::now();
        tokio::time::sleep(pause).await;
        hub.restart().await;
        restarts.push(down.elapsed().as_millis() as u64);
    }
    restarts
}

/// Waits until no order is requested or awaiting its agency, except freezes the bank never
/// decides (pending at the agency), or [`SETTLE_FOR`] passes. Returns whether it settled and
/// how long that took.
async fn settle(ledger_url: &str, agencies: &[RunningAgency]) -> (bool, Duration) {
    let started = Instant::now();
    loop {
        let orders = invariants::ledger_orders(ledger_url)
            .await
            .expect("the ledger reads");
        let registers = invariants::registers(agencies);
        if unsettled(&orders, &registers) == 0 {
            return (true, started.elapsed());
        }
        if started.elapsed() > SETTLE_FOR {
            return (false, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Orders the hub still waits for, other than freezes pending at their agency.
fn unsettled(orders: &[Order], registers: &[AgencyRegister]) -> usize {
    let pending: HashMap<(&str, &str), &str> = registers
        .iter()
        .flat_map(|r| {
            r.export
                .keyed
                .iter()
                .map(move |k| ((r.source.as_str(), k.key.as_str()), k.status.as_str()))
        })
        .collect();
    orders
        .iter()
        .filter(|o| o.state.is_pending())
        .filter(|o| {
            !(o.state == State::AwaitingAgency
                && pending.get(&(o.source.as_str(), o.order_id.as_str())) == Some(&"pending"))
        })
        .count()
}

/// The ERROR lines of the hub's log (every run of it), for the report.
fn error_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("ERROR"))
        .map(str::to_string)
        .collect()
}
