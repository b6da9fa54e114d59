//! The metrics endpoint end to end: mock agencies and the hub on loopback, a judge's searches
//! and a seal released again through the real gRPC clients, then `GET /metrics` scraped over
//! HTTP and read with the hub's strict exposition reader.

use assethub_hub::metrics::text::value;
use assethub_mocks::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_proto::v1 as pb;
use assethub_tests::{demo_person_query, instruction, scrape, World, WorldOptions, CASE};
use futures::StreamExt;
use std::time::Duration;

/// A flat of the demo person no court has sealed yet.
async fn a_free_flat(world: &mut World) -> String {
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::RealEstate as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    let sealed = |e: &pb::Encumbrance| {
        e.kind == pb::EncumbranceKind::Seal as i32
            || e.kind == pb::EncumbranceKind::QueuedSeal as i32
    };
    response
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .find(|a| match &a.detail {
            Some(pb::asset::Detail::Property(p)) => !p.encumbrances.iter().any(sealed),
            _ => false,
        })
        .map(|a| a.asset_ref.clone())
        .expect("the demo person owns a flat nobody sealed")
}

/// The next event of the feed about `order_id` in `state`, within 10 s.
async fn next_event(
    feed: &mut tonic::Streaming<pb::OrderEvent>,
    order_id: &str,
    state: pb::OrderState,
) {
    let wanted = |e: &pb::OrderEvent| {
        matches!(&e.body, Some(pb::order_event::Body::Order(o))
            if o.order_id == order_id && o.state == state as i32)
    };
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(event)) = feed.next().await {
            if wanted(&event) {
                return;
            }
        }
        panic!("the feed ended");
    })
    .await;
    assert!(found.is_ok(), "no {state:?} event for {order_id}");
}

#[tokio::test]
async fn searches_and_orders_show_in_the_metrics() {
    let mut world = World::start().await;
    let addr = world.hub.metrics_addr.expect("metrics are served");
    for _ in 0..2 {
        world.client.query(demo_person_query()).await.unwrap();
    }
    let flat = a_free_flat(&mut world).await;
    let mut feed = world
        .orders
        .watch_events(pb::WatchEventsRequest {
            after_cursor: 0,
            case_number: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let seal = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(CASE, "k-metrics-seal"),
            action: pb::OrderAction::Seal as i32,
            asset_ref: flat,
            debtor: Some(pb::Debtor {
                id_number: DEMO_PERSON_ID.into(),
                name: DEMO_PERSON_NAME.into(),
            }),
            amount_fen: 0,
            days: 0,
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seal.state, pb::OrderState::Effective as i32, "{seal:?}");
    // Once the feed has delivered an event its subscription is live, so the release's
    // events are timed as feed lag.
    next_event(&mut feed, &seal.order_id, pb::OrderState::Effective).await;
    let release = world
        .orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(CASE, "k-metrics-release"),
            action: pb::OrderAction::Release as i32,
            order_id: seal.order_id.clone(),
            amount_fen: 0,
            case_account: String::new(),
            days: 0,
        })
        .await
        .unwrap()
        .into_inner();
    next_event(&mut feed, &release.order_id, pb::OrderState::Effective).await;

    let (text, samples) = scrape(addr).await;
    assert!(
        !text.contains(DEMO_PERSON_ID) && !text.contains(DEMO_PERSON_NAME),
        "personal data in the metrics"
    );
    let duration_count = "assethub_source_call_duration_seconds_count";
    for source in &world.config.sources {
        let id = ("source", source.id.as_str());
        let fetched: f64 = samples
            .iter()
            .filter(|s| s.name == duration_count && s.has(&[id]))
            .filter(|s| s.label("outcome") != Some("cached"))
            .map(|s| s.value)
            .sum();
        assert!(fetched >= 1.0, "{id:?} asked: {fetched}");
        let cached = value(&samples, duration_count, &[id, ("outcome", "cached")]);
        assert!(
            cached >= Some(1.0),
            "{id:?} served from the cache: {cached:?}"
        );
        let hits = value(
            &samples,
            "assethub_cache_requests_total",
            &[id, ("result", "hit")],
        );
        assert!(hits >= Some(1.0), "{id:?} cache hits: {hits:?}");
        let breaker = value(&samples, "assethub_source_breaker_state", &[id]);
        assert_eq!(breaker, Some(0.0), "{id:?} breaker closed");
        // The follow-up loop may be asking an agency (vehicle sightings) right now.
        let in_flight = value(&samples, "assethub_source_in_flight", &[id]);
        let limit = f64::from(source.max_concurrency);
        assert!(
            in_flight.is_some_and(|n| (0.0..=limit).contains(&n)),
            "{id:?} in flight: {in_flight:?}"
        );
    }
    let orders = |state, action| {
        value(
            &samples,
            "assethub_orders",
            &[("state", state), ("action", action)],
        )
    };
    assert_eq!(orders("released", "seal"), Some(1.0));
    assert_eq!(orders("effective", "release"), Some(1.0));
    assert_eq!(orders("effective", "seal"), Some(0.0));
    let calls = |action, outcome| {
        value(
            &samples,
            "assethub_control_calls_total",
            &[("action", action), ("outcome", outcome)],
        )
    };
    assert_eq!(calls("seal", "effective"), Some(1.0));
    assert_eq!(calls("release", "released"), Some(1.0));
    let lag = value(&samples, "assethub_event_feed_lag_seconds_count", &[]);
    assert!(lag >= Some(1.0), "feed deliveries timed: {lag:?}");
    let subscribers = value(&samples, "assethub_event_feed_subscribers", &[]);
    assert_eq!(subscribers, Some(1.0));
    let rpc = |method| {
        value(
            &samples,
            "assethub_rpc_requests_total",
            &[("method", method), ("code", "OK")],
        )
    };
    assert_eq!(rpc("Query"), Some(3.0));
    assert_eq!(rpc("PlaceHold"), Some(1.0));
}

#[tokio::test]
async fn refused_calls_are_counted_by_code() {
    let mut world = World::start().await;
    let addr = world.hub.metrics_addr.expect("metrics are served");
    let mut bad = demo_person_query();
    bad.case_number = "not a case".into();
    let refused = world.client.query(bad).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let (_, samples) = scrape(addr).await;
    let labels = [("method", "Query"), ("code", "INVALID_ARGUMENT")];
    assert_eq!(
        value(&samples, "assethub_rpc_requests_total", &labels),
        Some(1.0)
    );
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let world = World::start_with(WorldOptions {
        tweak: Box::new(|config| config.metrics.enabled = false),
        ..WorldOptions::default()
    })
    .await;
    assert_eq!(world.hub.metrics_addr, None);
}

#[tokio::test]
async fn gate_refusals_are_counted_by_reason_and_how_they_were_audited() {
    let world = World::start_with(WorldOptions {
        tweak: Box::new(|config| config.server.max_streams_per_caller = 1),
        ..WorldOptions::default()
    })
    .await;
    let addr = world.hub.metrics_addr.expect("metrics are served");
    let forged = format!(
        "{}x",
        assethub_tests::token(assethub_tests::Role::Judge, "鄂0116")
    );
    let mut stranger = pb::asset_hub_client::AssetHubClient::with_interceptor(
        world.channel.clone(),
        assethub_tests::bearer(&forged),
    );
    for _ in 0..3 {
        let refused = stranger.query(demo_person_query()).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    }
    let mut orders = world.orders.clone();
    let watch = || pb::WatchEventsRequest {
        after_cursor: 0,
        case_number: String::new(),
    };
    let _open = orders.watch_events(watch()).await.expect("the one stream");
    let refused = orders.watch_events(watch()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    let (_, samples) = scrape(addr).await;
    let count = |reason, audit| {
        value(
            &samples,
            "assethub_gate_refusals_total",
            &[("reason", reason), ("audit", audit)],
        )
    };
    // The first of each address and code audited on its own, the rest counted.
    assert_eq!(count("unauthenticated", "entry"), Some(1.0));
    assert_eq!(count("unauthenticated", "aggregated"), Some(2.0));
    assert_eq!(count("streams", "entry"), Some(1.0));
}
