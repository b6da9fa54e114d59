//! The load driver: closed-loop callers spread over several HTTP/2 connections (a tonic
//! `Channel` multiplexes its calls on one connection, so "16×8" is 16 channels with 8 callers
//! each), each calling again as soon as its call returns, until a time or a number of calls is
//! reached; the hub's CPU time is read from `/proc` before and after.

use crate::procfs;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `connections` channels with `streams` callers on each.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub connections: usize,
    pub streams: usize,
}

impl Shape {
    pub const ONE: Shape = Shape {
        connections: 1,
        streams: 1,
    };

    pub fn in_flight(&self) -> usize {
        self.connections * self.streams
    }

    pub fn label(&self) -> String {
        if self.in_flight() == 1 {
            "1".into()
        } else {
            format!("{}×{}", self.connections, self.streams)
        }
    }
}

/// When a scenario ends: once this time is up, or once this many calls have started.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    After(Duration),
    Calls(usize),
}

/// One scenario in one round.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Calls answered (ok or not) and those that failed.
    pub calls: usize,
    pub failures: usize,
    pub elapsed: Duration,
    /// Latencies of all calls, sorted.
    pub latencies: Vec<Duration>,
    /// The hub process's CPU time over the scenario.
    pub hub_cpu: Duration,
    /// The hub's resident memory at the end, MiB.
    pub rss_mib: f64,
    /// Asset inquiries the agencies answered meanwhile, and TCP sockets to them that entered
    /// TIME_WAIT (filled in by the caller).
    pub agency_calls: u64,
    pub time_wait: usize,
    /// A bare HTTP client's CPU per call (µs) and median latency (ms) at the same agency calls
    /// in flight (fan-out only).
    pub floor_cpu_us: f64,
    pub floor_p50_ms: f64,
}

impl Sample {
    pub fn per_sec(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    /// Hub CPU per call, µs.
    pub fn cpu_us_per_call(&self) -> f64 {
        self.hub_cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }
}

/// Runs `call(connection, sequence)` in a closed loop in `shape` until `stop`; `call`
/// answers whether the call succeeded. `hub_pid` is the process whose CPU is charged.
pub async fn drive<F, Fut>(shape: Shape, stop: Stop, hub_pid: u32, call: F) -> Sample
where
    F: Fn(usize, usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = procfs::cpu(hub_pid);
    let started = Instant::now();
    let callers: Vec<_> = (0..shape.in_flight())
        .map(|caller| {
            let (call, next) = (call.clone(), next.clone());
            let connection = caller % shape.connections;
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0;
                loop {
                    let sequence = next.fetch_add(1, Ordering::Relaxed);
                    let more = match stop {
                        Stop::After(time) => started.elapsed() < time,
                        Stop::Calls(n) => sequence < n,
                    };
                    if !more {
                        break;
                    }
                    let t0 = Instant::now();
                    if !call(connection, sequence).await {
                        failures += 1;
                    }
                    latencies.push(t0.elapsed());
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut sample = Sample::default();
    for caller in callers {
        let (latencies, failures) = caller.await.expect("a bench caller");
        sample.latencies.extend(latencies);
        sample.failures += failures;
    }
    sample.elapsed = started.elapsed();
    sample.hub_cpu = procfs::cpu(hub_pid).saturating_sub(cpu_before);
    sample.rss_mib = procfs::rss_mib(hub_pid);
    sample.calls = sample.latencies.len();
    sample.latencies.sort();
    sample
}

/// The median of `values` (0 for none).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}
