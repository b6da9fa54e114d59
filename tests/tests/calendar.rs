//! The court's calendar end to end: a hub whose clock starts at a chosen instant (the mock
//! agencies moved to the same date), driven through the real gRPC clients. Legal dates are
//! Beijing civil dates: on 1 January from 00:00 Beijing time (16:00 UTC the day before) a case
//! of the new year exists, a newborn of that day is no future birth, and a hold starts that day.
//! Instants are Unix milliseconds computed with Python's `datetime` in UTC.

use assethub_hub::clock::Clock;
use assethub_mocks::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_proto::v1 as pb;
use assethub_tests::{
    cases_client, demo_debtor, demo_person_query, instruction, World, WorldOptions, COURT,
};
use std::sync::Arc;
use tonic::Code;

/// 2026-12-31T16:30:00Z: 2027-01-01 00:30 in Beijing.
const NEW_YEAR_0030_CST: i64 = 1_798_734_600_000;
const NEW_CASE: &str = "(2027)鄂0116执1号";
/// Born on 2027-01-01 (check character computed with a Python GB 11643 reference).
const NEWBORN: &str = "110105202701010016";

fn register(case: &str) -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        case_number: case.into(),
        debtors: [(DEMO_PERSON_ID, DEMO_PERSON_NAME), (NEWBORN, "张小宝")]
            .iter()
            .map(|(id, name)| pb::Debtor {
                id_number: id.to_string(),
                name: name.to_string(),
            })
            .collect(),
        claim_fen: 100_000_000,
        account: "HB0116-ZX-2027-0001".into(),
    }
}

#[tokio::test]
async fn after_midnight_in_beijing_on_new_year_s_day_the_new_year_has_begun() {
    let clock = Arc::new(Clock::starting_at(NEW_YEAR_0030_CST));
    let mut world = World::start_with(WorldOptions {
        clock: Some(clock.clone()),
        ..WorldOptions::default()
    })
    .await;
    assert_eq!(clock.today().to_string(), "2027-01-01");
    let mut cases = cases_client(&world.channel, COURT);

    // On the UTC date (still 2026-12-31) the case's year and the newborn were refused.
    clock.set_offset_days(-1);
    let refused = cases.register_case(register(NEW_CASE)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("case_number"), "{refused:?}");
    assert!(
        refused.message().contains("debtors[1].id_number"),
        "{refused:?}"
    );

    // In Beijing it is 1 January 2027: both are accepted.
    clock.set_offset_days(0);
    let case = cases
        .register_case(register(NEW_CASE))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.case_number, NEW_CASE);

    // A hold placed now starts on 1 January and its end is counted from that day.
    let mut query = demo_person_query();
    query.kinds = vec![pb::AssetKind::Vehicle as i32];
    let found = world.client.query(query).await.unwrap().into_inner();
    let car = found
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .map(|a| a.asset_ref.clone())
        .next()
        .expect("the demo person owns a car");
    let seal = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(NEW_CASE, "k-new-year"),
            action: pb::OrderAction::Seal as i32,
            asset_ref: car,
            debtor: demo_debtor(),
            amount_fen: 0,
            days: 30,
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            seal.start_date.as_str(),
            seal.end_date.as_str(),
            seal.days_left
        ),
        ("2027-01-01", "2027-01-31", 30),
        "{seal:?}"
    );
}
