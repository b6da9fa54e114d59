//! The hub at width, as a real process: many bank sources on a few mock listeners, fresh
//! queries over all of them. The small run (always) asserts what is counted: every source
//! answers, the agencies' connections are reused, HTTP clients are shared, and `/metrics`
//! stays small. The 4,000-source run (`--ignored`) prints the figures of issue 14 (start-up,
//! RSS, fresh-query latency at 50 ms agencies, hub CPU per agency call); build the hub in
//! release and point `ASSETHUB_HUB_BIN` at it for figures worth quoting.
#![cfg(unix)]

use assethub_tests::wide::{run, WideOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_query_over_250_sources_shares_clients_reuses_connections_and_scrapes_small() {
    // Above the 200 sources up to which `[metrics] per_source = "auto"` exports every
    // per-source series.
    let report = run(
        &WideOptions {
            sources: 250,
            listeners: 2,
            agency_latency_ms: 5,
            queries: 5,
        },
        |_| {},
    )
    .await;
    println!("{}", report.summary());
    assert_eq!(report.ok_sources, 250, "every source answers");
    assert_eq!(
        report.agency_calls, 1_250,
        "five fresh queries ask every source"
    );
    // At most one connection per call in flight, kept alive and reused by the next query.
    assert!(
        report.connections <= 250 + 10,
        "{} connections for 1,250 calls of at most 250 in flight",
        report.connections
    );
    let samples = assethub_hub::metrics::text::parse(&report.metrics_text).expect("exposition");
    let clients = assethub_hub::metrics::text::value(&samples, "assethub_agency_http_clients", &[]);
    assert_eq!(
        clients,
        Some(1.0),
        "250 bank sources of one setting share one client"
    );
    // Healthy sources have no series of their own; each kind has its aggregates.
    assert!(
        !report.metrics_text.contains("bank-0001"),
        "{}",
        report.metrics_text
    );
    let answered = assethub_hub::metrics::text::value(
        &samples,
        "assethub_kind_outcomes_total",
        &[("kind", "bank"), ("outcome", "ok")],
    );
    assert_eq!(answered, Some(1_250.0));
    assert!(
        report.metrics_bytes < 40_000,
        "{} bytes of metrics for 250 healthy sources",
        report.metrics_bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "4,000 sources: a minute or more; run with --ignored --nocapture"]
async fn a_fresh_query_over_4000_sources() {
    let report = run(
        &WideOptions {
            sources: 4_000,
            listeners: 8,
            agency_latency_ms: 50,
            queries: 5,
        },
        |_| {},
    )
    .await;
    println!("{}", report.summary());
    assert_eq!(report.ok_sources, 4_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "4,000 sources: a minute or more; run with --ignored --nocapture"]
async fn a_fresh_query_over_4000_sources_speaking_http2() {
    let report = run(
        &WideOptions {
            sources: 4_000,
            listeners: 8,
            agency_latency_ms: 50,
            queries: 5,
        },
        |config| {
            for source in &mut config.sources {
                source
                    .settings
                    .insert("http2_prior_knowledge".into(), toml::Value::Boolean(true));
            }
        },
    )
    .await;
    println!("{}", report.summary());
    assert_eq!(report.ok_sources, 4_000);
    // One connection per mock listener, every call multiplexed on it.
    assert!(report.connections <= 8, "{}", report.connections);
}
