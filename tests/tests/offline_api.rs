//! The demo's off-line registry over the wire (`RecordAnswer`, issue 13): the README's
//! walkthrough on a hub serving the demo configuration plus `registry-caidian` — search finds
//! the flat an earlier written answer named, a seal waits as a notice, bad answers are refused
//! with the precise code (naming the field at the edge) and change nothing, the written answer
//! puts it in force, the call is audited, and a release is a second notice and its answer.

use assethub_demo::offline::{FLAT, SOURCE};
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_proto::v1::orders_client::OrdersClient;
use assethub_tests::{
    bearer, demo_debtor, demo_person_query, instruction, token, Role, World, WorldOptions, CASE,
    COURT,
};
use tonic::Code;
use tonic_types::StatusExt;

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn seal(asset_ref: &str, key: &str) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Seal as i32,
        asset_ref: asset_ref.into(),
        debtor: demo_debtor(),
        amount_fen: 0,
        days: 0,
        currency: String::new(),
    }
}

fn answer(order_id: &str, key: &str, today: &str, until: &str) -> pb::RecordAnswerRequest {
    pb::RecordAnswerRequest {
        order_id: order_id.into(),
        idempotency_key: key.into(),
        outcome: pb::AnswerOutcome::Held as i32,
        agency_ref: "蔡不动产查封字第42号".into(),
        held_from: today.into(),
        held_until: until.into(),
        answered_on: today.into(),
        document: "caidian-0042.pdf".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_off_line_registry_takes_notices_and_written_answers_over_the_wire() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(assethub_demo::offline::add),
        ..WorldOptions::default()
    })
    .await;
    // A search of 张伟 finds the flat; the online registry's flat is there too.
    let mut query = demo_person_query();
    query.kinds = vec![pb::AssetKind::RealEstate as i32];
    let found = world.client.query(query).await.unwrap().into_inner();
    let caidian = found.sources.iter().find(|s| s.source == SOURCE).unwrap();
    assert_eq!(caidian.status, pb::SourceStatus::Ok as i32);
    assert_eq!(caidian.assets[0].asset_ref, FLAT);
    let online_flat = found
        .sources
        .iter()
        .find(|s| s.source == "registry-wuhan")
        .unwrap()
        .assets[0]
        .asset_ref
        .clone();

    let sealed = world
        .orders
        .place_hold(seal(FLAT, "s-off-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sealed.state, pb::OrderState::AwaitingAgency as i32);
    assert!(
        sealed.detail.starts_with("notice issued on ")
            && sealed
                .detail
                .ends_with("; awaiting the agency's written answer"),
        "{}",
        sealed.detail
    );
    let today = sealed.start_date.clone();
    assert_eq!(today.len(), 10, "{today}");
    let online = world
        .orders
        .place_hold(seal(&online_flat, "s-on-1"))
        .await
        .unwrap()
        .into_inner();
    // Answered by the online registry at once (in force, or queued behind another court).
    assert!(
        [
            pb::OrderState::Effective as i32,
            pb::OrderState::Queued as i32
        ]
        .contains(&online.state),
        "{online:?}"
    );

    // The end date three years (1095 days) on is the most a seal may have; one more is not.
    let end = |days: i64| {
        assethub_connectors::domain::CivilDate::parse(&today)
            .unwrap()
            .plus_days(days)
            .to_string()
    };
    let other_court =
        OrdersClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Judge, "鄂01")));
    let malformed = pb::RecordAnswerRequest {
        outcome: 0,
        answered_on: "2026-13-01".into(),
        ..answer(&sealed.order_id, "a-bad", &today, &end(100))
    };
    let refused = world.orders.record_answer(malformed).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(fields(&refused), ["outcome", "answered_on"]);
    let cases = [
        (answer("ord-nope", "a-1", &today, &end(100)), Code::NotFound),
        (
            answer(&online.order_id, "a-2", &today, &end(100)),
            Code::FailedPrecondition,
        ),
        (
            answer(&sealed.order_id, "a-3", &today, &end(1096)),
            Code::FailedPrecondition,
        ),
    ];
    for (request, code) in cases {
        let got = world.orders.record_answer(request).await.unwrap_err();
        assert_eq!(got.code(), code, "{got:?}");
    }
    let got = other_court
        .clone()
        .record_answer(answer(&sealed.order_id, "a-4", &today, &end(100)))
        .await
        .unwrap_err();
    assert_eq!(got.code(), Code::PermissionDenied, "{got:?}");
    let unchanged = world
        .orders
        .get_order(pb::GetOrderRequest {
            order_id: sealed.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unchanged, sealed);

    // The written answer puts it in force until the stated day.
    let effective = world
        .orders
        .record_answer(answer(&sealed.order_id, "a-ok", &today, &end(1095)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(effective.state, pb::OrderState::Effective as i32);
    assert_eq!(effective.end_date, end(1095));
    assert_eq!(effective.agency_ref, "蔡不动产查封字第42号");
    // Audited, with the order.
    let mut audit =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)));
    let entries = audit
        .list_audit(pb::ListAuditRequest {
            method: "RecordAnswer".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(
        entries
            .iter()
            .any(|e| e.outcome == "OK" && e.detail.contains(&sealed.order_id)),
        "{entries:?}"
    );
    assert!(
        entries.len() >= 6,
        "every call, refused or not: {entries:?}"
    );

    // The release is a second notice; its answer releases the seal.
    let release = world
        .orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(CASE, "x-off-1"),
            action: pb::OrderAction::Release as i32,
            order_id: sealed.order_id.clone(),
            amount_fen: 0,
            case_account: String::new(),
            days: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(release.state, pb::OrderState::AwaitingAgency as i32);
    let done = world
        .orders
        .record_answer(pb::RecordAnswerRequest {
            order_id: release.order_id.clone(),
            idempotency_key: "a-release".into(),
            outcome: pb::AnswerOutcome::Released as i32,
            agency_ref: "蔡不动产解封字第9号".into(),
            answered_on: today.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state, pb::OrderState::Effective as i32);
    let seal_now = world
        .orders
        .get_order(pb::GetOrderRequest {
            order_id: sealed.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seal_now.state, pb::OrderState::Released as i32);
}
