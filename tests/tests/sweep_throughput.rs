//! How fast a durable sweep runs against the bound the agencies' limits set: a real hub process
//! sweeps N debtors across every source of the demo line-up, each source held to its configured
//! rate (the slowest at `rate` requests a second, the banks at twice that), so no sweep can
//! finish sooner than N / rate. The elapsed time (from the accepted submission to the finished
//! sweep, as a client sees it) divided by that bound is the ratio; the hub's resident memory is
//! sampled every second.
//!
//! - CI (a debug build on a shared machine): 1,000 debtors at 50/s (bound 20 s); every item is
//!   answered, and the ratio stays under 2 — a guard against a sweep that stops pacing itself by
//!   the agencies (items one at a time, a window that waits for its slowest item), not a
//!   measurement: the figure that counts is the release run below.
//! - The full measurement, `#[ignore]`d: 100,000 debtors at 1,000/s (bound 100 s), ratio ≤ 1.05,
//!   memory flat. `ASSETHUB_SWEEP_DEBTORS` and `ASSETHUB_SWEEP_RATE` change the size:
//!
//! ```text
//! cargo test --release -p assethub-tests --test sweep_throughput -- --ignored --nocapture
//! ```
//!
//! Each run prints one `SWEEP_THROUGHPUT {json}` line.
#![cfg(unix)]

use assethub_proto::v1 as pb;
use assethub_tests::throughput::{env, Bed, RssSampler, Run};
use assethub_tests::{sweep, Role, COURT};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_of_1000_debtors_is_paced_by_the_agencies_bound() {
    // Small enough for a debug build on a shared CI machine (bound 20 s).
    let run = measure(1_000, 50).await;
    assert!(run.ratio <= 2.0, "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full measurement: about two minutes"]
async fn a_sweep_of_100000_debtors_runs_within_105_percent_of_the_agencies_bound_in_flat_memory() {
    let debtors = env("ASSETHUB_SWEEP_DEBTORS", 100_000);
    let rate = env("ASSETHUB_SWEEP_RATE", 1_000) as u32;
    let run = measure(debtors, rate).await;
    assert!(run.ratio <= 1.05, "{run:?}");
    // Flat: the second half of the run grows the hub by less than 32 MiB.
    assert!(
        run.rss.end_kib.saturating_sub(run.rss.mid_kib) < 32 * 1024,
        "{run:?}"
    );
}

async fn measure(debtors_n: usize, rate: u32) -> Run {
    let mut bed = Bed::start(debtors_n, rate, 20_000).await;
    let mut client = sweep::client(&bed.channel, Role::CaseSystem, COURT);
    let items: Vec<pb::SweepItem> = std::mem::take(&mut bed.debtors)
        .iter()
        .zip(&bed.case_of)
        .map(|(d, case)| sweep::item(case, d))
        .collect();
    let sampler = RssSampler::spawn(bed.hub.pid());
    let submitted = client
        .submit_sweep(sweep::chunks(
            sweep::header("throughput", true),
            items.into_iter(),
        ))
        .await
        .expect("the sweep is accepted")
        .into_inner();
    let started = Instant::now();
    let rss_start_kib = sampler.now();
    let done = sweep::settled(&mut client, &submitted.id, Duration::from_secs(1_800)).await;
    let elapsed = started.elapsed();
    let rss = sampler.finish(rss_start_kib);
    assert_eq!(done.done, debtors_n as u64, "{done:?}");
    let run = Run::new(
        debtors_n,
        rate,
        bed.config.sources.len(),
        elapsed,
        done.rate_per_sec,
        rss,
    );
    println!("{}", run.line("SWEEP_THROUGHPUT"));
    run
}
