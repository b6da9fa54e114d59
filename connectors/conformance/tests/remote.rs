//! The kit against a remote connector (`type = "remote"`): the payment connector served out of
//! process over `assethub.connector.v1` (tests/bridge), the mock payment platform behind it.
//! The kit builds the remote connector from its connector file as the hub would and runs the
//! same suite; faults injected at the agency must come back through both hops with their class.

mod bridge;
mod common;

use assethub_conformance::{run, Fixture, Outcome, Target};

#[tokio::test]
async fn a_remote_connector_is_checked_like_an_in_process_one() {
    let (agency, file) = common::agency("payment").await;
    let inner = Target::parse(&file)
        .expect("the connector file reads")
        .build()
        .await
        .expect("the payment connector builds");
    let (addr, server) = bridge::serve(inner).await;

    let remote = format!("id = \"pay-remote\"\ntype = \"remote\"\naddress = \"http://{addr}\"\n");
    let target = Target::parse(&remote).expect("the remote connector file reads");
    assert_eq!(target.base_url(), None, "a remote file names no agency");
    let connector = target
        .build()
        .await
        .expect("the remote connector describes itself");
    assert_eq!(connector.connector_type(), "remote");

    let fixture = Fixture::parse(&common::fixture("payment")).expect("the fixture reads");
    let report = run(connector, &agency.base_url(), fixture).await;
    println!("{}", report.table());
    assert!(report.passed(), "{}", report.table());
    let skipped: Vec<_> = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skip(_)))
        .map(|r| r.name)
        .collect();
    assert!(
        skipped.is_empty(),
        "skipped {skipped:?}\n{}",
        report.table()
    );
    server.abort();
}
