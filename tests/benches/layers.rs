//! Micro-benchmark: what each layer of a cached `Query` costs on its own, in time, CPU (every
//! thread of this process, `getrusage`) and heap allocations per operation, measured in this
//! process one layer at a time:
//!
//! - `authenticate`: a bearer token already verified once (the verified-token memory), plus the
//!   revocation check;
//! - `rate limit`: one caller's token bucket;
//! - `validate`: the query's case number, debtor and kinds;
//! - `cache hit`: one source's answer from the answer cache;
//! - `audit, alone`: one call's audit entry appended and committed (fsynced) with nothing else
//!   queued, so one transaction per entry;
//! - `audit, 16 at once`: 16 entries appended concurrently (one group commit), for the 16;
//! - `audit via pool, …`: the same through the sqlx pool (PostgreSQL's path), beside it;
//! - `answer, …`: the six-source `QueryResponse` of the demo person made from the cached
//!   answers and encoded as on the wire: with its assets as messages (cloned, then encoded:
//!   the hub before its `served` stubs) and with each asset's bytes encoded once and shared;
//! - `log line`: the one `info` line a search writes, formatted under its call span (to a sink).
//!
//! The figures are medians of `LAYER_ROUNDS` rounds of `LAYER_OPS` operations (fewer for the
//! audit, which waits for the disk). Read them against each other and against the whole
//! query in `cargo bench --bench query`: they say where a cached query's time goes.
//!
//! Run: `cargo bench -p assethub-tests --bench layers`.

use assethub_hub::audit::{AuditEntry, AuditLog};
use assethub_hub::auth::limit::RateLimiter;
use assethub_hub::auth::revoke::Revocations;
use assethub_hub::auth::Authenticator;
use assethub_hub::cache::{AnswerCache, CacheKey};
use assethub_hub::orders::ledger::Ledger;
use assethub_tests::{demo_person_query, token, Role, World, COURT};
use prost::Message;
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time this process has used so far, every thread (user + system, `getrusage`).
fn cpu_used() -> Duration {
    // SAFETY: getrusage writes into the struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Time, CPU and allocations per operation of one round of `ops` calls of `op`.
async fn round<F, Fut>(ops: usize, op: &F) -> (Duration, Duration, f64)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let allocs = ALLOCS.load(Ordering::Relaxed);
    let cpu = cpu_used();
    let started = Instant::now();
    for _ in 0..ops {
        op().await;
    }
    let per_op = started.elapsed() / ops as u32;
    let cpu = (cpu_used() - cpu) / ops as u32;
    let allocs = (ALLOCS.load(Ordering::Relaxed) - allocs) as f64 / ops as f64;
    (per_op, cpu, allocs)
}

/// Median time and allocations per operation over `rounds` rounds.
async fn layer<F, Fut>(name: &str, rounds: usize, ops: usize, op: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    round(ops.min(100), &op).await; // warm-up
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut allocs = Vec::new();
    for _ in 0..rounds {
        let (time, cpu, count) = round(ops, &op).await;
        times.push(time);
        cpus.push(cpu);
        allocs.push(count);
    }
    times.sort();
    cpus.sort();
    allocs.sort_by(f64::total_cmp);
    println!(
        "{name:<26} {:>12.2} {:>12.2} {:>14.1}",
        times[rounds / 2].as_secs_f64() * 1e6,
        cpus[rounds / 2].as_secs_f64() * 1e6,
        allocs[rounds / 2]
    );
}

#[tokio::main]
async fn main() {
    let rounds = env_or("LAYER_ROUNDS", 5);
    let ops = env_or("LAYER_OPS", 20_000);
    let world = World::start().await;
    let data = tempfile::tempdir().expect("temp dir");

    // Authentication and the caller's rate, as the gate does them.
    let ledger = Ledger::open(&format!(
        "sqlite://{}/layers.db?mode=rwc",
        data.path().display()
    ))
    .await
    .expect("ledger");
    let auth = Authenticator::new(
        world.config.auth.verifier().expect("verifier"),
        Revocations::load(ledger.pool().clone())
            .await
            .expect("revocations"),
        RateLimiter::new(1_000_000, 1_000_000),
    );
    let mut headers = tonic::codegen::http::HeaderMap::new();
    let bearer = format!("Bearer {}", token(Role::Judge, COURT));
    headers.insert("authorization", bearer.parse().expect("header"));
    let caller = auth.authenticate(&headers).expect("the demo token");

    // The demo person's real six-source answer, and one source's answer for the cache.
    let response = world
        .client
        .clone()
        .query(demo_person_query())
        .await
        .expect("query")
        .into_inner();
    let cache = AnswerCache::bounded(10_000, 64 << 20);
    let key = CacheKey {
        source: "bank-icbc".into(),
        debtor_id: "11010519491231002X".into(),
        name: "张伟".into(),
    };
    cache
        .put(
            key.clone(),
            assethub_connectors::QueryAnswer::NotFound,
            Duration::from_secs(3600),
            Duration::ZERO,
        )
        .await;
    let audit = AuditLog::open(
        ledger.pool().clone(),
        ledger.sqlite_file(),
        b"layers-bench-key",
    )
    .expect("audit log");
    let entry = AuditEntry {
        actor: "judge-1".into(),
        court: COURT.into(),
        role: "judge".into(),
        method: "/assethub.v1.AssetHub/Query".into(),
        case_number: assethub_tests::CASE.into(),
        debtor_ref: audit.debtor_ref("11010519491231002X"),
        decision: "allowed".into(),
        outcome: "OK".into(),
        ..AuditEntry::default()
    };
    let sink = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let request = demo_person_query();
    let today = world.hub.clock.today();

    println!();
    println!("assethub layer benchmark: medians of {rounds} rounds of {ops} operations");
    println!(
        "{:<26} {:>12} {:>12} {:>14}",
        "layer", "us per op", "cpu us/op", "allocs per op"
    );
    layer("authenticate", rounds, ops, || {
        let caller = auth.authenticate(&headers).expect("authenticated");
        async move { drop(caller) }
    })
    .await;
    layer("rate limit", rounds, ops, || {
        auth.admit(&caller).expect("admitted");
        async {}
    })
    .await;
    layer("validate", rounds, ops, || {
        let valid = assethub_hub::validate::query(
            &request.case_number,
            request.debtor.as_ref(),
            &request.kinds,
            &request.kind_names,
            today,
        );
        assert!(valid.is_ok());
        async {}
    })
    .await;
    layer("cache hit", rounds, ops, || {
        let (cache, key) = (&cache, key.clone());
        async move {
            let found = cache
                .get_or_fetch(key, Duration::from_secs(3600), false, || async {
                    unreachable!("the answer is cached")
                })
                .await
                .expect("cached");
            assert!(found.from_cache);
        }
    })
    .await;
    let audit_ops = (ops / 40).max(20);
    // The embedded ledger's writer thread, and beside it the same appends through the sqlx
    // pool (PostgreSQL's path, and the embedded one's before it had a thread of its own).
    let via_pool = AuditLog::new(ledger.pool().clone(), b"layers-bench-key");
    for (name, audit) in [("audit", &audit), ("audit via pool", &via_pool)] {
        layer(&format!("{name}, alone"), rounds, audit_ops, || {
            let entry = entry.clone();
            async move {
                audit.append(entry).await.expect("appended");
            }
        })
        .await;
        layer(
            &format!("{name}, 16 at once"),
            rounds,
            audit_ops / 4,
            || {
                let entry = &entry;
                async move {
                    let appends = (0..16).map(|_| audit.append(entry.clone()));
                    for appended in futures::future::join_all(appends).await {
                        appended.expect("appended");
                    }
                }
            },
        )
        .await;
        println!("{:<26} (the line above is per 16 entries)", "");
    }
    // The answer as each search makes it from the cached answers and encodes it: before,
    // every asset cloned as a message and encoded again; now, each asset's bytes encoded once
    // and shared (the hub's `served` stubs).
    layer("answer, assets as messages", rounds, ops, || {
        let bytes = response.clone().encode_to_vec();
        assert!(!bytes.is_empty());
        async {}
    })
    .await;
    let served =
        assethub_proto::served::v1::QueryResponse::decode(response.encode_to_vec().as_slice())
            .expect("the served form reads the public one");
    layer("answer, assets encoded once", rounds, ops, || {
        let bytes = served.clone().encode_to_vec();
        assert!(!bytes.is_empty());
        async {}
    })
    .await;
    tracing::subscriber::with_default(sink, || {
        let span = tracing::info_span!(
            "call",
            method = "Query",
            request_id = "bench-1",
            case = assethub_tests::CASE,
            debtor = "110105********002X",
            name = "张*"
        );
        let _entered = span.enter();
        futures::executor::block_on(layer("log line", rounds, ops, || {
            tracing::info!(
                sources = 6,
                cached = 6,
                failed = 0,
                timed_out = 0,
                elapsed_ms = 0,
                "query done"
            );
            async {}
        }));
    });
}
