//! A durable sweep survives a SIGKILL: a real hub process works through a sweep of a few
//! thousand debtors at the agencies' paced rate, is killed half-way without warning, and starts
//! again on the same ledger. The sweep resumes where it stopped and finishes: every item has
//! exactly one result with every source's answer, and the bank — the oracle, counting the
//! request ids it saw per debtor and case — was asked about each debtor under one id only (the
//! items that were being asked at the kill were asked again under their same id).
#![cfg(unix)]

use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::Population;
use assethub_proto::v1 as pb;
use assethub_tests::hub_process::HubProcess;
use assethub_tests::{chaos, instant_agencies, sweep, Role, COURT};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Endpoint;

const DEBTORS: usize = 3_000;
/// The slowest agency's rate: the sweep takes about DEBTORS / RATE = 6 s.
const RATE: u32 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_killed_half_way_resumes_and_asks_no_debtor_under_two_ids() {
    let population = Arc::new(Population::generate(DEFAULT_SEED, DEBTORS));
    let debtors: Vec<(String, String)> = population
        .debtors()
        .iter()
        .map(|d| (d.id_number.clone(), d.name.clone()))
        .collect();
    let agencies = instant_agencies(population.clone()).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let ledger_url = format!("sqlite://{}/ledger.db", dir.path().display());
    let mut config = chaos::hub_config(&agencies, &ledger_url);
    config.server.max_deadline_ms = 60_000;
    config.audit.checkpoint_file = dir.path().join("checkpoints.jsonl");
    sweep::pace_sources(&mut config, RATE);
    let mut hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
    let channel = Endpoint::from_shared(hub.url())
        .expect("hub url")
        .connect_timeout(Duration::from_secs(1))
        .connect_lazy();
    let case_of = sweep::register_cases(&channel, &debtors, 8_000).await;
    let mut client = sweep::client(&channel, Role::CaseSystem, COURT);
    let items: Vec<pb::SweepItem> = debtors
        .iter()
        .zip(&case_of)
        .map(|(d, case)| sweep::item(case, d))
        .collect();
    let id = client
        .submit_sweep(sweep::chunks(
            sweep::header("crash", true),
            items.into_iter(),
        ))
        .await
        .expect("the sweep is accepted")
        .into_inner()
        .id;

    // Half-way: SIGKILL.
    let at_kill = loop {
        let now = client
            .get_sweep(pb::GetSweepRequest { id: id.clone() })
            .await
            .expect("GetSweep")
            .into_inner();
        if now.done >= DEBTORS as u64 / 2 {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    hub.kill();
    assert!(at_kill.waiting > 0, "killed before the end: {at_kill:?}");
    let asked_before = bank_inquiries(&agencies);
    hub.restart().await;

    let channel = Endpoint::from_shared(hub.url())
        .expect("hub url")
        .connect_lazy();
    let mut client = sweep::client(&channel, Role::CaseSystem, COURT);
    let done = sweep::settled(&mut client, &id, Duration::from_secs(120)).await;
    assert_eq!(done.state, pb::SweepState::Finished as i32);
    assert_eq!(
        (
            done.done,
            done.failed,
            done.refused,
            done.awaiting,
            done.waiting
        ),
        (DEBTORS as u64, 0, 0, 0, 0),
        "{done:?}"
    );

    // Every item exactly once, complete.
    let results = sweep::results(&mut client, &id).await;
    assert_eq!(results.len(), DEBTORS);
    let sources = config.sources.len();
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result.index, index as u64);
        assert_eq!(result.state, pb::SweepItemState::Done as i32);
        assert_eq!(result.sources.len(), sources, "item {index}");
        assert_eq!(result.case_number, case_of[index]);
    }

    // The agency's view: one request id per debtor and case, the item's own.
    let log = agencies
        .iter()
        .find(|a| a.name == "bank-gongxin")
        .expect("the bank")
        .knobs
        .inquiry_log();
    let tally = log.tally();
    assert_eq!(tally.pairs, DEBTORS);
    assert_eq!(tally.pairs_with_several_ids, 0, "{tally:?}");
    for (index, ((debtor, _), case)) in debtors.iter().zip(&case_of).enumerate() {
        let ids = log.ids(debtor, case);
        assert_eq!(ids.len(), 1, "debtor {index}");
        assert_eq!(ids[0].0, format!("swp-{id}-{index}"));
    }
    // Only the items in flight at the kill were asked twice (same id); the rest once.
    let window = config.sweeps.window as u64 + config.sweeps.concurrency as u64;
    assert!(tally.repeats <= window, "{tally:?}");
    println!(
        "SWEEP_CRASH {{\"debtors\":{DEBTORS},\"done_at_kill\":{},\"bank_inquiries_before_kill\":{asked_before},\"bank_inquiries\":{},\"asked_again_same_id\":{},\"debtors_with_two_ids\":{}}}",
        at_kill.done, tally.inquiries, tally.repeats, tally.pairs_with_several_ids
    );
    hub.terminate().await;
}

fn bank_inquiries(agencies: &[assethub_mocks::RunningAgency]) -> u64 {
    agencies
        .iter()
        .find(|a| a.name == "bank-gongxin")
        .map_or(0, |a| a.knobs.inquiry_log().tally().inquiries)
}
