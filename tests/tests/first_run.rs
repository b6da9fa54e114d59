//! What a newcomer meets the first days: agencies stopped and started again under a running
//! ledger. Agencies that keep their registers (the demo's) hold after a restart what they held
//! before, so the court can release what it froze; an agency that lost its register is found
//! out by reconciliation, which records the hold as no longer in force and says so on the
//! event feed and in the metrics. Instructions a source does not take are refused before
//! anything is recorded, and refusals speak plain English.

use assethub_hub::auth::Role;
use assethub_hub::metrics::text::value;
use assethub_proto::v1 as pb;
use assethub_tests::{
    demo_debtor, demo_person_query, instruction, scrape, wait_with, World, WorldOptions, CASE,
    COURT,
};

const BANK: &str = "bank-gongxin";

/// Freezes 100.00 yuan on the demo person's first account at [`BANK`]; answers the hold.
async fn freeze_at_the_bank(world: &mut World, key: &str) -> pb::Order {
    let found = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let account = found
        .sources
        .iter()
        .find(|s| s.source == BANK)
        .and_then(|s| s.assets.first())
        .map(|a| a.asset_ref.clone())
        .expect("the demo person banks at gongxin");
    let hold = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(CASE, key),
            action: pb::OrderAction::Freeze as i32,
            asset_ref: account,
            debtor: demo_debtor(),
            amount_fen: 10_000,
            days: 0,
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    wait_with(&mut world.orders, &hold.order_id, pb::OrderState::Effective).await
}

/// The bank's register entry for `hold`'s agency reference: its status word.
/// How many orders the ledger holds for the case.
async fn orders_of_the_case(world: &mut World) -> usize {
    world
        .orders
        .list_orders(pb::ListOrdersRequest {
            case_number: CASE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders
        .len()
}

fn at_the_bank(world: &World, hold: &pb::Order) -> Option<String> {
    let register = world.agency(BANK).knobs.register().expect("a register");
    register
        .holds
        .iter()
        .find(|h| h.id == hold.agency_ref)
        .map(|h| h.status.clone())
}

#[tokio::test]
async fn agencies_that_keep_their_registers_hold_after_a_restart_what_the_ledger_says() {
    let mut world = World::start_with(WorldOptions {
        keep_registers: true,
        ..WorldOptions::default()
    })
    .await;
    let hold = freeze_at_the_bank(&mut world, "kept-1").await;
    world.restart_agencies().await;
    assert_eq!(at_the_bank(&world, &hold).as_deref(), Some("effective"));

    let release = world
        .orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(CASE, "kept-2"),
            action: pb::OrderAction::Release as i32,
            order_id: hold.order_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        release.state,
        pb::OrderState::Effective as i32,
        "{release:?}"
    );
    let released = wait_with(&mut world.orders, &hold.order_id, pb::OrderState::Released).await;
    assert_eq!(released.frozen_fen, 0);
    assert_eq!(at_the_bank(&world, &hold).as_deref(), Some("released"));

    let late = world
        .orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(CASE, "kept-3"),
            action: pb::OrderAction::Deduct as i32,
            order_id: hold.order_id.clone(),
            amount_fen: 100,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(late.code(), tonic::Code::FailedPrecondition);
    assert!(
        late.message()
            .ends_with("only a freeze, seal or watch in force or queued can be deducted"),
        "{}",
        late.message()
    );
}

#[tokio::test]
async fn an_instruction_the_source_does_not_take_is_refused_before_anything_is_recorded() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            let bank = config
                .sources
                .iter_mut()
                .find(|s| s.id.as_str() == BANK)
                .expect("the bank is configured");
            bank.capabilities = Some(vec!["query".into(), "freeze".into(), "release".into()]);
        }),
        ..WorldOptions::default()
    })
    .await;
    let (mut admin, _) = world.clients_as(Role::Admin, COURT);
    let sources = admin
        .list_sources(pb::ListSourcesRequest {})
        .await
        .unwrap()
        .into_inner()
        .sources;
    let bank = sources.iter().find(|s| s.id == BANK).expect("listed");
    assert_eq!(bank.capabilities, ["query", "freeze", "release"]);

    let hold = freeze_at_the_bank(&mut world, "cap-1").await;
    let calls = world.agency(BANK).knobs.requests();
    let before = orders_of_the_case(&mut world).await;
    for (key, action) in [
        ("cap-2", pb::OrderAction::Renew),
        ("cap-3", pb::OrderAction::Deduct),
    ] {
        let refused = world
            .orders
            .act_on_hold(pb::ActOnHoldRequest {
                instruction: instruction(CASE, key),
                action: action as i32,
                order_id: hold.order_id.clone(),
                amount_fen: 100,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            tonic::Code::FailedPrecondition,
            "{refused:?}"
        );
        let word = if action == pb::OrderAction::Renew {
            "renew"
        } else {
            "deduct"
        };
        assert_eq!(
            refused.message(),
            format!("source {BANK} takes no {word} instructions through the hub (it offers: query, freeze, release)")
        );
    }
    let after = orders_of_the_case(&mut world).await;
    assert_eq!(after, before, "nothing recorded");
    assert_eq!(world.agency(BANK).knobs.requests(), calls, "nothing sent");
}

#[tokio::test]
async fn a_hold_its_agency_lost_is_found_by_reconciliation_and_reported() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(|config| config.control.reconcile_ms = 300),
        ..WorldOptions::default()
    })
    .await;
    let addr = world.hub.metrics_addr.expect("metrics are served");
    let hold = freeze_at_the_bank(&mut world, "lost-1").await;
    let mut feed = world
        .orders
        .watch_events(pb::WatchEventsRequest {
            after_cursor: 0,
            case_number: CASE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    // The bank comes back without its register: it has never heard of the hold.
    world.restart_agencies().await;
    assert_eq!(at_the_bank(&world, &hold), None);

    let lost = wait_with(&mut world.orders, &hold.order_id, pb::OrderState::Released).await;
    assert_eq!(lost.frozen_fen, 0);
    assert!(
        lost.detail.contains("has no record of this hold"),
        "{}",
        lost.detail
    );
    let reported = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        use futures::StreamExt;
        while let Some(Ok(event)) = feed.next().await {
            if let Some(pb::order_event::Body::Order(order)) = event.body {
                if order.order_id == hold.order_id && order.state == pb::OrderState::Released as i32
                {
                    return order.detail;
                }
            }
        }
        panic!("the feed ended");
    })
    .await
    .expect("the feed reports the difference");
    assert!(reported.contains("has no record"), "{reported}");
    let (_, samples) = scrape(addr).await;
    let missing = [("source", BANK), ("difference", "missing")];
    assert_eq!(
        value(&samples, "assethub_reconcile_differences_total", &missing),
        Some(1.0)
    );
    let checked = value(
        &samples,
        "assethub_reconcile_checked_total",
        &[("source", BANK)],
    );
    assert!(checked >= Some(1.0), "{checked:?}");
}
