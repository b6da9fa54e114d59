//! The soak report: throughput, latency percentiles per operation, failures by cause, resident
//! memory over time and the rule that decides whether memory stayed flat; printed as a table
//! and as one `SOAK {json}` line.

use super::{Op, Plan};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// One reading of the hub process, taken every second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Since the load started.
    pub at: Duration,
    pub rss_kib: u64,
    /// Operations completed so far.
    pub ops: u64,
}

/// Figures of one kind of operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpFigures {
    pub count: u64,
    /// Operations with at least one failure.
    pub failed: u64,
    /// Latency percentiles and maximum, microseconds.
    pub p50_us: u32,
    pub p90_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
}

impl OpFigures {
    fn new(mut latencies: Vec<u32>, failed: u64) -> Self {
        latencies.sort_unstable();
        Self {
            count: latencies.len() as u64,
            failed,
            p50_us: percentile(&latencies, 0.50),
            p90_us: percentile(&latencies, 0.90),
            p99_us: percentile(&latencies, 0.99),
            max_us: latencies.last().copied().unwrap_or(0),
        }
    }
}

/// The value at quantile `q` of sorted values (nearest rank); 0 for none.
fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Resident memory of the hub over the run, and the verdict of the flat-memory rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    pub start_kib: u64,
    /// At the end of the warm-up, and at the end of the run (medians of three samples).
    pub warm_kib: u64,
    pub end_kib: u64,
    pub max_kib: u64,
    /// The most `end_kib` may be for memory to count as flat.
    pub allowed_kib: u64,
    /// Least-squares slope of RSS after the warm-up (informational).
    pub slope_kib_per_min: f64,
}

impl Memory {
    pub fn is_flat(&self) -> bool {
        self.end_kib <= self.allowed_kib
    }
}

/// Fixed headroom over the warm-up RSS that always counts as flat.
const FLAT_FLOOR_KIB: u64 = 32 * 1024;

/// The flat-memory rule over `samples`, with the warm-up ending at `warm_until`.
///
/// RSS at the end of the run (median of the last three one-second samples) may exceed RSS at
/// the end of the warm-up (median of the three samples around it) by at most 25 % or 32 MiB,
/// whichever is more.
///
/// - Why after a warm-up, not from the start: in its first seconds under load the hub
///   legitimately grows and then levels off — client connections and agency connection pools,
///   tokio worker threads and their malloc arenas, the answer cache filling up to the
///   population's size (bounded: a few thousand entries in the soak), SQLite's page cache.
/// - Why some headroom after it: freed memory is not always returned to the OS (allocator
///   arenas, fragmentation), so RSS wanders by a few MiB and ratchets up to the high-water mark
///   of concurrent work. That noise does not grow with the number of operations. The 32 MiB
///   floor covers it for a small process; 25 % scales it if the baseline is larger.
/// - What it catches: a leak grows with the operations served, so it breaks the rule once
///   (leak per operation) × (operations after the warm-up) passes the headroom. Measured with
///   the debug build (~50 ops/s, RSS ~40 MiB): from ~25 KiB per operation in a 30 s run, from
///   ~7 KiB in a 120 s run; proportionally less for faster (release) or longer runs. The noise
///   it must absorb, measured the same way: +2.7 MiB after the warm-up in 30 s, +4.1 MiB in
///   120 s, levelling off (mostly SQLite's page cache filling as the ledger grows).
/// - Medians of three samples at each end, so one spike (a burst of responses in flight at the
///   sampling instant) decides nothing.
///
/// `None` with fewer than three samples.
pub fn memory_verdict(samples: &[Sample], warm_until: Duration) -> Option<Memory> {
    if samples.len() < 3 {
        return None;
    }
    let boundary = samples
        .iter()
        .position(|s| s.at >= warm_until)
        .unwrap_or(samples.len() - 1)
        .clamp(1, samples.len() - 2);
    let warm_kib = median3(&samples[boundary - 1..=boundary + 1]);
    let end_kib = median3(&samples[samples.len() - 3..]);
    let allowed_kib = warm_kib + (warm_kib / 4).max(FLAT_FLOOR_KIB);
    Some(Memory {
        start_kib: samples[0].rss_kib,
        warm_kib,
        end_kib,
        max_kib: samples.iter().map(|s| s.rss_kib).max().unwrap_or(0),
        allowed_kib,
        slope_kib_per_min: slope_per_min(&samples[boundary..]),
    })
}

fn median3(samples: &[Sample]) -> u64 {
    let mut kib: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
    kib.sort_unstable();
    kib[kib.len() / 2]
}

fn slope_per_min(samples: &[Sample]) -> f64 {
    let n = samples.len() as f64;
    if samples.len() < 2 {
        return 0.0;
    }
    let xs: Vec<f64> = samples.iter().map(|s| s.at.as_secs_f64() / 60.0).collect();
    let ys: Vec<f64> = samples.iter().map(|s| s.rss_kib as f64).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if var == 0.0 {
        0.0
    } else {
        cov / var
    }
}

/// Everything one soak run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub workers: usize,
    pub duration: Duration,
    /// From the first operation to the last one finishing.
    pub elapsed: Duration,
    pub ops: BTreeMap<Op, OpFigures>,
    /// Failures by operation and cause.
    pub causes: BTreeMap<(Op, String), u64>,
    pub samples: Vec<Sample>,
    /// Share of the run that is warm-up for the memory rule.
    pub warmup: f64,
}

impl Report {
    pub(super) fn new(
        plan: &Plan,
        elapsed: Duration,
        latencies: BTreeMap<Op, Vec<u32>>,
        failed: BTreeMap<Op, u64>,
        causes: BTreeMap<(Op, String), u64>,
        samples: Vec<Sample>,
    ) -> Self {
        let ops = latencies
            .into_iter()
            .map(|(op, l)| (op, OpFigures::new(l, failed.get(&op).copied().unwrap_or(0))))
            .collect();
        Self {
            workers: plan.workers,
            duration: plan.duration,
            elapsed,
            ops,
            causes,
            samples,
            warmup: 0.2,
        }
    }

    pub fn total_ops(&self) -> u64 {
        self.ops.values().map(|f| f.count).sum()
    }

    pub fn failed_ops(&self) -> u64 {
        self.ops.values().map(|f| f.failed).sum()
    }

    pub fn ops_per_sec(&self) -> f64 {
        self.total_ops() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Failure causes `expected` does not accept, as `op: cause (count)`.
    pub fn unexpected_causes(&self, expected: impl Fn(Op, &str) -> bool) -> Vec<String> {
        self.causes
            .iter()
            .filter(|((op, cause), _)| !expected(*op, cause))
            .map(|((op, cause), n)| format!("{}: {cause} ({n})", op.name()))
            .collect()
    }

    /// The flat-memory rule over this run (see [`memory_verdict`]).
    pub fn memory(&self) -> Option<Memory> {
        memory_verdict(&self.samples, self.duration.mul_f64(self.warmup))
    }

    /// At most `rows` samples, evenly spread, the first and the last included.
    fn timeline(&self, rows: usize) -> Vec<Sample> {
        let n = self.samples.len();
        if n <= rows || rows < 2 {
            return self.samples.clone();
        }
        (0..rows)
            .map(|i| self.samples[i * (n - 1) / (rows - 1)])
            .collect()
    }

    /// The report as one JSON value (the `SOAK` line).
    pub fn json(&self) -> serde_json::Value {
        let ms = |us: u32| f64::from(us) / 1_000.0;
        let by_op: serde_json::Map<String, serde_json::Value> = self
            .ops
            .iter()
            .map(|(op, f)| {
                let figures = json!({
                    "count": f.count, "failed": f.failed, "p50_ms": ms(f.p50_us),
                    "p90_ms": ms(f.p90_us), "p99_ms": ms(f.p99_us), "max_ms": ms(f.max_us),
                });
                (op.name().to_string(), figures)
            })
            .collect();
        let causes: serde_json::Map<String, serde_json::Value> = self
            .causes
            .iter()
            .map(|((op, cause), n)| (format!("{}: {cause}", op.name()), json!(n)))
            .collect();
        let mib = |kib: u64| (kib as f64 / 1024.0 * 10.0).round() / 10.0;
        let memory = self.memory().map(|m| {
            json!({
                "start": mib(m.start_kib), "warm": mib(m.warm_kib), "end": mib(m.end_kib),
                "max": mib(m.max_kib), "allowed": mib(m.allowed_kib), "flat": m.is_flat(),
                "slope_mib_per_min": (m.slope_kib_per_min / 1024.0 * 100.0).round() / 100.0,
            })
        });
        let timeline: Vec<_> = self
            .timeline(20)
            .iter()
            .map(|s| json!([s.at.as_secs(), mib(s.rss_kib)]))
            .collect();
        json!({
            "workers": self.workers,
            "secs": self.duration.as_secs(),
            "elapsed_s": (self.elapsed.as_secs_f64() * 10.0).round() / 10.0,
            "ops": self.total_ops(),
            "ops_per_sec": self.ops_per_sec().round(),
            "failed": self.failed_ops(),
            "by_op": by_op,
            "causes": causes,
            "rss_mib": memory,
            "rss_timeline": timeline,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |us: u32| f64::from(us) / 1_000.0;
        let mib = |kib: u64| kib as f64 / 1024.0;
        writeln!(
            f,
            "soak: {} workers, {:.0} s (ran {:.1} s): {} operations, {:.0} ops/s, {} failed",
            self.workers,
            self.duration.as_secs_f64(),
            self.elapsed.as_secs_f64(),
            self.total_ops(),
            self.ops_per_sec(),
            self.failed_ops()
        )?;
        writeln!(
            f,
            "{:<14} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8}",
            "operation", "count", "failed", "p50 ms", "p90 ms", "p99 ms", "max ms"
        )?;
        for (op, o) in &self.ops {
            writeln!(
                f,
                "{:<14} {:>8} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
                op.name(),
                o.count,
                o.failed,
                ms(o.p50_us),
                ms(o.p90_us),
                ms(o.p99_us),
                ms(o.max_us)
            )?;
        }
        writeln!(f, "failures by cause:")?;
        if self.causes.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for ((op, cause), n) in &self.causes {
            writeln!(f, "  {:<50} {n:>6}", format!("{}: {cause}", op.name()))?;
        }
        match self.memory() {
            Some(m) => writeln!(
                f,
                "hub RSS (MiB): start {:.1}, warm-up end {:.1}, end {:.1}, max {:.1}; allowed {:.1}: {}; slope after warm-up {:+.2} MiB/min",
                mib(m.start_kib),
                mib(m.warm_kib),
                mib(m.end_kib),
                mib(m.max_kib),
                mib(m.allowed_kib),
                if m.is_flat() { "flat" } else { "GROWING" },
                m.slope_kib_per_min / 1024.0
            )?,
            None => writeln!(f, "hub RSS: too few samples")?,
        }
        writeln!(f, "{:>7} {:>9} {:>8}", "t s", "RSS MiB", "ops/s")?;
        let mut previous: Option<Sample> = None;
        for s in self.timeline(20) {
            let rate = previous.map_or(0.0, |p| {
                let secs = (s.at - p.at).as_secs_f64().max(1e-9);
                (s.ops - p.ops) as f64 / secs
            });
            writeln!(
                f,
                "{:>7.0} {:>9.1} {:>8.0}",
                s.at.as_secs_f64(),
                mib(s.rss_kib),
                rate
            )?;
            previous = Some(s);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(kib: impl Fn(u64) -> u64, secs: u64) -> Vec<Sample> {
        (0..=secs)
            .map(|t| Sample {
                at: Duration::from_secs(t),
                rss_kib: kib(t),
                ops: t * 100,
            })
            .collect()
    }

    const MIB: u64 = 1024;

    #[test]
    fn growth_that_levels_off_in_the_warm_up_is_flat() {
        // 20 MiB at start, 60 MiB by 5 s, then noise of ±3 MiB with a 20 MiB spike at the end.
        let samples = series(
            |t| match t {
                0..=5 => (20 + 8 * t) * MIB,
                29 => 80 * MIB,
                _ => (60 + t % 3) * MIB,
            },
            30,
        );
        let memory = memory_verdict(&samples, Duration::from_secs(6)).unwrap();
        assert_eq!(memory.start_kib, 20 * MIB);
        assert_eq!(memory.warm_kib, 60 * MIB);
        assert_eq!(memory.max_kib, 80 * MIB);
        assert!(memory.is_flat(), "{memory:?}");
        assert!(memory.slope_kib_per_min.abs() < 30.0 * MIB as f64);
    }

    #[test]
    fn steady_growth_after_the_warm_up_is_a_leak() {
        // 2 MiB more every second: 48 MiB over the last 24 s of a 30 s run.
        let samples = series(|t| (40 + 2 * t) * MIB, 30);
        let memory = memory_verdict(&samples, Duration::from_secs(6)).unwrap();
        assert_eq!(memory.warm_kib, 52 * MIB);
        assert_eq!(memory.end_kib, 98 * MIB);
        assert_eq!(memory.allowed_kib, 84 * MIB);
        assert!(!memory.is_flat());
        assert!((memory.slope_kib_per_min - 120.0 * MIB as f64).abs() < 1.0);
    }

    #[test]
    fn a_big_process_gets_a_quarter_of_headroom() {
        let samples = series(|_| 400 * MIB, 10);
        let memory = memory_verdict(&samples, Duration::from_secs(2)).unwrap();
        assert_eq!(memory.allowed_kib, 500 * MIB);
        assert!(memory_verdict(&samples[..2], Duration::ZERO).is_none());
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.50), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&values, 1.0), 100);
        assert_eq!(percentile(&[7], 0.9), 7);
        assert_eq!(percentile(&[], 0.5), 0);
        let figures = OpFigures::new(vec![30, 10, 20], 1);
        assert_eq!((figures.count, figures.p50_us, figures.max_us), (3, 20, 30));
    }
}
