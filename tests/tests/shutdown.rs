//! Stopping and health, seen from outside: a hub told to stop (SIGTERM) lets a control order
//! in flight reach its agency and records the answer before it exits; per-source health in the
//! standard gRPC health service follows the source's circuit breaker.

#![cfg(unix)]

use assethub_mocks::faults::FaultRule;
use assethub_mocks::population::{DEFAULT_SEED, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_mocks::{demo_agencies, start_all, Population};
use assethub_proto::v1 as pb;
use assethub_tests::hub_process::HubProcess;
use assethub_tests::{
    clients_as, config_for, demo_person_query, register_standard_cases, Role, World, WorldOptions,
    CASE,
};
use assethub_tests::{invariants, COURT};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

#[tokio::test]
async fn sigterm_lets_an_order_in_flight_reach_its_agency_and_records_the_answer() {
    let population = Arc::new(Population::generate(DEFAULT_SEED, 200));
    let agencies = start_all(&demo_agencies(0), population.clone())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(&agencies);
    let ledger = format!("sqlite://{}/ledger.db", dir.path().display());
    config.ledger.url = ledger.clone();
    config.metrics.enabled = false;
    let mut hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
    let channel = Channel::from_shared(hub.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    register_standard_cases(&channel, &population).await;
    let (mut search, mut orders) = clients_as(&channel, Role::Judge, COURT);
    let found = search
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let account = found
        .sources
        .iter()
        .find(|s| s.source == "pay-xinfu")
        .and_then(|s| s.assets.first())
        .map(|a| a.asset_ref.clone())
        .expect("the demo person has a payment account");

    // The platform now takes 1.5 s to answer; the judge's call gives up after 300 ms, and the
    // hub is told to stop right then, with the instruction on its way.
    let platform = agencies.iter().find(|a| a.name == "pay-xinfu").unwrap();
    platform.knobs.faults().add_rules([FaultRule {
        latency_ms: 1_500,
        ..FaultRule::on("*")
    }]);
    let mut request = tonic::Request::new(pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: Some(pb::Instruction {
            case_number: CASE.into(),
            ruling: format!("{CASE}之一"),
            officer: assethub_tests::officer_of(Role::Judge).into(),
            idempotency_key: "sigterm-1".into(),
        }),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: account,
        debtor: Some(pb::Debtor {
            id_number: DEMO_PERSON_ID.into(),
            name: DEMO_PERSON_NAME.into(),
        }),
        amount_fen: 77,
        days: 0,
        currency: String::new(),
    });
    request.set_timeout(Duration::from_millis(300));
    let _ = orders.place_hold(request).await;
    let stopping = Instant::now();
    let exit = hub.terminate().await;
    assert!(exit.success(), "the hub exits cleanly on SIGTERM: {exit:?}");
    assert!(
        stopping.elapsed() >= Duration::from_millis(1_000),
        "the hub waited for the agency's answer before exiting"
    );

    let recorded = invariants::ledger_orders(&ledger).await.unwrap();
    let order = recorded
        .iter()
        .find(|o| o.amount_fen == 77)
        .expect("the order was recorded");
    assert_eq!(order.state.as_str(), "effective", "{order:?}");
    assert_eq!(order.frozen_fen, 77);
    let report = invariants::check(&recorded, &invariants::registers(&agencies));
    assert!(report.mismatches.is_empty(), "{report}");
}

#[tokio::test]
async fn a_source_whose_breaker_opens_is_not_serving_in_health() {
    let world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            for source in &mut config.sources {
                source.breaker_failures = 2;
            }
            config.retry.max_attempts = 1;
        }),
        ..WorldOptions::default()
    })
    .await;
    world
        .agency("pay-xinfu")
        .knobs
        .faults()
        .add_rules([FaultRule {
            error_rate: 1.0,
            ..FaultRule::on("*")
        }]);
    let mut client = world.client.clone();
    for _ in 0..2 {
        let mut request = demo_person_query();
        request.fresh = true;
        client.query(request).await.unwrap();
    }
    let mut health = HealthClient::new(world.channel.clone());
    let mut status_of = async |service: &str| {
        health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .map(|r| r.into_inner().status())
            .unwrap_or(ServingStatus::Unknown)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while status_of("assethub.source.pay-xinfu").await != ServingStatus::NotServing {
        assert!(
            Instant::now() < deadline,
            "health never showed the open breaker"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status_of("assethub.source.registry-wuhan").await,
        ServingStatus::Serving
    );
    assert_eq!(
        status_of("assethub.v1.AssetHub").await,
        ServingStatus::Serving
    );
}
