//! Benchmark: hub queries against a bare tonic echo service measured in the same run.
//!
//! Scenarios, each measured sequentially (one client, latency percentiles) and concurrently
//! (`BENCH_CONCURRENCY` clients, throughput), interleaved over `BENCH_ROUNDS` rounds so that
//! noise on a shared machine hits every scenario alike; medians of the rounds are printed,
//! with ratios against the echo baseline:
//! - `echo`: a bare tonic unary call (the floor for any gRPC call on this machine);
//! - `query cached`: a six-source query for one debtor answered from the hub's cache;
//! - `query uncached`: the same with `fresh`, so six agency HTTP calls (mocks at 0 ms latency,
//!   so the figure is the hub's and connectors' own cost, not simulated agency time);
//! - `watch+release`: a control round trip: put a car on watch, then release it (two orders,
//!   each written to the SQLite ledger before and after its agency call, with its events).
//!
//! Run: `cargo bench -p assethub-tests --bench query` (env BENCH_REQUESTS, BENCH_ROUNDS,
//! BENCH_CONCURRENCY to change the sizes).

use assethub_proto::bench::echo_client::EchoClient;
use assethub_proto::bench::echo_server::{Echo, EchoServer};
use assethub_proto::bench::EchoMessage;
use assethub_proto::v1 as pb;
use assethub_tests::{demo_person_query, World};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

struct EchoService;

#[tonic::async_trait]
impl Echo for EchoService {
    async fn echo(&self, request: Request<EchoMessage>) -> Result<Response<EchoMessage>, Status> {
        Ok(Response::new(request.into_inner()))
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, Default)]
struct Figures {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    per_sec: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Sequential latencies of `n` calls, then throughput of `n` calls spread over `concurrency`
/// clients.
async fn measure<F, Fut>(call: F, n: usize, concurrency: usize) -> Figures
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        call().await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let started = Instant::now();
    let per_client = n.div_ceil(concurrency);
    let clients: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                for _ in 0..per_client {
                    call().await;
                }
            })
        })
        .collect();
    for client in clients {
        client.await.expect("bench client");
    }
    let per_sec = (per_client * concurrency) as f64 / started.elapsed().as_secs_f64();
    Figures {
        p50: percentile(&latencies, 0.50),
        p90: percentile(&latencies, 0.90),
        p99: percentile(&latencies, 0.99),
        per_sec,
    }
}

fn median_by<T: Copy + PartialOrd>(rounds: &[Figures], key: impl Fn(&Figures) -> T) -> T {
    let mut values: Vec<T> = rounds.iter().map(key).collect();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}

fn median(rounds: &[Figures]) -> Figures {
    Figures {
        p50: median_by(rounds, |f| f.p50),
        p90: median_by(rounds, |f| f.p90),
        p99: median_by(rounds, |f| f.p99),
        per_sec: median_by(rounds, |f| f.per_sec),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let n = env_or("BENCH_REQUESTS", 2000);
    let rounds = env_or("BENCH_ROUNDS", 3);
    let concurrency = env_or("BENCH_CONCURRENCY", 16);

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let echo_url = format!("http://{}", listener.local_addr().expect("echo addr"));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(EchoServer::new(EchoService))
            .serve_with_incoming(assethub_hub::server::incoming(listener)),
    );
    let echo = EchoClient::connect(echo_url).await.expect("echo client");
    // One caller sends everything here: lift its per-caller rate limit out of the way.
    let world = World::start_with(assethub_tests::WorldOptions {
        tweak: Box::new(|config| {
            config.auth.requests_per_sec = 1_000_000;
            config.auth.burst = 1_000_000;
        }),
        ..Default::default()
    })
    .await;
    let hub = world.client.clone();
    // Warm the cache and the connections.
    hub.clone()
        .query(demo_person_query())
        .await
        .expect("warm-up query");

    let payload = vec![7u8; 256];
    let mut results: Vec<(&str, Vec<Figures>)> = vec![
        ("echo", vec![]),
        ("query cached", vec![]),
        ("query uncached", vec![]),
        ("watch+release", vec![]),
    ];
    let car = demo_car(&world).await;
    let orders = world.orders.clone();
    let sequence = Arc::new(AtomicU64::new(1));
    // One registered case per round trip (sequential and concurrent calls of every round,
    // rounded up per client), registered before anything is timed.
    let round_trips = rounds as u64 * 2 * ((n / 4).div_ceil(concurrency) * concurrency) as u64;
    register_round_trip_cases(&world, round_trips).await;
    for round in 0..rounds {
        eprintln!("round {}/{rounds}", round + 1);
        let client = echo.clone();
        let payload = payload.clone();
        results[0].1.push(
            measure(
                move || {
                    let mut client = client.clone();
                    let payload = payload.clone();
                    async move {
                        client.echo(EchoMessage { payload }).await.expect("echo");
                    }
                },
                n,
                concurrency,
            )
            .await,
        );
        for (slot, fresh) in [(1, false), (2, true)] {
            let client = hub.clone();
            results[slot].1.push(
                measure(
                    move || {
                        let mut client = client.clone();
                        async move {
                            let mut request = demo_person_query();
                            request.fresh = fresh;
                            let response = client.query(request).await.expect("query").into_inner();
                            assert_eq!(response.sources.len(), 6);
                        }
                    },
                    n,
                    concurrency,
                )
                .await,
            );
        }
        {
            let (orders, car, sequence) = (orders.clone(), car.clone(), sequence.clone());
            results[3].1.push(
                measure(
                    move || {
                        let (orders, car) = (orders.clone(), car.clone());
                        // A case of its own per round trip: concurrent clients never contend
                        // for one case's hold on the car.
                        let n = sequence.fetch_add(1, Ordering::Relaxed);
                        async move { watch_and_release(orders, &car, n).await }
                    },
                    n / 4,
                    concurrency,
                )
                .await,
            );
        }
    }

    let baseline = median(&results[0].1);
    println!();
    println!("assethub query benchmark: {n} requests x {rounds} rounds, {concurrency} concurrent clients; medians of rounds");
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>12} {:>12} {:>14}",
        "scenario", "p50 ms", "p90 ms", "p99 ms", "req/s", "p50 / echo", "req/s / echo"
    );
    for (name, rounds) in &results {
        let f = median(rounds);
        println!(
            "{:<16} {:>10} {:>10} {:>10} {:>12.0} {:>12.2} {:>14.3}",
            name,
            ms(f.p50),
            ms(f.p90),
            ms(f.p99),
            f.per_sec,
            f.p50.as_secs_f64() / baseline.p50.as_secs_f64(),
            f.per_sec / baseline.per_sec,
        );
    }
}

/// Registers cases 1..=`count` of [`round_trip_case`], 16 at a time, as the court's case
/// system would.
async fn register_round_trip_cases(world: &World, count: u64) {
    use futures::StreamExt;
    let debtor = demo_person_query().debtor.expect("the demo person");
    futures::stream::iter(1..=count)
        .map(|n| {
            let channel = world.channel.clone();
            let debtor = (debtor.id_number.clone(), debtor.name.clone());
            async move {
                assethub_tests::register_case(
                    &channel,
                    &round_trip_case(n),
                    &[debtor],
                    1_000_000,
                    &format!("BENCH-{n}"),
                )
                .await;
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

/// The case of round trip `n`.
fn round_trip_case(n: u64) -> String {
    format!("(2024)鄂0116执{}号", 10_000 + n)
}

/// The demo person's first car, as an asset ref.
async fn demo_car(world: &World) -> String {
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Vehicle as i32];
    let response = world
        .client
        .clone()
        .query(request)
        .await
        .expect("query")
        .into_inner();
    response
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .map(|a| a.asset_ref.clone())
        .next()
        .expect("the demo person owns a car")
}

async fn watch_and_release(
    mut orders: pb::orders_client::OrdersClient<assethub_tests::Authed>,
    car: &str,
    n: u64,
) {
    let case = round_trip_case(n);
    let instruction = |key: String| {
        Some(pb::Instruction {
            case_number: case.clone(),
            ruling: format!("{case}之一"),
            officer: assethub_tests::officer_of(assethub_tests::Role::Judge).into(),
            idempotency_key: key,
        })
    };
    let watch = orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(format!("bench-w-{n}")),
            action: pb::OrderAction::Watch as i32,
            asset_ref: car.into(),
            debtor: demo_person_query().debtor,
            amount_fen: 0,
            days: 30,
            currency: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    assert_eq!(watch.state, pb::OrderState::Effective as i32, "{watch:?}");
    let release = orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(format!("bench-r-{n}")),
            action: pb::OrderAction::Release as i32,
            order_id: watch.order_id,
            amount_fen: 0,
            case_account: String::new(),
            days: 0,
        })
        .await
        .expect("release")
        .into_inner();
    assert_eq!(
        release.state,
        pb::OrderState::Effective as i32,
        "{release:?}"
    );
}
