//! The control scenarios: a watch + release round trip on the demo person's car, and the
//! one-click freeze (`Orders/FreezeFunds`) of the demo person's funds, each on a case of its
//! own registered before anything is timed (so no two acts contend for one case's cap).

use crate::setup::Connection;
use assethub_proto::v1 as pb;
use assethub_tests::{demo_debtor, demo_person_query, instruction, register_case};
use futures::StreamExt;
use tonic::transport::Channel;

/// What a one-click freeze asks for: one yuan, so every case can have it.
const FREEZE_CAP_FEN: i64 = 100;

/// Case number `n` of the control scenarios.
pub fn case(n: usize) -> String {
    format!("(2024)鄂0116执{}号", 20_000 + n)
}

/// Registers control cases `from..to` with the demo person, 16 at a time.
pub async fn register_cases(channel: &Channel, from: usize, to: usize) {
    let debtor = demo_debtor().expect("the demo person");
    futures::stream::iter(from..to)
        .map(|n| {
            let debtor = (debtor.id_number.clone(), debtor.name.clone());
            async move {
                register_case(
                    channel,
                    &case(n),
                    &[debtor],
                    1_000_000,
                    &format!("BENCH-C{n}"),
                )
                .await;
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

/// The demo person's first car, as an asset ref.
pub async fn demo_car(connection: &Connection) -> String {
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Vehicle as i32];
    let response = connection
        .search
        .clone()
        .query(request)
        .await
        .expect("a vehicle query")
        .into_inner();
    response
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .map(|a| a.asset_ref.clone())
        .next()
        .expect("the demo person owns a car")
}

/// Watch `car` under case `n`, then release the watch: true when both took effect.
pub async fn watch_and_release(connection: &Connection, car: &str, n: usize) -> bool {
    let case = case(n);
    let mut orders = connection.orders.clone();
    let watch = orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(&case, &format!("bench-w-{n}")),
            action: pb::OrderAction::Watch as i32,
            asset_ref: car.into(),
            debtor: demo_debtor(),
            amount_fen: 0,
            days: 30,
            currency: String::new(),
        })
        .await;
    let Ok(watch) = watch.map(|r| r.into_inner()) else {
        return false;
    };
    if watch.state != pb::OrderState::Effective as i32 {
        return false;
    }
    let release = orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(&case, &format!("bench-r-{n}")),
            action: pb::OrderAction::Release as i32,
            order_id: watch.order_id,
            amount_fen: 0,
            case_account: String::new(),
            days: 0,
        })
        .await;
    release.is_ok_and(|r| r.into_inner().state == pb::OrderState::Effective as i32)
}

/// One-click freeze of one yuan of the demo person's funds under case `n`: true when it was
/// frozen in full.
pub async fn freeze(connection: &Connection, n: usize) -> bool {
    let case = case(n);
    let report = connection
        .orders
        .clone()
        .freeze_funds(pb::FreezeFundsRequest {
            instruction: instruction(&case, &format!("bench-f-{n}")),
            debtor: demo_debtor(),
            cap_fen: FREEZE_CAP_FEN,
            days: 0,
        })
        .await;
    report.is_ok_and(|r| r.into_inner().frozen_fen == FREEZE_CAP_FEN)
}

/// What the freeze asks first: a fresh search of the demo person's bank and payment sources.
pub async fn fund_search(connection: &Connection) -> bool {
    let mut request = demo_person_query();
    request.fresh = true;
    request.kinds = vec![pb::AssetKind::Bank as i32, pb::AssetKind::Payment as i32];
    connection.search.clone().query(request).await.is_ok()
}
