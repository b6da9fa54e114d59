//! Story: a hostile caller with a valid judge's token sends what no case system would — a
//! megabyte of digits as an asset ref, control characters and `../` in refs and accounts, a
//! hundred thousand asset kinds, bodies that are not protobuf, messages of many megabytes. Each
//! is refused at the edge with a bounded error naming the field (or the transport's precise
//! code), nothing is recorded and no agency hears of it; every service takes messages up to
//! the 8 MiB the README promises, and refuses larger ones with RESOURCE_EXHAUSTED.

use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{
    bearer, cases_client, demo_debtor, instruction, token, Role, World, CASE, COURT,
};
use tonic::Code;
use tonic_types::StatusExt;

const BANK: &str = "bank-gongxin";

/// The fields a refusal names, in order.
fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn place_hold(asset_ref: &str, key: &str) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: asset_ref.into(),
        debtor: demo_debtor(),
        amount_fen: 100_000,
        days: 0,
        currency: String::new(),
    }
}

/// Orders of [`CASE`], events in the ledger and requests the bank has received.
async fn traces(world: &World) -> (usize, u64, u64) {
    let orders = world
        .orders
        .clone()
        .list_orders(pb::ListOrdersRequest {
            case_number: CASE.into(),
            ..Default::default()
        })
        .await
        .expect("orders can be listed")
        .into_inner()
        .orders
        .len();
    let events = *world.hub.desk.ledger().subscribe().borrow();
    (orders, events, world.agency(BANK).knobs.requests())
}

#[tokio::test]
async fn oversized_and_hostile_refs_and_accounts_are_refused_and_leave_no_trace() {
    let world = World::start().await;
    let before = traces(&world).await;
    let mut orders = world.orders.clone();

    let megabyte = format!("{BANK}:{}", "1".repeat(1 << 20));
    let status = orders
        .place_hold(place_hold(&megabyte, "huge-ref"))
        .await
        .expect_err("a 1 MiB asset ref is refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(fields(&status), ["asset_ref"]);
    assert!(status.message().len() <= 1024);

    for (i, bad) in ["\0", "\n", "\u{1b}[31m", "../../etc/passwd"]
        .iter()
        .enumerate()
    {
        let asset_ref = format!("{BANK}:6236511001511617668{bad}");
        let status = orders
            .place_hold(place_hold(&asset_ref, &format!("bad-ref-{i}")))
            .await
            .expect_err("a hostile asset ref is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}: {status:?}");
        assert_eq!(fields(&status), ["asset_ref"], "{bad:?}");

        let status = orders
            .act_on_hold(pb::ActOnHoldRequest {
                instruction: instruction(CASE, &format!("bad-account-{i}")),
                action: pb::OrderAction::Deduct as i32,
                order_id: "0b1e2c3d-0000-4000-8000-000000000001".into(),
                amount_fen: 100,
                case_account: format!("HB0116-ZX-2024-1234{bad}"),
                days: 0,
            })
            .await
            .expect_err("a hostile case account is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}: {status:?}");
        assert_eq!(fields(&status), ["case_account"], "{bad:?}");
    }
    assert_eq!(
        traces(&world).await,
        before,
        "orders, events, bank requests"
    );
}

#[tokio::test]
async fn a_hundred_thousand_kinds_get_a_short_answer() {
    let world = World::start().await;
    let mut request = assethub_tests::demo_person_query();
    request.kinds = vec![99; 100_000];
    let status = world.client.clone().query(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["kinds"]);
    assert!(status.message().len() <= 1024, "{}", status.message().len());
    assert!(status.details().len() <= 1024, "{}", status.details().len());

    let status = world
        .client
        .clone()
        .batch_query(pb::BatchQueryRequest {
            kind_names: Default::default(),
            items: vec![pb::BatchItem {
                case_number: CASE.into(),
                debtor: demo_debtor(),
            }],
            kinds: vec![99; 100_000],
            fresh: false,
            item_deadline_ms: 0,
        })
        .await
        .expect_err("the batch's kinds are refused once, for the batch");
    assert_eq!(fields(&status), ["kinds"]);
}

/// A raw client: sends `request` (any message) to `path` as if it were that method's request.
async fn send_as<M>(world: &World, path: &'static str, request: M) -> tonic::Status
where
    M: tonic_prost::prost::Message + Send + Sync + 'static,
{
    let channel = tonic::service::interceptor::InterceptedService::new(
        world.channel.clone(),
        bearer(&token(Role::Judge, COURT)),
    );
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("the channel is ready");
    let codec = tonic_prost::ProstCodec::<M, pb::Order>::default();
    grpc.unary(
        tonic::Request::new(request),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .expect_err("the hub refuses")
}

#[tokio::test]
async fn a_body_that_is_not_the_request_message_is_invalid_argument() {
    let world = World::start().await;
    // `kind` (field 2, a varint) where QueryRequest has `debtor` (field 2, a message).
    let wrong = pb::SourceResult {
        kind: 1,
        ..Default::default()
    };
    let status = send_as(&world, "/assethub.v1.AssetHub/Query", wrong).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("QueryRequest"), "{status:?}");
    // `index` (field 1, a varint) where GetOrderRequest has `order_id` (field 1, a string).
    let wrong = pb::BatchItemResult {
        index: 7,
        outcome: None,
    };
    let status = send_as(&world, "/assethub.v1.Orders/GetOrder", wrong).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    // The audit records what the caller was told.
    let entries =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)))
            .list_audit(pb::ListAuditRequest {
                method: "GetOrder".into(),
                ..Default::default()
            })
            .await
            .expect("the audit can be listed")
            .into_inner()
            .entries;
    let outcomes: Vec<&str> = entries.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["INVALID_ARGUMENT"]);
}

#[tokio::test]
async fn every_service_takes_8_mib_messages_and_refuses_larger_ones() {
    let world = World::start().await;
    let before = traces(&world).await;
    let mib = |n: usize| "1".repeat(n << 20);
    let auditor = || {
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)))
    };
    let mut cases = cases_client(&world.channel, COURT);
    for (size, transport_refuses) in [(5, false), (9, true)] {
        let statuses = [
            world
                .orders
                .clone()
                .get_order(pb::GetOrderRequest {
                    order_id: mib(size),
                })
                .await
                .unwrap_err(),
            auditor()
                .list_audit(pb::ListAuditRequest {
                    case_number: mib(size),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
            cases
                .get_case(pb::GetCaseRequest {
                    case_number: mib(size),
                    include_history: false,
                })
                .await
                .unwrap_err(),
            world
                .client
                .clone()
                .query(pb::QueryRequest {
                    case_number: mib(size),
                    ..assethub_tests::demo_person_query()
                })
                .await
                .unwrap_err(),
        ];
        for (status, field) in
            statuses
                .iter()
                .zip(["order_id", "case_number", "case_number", "case_number"])
        {
            if transport_refuses {
                assert_eq!(
                    status.code(),
                    Code::ResourceExhausted,
                    "{size} MiB: {status:?}"
                );
            } else {
                // Past the transport: the field's own bound refuses it.
                assert_eq!(
                    status.code(),
                    Code::InvalidArgument,
                    "{size} MiB: {status:?}"
                );
                assert_eq!(fields(status), [field]);
            }
            assert!(status.message().len() <= 1024);
        }
    }
    assert_eq!(traces(&world).await, before);
}
