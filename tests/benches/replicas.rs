//! Benchmark: throughput of 1, 2 and 3 hub processes on one PostgreSQL ledger while the
//! agencies are the bound (issue 15's figure). Owns the replica run: the demo line-up of mock
//! agencies in this process, every one answering after the same fixed latency; for each hub
//! count a fresh PostgreSQL database (`postgres_ledger`), that many hubs (the release binary
//! `assethub-under-test`, as separate processes) on it, every source held to a small
//! per-hub `max_concurrency` so one hub tops out at `max_concurrency ÷ latency` searches a
//! second; then a fixed number of closed-loop callers making fresh searches (the `fresh`
//! flag, debtors taken in turn from a 2,500-debtor population, so nothing is cached or
//! coalesced) of registered cases, spread evenly over the hubs, for a fixed time.
//!
//! Per hub count: searches a second and its ratio to one hub's, the bound the hubs' slots set,
//! agency calls a second, p50 and p99, and CPU per search from `/proc`: the hubs' (user +
//! system, summed over them), PostgreSQL's (every process named `postgres`), this process's
//! (agencies and callers), and the cores anything else kept busy meanwhile (`/proc/stat`
//! less those three: this machine is shared). A markdown table, then one
//! `REPLICAS {json}` line. Skipped with a message when `ASSETHUB_TEST_PG_URL` is unset.
//!
//! Run: `ASSETHUB_TEST_PG_URL=postgres://postgres@127.0.0.1/postgres cargo bench -p
//! assethub-tests --bench replicas`. Sizes (env): REPLICA_SECS (10 measured per hub count),
//! REPLICA_WARMUP_SECS (2), REPLICA_CALLERS (64), REPLICA_AGENCY_MS (50),
//! REPLICA_CONCURRENCY (8: `max_concurrency` of every source, per hub), REPLICA_QUOTA (10,000:
//! every source's `rate_limit_per_sec`, the agency's quota the hubs share), REPLICA_HUBS
//! (`1,2,3`), REPLICA_CONNECTIONS (4 HTTP/2 connections per hub), REPLICA_ROUNDS (3: the
//! hub counts are run round after round, alternating their order; the round with the median
//! rate is reported, every round's rate beside it).

use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::{demo_agencies, start_all, FamilySettings, Population, RunningAgency};
use assethub_proto::v1 as pb;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_tests::hub_process::HubProcess;
use assethub_tests::wide::cpu_of;
use assethub_tests::{clients_as, config_for, postgres_ledger, register_case, Authed, Role};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Debtors asked about in turn: far more than are ever in flight, so no two searches in
/// flight name the same debtor (a hub would coalesce them into one agency call).
const POPULATION: usize = 2_500;
/// Debtors per registered case (the hub's limit).
const PER_CASE: usize = 500;
/// The court every case belongs to, and the judge's.
const COURT: &str = assethub_tests::COURT;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The run's sizes (see the module comment).
#[derive(Clone, Debug)]
struct Settings {
    secs: f64,
    warmup_secs: f64,
    callers: usize,
    agency_ms: u64,
    concurrency: u32,
    quota: u32,
    hubs: Vec<usize>,
    connections: usize,
    rounds: usize,
}

impl Settings {
    fn from_env() -> Self {
        let hubs = env_or("REPLICA_HUBS", "1,2,3".to_string())
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .filter(|n| *n > 0)
            .collect();
        Self {
            secs: env_or("REPLICA_SECS", 10.0),
            warmup_secs: env_or("REPLICA_WARMUP_SECS", 2.0),
            callers: env_or("REPLICA_CALLERS", 64usize).max(1),
            agency_ms: env_or("REPLICA_AGENCY_MS", 50u64).max(1),
            concurrency: env_or("REPLICA_CONCURRENCY", 8u32).max(1),
            quota: env_or("REPLICA_QUOTA", 10_000u32),
            hubs,
            connections: env_or("REPLICA_CONNECTIONS", 4usize).max(1),
            rounds: env_or("REPLICA_ROUNDS", 3usize).max(1),
        }
    }

    /// Searches a second `hubs` hubs can carry at most: each search holds one of a hub's
    /// `concurrency` slots of every source for at least the agency's latency.
    fn bound(&self, hubs: usize) -> f64 {
        hubs as f64 * self.concurrency as f64 * 1000.0 / self.agency_ms as f64
    }
}

/// One hub count's measurement.
#[derive(Debug, Default)]
struct Row {
    hubs: usize,
    searches: usize,
    /// Searches refused, or with a source not answered (error, timed out, rate limited).
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    agency_calls: u64,
    hub_cpu: Duration,
    postgres_cpu: Duration,
    bench_cpu: Duration,
    /// The machine's busy share over the window (all cores), 0..1.
    machine_busy: f64,
    /// Searches each hub took.
    per_hub: Vec<usize>,
    /// Searches a second in every round, lowest first (filled in for the reported row).
    rates: String,
}

impl Row {
    fn per_sec(&self) -> f64 {
        self.searches as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn ms_at(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)].as_secs_f64() * 1000.0
    }

    fn us_per_search(&self, cpu: Duration) -> f64 {
        cpu.as_secs_f64() * 1e6 / self.searches.max(1) as f64
    }

    /// Cores this run kept busy: the hubs, PostgreSQL and this process.
    fn own_cores(&self) -> f64 {
        (self.hub_cpu + self.postgres_cpu + self.bench_cpu).as_secs_f64()
            / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Cores busy with anything else on the machine meanwhile.
    fn other_cores(&self) -> f64 {
        (self.machine_busy * cores() - self.own_cores()).max(0.0)
    }
}

fn main() {
    // The hubs log as in production unless told otherwise (HubProcess passes RUST_LOG on);
    // set before any thread starts.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "info");
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(run());
}

async fn run() {
    if std::env::var_os("ASSETHUB_TEST_PG_URL").is_none() {
        eprintln!(
            "replicas bench skipped: set ASSETHUB_TEST_PG_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1/postgres)"
        );
        return;
    }
    let settings = Settings::from_env();
    let population = Arc::new(Population::generate(DEFAULT_SEED, POPULATION));
    let debtors: Arc<Vec<pb::Debtor>> = Arc::new(
        population
            .debtors()
            .iter()
            .map(|d| pb::Debtor {
                id_number: d.id_number.clone(),
                name: d.name.clone(),
            })
            .collect(),
    );
    let agencies = agencies(&settings, population).await;
    let load_before = loadavg();
    // Rounds alternate the order (1, 2, 3 then 3, 2, 1), so a busier spell of this shared
    // machine does not always fall on the same hub count.
    let mut runs: Vec<Vec<Row>> = settings.hubs.iter().map(|_| Vec::new()).collect();
    for round in 0..settings.rounds {
        let mut order: Vec<usize> = (0..settings.hubs.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let hubs = settings.hubs[i];
            eprintln!(
                "round {}/{}, {hubs} hub(s): a fresh database, the hubs, the cases, warm-up…",
                round + 1,
                settings.rounds
            );
            runs[i].push(measure(hubs, &settings, &agencies, &debtors).await);
        }
    }
    let load_after = loadavg();
    // Per hub count, the round with the median rate (the whole row, so its figures agree).
    let rows: Vec<Row> = runs
        .into_iter()
        .map(|mut rounds| {
            rounds.sort_by(|a, b| a.per_sec().total_cmp(&b.per_sec()));
            let rates: Vec<String> = rounds
                .iter()
                .map(|r| format!("{:.0}", r.per_sec()))
                .collect();
            let mut median = rounds.swap_remove(rounds.len() / 2);
            median.rates = rates.join(", ");
            median
        })
        .collect();
    report(&settings, &rows, &load_before, &load_after);
}

/// The demo line-up, every agency answering after exactly `agency_ms`, the payment
/// platforms' own quotas lifted (the hubs' `rate_limit_per_sec` is the quota here).
async fn agencies(settings: &Settings, population: Arc<Population>) -> Vec<RunningAgency> {
    let mut lineup = demo_agencies(0);
    for agency in &mut lineup {
        agency.latency_ms = settings.agency_ms;
        agency.jitter_ms = 0;
        if let FamilySettings::Payment(payment) = &mut agency.settings {
            payment.quota_per_sec = 0;
        }
    }
    start_all(&lineup, population)
        .await
        .expect("mock agencies start")
}

/// The hubs' configuration on `ledger`: every source `concurrency` calls at once per hub and
/// the shared `quota`; no per-caller rate, deadlines no queue here reaches.
fn hub_config(
    settings: &Settings,
    agencies: &[RunningAgency],
    ledger: &str,
) -> assethub_hub::HubConfig {
    let mut config = config_for(agencies);
    config.ledger.url = ledger.to_string();
    config.metrics.enabled = false;
    config.auth.requests_per_sec = 0;
    config.server.default_deadline_ms = 30_000;
    config.server.max_calls_per_connection = 1_000;
    for source in &mut config.sources {
        source.max_concurrency = settings.concurrency;
        source.rate_limit_per_sec = settings.quota;
        source.rate_limit_burst = 100;
    }
    config
}

async fn measure(
    hubs: usize,
    settings: &Settings,
    agencies: &[RunningAgency],
    debtors: &Arc<Vec<pb::Debtor>>,
) -> Row {
    let ledger = postgres_ledger()
        .await
        .expect("ASSETHUB_TEST_PG_URL names a PostgreSQL server");
    let config = hub_config(settings, agencies, &ledger);
    let dirs: Vec<tempfile::TempDir> = (0..hubs)
        .map(|_| tempfile::tempdir().expect("temporary directory"))
        .collect();
    let mut processes = Vec::with_capacity(hubs);
    for dir in &dirs {
        let mut config = config.clone();
        config.audit.checkpoint_file = dir.path().join("audit-checkpoints.jsonl");
        processes.push(
            HubProcess::start(
                &config,
                "127.0.0.1:0".parse().expect("loopback"),
                dir.path(),
            )
            .await,
        );
    }
    // `connections` HTTP/2 connections to each hub; caller `c` calls hub `c % hubs`.
    let mut clients: Vec<Vec<AssetHubClient<Authed>>> = Vec::with_capacity(hubs);
    for hub in &processes {
        let mut list = Vec::with_capacity(settings.connections);
        for _ in 0..settings.connections {
            let channel = assethub_client::channel(&hub.url(), Duration::from_secs(5), None)
                .await
                .expect("the bench connects to the hub");
            list.push(clients_as(&channel, Role::Judge, COURT).0);
        }
        clients.push(list);
    }
    let cases = register_cases(&processes[0], debtors).await;
    let clients = Arc::new(clients);
    let pids: Vec<u32> = processes.iter().map(HubProcess::pid).collect();

    // Warm-up: connections to the agencies open, the cases read by every hub, and every hub
    // has seen the others (membership beats each second).
    drive(
        settings,
        &clients,
        debtors,
        &cases,
        Duration::from_secs_f64(settings.warmup_secs),
    )
    .await;

    let calls_before = agency_calls(agencies);
    let hub_before: Duration = pids.iter().map(|p| cpu_of(*p)).sum();
    let pg_before = postgres_cpu();
    let bench_before = cpu_of(std::process::id());
    let machine_before = machine_ticks();
    let mut row = drive(
        settings,
        &clients,
        debtors,
        &cases,
        Duration::from_secs_f64(settings.secs),
    )
    .await;
    let machine_after = machine_ticks();
    row.hub_cpu = pids
        .iter()
        .map(|p| cpu_of(*p))
        .sum::<Duration>()
        .saturating_sub(hub_before);
    row.postgres_cpu = postgres_cpu().saturating_sub(pg_before);
    row.bench_cpu = cpu_of(std::process::id()).saturating_sub(bench_before);
    row.agency_calls = agency_calls(agencies) - calls_before;
    let (busy, total) = (
        machine_after.0.saturating_sub(machine_before.0),
        machine_after.1.saturating_sub(machine_before.1),
    );
    row.machine_busy = busy as f64 / total.max(1) as f64;
    row.hubs = hubs;
    for (hub, process) in processes.iter_mut().enumerate() {
        if !process.is_running() {
            eprintln!(
                "hub {hub} exited during the run; log tail:\n{}",
                process.log_tail()
            );
        }
    }
    drop(processes);
    drop(dirs);
    drop_database(&ledger).await;
    row
}

/// Registers the population on cases of [`COURT`], [`PER_CASE`] debtors each, through `hub`;
/// the case of each debtor, in order.
async fn register_cases(hub: &HubProcess, debtors: &[pb::Debtor]) -> Arc<Vec<String>> {
    let channel = assethub_client::channel(&hub.url(), Duration::from_secs(5), None)
        .await
        .expect("the bench connects to the hub");
    let mut case_of = Vec::with_capacity(debtors.len());
    for (chunk, group) in debtors.chunks(PER_CASE).enumerate() {
        let case = format!("(2025){COURT}执{}号", 8_000 + chunk);
        let list: Vec<(String, String)> = group
            .iter()
            .map(|d| (d.id_number.clone(), d.name.clone()))
            .collect();
        register_case(
            &channel,
            &case,
            &list,
            1_000_000_000,
            &format!("REPLICA-{chunk}"),
        )
        .await;
        case_of.extend(std::iter::repeat_n(case, group.len()));
    }
    Arc::new(case_of)
}

/// `settings.callers` closed-loop callers, caller `c` on hub `c % hubs`, each making fresh
/// searches of the next debtor until `time` is up.
async fn drive(
    settings: &Settings,
    clients: &Arc<Vec<Vec<AssetHubClient<Authed>>>>,
    debtors: &Arc<Vec<pb::Debtor>>,
    cases: &Arc<Vec<String>>,
    time: Duration,
) -> Row {
    let hubs = clients.len();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let callers: Vec<_> = (0..settings.callers)
        .map(|caller| {
            let hub = caller % hubs;
            let mut client = clients[hub][(caller / hubs) % clients[hub].len()].clone();
            let (next, debtors, cases) = (next.clone(), debtors.clone(), cases.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failed = 0;
                while started.elapsed() < time {
                    let n = next.fetch_add(1, Ordering::Relaxed) % debtors.len();
                    let request = pb::QueryRequest {
                        case_number: cases[n].clone(),
                        debtor: Some(debtors[n].clone()),
                        fresh: true,
                        ..Default::default()
                    };
                    let t0 = Instant::now();
                    let answered = client.query(request).await.is_ok_and(|r| {
                        r.get_ref().sources.iter().all(|s| {
                            !s.cached
                                && [
                                    pb::SourceStatus::Ok,
                                    pb::SourceStatus::NotFound,
                                    pb::SourceStatus::NameMismatch,
                                ]
                                .iter()
                                .any(|ok| s.status == *ok as i32)
                        })
                    });
                    latencies.push(t0.elapsed());
                    if !answered {
                        failed += 1;
                    }
                }
                (hub, latencies, failed)
            })
        })
        .collect();
    let mut row = Row {
        per_hub: vec![0; hubs],
        ..Row::default()
    };
    for caller in callers {
        let (hub, latencies, failed) = caller.await.expect("a bench caller");
        row.per_hub[hub] += latencies.len();
        row.latencies.extend(latencies);
        row.failed += failed;
    }
    row.elapsed = started.elapsed();
    row.searches = row.latencies.len();
    row.latencies.sort();
    row
}

/// Asset inquiries answered by every agency so far.
fn agency_calls(agencies: &[RunningAgency]) -> u64 {
    agencies.iter().map(|a| a.knobs.inquiries()).sum()
}

/// CPU time used so far by every process named `postgres` (the server and its backends; a
/// backend that exits takes its time with it, the hubs' pooled ones stay).
fn postgres_cpu() -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .map(cpu_of)
        .sum()
}

/// The machine's (busy, total) clock ticks so far over all cores, from `/proc/stat` (idle
/// and iowait are not busy).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return (0, 0);
    };
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// The machine's cores.
fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1, usize::from) as f64
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Drops the run's database (its hubs are gone); a failure is only reported.
async fn drop_database(url: &str) {
    let (Ok(base), Some((_, name))) = (std::env::var("ASSETHUB_TEST_PG_URL"), url.rsplit_once('/'))
    else {
        return;
    };
    let dropped = async {
        let admin = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await?;
        admin.close().await;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    if let Err(e) = dropped {
        eprintln!("could not drop {name}: {e}");
    }
}

fn report(settings: &Settings, rows: &[Row], load_before: &str, load_after: &str) {
    let one = rows
        .iter()
        .find(|r| r.hubs == 1)
        .map(Row::per_sec)
        .unwrap_or(f64::NAN);
    println!();
    println!(
        "assethub replicas: hub processes ({}) on one PostgreSQL database each run; {} callers, fresh searches of 6 sources, every agency answering after {} ms; per hub max_concurrency {} per source, quota {} /s per source shared by the hubs; {} s measured after {} s warm-up, {} rounds (the round with the median rate shown); {} cores; RUST_LOG={}; load average before {load_before} after {load_after}",
        assethub_tests::hub_process::binary().display(),
        settings.callers,
        settings.agency_ms,
        settings.concurrency,
        settings.quota,
        settings.secs,
        settings.warmup_secs,
        settings.rounds,
        cores(),
        std::env::var("RUST_LOG").unwrap_or_default(),
    );
    println!();
    println!("| hubs | searches/s | ÷ 1 hub | bound searches/s | ÷ bound | agency calls/s | p50 ms | p99 ms | hub CPU µs/search (all hubs) | PostgreSQL CPU µs/search | bench process CPU µs/search | cores busy: this run / others | searches per hub | failed | searches/s, every round |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |");
    for r in rows {
        let rate = r.per_sec();
        println!(
            "| {} | {rate:.0} | {:.2} | {:.0} | {:.2} | {:.0} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.2} / {:.2} | {} | {} | {} |",
            r.hubs,
            rate / one,
            settings.bound(r.hubs),
            rate / settings.bound(r.hubs),
            r.agency_calls as f64 / r.elapsed.as_secs_f64().max(1e-9),
            r.ms_at(0.5),
            r.ms_at(0.99),
            r.us_per_search(r.hub_cpu),
            r.us_per_search(r.postgres_cpu),
            r.us_per_search(r.bench_cpu),
            r.own_cores(),
            r.other_cores(),
            r.per_hub
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" / "),
            r.failed,
            r.rates,
        );
    }
    let json: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{{\"hubs\":{},\"searches\":{},\"failed\":{},\"elapsed_s\":{:.3},\"searches_per_sec\":{:.1},\"ratio_to_one_hub\":{:.3},\"bound_per_sec\":{:.1},\"agency_calls_per_sec\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"hub_cpu_us_per_search\":{:.1},\"postgres_cpu_us_per_search\":{:.1},\"bench_cpu_us_per_search\":{:.1},\"own_cores\":{:.3},\"other_cores\":{:.3}}}",
                r.hubs,
                r.searches,
                r.failed,
                r.elapsed.as_secs_f64(),
                r.per_sec(),
                r.per_sec() / one,
                settings.bound(r.hubs),
                r.agency_calls as f64 / r.elapsed.as_secs_f64().max(1e-9),
                r.ms_at(0.5),
                r.ms_at(0.99),
                r.us_per_search(r.hub_cpu),
                r.us_per_search(r.postgres_cpu),
                r.us_per_search(r.bench_cpu),
                r.own_cores(),
                r.other_cores(),
            )
        })
        .collect();
    println!();
    println!(
        "REPLICAS {{\"callers\":{},\"agency_ms\":{},\"max_concurrency\":{},\"quota_per_sec\":{},\"secs\":{},\"rows\":[{}]}}",
        settings.callers,
        settings.agency_ms,
        settings.concurrency,
        settings.quota,
        settings.secs,
        json.join(",")
    );
}
