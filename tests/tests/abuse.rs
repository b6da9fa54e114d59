//! Abuse (issue 11): one court's callers open far more streams than the cap (each replaying a
//! large backlog and never reading it), run large batches and flood the hub with
//! unauthenticated calls, while another court's probe, from another address, searches
//! throughout. The hub (a real process, loopback only) must answer every probe within
//! [`PROBE_BOUND`], refuse the streams beyond the cap, keep its RSS within
//! [`RSS_GROWTH_BOUND_KIB`] of where it started, and audit the flood in O(peers × windows)
//! entries whose counts add up to the refusals the clients saw. About 30 s.
#![cfg(unix)]

use assethub_mocks::population::{DEFAULT_SEED, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_mocks::Population;
use assethub_proto::v1 as pb;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_proto::v1::orders_client::OrdersClient;
use assethub_tests::hub_process::{rss_kib_of, HubProcess};
use assethub_tests::{
    bearer, clients_as, config_for, instant_agencies, register_standard_cases, token, Role, CASE,
    COURT, OTHER_COURT, OTHER_COURT_CASE,
};
use sqlx::Row;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

/// The backlog every stream replays: events of ~16 kB (as an unbounded `asset_ref` made them).
const EVENTS: i64 = 2_000;
const EVENT_BYTES: usize = 16 * 1024;
/// Streams the abusing caller asks for, and the hub's cap (its default).
const STREAMS: usize = 300;
const STREAM_CAP: u32 = 16;
/// Concurrent batches of the abusing court's case system, and their items.
const BATCHES: usize = 8;
const BATCH_ITEMS: usize = 400;
/// How long the unauthenticated flood lasts, and its concurrency.
const FLOOD: Duration = Duration::from_secs(12);
const FLOODERS: usize = 16;
/// Every probe call must be answered (OK) within this: the hub's default deadline (the slowest
/// probe takes ~0.6 s on a loaded 2-core runner).
const PROBE_BOUND: Duration = Duration::from_secs(5);
/// Most the hub's RSS may grow during the abuse (~20 MiB seen; the old hub grew ~9 MB per
/// stream).
const RSS_GROWTH_BOUND_KIB: u64 = 100 * 1024;

/// Writes the backlog into the ledger before the hub starts (as an insider would: the API no
/// longer accepts the unbounded references that made such events).
async fn seed_events(url: &str) {
    let ledger = assethub_hub::orders::Ledger::open(url)
        .await
        .expect("the ledger opens");
    let mut tx = ledger.pool().begin().await.expect("a transaction");
    let place = "某".repeat(EVENT_BYTES / 3);
    for seq in 1..=EVENTS {
        let payload = serde_json::json!({
            "order_id": format!("o-{seq}"),
            "plate": "鄂A12345",
            "place": place,
            "seen_at": "2026-11-30T08:00:00+08:00",
        });
        sqlx::query("INSERT INTO control_events (seq, at_ms, case_number, order_id, kind, payload) VALUES ($1, $2, $3, $4, 'sighting', $5)")
            .bind(seq)
            .bind(1_700_000_000_000i64)
            .bind(CASE)
            .bind(format!("o-{seq}"))
            .bind(payload.to_string())
            .execute(&mut *tx)
            .await
            .expect("an event is written");
    }
    // The feed's counter (migration 0011) moves with them, as the hub's own writes move it.
    sqlx::query("UPDATE control_event_head SET last_seq = $1 WHERE id = 1")
        .bind(EVENTS)
        .execute(&mut *tx)
        .await
        .expect("the counter moves");
    tx.commit().await.expect("the backlog is committed");
    ledger.pool().close().await;
}

async fn channel_from(hub: &HubProcess, local: Ipv4Addr) -> Channel {
    Endpoint::from_shared(hub.url())
        .expect("hub url")
        .local_address(Some(IpAddr::V4(local)))
        .connect()
        .await
        .expect("client connects")
}

/// Opens `STREAMS` replays from the first event, never reading them: the streams accepted
/// (held open) and the messages of those refused.
async fn open_streams(
    hub: &HubProcess,
) -> (Vec<tonic::Streaming<pb::OrderEvent>>, Vec<tonic::Status>) {
    let mut held = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..STREAMS / 30 {
        let channel = channel_from(hub, Ipv4Addr::LOCALHOST).await;
        let (_, mut orders) = clients_as(&channel, Role::Judge, COURT);
        for _ in 0..30 {
            match orders
                .watch_events(pb::WatchEventsRequest {
                    after_cursor: 0,
                    case_number: String::new(),
                })
                .await
            {
                Ok(stream) => held.push(stream.into_inner()),
                Err(status) => refused.push(status),
            }
        }
    }
    (held, refused)
}

/// `BATCHES` batches of `BATCH_ITEMS` debtors of [`CASE`], started now and read to the end,
/// all at once, by the returned task: the items answered.
async fn start_batches(
    hub: &HubProcess,
    population: &Population,
) -> tokio::task::JoinHandle<usize> {
    let channel = channel_from(hub, Ipv4Addr::LOCALHOST).await;
    let (mut search, _) = clients_as(&channel, Role::CaseSystem, COURT);
    let items: Vec<pb::BatchItem> = population
        .debtors()
        .iter()
        .cycle()
        .take(BATCH_ITEMS)
        .map(|d| pb::BatchItem {
            case_number: CASE.into(),
            debtor: Some(pb::Debtor {
                id_number: d.id_number.clone(),
                name: d.name.clone(),
            }),
        })
        .collect();
    let mut streams = Vec::new();
    for _ in 0..BATCHES {
        let stream = search
            .batch_query(pb::BatchQueryRequest {
                kind_names: Default::default(),
                items: items.clone(),
                kinds: vec![],
                fresh: true,
                item_deadline_ms: 0,
            })
            .await
            .expect("a batch within the cap starts")
            .into_inner();
        streams.push(stream);
    }
    // All read at once, as any client of several streams on one HTTP/2 connection must: the
    // streams share the connection's receive window (5 MiB), and the bytes of streams left
    // unread keep it from the one being read (8 × 400 items of ~3 kB would stall for ever).
    tokio::spawn(async move {
        let drained = streams.into_iter().map(|mut stream| async move {
            let mut answered = 0;
            while let Ok(Some(_)) = stream.message().await {
                answered += 1;
            }
            answered
        });
        futures::future::join_all(drained).await.into_iter().sum()
    })
}

/// Calls with a forged token from `FLOODERS` tasks for `FLOOD`: the refusals seen.
async fn flood(hub: &HubProcess) -> u64 {
    let refused = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + FLOOD;
    let mut tasks = Vec::new();
    for _ in 0..FLOODERS {
        let channel = channel_from(hub, Ipv4Addr::LOCALHOST).await;
        let refused = refused.clone();
        tasks.push(tokio::spawn(async move {
            let forged = format!("{}x", token(Role::Judge, COURT));
            let mut client = AssetHubClient::with_interceptor(channel, bearer(&forged));
            while Instant::now() < until {
                let status = client
                    .query(assethub_tests::demo_person_query())
                    .await
                    .expect_err("a forged token is refused");
                assert!(
                    matches!(
                        status.code(),
                        Code::Unauthenticated | Code::ResourceExhausted
                    ),
                    "{status:?}"
                );
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("a flooder");
    }
    refused.load(Ordering::Relaxed)
}

/// Another court's judge, from 127.0.0.2, searching every 100 ms until `stop`: each call's
/// latency, or why it failed.
fn probe(
    channel: Channel,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<Result<Duration, String>>> {
    tokio::spawn(async move {
        let (mut search, _): (AssetHubClient<_>, OrdersClient<_>) =
            clients_as(&channel, Role::Judge, OTHER_COURT);
        let mut calls = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let mut query = assethub_tests::query(DEMO_PERSON_ID, DEMO_PERSON_NAME);
            query.case_number = OTHER_COURT_CASE.into();
            let call = tokio::time::timeout(PROBE_BOUND, search.query(query)).await;
            calls.push(match call {
                Ok(Ok(_)) => Ok(started.elapsed()),
                Ok(Err(status)) => Err(format!("{status:?}")),
                Err(_) => Err(format!("no answer within {PROBE_BOUND:?}")),
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        calls
    })
}

/// The hub's RSS every 50 ms until `stop`: the highest seen.
fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut highest = 0;
        while !stop.load(Ordering::Relaxed) {
            highest = highest.max(rss_kib_of(pid).unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        highest
    })
}

/// The audit entries of refusals of 127.0.0.1's calls: one by one, and the aggregated counts.
async fn flood_audit(url: &str) -> (u64, Vec<u64>) {
    let ledger = assethub_hub::orders::Ledger::open(url)
        .await
        .expect("the ledger opens");
    let single: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE outcome IN ('UNAUTHENTICATED', 'RESOURCE_EXHAUSTED') AND method <> 'gate:refusals' AND detail LIKE '%peer 127.0.0.1:%'")
        .fetch_one(ledger.pool())
        .await
        .expect("counted")
        .try_get(0)
        .expect("a count");
    let rows = sqlx::query("SELECT detail FROM audit_log WHERE method = 'gate:refusals' AND detail LIKE '%peer 127.0.0.1;%'")
        .fetch_all(ledger.pool())
        .await
        .expect("aggregated entries");
    let counts = rows
        .iter()
        .map(|row| {
            let detail: String = row.try_get(0).expect("a detail");
            detail
                .strip_prefix("count=")
                .and_then(|rest| rest.split(';').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("an aggregated entry names its count: {detail}"))
        })
        .collect();
    (single as u64, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_courts_abuse_leaves_the_hub_responsive_to_another_court() {
    let started = Instant::now();
    let population = Arc::new(Population::generate(DEFAULT_SEED, 600));
    let agencies = instant_agencies(population.clone()).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/ledger.db", dir.path().display());
    seed_events(&url).await;
    let mut config = config_for(&agencies);
    config.ledger.url = url.clone();
    assert_eq!(
        config.server.max_streams_per_caller, STREAM_CAP,
        "the default cap"
    );
    let mut hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
    register_standard_cases(&channel_from(&hub, Ipv4Addr::LOCALHOST).await, &population).await;
    let probe_channel = channel_from(&hub, Ipv4Addr::new(127, 0, 0, 2)).await;
    let baseline = hub.rss_kib().expect("the hub's RSS");

    let stop = Arc::new(AtomicBool::new(false));
    let rss = sample_rss(hub.pid(), stop.clone());
    let probes = probe(probe_channel, stop.clone());
    let (held, refused_streams) = open_streams(&hub).await;
    let batches = start_batches(&hub, &population).await;
    let flooded = flood(&hub).await;
    let answered = batches.await.expect("the batches");
    drop(held);
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let calls = probes.await.expect("the probe");
    let highest = rss.await.expect("the RSS sampler");
    assert_eq!(
        hub.terminate().await.code(),
        Some(0),
        "the hub stops cleanly"
    );

    // Streams: the cap, and a refusal naming it for every one beyond.
    assert_eq!(
        (STREAMS - refused_streams.len()) as u32,
        STREAM_CAP,
        "streams accepted of {STREAMS}"
    );
    for status in &refused_streams {
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(
            status.message().contains("max_streams_per_caller")
                && status.message().contains(&STREAM_CAP.to_string()),
            "{status:?}"
        );
    }
    assert_eq!(
        answered,
        BATCHES * BATCH_ITEMS,
        "every batch item is answered"
    );

    // The other court was served throughout, every call within the bound.
    let failed: Vec<_> = calls.iter().filter_map(|c| c.as_ref().err()).collect();
    assert!(failed.is_empty(), "probe failures: {failed:?}");
    let slowest = calls.iter().filter_map(|c| c.as_ref().ok()).max().copied();
    assert!(calls.len() >= 20, "{} probe calls", calls.len());
    assert!(slowest < Some(PROBE_BOUND), "slowest probe {slowest:?}");

    // Memory stayed bounded.
    let growth = highest.saturating_sub(baseline);
    assert!(
        growth < RSS_GROWTH_BOUND_KIB,
        "RSS grew by {growth} KiB (from {baseline} KiB to {highest} KiB)"
    );

    // The flood and the refused streams: a handful of entries whose counts add up.
    let (single, aggregated) = flood_audit(&url).await;
    let refused_seen = flooded + refused_streams.len() as u64;
    assert!(flooded > 600, "{flooded} flood calls");
    assert!(
        single <= 3,
        "{single} refusals of 127.0.0.1 audited one by one"
    );
    assert!(aggregated.len() <= 3, "{aggregated:?}");
    assert_eq!(
        single + aggregated.iter().sum::<u64>(),
        refused_seen,
        "every refusal is audited, alone or counted"
    );
    eprintln!(
        "abuse: {flooded} flood refusals, {} streams refused, {answered} batch items, {} probes (slowest {slowest:?}), RSS {baseline} -> {highest} KiB, audit {single} single + {aggregated:?}, {:?}",
        refused_streams.len(),
        calls.len(),
        started.elapsed()
    );
}

/// Connections that do nothing are closed: one that sends no request within the header-read
/// timeout, and one whose calls have ended once the idle timeout has passed; a connection with
/// a stream open stays.
#[tokio::test]
async fn connections_that_start_no_call_or_stay_idle_are_closed() {
    use tokio::io::AsyncReadExt;
    let world = assethub_tests::World::start_with(assethub_tests::WorldOptions {
        tweak: Box::new(|config| {
            config.server.header_read_timeout_secs = 1;
            config.server.idle_timeout_secs = 2;
        }),
        ..Default::default()
    })
    .await;
    let addr = world.hub.addr;

    // Connects and sends nothing (not even the HTTP/2 preface): closed after ~1 s.
    let mut silent = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match silent.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => continue,
            }
        }
    })
    .await
    .expect("a silent connection is closed, not kept for ever");
    assert!(
        closed >= Duration::from_millis(900),
        "closed after {closed:?}"
    );

    // A client that watches events for 4 s (a call open throughout) keeps its connection; once
    // its calls have ended it is closed after the idle timeout, and the channel reconnects.
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("hub url")
        .connect()
        .await
        .expect("client connects");
    let (_, mut orders) = clients_as(&channel, Role::Judge, COURT);
    let mut feed = orders
        .watch_events(pb::WatchEventsRequest {
            after_cursor: 0,
            case_number: String::new(),
        })
        .await
        .expect("a feed")
        .into_inner();
    let waited = tokio::time::timeout(Duration::from_secs(4), feed.message()).await;
    assert!(
        waited.is_err(),
        "the feed is still open and quiet: {waited:?}"
    );
    drop(feed);
    let (mut search, _) = clients_as(&channel, Role::Judge, COURT);
    search
        .query(assethub_tests::demo_person_query())
        .await
        .expect("the connection survived the open feed");
    tokio::time::sleep(Duration::from_secs(4)).await;
    search
        .query(assethub_tests::demo_person_query())
        .await
        .expect("the channel reconnects after an idle close");
}

/// Batches and streamed queries take stream slots as feeds do while they run (the agencies
/// take 3 s to answer), and a slot frees when its stream is dropped.
#[tokio::test]
async fn every_streaming_method_counts_against_the_cap() {
    let world = assethub_tests::World::start_with(assethub_tests::WorldOptions {
        agency_latency_ms: Some(3_000),
        tweak: Box::new(|config| config.server.max_streams_per_caller = 2),
        ..Default::default()
    })
    .await;
    let (mut search, mut orders) = clients_as(&world.channel, Role::Judge, COURT);
    let batch = pb::BatchQueryRequest {
        kind_names: Default::default(),
        items: vec![pb::BatchItem {
            case_number: CASE.into(),
            debtor: assethub_tests::demo_debtor(),
        }],
        kinds: vec![],
        fresh: false,
        item_deadline_ms: 0,
    };
    let held_batch = search.batch_query(batch.clone()).await.expect("first slot");
    let held_query = search
        .stream_query(assethub_tests::demo_person_query())
        .await
        .expect("second slot");
    let watch = pb::WatchEventsRequest {
        after_cursor: 0,
        case_number: String::new(),
    };
    let refused = orders.watch_events(watch.clone()).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let refused = search.batch_query(batch).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let (mut other_court, _) = clients_as(&world.channel, Role::Judge, OTHER_COURT);
    let mut query = assethub_tests::query(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    query.case_number = OTHER_COURT_CASE.into();
    other_court
        .stream_query(query)
        .await
        .expect("another caller has its own slots");
    drop(held_batch);
    drop(held_query);
    // The slots come back once the hub has seen the streams go.
    let reopened = async {
        loop {
            match orders.watch_events(watch.clone()).await {
                Ok(stream) => return stream,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), reopened)
        .await
        .expect("a dropped stream gives its slot back");
}
