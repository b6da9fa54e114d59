//! Two hubs on one PostgreSQL ledger behave as one to their callers (needs
//! `ASSETHUB_TEST_PG_URL`; skipped with a message without it): a freeze taken through one is
//! seen at once in a search through the other (its cached pre-freeze answer is dropped), the
//! event feed read through the other follows the first's commits in order without waiting
//! for its poll, a case suspended through one is refused at once by the other, two holds of
//! one asset raced through both leave exactly one, an agency's quota is kept by both together,
//! an order the agency has not decided is followed by one of them, not both, and an inquiry
//! to an agency answering later is sent once, known to every hub, followed by one, and its
//! answer served by all.

use assethub_proto::v1 as pb;
use assethub_tests::{
    channel, clients_as, demo_debtor, demo_person_query, instruction, postgres_ledger, sweep,
    wait_with, Role, World, WorldOptions, CASE, COURT,
};
use std::time::{Duration, Instant};
use tonic::Code;

/// A second hub on `world`'s ledger, with its configuration.
async fn second_hub(world: &World) -> assethub_hub::RunningHub {
    assethub_hub::spawn(world.config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("a second hub starts on the same ledger")
}

/// The bank source's deposit accounts in `answer`: (source, asset ref, frozen fen, cached).
fn deposits(answer: &pb::QueryResponse) -> Vec<(String, String, i64, bool)> {
    let mut out = Vec::new();
    for source in &answer.sources {
        for asset in &source.assets {
            if let Some(pb::asset::Detail::Deposit(d)) = &asset.detail {
                if d.balance_fen - d.frozen_fen >= 1_000_000 {
                    out.push((
                        source.source.clone(),
                        asset.asset_ref.clone(),
                        d.frozen_fen,
                        source.cached,
                    ));
                }
            }
        }
    }
    out
}

fn freeze(key: &str, asset: &str, amount_fen: i64) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: asset.into(),
        debtor: demo_debtor(),
        amount_fen,
        days: 30,
        currency: String::new(),
    }
}

/// The next event of `feed` (10 s at most).
async fn next_event(feed: &mut tonic::Streaming<pb::OrderEvent>) -> pb::OrderEvent {
    tokio::time::timeout(Duration::from_secs(10), feed.message())
        .await
        .expect("an event within 10 s")
        .expect("the feed stays open")
        .expect("the feed has more")
}

#[tokio::test]
async fn two_hubs_on_one_postgresql_ledger_share_what_they_commit() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let mut world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        ..WorldOptions::default()
    })
    .await;
    let other = second_hub(&world).await;
    let other_channel = channel(&other).await;
    let (mut other_search, mut other_orders) = clients_as(&other_channel, Role::Judge, COURT);

    // The other hub answers, and answers again from its cache.
    let first = other_search
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let (source, asset, frozen_before, _) = deposits(&first).remove(0);
    let again = other_search
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    assert!(
        deposits(&again)
            .iter()
            .all(|(s, _, _, cached)| *s != source || *cached),
        "the second answer comes from the other hub's cache"
    );
    let mut feed = other_orders
        .watch_events(pb::WatchEventsRequest {
            after_cursor: 0,
            case_number: CASE.into(),
        })
        .await
        .unwrap()
        .into_inner();

    // A freeze through the first hub ...
    let placed = world
        .orders
        .place_hold(freeze("replica-1", &asset, 100_000))
        .await
        .unwrap()
        .into_inner();
    wait_with(
        &mut world.orders,
        &placed.order_id,
        pb::OrderState::Effective,
    )
    .await;
    // ... is in the other hub's very next search: not its cached pre-freeze answer.
    let after = other_search
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let wanted = asset.as_str();
    let seen = deposits(&after)
        .into_iter()
        .chain(
            // The frozen account may now hold less than the listing's minimum available.
            after.sources.iter().flat_map(|s| {
                s.assets.iter().filter_map(move |a| match &a.detail {
                    Some(pb::asset::Detail::Deposit(d)) if a.asset_ref == wanted => Some((
                        s.source.clone(),
                        a.asset_ref.clone(),
                        d.frozen_fen,
                        s.cached,
                    )),
                    _ => None,
                })
            }),
        )
        .find(|(_, a, _, _)| *a == asset)
        .expect("the frozen account is still reported");
    assert_eq!(
        (seen.2, seen.3),
        (frozen_before + 100_000, false),
        "the other hub shows the freeze, fetched after it"
    );

    // The feed through the other hub has the first hub's events, numbered without gap.
    let mut cursors = Vec::new();
    loop {
        let event = next_event(&mut feed).await;
        cursors.push(event.cursor);
        if let Some(pb::order_event::Body::Order(order)) = &event.body {
            if order.order_id == placed.order_id && order.state == pb::OrderState::Effective as i32
            {
                break;
            }
        }
    }
    let expected: Vec<u64> = (cursors[0]..cursors[0] + cursors.len() as u64).collect();
    assert_eq!(cursors, expected, "one case's events, each once, in order");
    // A release through the first hub reaches the other hub's feed without waiting for the
    // feed's one-second poll (three times, so a lucky poll cannot pass it).
    let mut hold = placed.order_id.clone();
    for round in 0..3 {
        let released = world
            .orders
            .act_on_hold(pb::ActOnHoldRequest {
                instruction: instruction(CASE, &format!("replica-release-{round}")),
                action: pb::OrderAction::Release as i32,
                order_id: hold.clone(),
                amount_fen: 0,
                case_account: String::new(),
                days: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let sent = Instant::now();
        let event = next_event(&mut feed).await;
        let lag = sent.elapsed();
        assert!(
            matches!(&event.body, Some(pb::order_event::Body::Order(o)) if o.order_id == released.order_id || o.order_id == hold),
            "{event:?}"
        );
        assert!(lag < Duration::from_millis(500), "round {round}: {lag:?}");
        // Drain what the release changed, then hold the account again for the next round.
        wait_with(
            &mut world.orders,
            &released.order_id,
            pb::OrderState::Effective,
        )
        .await;
        let again = world
            .orders
            .place_hold(freeze(&format!("replica-again-{round}"), &asset, 100_000))
            .await
            .unwrap()
            .into_inner();
        wait_with(
            &mut world.orders,
            &again.order_id,
            pb::OrderState::Effective,
        )
        .await;
        hold = again.order_id;
        while let Ok(Ok(Some(_))) =
            tokio::time::timeout(Duration::from_millis(300), feed.message()).await
        {}
    }

    // Two holds of one account raced through both hubs: the database lets one through.
    let (_, target, _, _) = deposits(&after)
        .into_iter()
        .find(|(_, a, _, _)| *a != asset)
        .expect("a second account");
    let mut here_orders = world.orders.clone();
    let (here, there) = tokio::join!(
        tokio::time::timeout(
            Duration::from_secs(20),
            here_orders.place_hold(freeze("race-here", &target, 50_000))
        ),
        tokio::time::timeout(
            Duration::from_secs(20),
            other_orders.place_hold(freeze("race-there", &target, 50_000))
        ),
    );
    let (here, there) = (here.expect("here answers"), there.expect("there answers"));
    let refused: Vec<tonic::Status> = [here, there].into_iter().filter_map(Result::err).collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused[0].message().contains("already holds this asset"),
        "{refused:?}"
    );

    // A case suspended through the first hub is refused by the other at once, though it had
    // the case in its cache a moment ago.
    other_search.query(demo_person_query()).await.unwrap();
    assethub_tests::cases_client(&world.channel, COURT)
        .update_case(pb::UpdateCaseRequest {
            case_number: CASE.into(),
            state: pb::CaseState::Suspended as i32,
            reason: "the debtor has nothing more".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let refused = other_search
        .query(demo_person_query())
        .await
        .expect_err("a suspended case is not searched");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    drop(feed);
    other.shutdown().await.unwrap();
}

/// The payment platforms' quota in this story, and what the configuration lets all the hubs
/// together send (under it, so the agency's one-second windows never see a rounding).
const QUOTA_PER_SEC: u32 = 20;
const PACED_PER_SEC: u32 = 16;
/// Fresh searches of the payment platforms each hub makes.
const SEARCHES_PER_HUB: usize = 24;

#[tokio::test]
async fn two_hubs_keep_an_agencys_quota_between_them() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        tweak: Box::new(|config| {
            for source in &mut config.sources {
                if source.id.as_str().starts_with("pay-") {
                    source.rate_limit_per_sec = PACED_PER_SEC;
                    source.rate_limit_burst = 1;
                }
            }
        }),
        tweak_agencies: Box::new(|agencies| {
            for agency in agencies.iter_mut() {
                if let assethub_mocks::FamilySettings::Payment(p) = &mut agency.settings {
                    p.quota_per_sec = QUOTA_PER_SEC;
                }
            }
        }),
        ..WorldOptions::default()
    })
    .await;
    let other = second_hub(&world).await;
    let channels = [world.channel.clone(), channel(&other).await];
    let payments = pb::QueryRequest {
        kinds: vec![pb::AssetKind::Payment as i32],
        fresh: true,
        deadline_ms: 20_000,
        ..demo_person_query()
    };
    let started = Instant::now();
    // One after another on each hub (identical searches at once on one hub would share one
    // agency call), both hubs at once.
    let searches = channels.iter().map(|channel| {
        let (mut search, _) = clients_as(channel, Role::Judge, COURT);
        let request = payments.clone();
        async move {
            let mut answers = Vec::new();
            for _ in 0..SEARCHES_PER_HUB {
                answers.push(search.query(request.clone()).await.map(|r| r.into_inner()));
            }
            answers
        }
    });
    let answers: Vec<_> = futures::future::join_all(searches)
        .await
        .into_iter()
        .flatten()
        .collect();
    let took = started.elapsed();
    for answer in answers {
        let answer = answer.expect("a search answers");
        for source in &answer.sources {
            assert_eq!(
                source.status,
                pb::SourceStatus::Ok as i32,
                "{}: {}",
                source.source,
                source.reason
            );
        }
    }
    for agency in world.agencies.iter().filter(|a| a.name.starts_with("pay-")) {
        assert_eq!(
            agency.knobs.quota_refusals(),
            0,
            "{}: the hubs together went over its quota",
            agency.name
        );
    }
    // Paced at the quota the configuration names, shared: 48 calls to each platform at 16 a
    // second together take about three seconds (each hub alone would have sent 16 a second).
    let floor =
        Duration::from_secs_f64((2 * SEARCHES_PER_HUB - 2) as f64 / f64::from(PACED_PER_SEC));
    assert!(took >= floor.mul_f64(0.9), "{took:?} < {floor:?}");
    other.shutdown().await.unwrap();
}

/// How often each hub's follow-up loop runs in the next story, how long the bank takes to
/// decide a freeze, and how long the agency's traffic is counted meanwhile.
const FOLLOW_UP: Duration = Duration::from_millis(100);
const DECISION: Duration = Duration::from_secs(4);
const WINDOW: Duration = Duration::from_secs(2);

#[tokio::test]
async fn two_hubs_follow_an_order_once() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let mut world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        tweak: Box::new(|config| config.control.follow_up_ms = FOLLOW_UP.as_millis() as u64),
        tweak_agencies: Box::new(|agencies| {
            for agency in agencies.iter_mut() {
                if let assethub_mocks::FamilySettings::Bank(bank) = &mut agency.settings {
                    bank.freeze_decision_ms = DECISION.as_millis() as u64;
                }
            }
        }),
        ..WorldOptions::default()
    })
    .await;
    let other = second_hub(&world).await;
    let found = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let (source, asset, _, _) = deposits(&found).remove(0);
    let bank = world
        .agencies
        .iter()
        .find(|a| a.name == source)
        .expect("the account's bank");
    let placed = world
        .orders
        .place_hold({
            // The hub answers with the order as it stands when the caller's deadline nears.
            let mut request = tonic::Request::new(freeze("follow-once", &asset, 100_000));
            request.set_timeout(Duration::from_secs(1));
            request
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(
        placed.state,
        pb::OrderState::Effective as i32,
        "the bank decides later"
    );
    // While the bank has not decided, the hubs ask it about the freeze: one of them, once per
    // round (two hubs each following every order would ask about twice as often).
    tokio::time::sleep(FOLLOW_UP * 3).await;
    let before = bank.knobs.requests();
    tokio::time::sleep(WINDOW).await;
    let asked = bank.knobs.requests() - before;
    let rounds = (WINDOW.as_millis() / FOLLOW_UP.as_millis()) as u64;
    assert!(
        asked >= rounds / 2,
        "the freeze is followed: {asked} questions"
    );
    assert!(
        asked <= rounds + 3,
        "{asked} questions in {rounds} rounds: more than one hub follows the order"
    );
    wait_with(
        &mut world.orders,
        &placed.order_id,
        pb::OrderState::Effective,
    )
    .await;
    other.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_work_a_sweep_once() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        ..WorldOptions::default()
    })
    .await;
    // Both hubs' sweep workers look at every sweep of the ledger.
    let other = second_hub(&world).await;
    let debtors: Vec<(String, String)> = world
        .population
        .debtors()
        .iter()
        .take(200)
        .map(|d| (d.id_number.clone(), d.name.clone()))
        .collect();
    let mut client = sweep::client(&world.channel, Role::CaseSystem, COURT);
    let submitted = client
        .submit_sweep(sweep::chunks(
            sweep::header("replicas-daily", true),
            debtors
                .iter()
                .map(|d| sweep::item(CASE, d))
                .collect::<Vec<_>>()
                .into_iter(),
        ))
        .await
        .expect("the sweep is accepted")
        .into_inner();
    let done = sweep::settled(&mut client, &submitted.id, Duration::from_secs(60)).await;
    assert_eq!(done.done, 200, "{done:?}");
    // The bank's own log: each debtor asked once, by one hub.
    let bank = world.agency("bank-gongxin").knobs.inquiry_log();
    for (index, (debtor, _)) in debtors.iter().enumerate() {
        let ids = bank.ids(debtor, CASE);
        assert_eq!(ids.len(), 1, "debtor {index} asked {} times", ids.len());
    }
    assert_eq!(bank.tally().inquiries, 200);
    other.shutdown().await.unwrap();
}

/// How long the bank that answers later takes.
const ANSWER_LATER: Duration = Duration::from_secs(3);

/// The pending inquiry of `source` in `answer`, by id.
fn pending_of(answer: &pb::QueryResponse, source: &str) -> String {
    let result = answer
        .sources
        .iter()
        .find(|s| s.source == source)
        .expect("the source answers");
    assert_eq!(
        result.status,
        pb::SourceStatus::Pending as i32,
        "{source}: {}",
        result.reason
    );
    result.inquiry_id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubs_on_one_ledger_ask_an_agency_answering_later_once_and_follow_it_once() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let later = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let chosen = later.clone();
    let world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        tweak_agencies: Box::new(move |agencies| {
            let bank = agencies
                .iter_mut()
                .find(|a| matches!(a.settings, assethub_mocks::FamilySettings::Bank(_)))
                .expect("a bank");
            if let assethub_mocks::FamilySettings::Bank(settings) = &mut bank.settings {
                settings.answer_delay_ms = Some(ANSWER_LATER.as_millis() as u64);
            }
            *chosen.lock().unwrap() = bank.name.clone();
        }),
        ..WorldOptions::default()
    })
    .await;
    let later = later.lock().unwrap().clone();
    // The bank answering later is configured so on every hub of the ledger.
    let mut config = world.config.clone();
    for source in &mut config.sources {
        if source.id.as_str() == later {
            source.asynchronous = true;
        }
    }
    let first = assethub_hub::spawn(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let second = assethub_hub::spawn(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (mut through_first, _) = clients_as(&channel(&first).await, Role::Judge, COURT);
    let (mut through_second, _) = clients_as(&channel(&second).await, Role::Judge, COURT);
    let bank = world.agency(&later);
    // Both hubs serve (their start, reading the open inquiries, is over) before the search.
    for client in [&mut through_first, &mut through_second] {
        client
            .list_inquiries(pb::ListInquiriesRequest::default())
            .await
            .unwrap();
    }

    let asked = through_first
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let inquiry = pending_of(&asked, &later);
    // The other hub hears of the open inquiry: a search through it reports the same one
    // pending and does not ask the bank again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = through_second
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pending_of(&again, &later), inquiry, "the same inquiry");
    let debtor = demo_debtor().unwrap();
    assert_eq!(
        bank.knobs.distinct_inquiries(&debtor.id_number, CASE),
        1,
        "the bank was asked once for the debtor"
    );
    // A third hub starting now finds the inquiry open too. One hub asks the bank for the
    // answer when it said it would be ready: one status question, not one per hub.
    let third = assethub_hub::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let before = bank.knobs.requests();
    let answered = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let found = through_second
                .query(demo_person_query())
                .await
                .unwrap()
                .into_inner();
            let result = found.sources.iter().find(|s| s.source == later).unwrap();
            if result.status == pb::SourceStatus::Ok as i32 {
                break result.clone();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the inquiry is answered within 20 s");
    assert!(
        answered.cached,
        "the answer is cached by the hub that did not ask"
    );
    assert!(!answered.assets.is_empty());
    // Every hub that followed would have asked by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status_questions = bank.knobs.requests() - before;
    assert_eq!(
        status_questions, 1,
        "{status_questions} questions about one inquiry among three hubs"
    );
    third.shutdown().await.unwrap();
    second.shutdown().await.unwrap();
    first.shutdown().await.unwrap();
}

/// The command centre's figures are the court's, whichever hub its searches went through: each
/// hub adds its counts to the shared ledger, and either answers with both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_count_one_courts_searches_together() {
    let Some(url) = postgres_ledger().await else {
        return;
    };
    let world = World::start_with(WorldOptions {
        ledger_url: Some(url),
        ..WorldOptions::default()
    })
    .await;
    let other = second_hub(&world).await;
    let other_channel = channel(&other).await;
    let (mut here, _) = clients_as(&world.channel, Role::Judge, COURT);
    let (mut there, _) = clients_as(&other_channel, Role::Judge, COURT);
    here.query(demo_person_query())
        .await
        .expect("a search here");
    let mut fresh = demo_person_query();
    fresh.fresh = true;
    there.query(fresh).await.expect("a search there");
    let token = assethub_tests::token(Role::Supervisor, COURT);
    for channel in [&world.channel, &other_channel] {
        // The other hub's counts reach the ledger within its two-second flush.
        let mut client = pb::cases_client::CasesClient::with_interceptor(
            channel.clone(),
            assethub_tests::bearer(&token),
        );
        let started = Instant::now();
        let figures = loop {
            let f = client
                .court_figures(pb::CourtFiguresRequest::default())
                .await
                .expect("the figures")
                .into_inner();
            if f.searches == 2 {
                break f;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "searches counted: {}",
                f.searches
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let calls: i64 = figures.sources.iter().map(|s| s.calls).sum();
        assert_eq!(
            calls,
            2 * world.config.sources.len() as i64,
            "each search asked every agency: {figures:?}"
        );
    }
    other.shutdown().await.unwrap();
}
