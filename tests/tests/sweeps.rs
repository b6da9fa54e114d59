//! Durable sweeps as a court's case system uses them: a sweep submitted in chunks is worked
//! through by the hub on its own, every item admitted, audited and asked under one request id
//! per debtor (the bank's own log is the oracle), results readable page by page and masked; a
//! key submitted again names the first sweep; a bad item refuses the whole submission and keeps
//! nothing; another court sees nothing; a restart of the hub mid-sweep resumes it.

use assethub_proto::v1 as pb;
use assethub_tests::{ledger_backends, sweep, Role, World, WorldOptions, CASE, COURT, OTHER_COURT};
use std::collections::HashSet;
use std::time::Duration;

/// A valid identity number no case names.
const STRANGER: &str = "420106198001017778";

fn debtors(world: &World, n: usize) -> Vec<(String, String)> {
    world
        .population
        .debtors()
        .iter()
        .take(n)
        .map(|d| (d.id_number.clone(), d.name.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_asks_every_debtor_once_under_its_own_request_id_and_reports_per_source() {
    // On SQLite, and on PostgreSQL when ASSETHUB_TEST_PG_URL names a server.
    for (backend, ledger_url) in ledger_backends().await {
        println!("ledger: {backend}");
        let world = World::start_with(WorldOptions {
            ledger_url,
            ..WorldOptions::default()
        })
        .await;
        sweep_story(world).await;
    }
}

async fn sweep_story(world: World) {
    let mut client = sweep::client(&world.channel, Role::CaseSystem, COURT);
    let mut items: Vec<pb::SweepItem> = debtors(&world, 300)
        .iter()
        .map(|d| sweep::item(CASE, d))
        .collect();
    // A debtor who is not a party of the case: refused, never asked.
    items.push(sweep::item(CASE, &(STRANGER.into(), "王五".into())));
    let submitted = client
        .submit_sweep(sweep::chunks(
            sweep::header("daily-2024-06-01", true),
            items.clone().into_iter(),
        ))
        .await
        .expect("the sweep is accepted")
        .into_inner();
    assert!(submitted.created);
    assert_eq!(submitted.total, 301);
    let id = submitted.id.clone();

    let done = sweep::settled(&mut client, &id, Duration::from_secs(60)).await;
    assert_eq!(
        (
            done.done,
            done.refused,
            done.failed,
            done.awaiting,
            done.waiting
        ),
        (300, 1, 0, 0, 0),
        "{done:?}"
    );
    assert!(done.finished_at_ms >= done.started_at_ms && done.rate_per_sec > 0.0);

    let results = sweep::results(&mut client, &id).await;
    assert_eq!(results.len(), 301);
    let indexes: Vec<u64> = results.iter().map(|r| r.index).collect();
    assert_eq!(indexes, (0..301).collect::<Vec<u64>>());
    let sources = world.config.sources.len();
    for result in &results[..300] {
        assert_eq!(result.state, pb::SweepItemState::Done as i32);
        assert_eq!(result.sources.len(), sources, "{result:?}");
        assert!(result
            .sources
            .iter()
            .all(|s| matches!(s.status.as_str(), "ok" | "not_found" | "name_mismatch")));
        // Masked: never the whole number.
        assert!(result.debtor_id.contains('*'), "{}", result.debtor_id);
        assert_eq!(result.request_id, format!("swp-{id}-{}", result.index));
    }
    // Totals are yuan only: the second debtor's USD deposits are not added to them (oracle: a
    // search of the same debtor, summed here by currency).
    let mut client_search = world.client.clone();
    let second = debtors(&world, 2)[1].clone();
    let found = client_search
        .query(assethub_tests::query(&second.0, &second.1))
        .await
        .expect("a search")
        .into_inner();
    let mut usd = 0;
    for source in found.sources.iter().filter(|s| s.kind_name == "bank") {
        let cny: i64 = source
            .assets
            .iter()
            .filter_map(|a| match &a.detail {
                Some(pb::asset::Detail::Deposit(d)) if d.currency == "CNY" => Some(d.balance_fen),
                Some(pb::asset::Detail::Deposit(_)) => {
                    usd += 1;
                    None
                }
                _ => None,
            })
            .sum();
        let summary = results[1]
            .sources
            .iter()
            .find(|s| s.source == source.source)
            .expect("the bank in the sweep's result");
        assert_eq!(summary.total_fen, cny, "{}", source.source);
    }
    assert!(
        usd > 0,
        "the second debtor holds a foreign-currency deposit"
    );
    let refused = &results[300];
    assert_eq!(refused.state, pb::SweepItemState::Refused as i32);
    assert_eq!(refused.error_code, "FAILED_PRECONDITION");
    assert!(refused.sources.is_empty());

    // The bank's own log: every debtor asked under exactly its item's id, no other.
    let bank = world.agency("bank-gongxin").knobs.inquiry_log();
    for (index, (debtor, _)) in debtors(&world, 300).iter().enumerate() {
        let ids = bank.ids(debtor, CASE);
        assert_eq!(ids.len(), 1, "debtor {index}: {ids:?}");
        assert_eq!(ids[0].0, format!("swp-{id}-{index}"));
    }
    assert_eq!(bank.ids(STRANGER, CASE), vec![]);

    // The same key again: the first sweep, nothing new asked.
    let again = client
        .submit_sweep(sweep::chunks(
            sweep::header("daily-2024-06-01", true),
            items.into_iter(),
        ))
        .await
        .expect("a repeated key is answered")
        .into_inner();
    assert_eq!((again.id.as_str(), again.created), (id.as_str(), false));
    assert_eq!(bank.tally().inquiries, 300);

    // Another court does not see it.
    let mut other = sweep::client(&world.channel, Role::CaseSystem, OTHER_COURT);
    let status = other
        .get_sweep(pb::GetSweepRequest { id: id.clone() })
        .await
        .expect_err("another court's sweep is refused");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = other
        .get_sweep(pb::GetSweepRequest {
            id: "nosuchsweep".into(),
        })
        .await
        .expect_err("an unknown sweep");
    assert_eq!(status.code(), tonic::Code::NotFound);
    // Nor may it sweep this court's cases.
    let status = other
        .submit_sweep(sweep::chunks(
            sweep::header("theirs", false),
            debtors(&world, 3)
                .iter()
                .map(|d| sweep::item(CASE, d))
                .collect::<Vec<_>>()
                .into_iter(),
        ))
        .await
        .expect_err("another court's case");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(
        status.message().starts_with("items[0]"),
        "{}",
        status.message()
    );
    // An admin may not sweep at all.
    let mut admin = sweep::client(&world.channel, Role::Admin, COURT);
    let status = admin
        .get_sweep(pb::GetSweepRequest { id })
        .await
        .expect_err("an admin may not read sweeps");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_item_refuses_the_submission_by_its_index_and_keeps_nothing() {
    let world = World::start().await;
    let mut client = sweep::client(&world.channel, Role::CaseSystem, COURT);
    let mut items: Vec<pb::SweepItem> = debtors(&world, 500)
        .iter()
        .chain(debtors(&world, 200).iter())
        .map(|d| sweep::item(CASE, d))
        .collect();
    // In the second chunk, so the first has already been written when it is found.
    items[612].debtor.as_mut().unwrap().id_number = "110105194912310021".into();
    let status = client
        .submit_sweep(sweep::chunks(
            sweep::header("k1", false),
            items.clone().into_iter(),
        ))
        .await
        .expect_err("the bad item refuses the sweep");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("items[612].debtor.id_number"),
        "{}",
        status.message()
    );
    // Nothing was kept: the same key now creates a sweep.
    items.truncate(600);
    let sweep = client
        .submit_sweep(sweep::chunks(sweep::header("k1", false), items.into_iter()))
        .await
        .expect("a good sweep is accepted")
        .into_inner();
    assert!(sweep.created);
    assert_eq!(sweep.total, 600);
    // A bad key, a chunk too large, a header missing.
    let bad_key = client
        .submit_sweep(sweep::chunks(
            sweep::header("no spaces", false),
            std::iter::empty(),
        ))
        .await
        .expect_err("a bad key is refused");
    assert!(
        bad_key.message().contains("client_key"),
        "{}",
        bad_key.message()
    );
    let empty = client
        .submit_sweep(sweep::chunks(
            sweep::header("k2", false),
            std::iter::empty(),
        ))
        .await
        .expect_err("an empty sweep is refused");
    assert!(empty.message().contains("items"), "{}", empty.message());
    let headless = client
        .submit_sweep(futures::stream::iter(vec![pb::SubmitSweepChunk {
            part: Some(pb::submit_sweep_chunk::Part::Items(pb::SweepItems {
                items: vec![],
            })),
        }]))
        .await
        .expect_err("a submission without header is refused");
    assert!(
        headless.message().contains("header"),
        "{}",
        headless.message()
    );
    let huge = client
        .submit_sweep(futures::stream::iter(vec![
            pb::SubmitSweepChunk {
                part: Some(pb::submit_sweep_chunk::Part::Header(sweep::header(
                    "k3", false,
                ))),
            },
            pb::SubmitSweepChunk {
                part: Some(pb::submit_sweep_chunk::Part::Items(pb::SweepItems {
                    items: vec![sweep::item(CASE, &debtors(&world, 1)[0]); 1_001],
                })),
            },
        ]))
        .await
        .expect_err("a chunk over 1,000 items is refused");
    assert!(
        huge.message().contains("at most 1000"),
        "{}",
        huge.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_survives_a_hub_restart_and_a_cancelled_one_stops() {
    // Slow agencies, so the restart comes while the sweep runs.
    let mut world = World::start_with(WorldOptions {
        agency_latency_ms: Some(20),
        tweak: Box::new(|config| config.sweeps.concurrency = 8),
        ..WorldOptions::default()
    })
    .await;
    let mut client = sweep::client(&world.channel, Role::CaseSystem, COURT);
    let all = debtors(&world, 400);
    let items = all.iter().map(|d| sweep::item(CASE, d)).collect::<Vec<_>>();
    let id = client
        .submit_sweep(sweep::chunks(
            sweep::header("restart", true),
            items.into_iter(),
        ))
        .await
        .expect("accepted")
        .into_inner()
        .id;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = client
        .get_sweep(pb::GetSweepRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert!(before.waiting > 0, "the sweep is still running: {before:?}");
    world
        .restart_hub_with(|config| config.sweeps.concurrency = 64)
        .await;
    let mut client = sweep::client(&world.channel, Role::CaseSystem, COURT);
    let done = sweep::settled(&mut client, &id, Duration::from_secs(60)).await;
    assert_eq!(done.done, 400, "{done:?}");
    let bank = world.agency("bank-gongxin").knobs.inquiry_log();
    let tally = bank.tally();
    assert_eq!(tally.pairs, 400);
    assert_eq!(tally.pairs_with_several_ids, 0, "{tally:?}");
    let distinct: HashSet<String> = all
        .iter()
        .flat_map(|(d, _)| bank.ids(d, CASE).into_iter().map(|(id, _)| id))
        .collect();
    assert_eq!(distinct.len(), 400);

    // A cancelled sweep asks nobody else.
    let more = debtors(&world, 500)[100..].to_vec();
    let items = more
        .iter()
        .map(|d| sweep::item(CASE, d))
        .collect::<Vec<_>>();
    let id = client
        .submit_sweep(sweep::chunks(
            sweep::header("cancel-me", true),
            items.into_iter(),
        ))
        .await
        .expect("accepted")
        .into_inner()
        .id;
    let cancelled = client
        .cancel_sweep(pb::CancelSweepRequest { id: id.clone() })
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(cancelled.state, pb::SweepState::Cancelled as i32);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = client
        .get_sweep(pb::GetSweepRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert!(after.waiting > 0, "{after:?}");
    let again = client
        .cancel_sweep(pb::CancelSweepRequest { id })
        .await
        .expect_err("cancelled twice");
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
}
