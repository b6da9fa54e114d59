//! Chaos across replicas: three hub processes on one PostgreSQL ledger, the chaos callers
//! spread over them, agencies injecting faults into about a fifth of their requests, replicas
//! SIGKILLed and restarted at random, and PostgreSQL itself restarted once mid-run. Then the
//! faults stop, the hubs settle, and the invariant checker compares the ledger with every
//! agency's register (no double hold, no orphan, no lost order); besides: the payment
//! platforms never refused the hubs for their quota, the ledger's event numbers run without
//! gap or repeat, and a judge's feed read through any replica has every event once, in order.
//!
//! Needs `ASSETHUB_TEST_PG_URL` (skipped with a message without it); restarting the database
//! needs `pg_ctlcluster` (as `.ci/run` runs it). Size: `ASSETHUB_CHAOS_REPLICA_SECS` (default 40
//! s of load), `ASSETHUB_CHAOS_CRASHES` (4), `ASSETHUB_CHAOS_SEED`, `ASSETHUB_CHAOS_WORKERS`.
#![cfg(unix)]

use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::{start_all_with_faults, Population};
use assethub_proto::v1 as pb;
use assethub_tests::chaos::load::{Caller, Worker};
use assethub_tests::chaos::{self, ChaosSettings, Tally};
use assethub_tests::hub_process::HubProcess;
use assethub_tests::invariants;
use assethub_tests::{clients_as, postgres_ledger, register_case, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};

const COURTS: [&str; 2] = ["鄂0116", "鄂01"];
const POPULATION: usize = 300;
const CLAIM_FEN: i64 = 5_000_000_000;
const REPLICAS: usize = 3;
const SETTLE_FOR: Duration = Duration::from_secs(60);

fn lazy(hub: &HubProcess) -> Channel {
    Endpoint::from_shared(hub.url())
        .expect("hub url")
        .connect_timeout(Duration::from_secs(1))
        .connect_lazy()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_killed_and_a_database_restart_under_faults_keep_the_ledger_true() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let can_restart_db = std::process::Command::new("pg_ctlcluster")
        .arg("--help")
        .output()
        .is_ok();
    let mut settings = ChaosSettings::from_env();
    settings.secs = std::env::var("ASSETHUB_CHAOS_REPLICA_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    settings.min_ops = settings.secs * 20;
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
    let config = chaos::hub_config(&agencies, &url);
    let dirs: Vec<tempfile::TempDir> = (0..REPLICAS)
        .map(|_| tempfile::tempdir().expect("temporary directory"))
        .collect();
    let mut hubs = Vec::new();
    for dir in &dirs {
        hubs.push(HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await);
    }
    let channels: Vec<Channel> = hubs.iter().map(lazy).collect();
    let hubs: Vec<Arc<Mutex<HubProcess>>> =
        hubs.into_iter().map(|h| Arc::new(Mutex::new(h))).collect();

    let case_of = |index: usize| {
        let court = COURTS[index % COURTS.len()];
        (court, format!("(2025){court}执{}号", 7_000 + index))
    };
    for index in 0..settings.workers {
        let (_, case) = case_of(index);
        let account = format!("CHAOS-{}", 7_000 + index);
        // Registered through any replica.
        register_case(
            &channels[index % REPLICAS],
            &case,
            &debtors,
            CLAIM_FEN,
            &account,
        )
        .await;
    }

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
            let worker = Worker::new(
                caller,
                &channels[index % REPLICAS],
                debtors.clone(),
                tally.clone(),
            );
            tokio::spawn(worker.run(until))
        })
        .collect();
    let killer = tokio::spawn(kill_at_random(hubs.clone(), settings.clone()));
    let restarted_db = if can_restart_db {
        tokio::time::sleep(Duration::from_secs(settings.secs) / 2).await;
        let ok = std::process::Command::new("pg_ctlcluster")
            .args(["15", "main", "restart", "-m", "fast"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "PostgreSQL restarts");
        true
    } else {
        eprintln!("PostgreSQL is not restarted: no pg_ctlcluster");
        false
    };
    let kills = killer.await.expect("the killer task");
    for worker in workers {
        worker.await.expect("a load worker");
    }

    for agency in &agencies {
        agency.knobs.faults().remove_rules(None);
    }
    for hub in &hubs {
        let mut hub = hub.lock().await;
        hub.terminate().await;
        hub.restart().await;
    }
    let settled = settle(&url).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    // A judge's feed through each replica: every event of the court once, in order.
    let mut feeds = Vec::new();
    for channel in &channels {
        feeds.push(feed_cursors(channel, COURTS[0]).await);
    }
    for hub in &hubs {
        hub.lock().await.terminate().await;
    }
    let report = invariants::check_ledger(&url, &invariants::registers(&agencies))
        .await
        .expect("the ledger reads");
    let seqs = event_numbers(&url).await;
    let quota_refusals: u64 = agencies.iter().map(|a| a.knobs.quota_refusals()).sum();
    let faults = chaos::faults_injected(&agencies);
    println!(
        "chaos across {REPLICAS} replicas: seed {}, {} s of load by {} callers, {} SIGKILLs, database restarted: {restarted_db}, settled: {settled:?}",
        settings.seed, settings.secs, settings.workers, kills
    );
    println!("{}", tally.table());
    println!("{report}");
    println!(
        "CHAOS_REPLICAS {}",
        serde_json::json!({
            "replicas": REPLICAS, "kills": kills, "database_restarted": restarted_db,
            "ops": tally.ops(), "faults": faults.total, "events": seqs.len(),
            "quota_refusals": quota_refusals, "check": report.to_json(),
        })
    );

    if !report.mismatches.is_empty() {
        println!(
            "{}",
            invariants::history::of_mismatches(&url, &report).await
        );
        println!("the ledger is kept in {url}");
    }
    assert!(
        kills >= settings.crashes,
        "replicas were killed {kills} times"
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
        "only {} operations completed",
        tally.ops()
    );
    assert_eq!(quota_refusals, 0, "the hubs together went over a quota");
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "event numbers without gap or repeat");
    // The hubs kept following up while the feeds were read one after another: compare up to
    // the last event every feed reached, with the court's events in the ledger as the oracle.
    let upto = feeds
        .iter()
        .map(|f| f.last().copied().unwrap_or(0))
        .min()
        .unwrap_or(0);
    let court_events = court_events(&url, COURTS[0], upto).await;
    assert!(!court_events.is_empty(), "the court has events");
    for (replica, cursors) in feeds.iter().enumerate() {
        assert!(
            cursors.windows(2).all(|w| w[0] < w[1]),
            "replica {replica}: each event once, in order"
        );
        let read: Vec<u64> = cursors.iter().copied().filter(|c| *c <= upto).collect();
        assert_eq!(
            read, court_events,
            "replica {replica}: the court's events in the ledger"
        );
    }
    assert!(report.orders > 0 && report.agency_holds > 0, "{report}");
}

/// Kills a random replica `settings.crashes` times, restarting it after a short pause; returns
/// how many kills there were.
async fn kill_at_random(hubs: Vec<Arc<Mutex<HubProcess>>>, settings: ChaosSettings) -> u32 {
    let mut rng = StdRng::seed_from_u64(settings.seed ^ 0x7265_706c);
    let start = Instant::now();
    let slot = Duration::from_secs(settings.secs) / settings.crashes.max(1);
    let mut kills = 0;
    for n in 0..settings.crashes {
        let at = start + slot * n + slot.mul_f64(rng.random_range(0.15..0.85));
        tokio::time::sleep_until(at).await;
        let victim = rng.random_range(0..hubs.len());
        let pause = Duration::from_millis(rng.random_range(100..1_500));
        let mut hub = hubs[victim].lock().await;
        hub.kill();
        kills += 1;
        tokio::time::sleep(pause).await;
        hub.restart().await;
    }
    kills
}

/// Waits until no order is requested or awaiting its agency (but those a bank never decides),
/// or [`SETTLE_FOR`] passes; whether it settled.
async fn settle(url: &str) -> bool {
    let started = Instant::now();
    while started.elapsed() < SETTLE_FOR {
        let orders = invariants::ledger_orders(url)
            .await
            .expect("the ledger reads");
        if orders
            .iter()
            .filter(|o| o.state == assethub_hub::orders::State::Requested)
            .count()
            == 0
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

/// The cursors of every event a judge of `court` reads from the start through `channel`.
async fn feed_cursors(channel: &Channel, court: &str) -> Vec<u64> {
    let (_, mut orders) = clients_as(channel, Role::Judge, court);
    let mut feed = orders
        .watch_events(pb::WatchEventsRequest {
            after_cursor: 0,
            case_number: String::new(),
        })
        .await
        .expect("the feed opens")
        .into_inner();
    let mut cursors = Vec::new();
    while let Ok(Ok(Some(event))) =
        tokio::time::timeout(Duration::from_secs(3), feed.message()).await
    {
        cursors.push(event.cursor);
    }
    cursors
}

/// The numbers of the events of `court`'s cases up to `upto`, from the ledger itself.
async fn court_events(url: &str, court: &str, upto: u64) -> Vec<u64> {
    let pool = pool(url).await;
    let rows =
        sqlx::query("SELECT seq, case_number FROM control_events WHERE seq <= $1 ORDER BY seq")
            .bind(upto as i64)
            .fetch_all(&pool)
            .await
            .expect("the events");
    let marker = format!("{court}执");
    rows.iter()
        .filter(|r| r.get::<String, _>(1).contains(&marker))
        .map(|r| r.get::<i64, _>(0) as u64)
        .collect()
}

async fn pool(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("the ledger's database")
}

/// Every event number in the ledger, in order.
async fn event_numbers(url: &str) -> Vec<i64> {
    let pool = pool(url).await;
    let rows = sqlx::query("SELECT seq FROM control_events ORDER BY seq")
        .fetch_all(&pool)
        .await
        .expect("the events");
    rows.iter().map(|r| r.get::<i64, _>(0)).collect()
}
