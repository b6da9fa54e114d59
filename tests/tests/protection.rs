//! Per-source protection layers seen from outside: a source paced to its agency's quota never
//! earns a 429, a failing agency is not hammered by retries beyond the retry budget, and a
//! stalled agency never slows the others (bulkheads).

use assethub_mocks::faults::FaultRule;
use assethub_mocks::FamilySettings;
use assethub_proto::v1 as pb;
use assethub_tests::{
    demo_debtor, demo_person_query, instruction, query, source, World, WorldOptions, CASE,
};
use futures::future::join_all;
use std::time::{Duration, Instant};

const PAYMENT: &str = "pay-xinfu";

fn status(result: &pb::SourceResult) -> pb::SourceStatus {
    pb::SourceStatus::try_from(result.status).unwrap_or(pb::SourceStatus::Unspecified)
}

/// `n` fresh searches of the payment platforms, all at once, each with `deadline_ms`.
async fn payment_burst(world: &World, n: usize, deadline_ms: u32) -> Vec<pb::QueryResponse> {
    payment_burst_of(world, 0..n, deadline_ms).await
}

async fn payment_burst_of(
    world: &World,
    debtors: std::ops::Range<usize>,
    deadline_ms: u32,
) -> Vec<pb::QueryResponse> {
    let calls = world.population.debtors()[debtors].iter().map(|d| {
        let mut client = world.client.clone();
        let mut request = query(&d.id_number, &d.name);
        request.kinds = vec![pb::AssetKind::Payment as i32];
        request.fresh = true;
        request.deadline_ms = deadline_ms;
        async move { client.query(request).await.unwrap().into_inner() }
    });
    join_all(calls).await
}

/// A platform allowing 10 inquiries a second; `hub_rate` is what the hub allows itself.
async fn world_with_quota(hub_rate: u32) -> World {
    let world = World::start_with(WorldOptions {
        population: 60,
        agency_latency_ms: Some(5),
        tweak_agencies: Box::new(|lineup| {
            for agency in lineup.iter_mut().filter(|a| a.name == PAYMENT) {
                if let FamilySettings::Payment(settings) = &mut agency.settings {
                    settings.quota_per_sec = 10;
                }
            }
        }),
        tweak: Box::new(move |config| {
            for source in config
                .sources
                .iter_mut()
                .filter(|s| s.id.as_str() == PAYMENT)
            {
                source.rate_limit_per_sec = hub_rate;
                source.rate_limit_burst = 1;
                // 429s count as failures: keep the breaker out of the unpaced run.
                source.breaker_failures = 0;
            }
        }),
        ..WorldOptions::default()
    })
    .await;
    // Warm the platform's OAuth token, as a running hub has it: a burst that first waits for
    // a token reaches the platform all at once, whatever the pacing.
    let last = world.population.debtors().len() - 1;
    payment_burst_of(&world, last..last + 1, 20_000).await;
    world
}

/// Each search's attempts at `source`, `None` where it did not answer.
fn attempts_at(responses: &[pb::QueryResponse], source: &str) -> Vec<Option<u32>> {
    responses
        .iter()
        .flat_map(|r| r.sources.iter().filter(|s| s.source == source))
        .map(|s| {
            matches!(status(s), pb::SourceStatus::Ok | pb::SourceStatus::NotFound)
                .then_some(s.attempts)
        })
        .collect()
}

#[tokio::test]
async fn a_source_paced_to_its_agency_quota_never_earns_a_429() {
    // Unpaced, a burst of 24 against a quota of 10/s is throttled and retried.
    let unpaced = world_with_quota(0).await;
    let responses = payment_burst(&unpaced, 24, 20_000).await;
    let retried = attempts_at(&responses, PAYMENT)
        .iter()
        .filter(|a| a.is_none_or(|n| n > 1))
        .count();
    assert!(retried > 0, "an unpaced burst should have been throttled");

    // Paced a little under the quota, every inquiry passes at the first attempt.
    let paced = world_with_quota(8).await;
    let started = Instant::now();
    let responses = payment_burst(&paced, 24, 20_000).await;
    let attempts = attempts_at(&responses, PAYMENT);
    assert_eq!(attempts.len(), 24);
    assert!(
        attempts.iter().all(|a| *a == Some(1)),
        "attempts: {attempts:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(2_500),
        "24 calls at 8/s take about 3 s, took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_during_an_outage_stay_within_the_retry_budget() {
    let world = World::start_with(WorldOptions {
        population: 60,
        tweak: Box::new(|config| {
            config.retry.max_attempts = 3;
            config.retry.min_delay_ms = 1;
            config.retry.max_delay_ms = 2;
            config.retry.budget_ratio = 0.2;
            config.retry.budget_min_per_sec = 0.0;
            config.retry.budget_max_saved = 2.0;
            // The breaker would cut the agency off; this test is about the budget alone.
            for source in &mut config.sources {
                source.breaker_failures = 0;
            }
        }),
        ..WorldOptions::default()
    })
    .await;
    let agency = world.agency(PAYMENT);
    agency.knobs.faults().add_rules([FaultRule {
        error_rate: 1.0,
        ..FaultRule::on("*")
    }]);
    let before = agency.knobs.requests();
    let mut client = world.client.clone();
    let searches = 50;
    for d in &world.population.debtors()[..searches] {
        let mut request = query(&d.id_number, &d.name);
        request.kinds = vec![pb::AssetKind::Payment as i32];
        request.fresh = true;
        let response = client.query(request).await.unwrap().into_inner();
        let result = response
            .sources
            .iter()
            .find(|s| s.source == PAYMENT)
            .unwrap();
        assert_eq!(status(result), pb::SourceStatus::Error);
    }
    let calls = agency.knobs.requests() - before;
    // Blind retries would have made 150 calls; the budget allows 50 + 20 % + 2 saved.
    assert!(
        (50..=62).contains(&calls),
        "{calls} calls reached the failing agency for {searches} searches"
    );
}

#[tokio::test]
async fn a_stalled_agency_never_slows_the_others() {
    let world = World::start_with(WorldOptions {
        population: 60,
        tweak: Box::new(|config| {
            for source in &mut config.sources {
                source.breaker_failures = 0;
            }
        }),
        agency_latency_ms: Some(5),
        ..WorldOptions::default()
    })
    .await;
    // Every call to one bank hangs: its 16 slots fill up and stay full; the other sources
    // answer every search within its deadline.
    world
        .agency("bank-gongxin")
        .knobs
        .faults()
        .add_rules([FaultRule {
            hang_rate: 1.0,
            ..FaultRule::on("*")
        }]);
    let calls = world.population.debtors()[..32].iter().map(|d| {
        let mut client = world.client.clone();
        let mut request = query(&d.id_number, &d.name);
        request.fresh = true;
        request.deadline_ms = 1_500;
        async move { client.query(request).await.unwrap().into_inner() }
    });
    let responses = join_all(calls).await;
    for response in &responses {
        for result in &response.sources {
            if result.source == "bank-gongxin" {
                assert_eq!(status(result), pb::SourceStatus::TimedOut);
            } else {
                assert!(
                    matches!(
                        status(result),
                        pb::SourceStatus::Ok | pb::SourceStatus::NotFound
                    ),
                    "{}: {}",
                    result.source,
                    result.reason
                );
            }
        }
    }
    // The stalled agency held only its own slots.
    let stalled = world.agency("bank-gongxin").knobs.peak_in_flight();
    assert!(
        stalled <= 16,
        "{stalled} calls in flight to the stalled bank"
    );
}

#[tokio::test]
async fn a_control_order_waits_while_its_agency_is_cut_off_and_completes_once_it_is_back() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            config.server.default_deadline_ms = 1_000;
            config.retry.max_attempts = 1;
            for source in config
                .sources
                .iter_mut()
                .filter(|s| s.id.as_str() == PAYMENT)
            {
                source.breaker_failures = 2;
                source.breaker_cooldown_ms = 1_500;
            }
        }),
        ..WorldOptions::default()
    })
    .await;
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Payment as i32];
    let found = world.client.query(request).await.unwrap().into_inner();
    let account = found
        .sources
        .iter()
        .find(|s| s.source == PAYMENT)
        .and_then(|s| s.assets.first())
        .map(|a| a.asset_ref.clone())
        .expect("the demo person has an account at the platform");

    // The platform goes down: two failed searches open its breaker.
    let agency = world.agency(PAYMENT).knobs.clone();
    agency.faults().add_rules([FaultRule {
        error_rate: 1.0,
        ..FaultRule::on("*")
    }]);
    for _ in 0..2 {
        let mut request = demo_person_query();
        request.kinds = vec![pb::AssetKind::Payment as i32];
        request.fresh = true;
        world.client.query(request).await.unwrap();
    }
    let calls_while_open = agency.requests();
    // A search now is refused by the breaker: no agency call, so no attempt.
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Payment as i32];
    request.fresh = true;
    let refused = world.client.query(request).await.unwrap().into_inner();
    let refused = source(&refused, PAYMENT);
    assert!(refused.reason.contains("circuit open"), "{refused:?}");
    assert_eq!(refused.attempts, 0, "{refused:?}");
    assert_eq!(agency.requests(), calls_while_open);

    // A freeze ordered now is recorded and waits; the platform hears nothing of it.
    let order = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(CASE, "cut-off-1"),
            action: pb::OrderAction::Freeze as i32,
            asset_ref: account,
            debtor: demo_debtor(),
            amount_fen: 55,
            days: 0,
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        order.state,
        pb::OrderState::AwaitingAgency as i32,
        "{order:?}"
    );
    assert_eq!(agency.requests(), calls_while_open, "no call while open");

    // Back up: after the cool-down a probe goes through and the order completes, once.
    agency.faults().remove_rules(None);
    let deadline = Instant::now() + Duration::from_secs(15);
    let done = loop {
        let now = world
            .orders
            .get_order(pb::GetOrderRequest {
                order_id: order.order_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if now.state == pb::OrderState::Effective as i32 {
            break now;
        }
        assert!(Instant::now() < deadline, "never completed: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.frozen_fen, 55);
}
