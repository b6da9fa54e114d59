//! A client given several hubs' addresses (`--addr a,b` in hubctl, the same string to
//! `assethub_client::channel`): the calls are shared between the hubs that answer, one hub
//! down at the start does not stop it, and all down is one clear error naming each.

use assethub_client::connect::{authed, ConnectError};
use assethub_hub::metrics::text::value;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_tests::{bearer, demo_person_query, scrape, token, Role, World, COURT};
use std::time::Duration;

const CALLS: usize = 40;

/// The Query calls `world`'s hub answered OK, from its metrics.
async fn queries(world: &World) -> f64 {
    let (_, samples) = scrape(world.hub.metrics_addr.expect("metrics are served")).await;
    value(
        &samples,
        "assethub_rpc_requests_total",
        &[("method", "Query"), ("code", "OK")],
    )
    .unwrap_or(0.0)
}

/// A port nobody listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn calls_are_shared_between_the_hubs_named_and_one_down_is_skipped() {
    let (first, second) = tokio::join!(World::start(), World::start());
    let wait = Duration::from_secs(2);
    let list = format!("{},{}", first.hub.url(), second.hub.url());
    let channel = assethub_client::channel(&list, wait, None)
        .await
        .expect("both hubs answer");
    let mut client = AssetHubClient::new(authed(channel, bearer(&token(Role::Judge, COURT))));
    let before = (queries(&first).await, queries(&second).await);
    for _ in 0..CALLS {
        client
            .query(demo_person_query())
            .await
            .expect("a hub answers");
    }
    let served = (
        queries(&first).await - before.0,
        queries(&second).await - before.1,
    );
    assert_eq!(served.0 + served.1, CALLS as f64, "{served:?}");
    assert!(
        served.0 >= 4.0 && served.1 >= 4.0,
        "both hubs take calls: {served:?}"
    );

    // One of the hubs named is down: the other takes every call.
    let list = format!("{},{}", closed_port(), second.hub.url());
    let channel = assethub_client::channel(&list, wait, None)
        .await
        .expect("one hub answers");
    let mut client = AssetHubClient::new(authed(channel, bearer(&token(Role::Judge, COURT))));
    for _ in 0..5 {
        client
            .query(demo_person_query())
            .await
            .expect("the live hub answers");
    }

    // None answers: one error naming both.
    let (a, b) = (closed_port(), closed_port());
    let refused = assethub_client::channel(&format!("{a}, {b}"), wait, None)
        .await
        .expect_err("nobody listens");
    match &refused {
        ConnectError::Unreachable { addr, .. } => {
            assert!(addr.contains(&a) && addr.contains(&b), "{refused}")
        }
        other => panic!("{other:?}"),
    }
    let blank = assethub_client::channel(&format!("{a},,{b}"), wait, None)
        .await
        .expect_err("a blank entry");
    assert!(matches!(blank, ConnectError::Input(_)), "{blank:?}");
}
