//! Benchmark: the hub as its own process (the release binary `assethub-under-test`, logging at
//! `RUST_LOG`, default `info` as in production, to a file), driven over several HTTP/2
//! connections, each scenario beside the bare `grpc.health.v1.Health/Check` on the same
//! listener in the same run. Scenarios are interleaved round by round, so noise on a shared
//! machine hits all alike; the medians of the rounds are printed. The hub's CPU per call comes
//! from `/proc/<pid>/stat` (user + system time over the scenario ÷ calls), its memory from
//! `/proc/<pid>/status`.
//!
//! - `Check` and cached `Query` (the demo person, 6 sources, from the hub's cache) one at a
//!   time and under two loads (connections × calls in flight on each);
//! - fresh `Query` fan-out with every agency answering after exactly 50 ms, at 1, 100 and
//!   1,000 queries in flight: latency against the agency's, hub CPU per agency call, sockets
//!   to the agencies left in TIME_WAIT (connections not reused);
//! - control, agencies at 0 ms (so the time is the hub's): a watch + release round trip, the
//!   one-click freeze (`FreezeFunds`, one yuan), and the fresh fund search it starts with;
//! - once, after the rounds: a second hub with 4,000 bank sources, started from scratch
//!   (start-up, RSS), asked a few fresh queries one at a time, `/metrics` scraped.
//!
//! Run: `cargo build --release -p assethub-tests && cargo bench -p assethub-tests --bench query`.
//! Sizes (env): BENCH_ROUNDS (3), BENCH_SECS per cached/Check scenario (2), BENCH_FRESH_SCALE
//! (1.0: 40, 1,000 and 3,000 fresh queries at 1, 100 and 1,000 in flight), BENCH_CONTROL (20
//! round trips), BENCH_FREEZES (5), BENCH_WIDE (4000 sources; 0 skips), BENCH_WIDE_QUERIES
//! (5), BENCH_LOADS (`16x8,64x16`), BENCH_ONLY (`cached,fresh,control`: the groups to run).

#[path = "query/control.rs"]
mod control;
#[path = "query/driver.rs"]
mod driver;
#[path = "query/floor.rs"]
mod floor;
#[path = "query/procfs.rs"]
mod procfs;
#[path = "query/setup.rs"]
mod setup;
#[path = "query/wide.rs"]
mod wide;

use driver::{drive, median, Sample, Shape, Stop};
use floor::Floor;
use setup::{Bench, Connection};
use std::sync::Arc;
use std::time::Duration;
use tonic_health::pb::HealthCheckRequest;

/// Every agency's latency in the fan-out scenarios.
const AGENCY_MS: u64 = 50;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, PartialEq)]
enum What {
    Check,
    Cached,
    Fresh,
    WatchRelease,
    Freeze,
    FundSearch,
}

impl What {
    /// The group `BENCH_ONLY` names it by.
    fn group(self) -> &'static str {
        match self {
            What::Check | What::Cached => "cached",
            What::Fresh => "fresh",
            What::WatchRelease | What::Freeze | What::FundSearch => "control",
        }
    }
}

struct Scenario {
    what: What,
    shape: Shape,
    stop: Stop,
    samples: Vec<Sample>,
}

impl Scenario {
    fn new(what: What, shape: Shape, stop: Stop) -> Self {
        Self {
            what,
            shape,
            stop,
            samples: Vec::new(),
        }
    }

    fn calls(&self) -> usize {
        match self.stop {
            Stop::Calls(n) => n,
            Stop::After(_) => 0,
        }
    }

    /// The median over rounds of `f`.
    fn m(&self, f: impl Fn(&Sample) -> f64) -> f64 {
        median(self.samples.iter().map(f).collect())
    }
}

fn parse_loads(text: &str) -> Vec<Shape> {
    text.split(',')
        .filter_map(|s| {
            let (c, s) = s.trim().split_once('x')?;
            Some(Shape {
                connections: c.parse().ok()?,
                streams: s.parse().ok()?,
            })
        })
        .collect()
}

fn main() {
    // The hub logs as it does in production unless told otherwise (HubProcess passes RUST_LOG
    // on); set before any thread starts.
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
    let rounds: usize = env_or("BENCH_ROUNDS", 3).max(1);
    let secs: f64 = env_or("BENCH_SECS", 2.0);
    let scale: f64 = env_or("BENCH_FRESH_SCALE", 1.0);
    let control: usize = env_or("BENCH_CONTROL", 20);
    let freezes: usize = env_or("BENCH_FREEZES", 5);
    let width: usize = env_or("BENCH_WIDE", 4_000);
    let wide_queries: usize = env_or("BENCH_WIDE_QUERIES", 5).max(1);
    let loads = parse_loads(&env_or("BENCH_LOADS", "16x8,64x16".to_string()));
    let fresh_at = |n: f64| Stop::Calls(((n * scale) as usize).max(1));

    let window = Stop::After(Duration::from_secs_f64(secs));
    let mut scenarios = vec![
        Scenario::new(What::Check, Shape::ONE, window),
        Scenario::new(What::Cached, Shape::ONE, window),
    ];
    for &shape in &loads {
        scenarios.push(Scenario::new(What::Check, shape, window));
        scenarios.push(Scenario::new(What::Cached, shape, window));
    }
    for (shape, n) in [
        (Shape::ONE, 40.0),
        (shape(10, 10), 1_000.0),
        (shape(20, 50), 3_000.0),
    ] {
        scenarios.push(Scenario::new(What::Fresh, shape, fresh_at(n)));
    }
    scenarios.push(Scenario::new(
        What::WatchRelease,
        Shape::ONE,
        Stop::Calls(control),
    ));
    scenarios.push(Scenario::new(
        What::Freeze,
        Shape::ONE,
        Stop::Calls(freezes),
    ));
    scenarios.push(Scenario::new(
        What::FundSearch,
        Shape::ONE,
        Stop::Calls(control),
    ));

    // BENCH_ONLY=cached,fresh,control keeps those groups (e.g. to profile one of them).
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let keep: Vec<&str> = only.split(',').map(str::trim).collect();
        scenarios.retain(|s| keep.contains(&s.what.group()));
    }
    let connections = scenarios
        .iter()
        .map(|s| s.shape.connections)
        .max()
        .unwrap_or(1);
    eprintln!("starting the agencies and the hub ({connections} connections)…");
    let bench = Bench::start(connections).await;
    let car = control::demo_car(&bench.connections[0]).await;
    let per_round: usize = scenarios
        .iter()
        .filter(|s| matches!(s.what, What::WatchRelease | What::Freeze))
        .map(|s| s.calls())
        .sum();
    let channel = setup::channel(&bench.hub.url()).await;
    control::register_cases(&channel, 0, per_round * rounds).await;
    warm_up(&bench).await;
    let floor = Floor::start(AGENCY_MS);
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let mut next_case = 0;
    let mut idle = Vec::new();
    for round in 0..rounds {
        eprintln!("round {}/{rounds}", round + 1);
        idle.push(idle_cpu(bench.hub.pid()).await);
        for scenario in &mut scenarios {
            let sample = run_one(&bench, &floor, scenario, &car, next_case).await;
            if matches!(scenario.what, What::WatchRelease | What::Freeze) {
                next_case += scenario.calls();
            }
            scenario.samples.push(sample);
        }
    }
    bench.set_agency_latency(AGENCY_MS);
    let wide = if width > 0 {
        eprintln!("the wide hub: {width} sources…");
        let pid = bench.hub.pid();
        // Out of the way: only the wide hub runs now (the first one keeps its memory).
        let stop = paused(pid);
        let mut wide = wide::run(&bench, width, wide_queries).await;
        // The floor under it: as many calls at once from a bare client (its warm-up wave
        // opens the connections, as the wide hub's first query did).
        let url = floor.url().to_string();
        wide.bare = tokio::task::spawn_blocking(move || floor::drive(&url, width, width))
            .await
            .ok();
        drop(stop);
        Some(wide)
    } else {
        None
    };
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    println!();
    println!(
        "assethub benchmark: hub process {} ({}), RUST_LOG={}; {rounds} rounds, medians of rounds; load average before {} after {}",
        bench.hub.pid(),
        assethub_tests::hub_process::binary().display(),
        std::env::var("RUST_LOG").unwrap_or_default(),
        load_before.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        load_after.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    );
    let idle = median(idle);
    println!(
        "hub CPU while idle (no calls, 1 s per round): {:.1} ms per second",
        idle * 1000.0
    );
    print_cached(&scenarios, idle);
    print_fresh(&scenarios);
    print_control(&scenarios);
    if let Some(wide) = &wide {
        print_wide(wide);
    }
}

/// The hub's CPU seconds per second with no call at all (its timers and background tasks).
async fn idle_cpu(pid: u32) -> f64 {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = procfs::cpu(pid);
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    (procfs::cpu(pid) - before).as_secs_f64() / started.elapsed().as_secs_f64()
}

fn shape(connections: usize, streams: usize) -> Shape {
    Shape {
        connections,
        streams,
    }
}

/// SIGSTOPs `pid` until the guard drops (SIGCONT): the main hub sleeps while the wide one is
/// measured, so its timers do not steal the wide hub's CPU.
fn paused(pid: u32) -> impl Drop {
    struct Resume(libc::pid_t);
    impl Drop for Resume {
        fn drop(&mut self) {
            // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child.
            unsafe {
                libc::kill(self.0, libc::SIGCONT);
            }
        }
    }
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    // SAFETY: as above.
    unsafe {
        libc::kill(pid, libc::SIGSTOP);
    }
    Resume(pid)
}

/// A Check and a cached query on every connection, and one fresh query: connections open,
/// the demo person's answer cached, the agencies' connections warm.
async fn warm_up(bench: &Bench) {
    for connection in &bench.connections {
        check(connection).await;
        assert!(cached(connection).await, "a cached query answers 6 sources");
    }
    let mut request = assethub_tests::demo_person_query();
    request.fresh = true;
    bench.connections[0]
        .search
        .clone()
        .query(request)
        .await
        .expect("a fresh query");
}

async fn check(connection: &Connection) -> bool {
    connection
        .health
        .clone()
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .is_ok()
}

async fn cached(connection: &Connection) -> bool {
    let response = connection
        .search
        .clone()
        .query(assethub_tests::demo_person_query())
        .await;
    response.is_ok_and(|r| r.get_ref().sources.len() == 6)
}

async fn run_one(
    bench: &Bench,
    floor: &Floor,
    scenario: &Scenario,
    car: &str,
    first_case: usize,
) -> Sample {
    let fresh = scenario.what == What::Fresh;
    bench.set_agency_latency(if fresh { AGENCY_MS } else { 0 });
    let (pid, shape, stop) = (bench.hub.pid(), scenario.shape, scenario.stop);
    let connections = Arc::new(bench.connections.clone());
    let ports = bench.agency_ports();
    let (calls_before, waiting_before) = (bench.agency_calls(), procfs::time_wait(&ports));
    let mut sample = match scenario.what {
        What::Check => {
            drive(shape, stop, pid, move |c, _| {
                let connections = connections.clone();
                async move { check(&connections[c]).await }
            })
            .await
        }
        What::Cached => {
            drive(shape, stop, pid, move |c, _| {
                let connections = connections.clone();
                async move { cached(&connections[c]).await }
            })
            .await
        }
        What::Fresh => {
            let pairs = bench.pairs.clone();
            drive(shape, stop, pid, move |c, n| {
                let mut search = connections[c].search.clone();
                let (case, debtor) = pairs[n % pairs.len()].clone();
                async move {
                    let mut request = assethub_tests::query(&debtor.id_number, &debtor.name);
                    request.case_number = case;
                    request.fresh = true;
                    search.query(request).await.is_ok_and(|r| {
                        r.get_ref()
                            .sources
                            .iter()
                            .all(|s| s.status != assethub_proto::v1::SourceStatus::Error as i32)
                    })
                }
            })
            .await
        }
        What::WatchRelease => {
            let car: Arc<str> = car.into();
            drive(shape, stop, pid, move |c, n| {
                let (connections, car) = (connections.clone(), car.clone());
                async move {
                    control::watch_and_release(&connections[c], &car, first_case + n).await
                }
            })
            .await
        }
        What::Freeze => {
            drive(shape, stop, pid, move |c, n| {
                let connections = connections.clone();
                async move { control::freeze(&connections[c], first_case + n).await }
            })
            .await
        }
        What::FundSearch => {
            drive(shape, stop, pid, move |c, _| {
                let connections = connections.clone();
                async move { control::fund_search(&connections[c]).await }
            })
            .await
        }
    };
    sample.agency_calls = bench.agency_calls() - calls_before;
    sample.time_wait = procfs::time_wait(&ports).saturating_sub(waiting_before);
    if fresh {
        // The same agency calls in flight and in all, from a bare client.
        let in_flight = (sample.agency_calls as usize / sample.calls.max(1)) * shape.in_flight();
        let calls = sample.agency_calls as usize;
        let url = floor.url().to_string();
        let bare = tokio::task::spawn_blocking(move || floor::drive(&url, in_flight, calls))
            .await
            .ok();
        sample.floor_cpu_us = bare.map_or(f64::NAN, |b| b.cpu_us_per_call);
        sample.floor_p50_ms = bare.map_or(f64::NAN, |b| b.p50_ms);
    }
    sample
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_cached(scenarios: &[Scenario], idle: f64) {
    println!();
    println!("Cached Query (demo person, 6 sources) beside Health/Check on the same listener:");
    println!();
    println!("| call | in flight | req/s | p50 ms | p99 ms | hub CPU µs/req | less idle µs/req | RSS MiB | req/s ÷ Check | p50 ÷ Check | CPU ÷ Check |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for scenario in scenarios.iter().filter(|s| s.what == What::Cached) {
        let Some(check) = scenarios
            .iter()
            .find(|s| s.what == What::Check && s.shape.label() == scenario.shape.label())
        else {
            continue;
        };
        for (name, s) in [("Health/Check", check), ("Query, cached", scenario)] {
            let (rate, p50, cpu) = (
                s.m(Sample::per_sec),
                s.m(|x| ms(x.percentile(0.5))),
                s.m(Sample::cpu_us_per_call),
            );
            println!(
                "| {name} | {} | {rate:.0} | {p50:.3} | {:.3} | {cpu:.1} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} |",
                s.shape.label(),
                s.m(|x| ms(x.percentile(0.99))),
                s.m(|x| {
                    let busy = x.hub_cpu.as_secs_f64() - idle * x.elapsed.as_secs_f64();
                    busy.max(0.0) * 1e6 / x.calls.max(1) as f64
                }),
                s.m(|x| x.rss_mib),
                rate / check.m(Sample::per_sec),
                p50 / check.m(|x| ms(x.percentile(0.5))),
                cpu / check.m(Sample::cpu_us_per_call),
            );
        }
    }
}

fn print_fresh(scenarios: &[Scenario]) {
    println!();
    println!("Fresh Query fan-out, every agency answering after {AGENCY_MS} ms:");
    println!();
    println!("| in flight | queries | queries/s | p50 ms | p99 ms | p50 ÷ agency | p99 ÷ agency | agency calls/query | hub CPU µs/agency call | bare client CPU µs/call | hub ÷ bare | bare client p50 ÷ agency | new TIME_WAIT to agencies | RSS MiB | failed |");
    println!(
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for s in scenarios.iter().filter(|s| s.what == What::Fresh) {
        let p50 = s.m(|x| ms(x.percentile(0.5)));
        let p99 = s.m(|x| ms(x.percentile(0.99)));
        println!(
            "| {} | {} | {:.0} | {p50:.1} | {p99:.1} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.2} | {:.2} | {:.0} | {:.0} | {} |",
            s.shape.in_flight(),
            s.calls(),
            s.m(Sample::per_sec),
            p50 / AGENCY_MS as f64,
            p99 / AGENCY_MS as f64,
            s.m(|x| x.agency_calls as f64 / x.calls.max(1) as f64),
            s.m(hub_cpu_per_agency_call),
            s.m(|x| x.floor_cpu_us),
            s.m(|x| hub_cpu_per_agency_call(x) / x.floor_cpu_us),
            s.m(|x| x.floor_p50_ms / AGENCY_MS as f64),
            s.m(|x| x.time_wait as f64),
            s.m(|x| x.rss_mib),
            s.samples.iter().map(|x| x.failures).sum::<usize>(),
        );
    }
}

/// The hub's CPU per agency call in one fresh sample, µs.
fn hub_cpu_per_agency_call(x: &Sample) -> f64 {
    x.hub_cpu.as_secs_f64() * 1e6 / x.agency_calls.max(1) as f64
}

fn print_control(scenarios: &[Scenario]) {
    println!();
    println!("Control, agencies at 0 ms (one at a time):");
    println!();
    println!("| act | per round | p50 ms | p99 ms | hub CPU ms/act | p50 − hub CPU ms | asset inquiries/act | failed |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for s in scenarios {
        let name = match s.what {
            What::WatchRelease => "watch + release",
            What::Freeze => "one-click freeze (FreezeFunds)",
            What::FundSearch => "its fresh fund search alone",
            _ => continue,
        };
        let p50 = s.m(|x| ms(x.percentile(0.5)));
        let cpu = s.m(Sample::cpu_us_per_call) / 1000.0;
        println!(
            "| {name} | {} | {p50:.2} | {:.2} | {cpu:.2} | {:.2} | {:.1} | {} |",
            s.calls(),
            s.m(|x| ms(x.percentile(0.99))),
            p50 - cpu,
            s.m(|x| x.agency_calls as f64 / x.calls.max(1) as f64),
            s.samples.iter().map(|x| x.failures).sum::<usize>(),
        );
    }
}

fn print_wide(wide: &wide::Wide) {
    let q = &wide.queries;
    println!();
    println!(
        "One fresh Query over {} bank sources (one mock bank at {AGENCY_MS} ms), {} queries one at a time, a fresh hub:",
        wide.width, q.calls
    );
    println!();
    println!("| start-up s | RSS ready MiB | query p50 ms | slowest ms | p50 − agency ms | hub CPU ms/query | hub CPU µs/agency call | bare client: as many calls at once, ms | bare client CPU µs/call | RSS after MiB | /metrics bytes | Check p50 ms | sources OK |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let p50 = ms(q.percentile(0.5));
    println!(
        "| {:.2} | {:.0} | {p50:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.0} | {} | {:.3} | {}/{} |",
        wide.startup.as_secs_f64(),
        wide.rss_ready_mib,
        ms(q.percentile(1.0)),
        p50 - AGENCY_MS as f64,
        q.cpu_us_per_call() / 1000.0,
        q.hub_cpu.as_secs_f64() * 1e6 / wide.agency_calls.max(1) as f64,
        wide.bare.map_or(f64::NAN, |b| b.wall_ms),
        wide.bare.map_or(f64::NAN, |b| b.cpu_us_per_call),
        q.rss_mib,
        wide.metrics_bytes,
        ms(wide.check.percentile(0.5)),
        wide.sources_ok,
        wide.width * q.calls,
    );
}
