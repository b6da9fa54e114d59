//! `agency-floor`: what one agency call costs a bare HTTP client on this machine, the floor
//! under the hub's CPU per agency call (the query benchmark runs it beside the hub's fan-out).
//!
//! - `agency-floor serve --latency-ms 50`: a stand-in agency on an ephemeral loopback port
//!   (printed on stdout) answering every POST after the latency with a bank-like JSON body of
//!   four accounts;
//! - `agency-floor drive --url U --in-flight N --calls M`: M POSTs of a JSON inquiry, N at a
//!   time, through a `reqwest` client built as the hub builds its agency clients (shared pool,
//!   no idle cap, TCP_NODELAY, a timeout per request), each answer read whole and parsed as
//!   JSON — the least any HTTP connector does. Prints its own CPU per call (after a warm-up
//!   wave that opens the connections), calls per second, the run's wall time and the calls'
//!   p50 / p99 latency as `key=value` on stdout.

use clap::{Parser, Subcommand};
use futures::stream::{FuturesUnordered, StreamExt};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "agency-floor",
    about = "A bare HTTP client's cost per agency call"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A stand-in agency answering every POST after a fixed latency.
    Serve {
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
    },
    /// POSTs to `url`, `in_flight` at a time, `calls` in all.
    Drive {
        #[arg(long)]
        url: String,
        #[arg(long)]
        in_flight: usize,
        #[arg(long)]
        calls: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match cli.command {
        Command::Serve { latency_ms } => runtime.block_on(serve(latency_ms)),
        Command::Drive {
            url,
            in_flight,
            calls,
        } => runtime.block_on(drive(&url, in_flight.max(1), calls.max(1))),
    }
}

async fn serve(latency_ms: u64) {
    let account = |i: usize| {
        serde_json::json!({
            "account_no": format!("6222020200001234{i:03}"),
            "account_type": "DEMAND",
            "currency": "CNY",
            "balance": "12345.67",
            "status": "NORMAL",
            "branch": "中国工商银行武汉光谷支行",
        })
    };
    let body = serde_json::json!({
        "ret_code": "0000",
        "ret_msg": "ok",
        "serial_no": "SN202612030000001",
        "data": { "accounts": (0..4).map(account).collect::<Vec<_>>() },
    })
    .to_string();
    let app = axum::Router::new().fallback(axum::routing::post(move || {
        let body = body.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
            ([("content-type", "application/json")], body)
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    println!("{port}");
    axum::serve(listener, app).await.expect("serving");
}

async fn drive(url: &str, in_flight: usize, calls: usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .build()
        .expect("an HTTP client");
    let one = |n: usize| {
        let (client, url) = (client.clone(), url.to_string());
        async move {
            let asked = Instant::now();
            let body = serde_json::to_vec(&serde_json::json!({
                "req_id": format!("floor-{n}"),
                "case_no": "(2024)鄂0116执1234号",
                "name": "张伟",
                "id_type": "01",
                "id_no": "420106199001011234",
            }))
            .expect("a JSON body");
            let answer = client
                .post(url)
                .header("content-type", "application/json; charset=utf-8")
                .timeout(Duration::from_secs(10))
                .body(body)
                .send()
                .await
                .ok()?
                .bytes()
                .await
                .ok()?;
            serde_json::from_slice::<serde_json::Value>(&answer).ok()?;
            Some(asked.elapsed())
        }
    };
    // The warm-up wave opens the connections the run then reuses.
    let mut wave: FuturesUnordered<_> = (0..in_flight).map(one).collect();
    while wave.next().await.is_some() {}
    let own_cpu = || assethub_tests::wide::cpu_of(std::process::id());
    let (cpu_before, started) = (own_cpu(), Instant::now());
    let mut running = FuturesUnordered::new();
    let (mut sent, mut failed) = (0, 0);
    let mut latencies = Vec::with_capacity(calls);
    while sent < in_flight.min(calls) {
        running.push(one(sent));
        sent += 1;
    }
    while let Some(answer) = running.next().await {
        match answer {
            Some(latency) => latencies.push(latency),
            None => failed += 1,
        }
        if sent < calls {
            running.push(one(sent));
            sent += 1;
        }
    }
    let (cpu, elapsed) = (own_cpu() - cpu_before, started.elapsed());
    latencies.sort();
    let ms_at = |q: f64| {
        let last = latencies.len().saturating_sub(1);
        latencies
            .get((last as f64 * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "cpu_us_per_call={:.1} calls_per_sec={:.0} wall_ms={:.1} p50_ms={:.1} p99_ms={:.1} failed={failed}",
        cpu.as_secs_f64() * 1e6 / calls as f64,
        calls as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3,
        ms_at(0.5),
        ms_at(0.99),
    );
}
