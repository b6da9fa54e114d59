//! The kit passes against every built-in connector with its mock agency: built in process
//! from the connector file (as the binary does), every check PASS or an expected SKIP.

mod common;

use assethub_conformance::{run, Fixture, Outcome, Target};

async fn passes(family: &str) {
    let (agency, file) = common::agency(family).await;
    let target = Target::parse(&file).expect("the connector file reads");
    let connector = target.build().await.expect("the connector builds");
    let fixture = Fixture::parse(&common::fixture(family)).expect("the fixture reads");
    let report = run(connector, &agency.base_url(), fixture).await;
    println!("{}", report.table());
    assert!(report.passed(), "{}", report.table());
    // Against the mocks nothing is skipped: they serve every admin endpoint and each family
    // can hold an asset.
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
    assert_eq!(
        report.results.len(),
        assethub_conformance::checks::CHECKS.len()
    );
}

#[tokio::test]
async fn bank() {
    passes("bank").await;
}

#[tokio::test]
async fn real_estate() {
    passes("real_estate").await;
}

#[tokio::test]
async fn vehicle() {
    passes("vehicle").await;
}

#[tokio::test]
async fn payment() {
    passes("payment").await;
}
