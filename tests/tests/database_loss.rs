//! The PostgreSQL ledger goes away under a running hub and comes back: while it is gone,
//! searches and control calls are refused with UNAVAILABLE — never answered unaudited, never
//! recorded half — and once it is back the hub serves again by itself, its audit chain whole.
//!
//! Restarts the machine's PostgreSQL cluster (`pg_ctlcluster`, as root: `.ci/run`), so it is a
//! test binary of its own with one test (cargo runs test binaries one after another); skipped
//! with a message without `ASSETHUB_TEST_PG_URL` or `pg_ctlcluster`.

use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{
    bearer, demo_debtor, demo_person_query, instruction, postgres_ledger, token, Role, World,
    WorldOptions, CASE, COURT,
};
use std::process::Command;
use std::time::{Duration, Instant};
use tonic::Code;

/// The cluster `.ci/run` and the machine run.
const CLUSTER: [&str; 2] = ["15", "main"];

fn cluster(action: &str) -> bool {
    Command::new("pg_ctlcluster")
        .args(CLUSTER)
        .arg(action)
        .args(if action == "stop" {
            &["-m", "fast"][..]
        } else {
            &[]
        })
        .status()
        .is_ok_and(|s| s.success())
}

fn freeze(key: &str, asset: &str) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: asset.into(),
        debtor: demo_debtor(),
        amount_fen: 10_000,
        days: 30,
        currency: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_refuses_while_its_database_is_gone_and_serves_again_when_it_is_back() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    if Command::new("pg_ctlcluster")
        .arg("--help")
        .output()
        .is_err()
    {
        eprintln!("skipped: no pg_ctlcluster to stop and start the database with");
        return;
    }
    let mut world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        ..WorldOptions::default()
    })
    .await;
    let found = world
        .client
        .query(demo_person_query())
        .await
        .expect("a search")
        .into_inner();
    let asset = found
        .sources
        .iter()
        .flat_map(|s| &s.assets)
        .find(|a| matches!(a.detail, Some(pb::asset::Detail::Deposit(_))))
        .expect("an account")
        .asset_ref
        .clone();

    assert!(cluster("stop"), "the database stops");
    let outcome = async {
        let search = world.client.query(demo_person_query()).await;
        let control = world.orders.place_hold(freeze("while-gone", &asset)).await;
        (search, control)
    }
    .await;
    let restarted = cluster("start");
    let (search, control) = outcome;
    assert!(restarted, "the database starts again");
    let search = search.expect_err("no answer without its audit entry");
    assert_eq!(search.code(), Code::Unavailable, "{search:?}");
    let control = control.expect_err("no order without the ledger");
    assert_eq!(control.code(), Code::Unavailable, "{control:?}");

    // Back by itself: the same hub answers again within a few seconds.
    let started = Instant::now();
    loop {
        match world.client.query(demo_person_query()).await {
            Ok(_) => break,
            Err(e) if started.elapsed() < Duration::from_secs(30) => {
                assert_eq!(e.code(), Code::Unavailable, "{e:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the hub did not come back: {e:?}"),
        }
    }
    let placed = world
        .orders
        .place_hold(freeze("after", &asset))
        .await
        .expect("a freeze once the database is back")
        .into_inner();
    assert!(!placed.order_id.is_empty());
    // Nothing of the refused freeze was recorded.
    let listed = world
        .orders
        .list_orders(pb::ListOrdersRequest {
            case_number: CASE.into(),
            ..Default::default()
        })
        .await
        .expect("the orders")
        .into_inner();
    assert_eq!(listed.orders.len(), 1, "{listed:?}");
    // The audit chain is whole.
    let mut audit =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)));
    let verified = audit
        .verify_audit(pb::VerifyAuditRequest::default())
        .await
        .expect("the chain verifies")
        .into_inner();
    assert!(verified.intact, "{verified:?}");
}
