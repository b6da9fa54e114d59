//! Trust end to end: every role against every method, for its own court's case and another
//! court's; forged, expired and missing tokens; per-caller rate limits; and the audit log of
//! calls and agency instructions, verified through the API.

use assethub_hub::auth::{allows, Claims, Method, TokenIssuer};
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{bearer, demo_person_query, token, Role, World, WorldOptions, CASE, COURT};
use futures::StreamExt;
use tonic::Code;

const OTHER_COURT: &str = "鄂01";

/// Calls `method` as `role` of `court` on [`CASE`] (a case of [`COURT`]); the status code, or
/// OK. A batch whose item is refused counts as PERMISSION_DENIED.
async fn call(world: &World, role: Role, court: &str, method: Method, fixtures: &Fixtures) -> Code {
    let (mut search, mut orders) = world.clients_as(role, court);
    let mut audit =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(role, court)));
    let own = if court == COURT { "own" } else { "other" };
    let key = format!("m-{}-{own}-{}", role.as_str(), method.as_str());
    let instruction = Some(pb::Instruction {
        case_number: CASE.into(),
        ruling: format!("{CASE}之一"),
        officer: String::new(),
        idempotency_key: key,
    });
    let code = |r: Result<(), tonic::Status>| r.map_or_else(|s| s.code(), |_| Code::Ok);
    match method {
        Method::Query => code(search.query(demo_person_query()).await.map(|_| ())),
        Method::StreamQuery => code(search.stream_query(demo_person_query()).await.map(|_| ())),
        Method::BatchQuery => {
            let batch = pb::BatchQueryRequest {
                items: vec![pb::BatchItem {
                    case_number: CASE.into(),
                    debtor: demo_person_query().debtor,
                }],
                ..Default::default()
            };
            match search.batch_query(batch).await {
                Err(s) => s.code(),
                Ok(stream) => {
                    let first = stream.into_inner().next().await;
                    match first.and_then(|r| r.ok()).and_then(|r| r.outcome) {
                        Some(pb::batch_item_result::Outcome::Error(e))
                            if e.code == "PERMISSION_DENIED" =>
                        {
                            Code::PermissionDenied
                        }
                        _ => Code::Ok,
                    }
                }
            }
        }
        Method::ListSources => code(
            search
                .list_sources(pb::ListSourcesRequest {})
                .await
                .map(|_| ()),
        ),
        Method::FreezeFunds => code(
            orders
                .freeze_funds(pb::FreezeFundsRequest {
                    instruction,
                    debtor: demo_person_query().debtor,
                    cap_fen: 100,
                    days: 30,
                })
                .await
                .map(|_| ()),
        ),
        Method::PlaceHold => code(
            orders
                .place_hold(pb::PlaceHoldRequest {
                    instruction,
                    action: pb::OrderAction::Watch as i32,
                    asset_ref: fixtures.car.clone(),
                    debtor: demo_person_query().debtor,
                    amount_fen: 0,
                    days: 30,
                })
                .await
                .map(|_| ()),
        ),
        Method::ActOnHold => code(
            orders
                .act_on_hold(pb::ActOnHoldRequest {
                    instruction,
                    action: pb::OrderAction::Renew as i32,
                    order_id: fixtures.watch.clone(),
                    amount_fen: 0,
                    case_account: String::new(),
                    days: 1,
                })
                .await
                .map(|_| ()),
        ),
        Method::DecideApproval => code(
            orders
                .decide_approval(pb::DecideApprovalRequest {
                    order_id: fixtures.watch.clone(),
                    approve: true,
                    reason: String::new(),
                })
                .await
                .map(|_| ()),
        ),
        Method::GetOrder => code(
            orders
                .get_order(pb::GetOrderRequest {
                    order_id: fixtures.watch.clone(),
                })
                .await
                .map(|_| ()),
        ),
        Method::ListOrders => code(
            orders
                .list_orders(pb::ListOrdersRequest {
                    case_number: CASE.into(),
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        Method::WatchEvents => code(
            orders
                .watch_events(pb::WatchEventsRequest {
                    after_cursor: 0,
                    case_number: CASE.into(),
                })
                .await
                .map(|_| ()),
        ),
        Method::VerifyAudit => code(
            audit
                .verify_audit(pb::VerifyAuditRequest::default())
                .await
                .map(|_| ()),
        ),
        Method::ListAudit => code(
            audit
                .list_audit(pb::ListAuditRequest {
                    after_seq: 0,
                    limit: 5,
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        Method::CheckpointAudit => code(
            audit
                .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: false })
                .await
                .map(|_| ()),
        ),
    }
}

struct Fixtures {
    car: String,
    /// The demo person's second car (on watch by [`CASE`]).
    other_car: String,
    /// A watch order of CASE, placed by a judge of its court.
    watch: String,
}

async fn fixtures(world: &mut World) -> Fixtures {
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Vehicle as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    let car = response.sources[0].assets[0].asset_ref.clone();
    let watch = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            instruction: Some(pb::Instruction {
                case_number: CASE.into(),
                ruling: format!("{CASE}之一"),
                officer: String::new(),
                idempotency_key: "fixture-watch".into(),
            }),
            action: pb::OrderAction::Watch as i32,
            asset_ref: response.sources[0].assets[1].asset_ref.clone(),
            debtor: demo_person_query().debtor,
            amount_fen: 0,
            days: 60,
        })
        .await
        .unwrap()
        .into_inner();
    Fixtures {
        car,
        other_car: response.sources[0].assets[1].asset_ref.clone(),
        watch: watch.order_id,
    }
}

#[tokio::test]
async fn every_role_may_call_what_the_matrix_allows_and_only_for_its_own_court() {
    let mut world = World::start().await;
    let fixtures = fixtures(&mut world).await;
    let mut cells = 0;
    for role in Role::ALL {
        for method in Method::ALL {
            for court in [COURT, OTHER_COURT] {
                let got = call(&world, role, court, method, &fixtures).await;
                let permitted = allows(role, method) && (court == COURT || !method.court_scoped());
                if permitted {
                    assert!(
                        !matches!(got, Code::PermissionDenied | Code::Unauthenticated),
                        "{} at {court} calling {}: {got:?}",
                        role.as_str(),
                        method.as_str()
                    );
                } else {
                    assert_eq!(
                        got,
                        Code::PermissionDenied,
                        "{} at {court} calling {}",
                        role.as_str(),
                        method.as_str()
                    );
                }
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 5 * Method::ALL.len() * 2);
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_unauthenticated() {
    let world = World::start().await;
    let mut anonymous = pb::asset_hub_client::AssetHubClient::new(world.channel.clone());
    let status = anonymous.query(demo_person_query()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let now = assethub_hub::auth::now_secs();
    let claims = |exp: i64| Claims {
        iss: String::new(),
        sub: "judge-x".into(),
        officer: "王法官".into(),
        court: COURT.into(),
        role: Role::Judge,
        iat: now - 10,
        exp,
    };
    let expired = TokenIssuer::demo().issue(claims(now - 1));
    use base64::Engine;
    let stranger = TokenIssuer::from_seed(
        "demo",
        &base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
    )
    .unwrap()
    .issue(claims(now + 600));
    for (what, token) in [
        ("expired", expired),
        ("forged", stranger),
        ("garbage", "ahv1.x.y".into()),
    ] {
        let mut client = pb::asset_hub_client::AssetHubClient::with_interceptor(
            world.channel.clone(),
            bearer(&token),
        );
        let status = client.query(demo_person_query()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{what}");
        assert!(!status
            .message()
            .contains(assethub_mocks::population::DEMO_PERSON_ID));
    }
}

#[tokio::test]
async fn a_judge_of_another_court_cannot_release_this_courts_hold() {
    let mut world = World::start().await;
    let fixtures = fixtures(&mut world).await;
    let (_, mut other) = world.clients_as(Role::Judge, OTHER_COURT);
    let status = other
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: Some(pb::Instruction {
                case_number: "(2024)鄂01执77号".into(),
                ruling: "(2024)鄂01执77号之一".into(),
                officer: String::new(),
                idempotency_key: "steal".into(),
            }),
            action: pb::OrderAction::Release as i32,
            order_id: fixtures.watch.clone(),
            amount_fen: 0,
            case_account: String::new(),
            days: 0,
        })
        .await
        .unwrap_err();
    // Its own case, but the order is this court's: refused, and the hold stays.
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let order = world
        .orders
        .get_order(pb::GetOrderRequest {
            order_id: fixtures.watch,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.state, pb::OrderState::Effective as i32);
}

#[tokio::test]
async fn a_caller_over_its_rate_is_told_to_slow_down_and_others_are_not() {
    let world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            config.auth.requests_per_sec = 1;
            config.auth.burst = 3;
        }),
        ..WorldOptions::default()
    })
    .await;
    let (mut greedy, _) = world.clients_as(Role::CaseSystem, COURT);
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(
            greedy
                .query(demo_person_query())
                .await
                .map_or_else(|s| s.code(), |_| Code::Ok),
        );
    }
    assert_eq!(&codes[..3], &[Code::Ok, Code::Ok, Code::Ok]);
    assert_eq!(codes[4], Code::ResourceExhausted);
    let (mut other, _) = world.clients_as(Role::Judge, COURT);
    other.query(demo_person_query()).await.unwrap();
}

#[tokio::test]
async fn calls_and_agency_instructions_are_audited_and_the_chain_verifies() {
    let mut world = World::start().await;
    let fixtures = fixtures(&mut world).await;
    let (_, mut other) = world.clients_as(Role::Judge, OTHER_COURT);
    let _ = other
        .get_order(pb::GetOrderRequest {
            order_id: fixtures.watch.clone(),
        })
        .await;
    let mut anonymous = pb::asset_hub_client::AssetHubClient::new(world.channel.clone());
    let _ = anonymous.query(demo_person_query()).await;
    // Refusals before any service are audited in the background.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut auditor =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)));
    let entries = auditor
        .list_audit(pb::ListAuditRequest {
            after_seq: 0,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let methods: Vec<&str> = entries.iter().map(|e| e.method.as_str()).collect();
    assert!(methods.contains(&"Query"), "{methods:?}");
    assert!(methods.contains(&"PlaceHold"), "{methods:?}");
    assert!(
        methods
            .iter()
            .any(|m| m.starts_with("agency:vehicle-hubei:watch")),
        "{methods:?}"
    );
    let denied = entries
        .iter()
        .find(|e| e.method == "GetOrder" && e.court == OTHER_COURT)
        .expect("the refused read is audited");
    assert!(denied.decision.starts_with("denied"), "{denied:?}");
    assert!(
        entries
            .iter()
            .any(|e| e.actor == "unauthenticated" && e.outcome == "Unauthenticated"),
        "refused before any service, still audited: {entries:?}"
    );
    for e in &entries {
        let text = format!("{e:?}");
        assert!(
            !text.contains(assethub_mocks::population::DEMO_PERSON_ID),
            "{text}"
        );
        assert!(
            !text.contains(assethub_mocks::population::DEMO_PERSON_NAME),
            "{text}"
        );
    }
    let report = auditor
        .verify_audit(pb::VerifyAuditRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(report.intact, "{report:?}");
    assert!(report.entries_checked as usize >= entries.len());
}

#[tokio::test]
async fn a_seal_waits_for_a_supervisor_who_is_not_its_author() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            config.auth.approval = vec![assethub_hub::config::ApprovalRule {
                court: COURT.into(),
                above_fen: 0,
                seals: true,
            }];
        }),
        ..WorldOptions::default()
    })
    .await;
    let fixtures = fixtures(&mut world).await;
    let seal_of = |key: &str| pb::PlaceHoldRequest {
        instruction: Some(pb::Instruction {
            case_number: CASE.into(),
            ruling: format!("{CASE}之一"),
            officer: String::new(),
            idempotency_key: key.into(),
        }),
        action: pb::OrderAction::Seal as i32,
        asset_ref: fixtures.car.clone(),
        debtor: demo_person_query().debtor,
        amount_fen: 0,
        days: 30,
    };
    let seal = world
        .orders
        .place_hold(seal_of("four-eyes-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        seal.state,
        pb::OrderState::AwaitingApproval as i32,
        "{seal:?}"
    );
    let decide = |order_id: &str, approve: bool| pb::DecideApprovalRequest {
        order_id: order_id.into(),
        approve,
        reason: if approve {
            String::new()
        } else {
            "no ruling attached".into()
        },
    };
    // A judge cannot approve at all.
    let denied = world
        .orders
        .decide_approval(decide(&seal.order_id, true))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // A supervisor cannot approve their own order.
    let (_, mut supervisor) = world.clients_as(Role::Supervisor, COURT);
    let own = supervisor
        .place_hold(pb::PlaceHoldRequest {
            asset_ref: fixtures.other_car.clone(),
            ..seal_of("four-eyes-2")
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.state, pb::OrderState::AwaitingApproval as i32);
    let refused = supervisor
        .decide_approval(decide(&own.order_id, true))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("themselves"), "{refused:?}");
    // A supervisor of another court cannot either.
    let (_, mut elsewhere) = world.clients_as(Role::Supervisor, OTHER_COURT);
    let refused = elsewhere
        .decide_approval(decide(&seal.order_id, true))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    // The court's supervisor approves: now the agency is asked, and the seal is in force.
    let approved = supervisor
        .decide_approval(decide(&seal.order_id, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        approved.state,
        pb::OrderState::Effective as i32,
        "{approved:?}"
    );
    assert!(approved.detail.is_empty() || !approved.detail.contains("not approved"));
}
