//! Control orders end to end: mock agencies and the hub on loopback, driven through the real
//! gRPC clients, each test a judge's (or a case system's) story.

use assethub_mocks::population::DEMO_PERSON_ID;
use assethub_mocks::FamilySettings;
use assethub_proto::v1 as pb;
use assethub_tests::{
    demo_debtor, demo_person_query, instruction, wait_with, Role, World, WorldOptions, CASE,
    OTHER_COURT_CASE,
};
use futures::StreamExt;
use std::time::Duration;
use tonic::Code;

fn freeze_funds(case: &str, key: &str, cap_fen: i64) -> pb::FreezeFundsRequest {
    pb::FreezeFundsRequest {
        instruction: instruction(case, key),
        debtor: demo_debtor(),
        cap_fen,
        days: 0,
    }
}

fn place(case: &str, key: &str, action: pb::OrderAction, asset_ref: &str) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(case, key),
        action: action as i32,
        asset_ref: asset_ref.into(),
        debtor: demo_debtor(),
        amount_fen: 0,
        days: 0,
        currency: String::new(),
    }
}

fn act(case: &str, key: &str, action: pb::OrderAction, order_id: &str) -> pb::ActOnHoldRequest {
    pb::ActOnHoldRequest {
        instruction: instruction(case, key),
        action: action as i32,
        order_id: order_id.into(),
        amount_fen: 0,
        case_account: String::new(),
        days: 0,
    }
}

fn state(order: &pb::Order) -> pb::OrderState {
    pb::OrderState::try_from(order.state).unwrap_or(pb::OrderState::Unspecified)
}

/// Fund assets of the demo person, fresh: (asset_ref, balance, frozen).
async fn funds(world: &mut World) -> Vec<(String, i64, i64)> {
    let mut request = demo_person_query();
    request.fresh = true;
    let response = world.client.query(request).await.unwrap().into_inner();
    let mut out = Vec::new();
    for source in &response.sources {
        for asset in &source.assets {
            match &asset.detail {
                Some(pb::asset::Detail::Deposit(d)) => {
                    out.push((asset.asset_ref.clone(), d.balance_fen, d.frozen_fen))
                }
                Some(pb::asset::Detail::PaymentBalance(p)) => {
                    out.push((asset.asset_ref.clone(), p.balance_fen, p.frozen_fen))
                }
                _ => {}
            }
        }
    }
    out
}

/// The first asset of the demo person at a source of `kind` that no court has sealed.
async fn first_asset(world: &mut World, kind: pb::AssetKind) -> String {
    assets(world, kind, false).await.remove(0)
}

/// The demo person's assets at sources of `kind`, with (or without) a court's seal on them.
async fn assets(world: &mut World, kind: pb::AssetKind, sealed: bool) -> Vec<String> {
    let mut request = demo_person_query();
    request.kinds = vec![kind as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    let is_seal = |e: &pb::Encumbrance| {
        e.kind == pb::EncumbranceKind::Seal as i32
            || e.kind == pb::EncumbranceKind::QueuedSeal as i32
    };
    let found: Vec<String> = response
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .filter(|a| {
            let encumbrances = match &a.detail {
                Some(pb::asset::Detail::Property(p)) => p.encumbrances.as_slice(),
                Some(pb::asset::Detail::Vehicle(v)) => v.encumbrances.as_slice(),
                _ => &[],
            };
            encumbrances.iter().any(is_seal) == sealed
        })
        .map(|a| a.asset_ref.clone())
        .collect();
    assert!(!found.is_empty(), "the demo person holds such an asset");
    found
}

/// Polls an order until it reaches `wanted` (or fails the test after 20 s).
async fn wait_for(world: &mut World, order_id: &str, wanted: pb::OrderState) -> pb::Order {
    wait_with(&mut world.orders, order_id, wanted).await
}

/// The banks decide freezes 4 s after accepting them, and the hub answers its callers after
/// 1 s (its default deadline): so a call returns while the bank is still deciding, with no
/// client-side deadline racing the hub's answer on a loaded machine.
fn bank_decides_after_hub_answers() -> WorldOptions {
    WorldOptions {
        tweak: Box::new(|config| config.server.default_deadline_ms = 1_000),
        ..bank_decides_after(4_000)
    }
}

fn bank_decides_after(ms: u64) -> WorldOptions {
    WorldOptions {
        tweak_agencies: Box::new(move |agencies| {
            for agency in agencies.iter_mut() {
                if let FamilySettings::Bank(bank) = &mut agency.settings {
                    bank.freeze_decision_ms = ms;
                }
            }
        }),
        ..WorldOptions::default()
    }
}

#[tokio::test]
async fn a_judge_freezes_up_to_the_cap_across_accounts_and_a_search_shows_it() {
    let mut world = World::start_with(bank_decides_after(20)).await;
    let before = funds(&mut world).await;
    let available: i64 = before.iter().map(|(_, b, f)| b - f).sum();
    assert!(available > 200, "the demo person has money to freeze");
    let cap = available / 2 + 1;
    let report = world
        .orders
        .freeze_funds(freeze_funds(CASE, "k-cap-1", cap))
        .await
        .unwrap()
        .into_inner();
    assert!(!report.orders.is_empty());
    assert_eq!(report.frozen_fen, cap, "{report:?}");
    assert_eq!(report.case_total_fen, cap);
    assert_eq!(report.short_fen, 0);
    for order in &report.orders {
        assert_eq!(state(order), pb::OrderState::Effective, "{order:?}");
        assert!(!order.end_date.is_empty());
    }
    // A search right after shows the freeze (no stale cached balances).
    let after = funds(&mut world).await;
    let frozen_before: i64 = before.iter().map(|(_, _, f)| f).sum();
    let frozen_after: i64 = after.iter().map(|(_, _, f)| f).sum();
    assert_eq!(
        frozen_after - frozen_before,
        cap,
        "{before:?} {after:?} {report:?}"
    );
    // A second one-click freeze on the same case finds nothing left under the cap.
    let again = world
        .orders
        .freeze_funds(freeze_funds(CASE, "k-cap-2", cap))
        .await
        .unwrap()
        .into_inner();
    assert!(again.orders.is_empty(), "{again:?}");
    assert_eq!(again.case_total_fen, cap);
}

#[tokio::test]
async fn concurrent_one_click_freezes_never_push_a_case_over_its_cap() {
    let world = World::start_with(bank_decides_after(10)).await;
    let cap = 100_000;
    let mut calls = Vec::new();
    for n in 0..6 {
        let mut client = world.orders.clone();
        calls.push(tokio::spawn(async move {
            client
                .freeze_funds(freeze_funds(CASE, &format!("k-conc-{n}"), cap))
                .await
                .map(|r| r.into_inner())
        }));
    }
    let mut frozen = 0;
    for call in calls {
        let report = call.await.unwrap().unwrap();
        frozen += report.frozen_fen;
        assert!(report.case_total_fen <= cap);
    }
    assert_eq!(frozen, cap, "exactly the cap, once, across all requests");
}

#[tokio::test]
async fn when_balances_fall_short_the_judge_is_told_how_much_is_missing() {
    let mut world = World::start_with(bank_decides_after(10)).await;
    let available: i64 = funds(&mut world).await.iter().map(|(_, b, f)| b - f).sum();
    let cap = available + 12_345;
    let report = world
        .orders
        .freeze_funds(freeze_funds(CASE, "k-short", cap))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.frozen_fen, available);
    assert_eq!(report.short_fen, 12_345);
}

#[tokio::test]
async fn the_bank_answers_later_and_the_order_completes() {
    let mut world = World::start_with(bank_decides_after_hub_answers()).await;
    let account = first_asset(&mut world, pb::AssetKind::Bank).await;
    let mut request = place(CASE, "k-async", pb::OrderAction::Freeze, &account);
    request.amount_fen = 100;
    let order = world.orders.place_hold(request).await.unwrap().into_inner();
    assert_eq!(state(&order), pb::OrderState::AwaitingAgency, "{order:?}");
    let done = wait_for(&mut world, &order.order_id, pb::OrderState::Effective).await;
    assert_eq!(done.frozen_fen, 100);
}

#[tokio::test]
async fn a_hub_restarted_while_the_bank_decides_completes_the_order_once() {
    let mut world = World::start_with(bank_decides_after_hub_answers()).await;
    let account = first_asset(&mut world, pb::AssetKind::Bank).await;
    let frozen_before = funds(&mut world)
        .await
        .into_iter()
        .find(|(r, _, _)| *r == account)
        .map(|(_, _, f)| f)
        .unwrap();
    let mut request = place(CASE, "k-restart", pb::OrderAction::Freeze, &account);
    request.amount_fen = 250;
    let order = world
        .orders
        .place_hold(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&order), pb::OrderState::AwaitingAgency);
    world.restart_hub().await;
    let done = wait_for(&mut world, &order.order_id, pb::OrderState::Effective).await;
    assert_eq!(done.frozen_fen, 250);
    // The replayed request returns the same order; the bank holds it once.
    let replay = world.orders.place_hold(request).await.unwrap().into_inner();
    assert_eq!(replay.order_id, order.order_id);
    let frozen_after = funds(&mut world)
        .await
        .into_iter()
        .find(|(r, _, _)| *r == account)
        .map(|(_, _, f)| f)
        .unwrap();
    assert_eq!(frozen_after - frozen_before, 250);
}

#[tokio::test]
async fn a_queued_seal_takes_effect_when_the_earlier_court_releases() {
    let mut world = World::start().await;
    let flat = first_asset(&mut world, pb::AssetKind::RealEstate).await;
    let first = world
        .orders
        .place_hold(place(CASE, "k-seal-a", pb::OrderAction::Seal, &flat))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&first), pb::OrderState::Effective);
    let (_, mut other_court) = world.clients_as(Role::Judge, "鄂01");
    let second = other_court
        .place_hold(place(
            OTHER_COURT_CASE,
            "k-seal-b",
            pb::OrderAction::Seal,
            &flat,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&second), pb::OrderState::Queued);
    assert_eq!(second.queue_position, 1);
    let release = world
        .orders
        .act_on_hold(act(
            CASE,
            "k-release-a",
            pb::OrderAction::Release,
            &first.order_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&release), pb::OrderState::Effective);
    let released = wait_for(&mut world, &first.order_id, pb::OrderState::Released).await;
    assert_eq!(released.order_id, first.order_id);
    wait_with(
        &mut other_court,
        &second.order_id,
        pb::OrderState::Effective,
    )
    .await;
}

#[tokio::test]
async fn a_deduction_moves_no_more_than_is_frozen() {
    let mut world = World::start_with(bank_decides_after(10)).await;
    let account = first_asset(&mut world, pb::AssetKind::Payment).await;
    let mut request = place(CASE, "k-ded-freeze", pb::OrderAction::Freeze, &account);
    request.amount_fen = 1_000;
    let hold = world.orders.place_hold(request).await.unwrap().into_inner();
    assert_eq!(hold.frozen_fen, 1_000, "{hold:?}");
    let mut too_much = act(CASE, "k-ded-1", pb::OrderAction::Deduct, &hold.order_id);
    too_much.amount_fen = 1_001;
    let refused = world.orders.act_on_hold(too_much).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let mut part = act(CASE, "k-ded-2", pb::OrderAction::Deduct, &hold.order_id);
    part.amount_fen = 400;
    let deducted = world.orders.act_on_hold(part).await.unwrap().into_inner();
    assert_eq!(
        (state(&deducted), deducted.deducted_fen),
        (pb::OrderState::Effective, 400),
        "{deducted:?}"
    );
    let hold = wait_for(&mut world, &hold.order_id, pb::OrderState::Effective).await;
    assert_eq!((hold.frozen_fen, hold.deducted_fen), (600, 400));
    let mut rest = act(CASE, "k-ded-3", pb::OrderAction::Deduct, &hold.order_id);
    rest.amount_fen = 600;
    world.orders.act_on_hold(rest).await.unwrap();
    wait_for(&mut world, &hold.order_id, pb::OrderState::Deducted).await;
}

#[tokio::test]
async fn renewal_works_before_expiry_and_not_after() {
    let mut world = World::start().await;
    let car = first_asset(&mut world, pb::AssetKind::Vehicle).await;
    let mut request = place(CASE, "k-renew-seal", pb::OrderAction::Seal, &car);
    request.days = 30;
    let seal = world.orders.place_hold(request).await.unwrap().into_inner();
    assert_eq!(seal.days_left, 30);
    let mut renew = act(CASE, "k-renew-1", pb::OrderAction::Renew, &seal.order_id);
    renew.days = 731;
    let too_long = world.orders.act_on_hold(renew.clone()).await.unwrap_err();
    assert_eq!(too_long.code(), Code::FailedPrecondition);
    renew.instruction = instruction(CASE, "k-renew-2");
    renew.days = 60;
    let renewed = world.orders.act_on_hold(renew).await.unwrap().into_inner();
    assert_eq!(state(&renewed), pb::OrderState::Effective, "{renewed:?}");
    let seal = world
        .orders
        .get_order(pb::GetOrderRequest {
            order_id: seal.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seal.days_left, 90);
    // 91 days later (hub and agency calendars), the seal has expired and cannot be renewed.
    world.hub.clock.set_offset_days(91);
    world
        .agency("vehicle-hubei")
        .knobs
        .set_clock_offset_days(91);
    wait_for(&mut world, &seal.order_id, pb::OrderState::Expired).await;
    let late = act(CASE, "k-renew-3", pb::OrderAction::Renew, &seal.order_id);
    let refused = world.orders.act_on_hold(late).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_replayed_key_returns_the_same_order_and_a_reused_key_is_refused() {
    let mut world = World::start().await;
    let car = first_asset(&mut world, pb::AssetKind::Vehicle).await;
    let request = place(CASE, "k-idem", pb::OrderAction::Watch, &car);
    let first = world
        .orders
        .place_hold(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = world
        .orders
        .place_hold(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.order_id, again.order_id);
    let mut different = request;
    different.days = 10;
    let refused = world.orders.place_hold(different).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists);
    let listed = world
        .orders
        .list_orders(pb::ListOrdersRequest {
            case_number: CASE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.orders.len(), 1);
}

#[tokio::test]
async fn bad_control_requests_name_their_fields() {
    let mut world = World::start().await;
    let mut request = place("not a case", "", pb::OrderAction::Freeze, "nowhere");
    request.amount_fen = -5;
    let status = world.orders.place_hold(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for field in [
        "instruction.case_number",
        "instruction.idempotency_key",
        "asset_ref",
        "amount_fen",
    ] {
        assert!(
            status.message().contains(field),
            "{field}: {}",
            status.message()
        );
    }
    assert!(!status.message().contains(DEMO_PERSON_ID));
    let car = first_asset(&mut world, pb::AssetKind::Vehicle).await;
    let mut too_long = place(CASE, "k-long", pb::OrderAction::Seal, &car);
    too_long.days = 731;
    let refused = world.orders.place_hold(too_long).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("730"), "{}", refused.message());
}

#[tokio::test]
async fn the_event_feed_resumed_from_a_cursor_misses_nothing_and_repeats_nothing() {
    let mut world = World::start().await;
    let flat = first_asset(&mut world, pb::AssetKind::RealEstate).await;
    let seal = world
        .orders
        .place_hold(place(CASE, "k-feed-1", pb::OrderAction::Seal, &flat))
        .await
        .unwrap()
        .into_inner();
    world
        .orders
        .act_on_hold(act(
            CASE,
            "k-feed-2",
            pb::OrderAction::Release,
            &seal.order_id,
        ))
        .await
        .unwrap();
    let all = events(&mut world, 0).await;
    assert!(all.len() >= 4, "{all:?}");
    let cursors: Vec<u64> = all.iter().map(|e| e.cursor).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]));
    let middle = all[1].cursor;
    let resumed = events(&mut world, middle).await;
    assert_eq!(resumed, all[2..].to_vec());
    let states: Vec<pb::OrderState> = all
        .iter()
        .filter_map(|e| match &e.body {
            Some(pb::order_event::Body::Order(o)) if o.order_id == seal.order_id => Some(state(o)),
            _ => None,
        })
        .collect();
    assert_eq!(states.first(), Some(&pb::OrderState::Requested));
    assert_eq!(states.last(), Some(&pb::OrderState::Released));
}

/// Events after `cursor`, until the feed has been quiet for a moment.
async fn events(world: &mut World, cursor: u64) -> Vec<pb::OrderEvent> {
    let mut stream = world
        .orders
        .watch_events(pb::WatchEventsRequest {
            after_cursor: cursor,
            case_number: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Ok(Some(Ok(event))) =
        tokio::time::timeout(Duration::from_millis(500), stream.next()).await
    {
        out.push(event);
    }
    out
}

#[tokio::test]
async fn a_watched_car_seen_in_a_car_park_reaches_the_event_feed() {
    let mut world = World::start().await;
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Vehicle as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    let (asset_ref, plate) = response
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .find_map(|a| match &a.detail {
            Some(pb::asset::Detail::Vehicle(v)) => Some((a.asset_ref.clone(), v.plate.clone())),
            _ => None,
        })
        .expect("the demo person owns a car");
    let watch = world
        .orders
        .place_hold(place(CASE, "k-watch", pb::OrderAction::Watch, &asset_ref))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&watch), pb::OrderState::Effective, "{watch:?}");
    let admin = format!(
        "http://{}/__admin/vehicle/sightings",
        world.agency("vehicle-hubei").addr
    );
    let body = format!(r#"{{"plate":"{plate}","place":"光谷广场停车场"}}"#);
    let reported = post_json(&admin, &body).await;
    assert!(reported.starts_with("HTTP/1.1 2"), "{reported}");
    for _ in 0..100 {
        let seen = events(&mut world, 0)
            .await
            .into_iter()
            .find_map(|e| match e.body {
                Some(pb::order_event::Body::Sighting(s)) => Some(s),
                _ => None,
            });
        if let Some(sighting) = seen {
            assert_eq!(sighting.order_id, watch.order_id);
            assert_eq!(sighting.place, "光谷广场停车场");
            return;
        }
    }
    panic!("the sighting never reached the feed");
}

/// A minimal HTTP/1.1 POST over a raw socket (the tests crate has no HTTP client).
async fn post_json(url: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn a_control_call_lost_to_a_503_is_asked_about_then_resent_with_the_same_key() {
    let mut world = World::start().await;
    let account = first_asset(&mut world, pb::AssetKind::Payment).await;
    let frozen = |funds: Vec<(String, i64, i64)>| {
        funds
            .into_iter()
            .find(|(r, _, _)| *r == account)
            .map(|(_, _, f)| f)
            .unwrap()
    };
    let before = frozen(funds(&mut world).await);
    let agency = world.agency("pay-xinfu").knobs.clone();
    let requests_before = agency.requests();
    agency.fail_next(1);
    let mut request = place(CASE, "k-503", pb::OrderAction::Freeze, &account);
    request.amount_fen = 77;
    let order = world.orders.place_hold(request).await.unwrap().into_inner();
    assert_eq!(
        (state(&order), order.frozen_fen),
        (pb::OrderState::Effective, 77)
    );
    // Sent (503), asked about (never received), sent again: three calls, one hold.
    assert!(agency.requests() - requests_before >= 3);
    assert_eq!(frozen(funds(&mut world).await) - before, 77);
}

#[tokio::test]
async fn a_seal_on_a_flat_another_court_sealed_long_ago_is_queued_behind_it() {
    let mut world = World::start().await;
    let flat = assets(&mut world, pb::AssetKind::RealEstate, true)
        .await
        .remove(0);
    let seal = world
        .orders
        .place_hold(place(CASE, "k-old-seal", pb::OrderAction::Seal, &flat))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&seal), pb::OrderState::Queued, "{seal:?}");
    assert!(seal.queue_position >= 1);
}
