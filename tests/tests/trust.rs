//! Trust end to end: every role against every method, for its own court's case and another
//! court's; forged, expired and missing tokens; per-caller rate limits; and the audit log of
//! calls and agency instructions, verified through the API.

use assethub_hub::auth::{Claims, Method, TokenIssuer};
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{
    bearer, demo_person_query, sweep, token, Role, World, WorldOptions, CASE, COURT, OTHER_COURT,
};
use futures::StreamExt;
use tonic::Code;

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
    let mut cases = pb::cases_client::CasesClient::with_interceptor(
        world.channel.clone(),
        bearer(&token(role, court)),
    );
    match method {
        Method::RegisterCase => code(
            cases
                .register_case(pb::RegisterCaseRequest {
                    case_number: "(2024)鄂0116执9001号".into(),
                    debtors: vec![demo_person_query().debtor.unwrap()],
                    claim_fen: 100_000,
                    account: "HB0116-ZX-2024-9001".into(),
                })
                .await
                .map(|_| ()),
        ),
        Method::UpdateCase => code(
            cases
                .update_case(pb::UpdateCaseRequest {
                    case_number: CASE.into(),
                    // The demo person is a debtor already: a change that changes nothing.
                    add_debtors: vec![demo_person_query().debtor.unwrap()],
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        Method::GetCase => code(
            cases
                .get_case(pb::GetCaseRequest {
                    case_number: CASE.into(),
                    include_history: false,
                })
                .await
                .map(|_| ()),
        ),
        Method::ListCases => code(
            cases
                .list_cases(pb::ListCasesRequest::default())
                .await
                .map(|_| ()),
        ),
        Method::CourtFigures => code(
            cases
                .court_figures(pb::CourtFiguresRequest::default())
                .await
                .map(|_| ()),
        ),
        Method::CheckpointAudit => code(
            audit
                .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: false })
                .await
                .map(|_| ()),
        ),
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
        Method::RevokeToken => code(
            pb::tokens_client::TokensClient::with_interceptor(
                world.channel.clone(),
                bearer(&token(role, court)),
            )
            .revoke_token(pb::RevokeTokenRequest {
                issuer: "demo".into(),
                jti: format!("matrix-{}-{own}", role.as_str()),
                subject: String::new(),
                reason: "matrix".into(),
            })
            .await
            .map(|_| ()),
        ),
        Method::SubmitSweep => {
            let mut sweeps = sweep::client(&world.channel, role, court);
            let debtor = demo_person_query().debtor.unwrap();
            let items = vec![sweep::item(CASE, &(debtor.id_number, debtor.name))];
            let header = sweep::header(&format!("m-{}-{own}", role.as_str()), false);
            code(
                sweeps
                    .submit_sweep(sweep::chunks(header, items.into_iter()))
                    .await
                    .map(|_| ()),
            )
        }
        Method::GetSweep => code(
            sweep::client(&world.channel, role, court)
                .get_sweep(pb::GetSweepRequest {
                    id: fixtures.sweep.clone(),
                })
                .await
                .map(|_| ()),
        ),
        Method::ListSweepResults => code(
            sweep::client(&world.channel, role, court)
                .list_sweep_results(pb::ListSweepResultsRequest {
                    id: fixtures.sweep.clone(),
                    from_start: true,
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        Method::CancelSweep => code(
            sweep::client(&world.channel, role, court)
                .cancel_sweep(pb::CancelSweepRequest {
                    id: fixtures.sweep.clone(),
                })
                .await
                .map(|_| ()),
        ),
        Method::ListSources => code(
            search
                .list_sources(pb::ListSourcesRequest {})
                .await
                .map(|_| ()),
        ),
        Method::ListInquiries => code(
            search
                .list_inquiries(pb::ListInquiriesRequest {
                    case_number: CASE.into(),
                    ..Default::default()
                })
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
                    quantity: Default::default(),
                    instruction,
                    action: pb::OrderAction::Watch as i32,
                    asset_ref: fixtures.car.clone(),
                    debtor: demo_person_query().debtor,
                    amount_fen: 0,
                    days: 30,
                    currency: String::new(),
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
        // The watch is an online agency's order: refused by the rules once authorized.
        Method::RecordAnswer => code(
            orders
                .record_answer(pb::RecordAnswerRequest {
                    order_id: fixtures.watch.clone(),
                    idempotency_key: format!("matrix-answer-{}-{own}", role.as_str()),
                    outcome: pb::AnswerOutcome::Released as i32,
                    answered_on: "2024-01-02".into(),
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        Method::GetNotice => code(
            pb::notices_client::NoticesClient::with_interceptor(
                world.channel.clone(),
                bearer(&token(role, court)),
            )
            .get_notice(pb::GetNoticeRequest {
                subject: Some(pb::get_notice_request::Subject::OrderId(
                    fixtures.watch.clone(),
                )),
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
    }
}

struct Fixtures {
    car: String,
    /// The demo person's second car (on watch by [`CASE`]).
    other_car: String,
    /// A watch order of CASE, placed by a judge of its court.
    watch: String,
    /// A sweep of CASE, submitted by its court's case system.
    sweep: String,
}

async fn fixtures(world: &mut World) -> Fixtures {
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Vehicle as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    let car = response.sources[0].assets[0].asset_ref.clone();
    let watch = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
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
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    Fixtures {
        car,
        other_car: response.sources[0].assets[1].asset_ref.clone(),
        watch: watch.order_id,
        sweep: {
            let debtor = demo_person_query().debtor.unwrap();
            let items = vec![sweep::item(CASE, &(debtor.id_number, debtor.name))];
            sweep::client(&world.channel, Role::CaseSystem, COURT)
                .submit_sweep(sweep::chunks(
                    sweep::header("fixture", false),
                    items.into_iter(),
                ))
                .await
                .unwrap()
                .into_inner()
                .id
        },
    }
}

/// Who may call what, written out independently of the hub's own matrix: per method, ten
/// cells for (case system, judge, supervisor, auditor, admin) × (own court, other court) —
/// `Y` the call passes authorization (whatever comes of it), `n` PERMISSION_DENIED. Court
/// scoping shows in the second cell of each pair: every call names a case or order of
/// [`COURT`], except the court-free methods (sources, audit, listing one's own cases).
const MATRIX: [(Method, &str); 27] = [
    //                          cs  jd  sv  au  ad
    (Method::Query, /*          */ "Yn Yn Yn nn nn"),
    (Method::StreamQuery, /*    */ "Yn Yn Yn nn nn"),
    (Method::BatchQuery, /*     */ "Yn Yn Yn nn nn"),
    (Method::ListSources, /*    */ "nn nn nn nn YY"),
    (Method::ListInquiries, /*  */ "Yn Yn Yn nn nn"),
    (Method::FreezeFunds, /*    */ "nn Yn Yn nn nn"),
    (Method::PlaceHold, /*      */ "nn Yn Yn nn nn"),
    (Method::ActOnHold, /*      */ "nn Yn Yn nn nn"),
    (Method::DecideApproval, /* */ "nn nn Yn nn nn"),
    (Method::RecordAnswer, /*   */ "nn Yn Yn nn nn"),
    (Method::GetOrder, /*       */ "Yn Yn Yn nn nn"),
    (Method::ListOrders, /*     */ "Yn Yn Yn nn nn"),
    (Method::WatchEvents, /*    */ "Yn Yn Yn nn nn"),
    (Method::VerifyAudit, /*    */ "nn nn nn YY nn"),
    (Method::ListAudit, /*      */ "nn nn nn YY nn"),
    (Method::CheckpointAudit, /**/ "nn nn nn YY nn"),
    (Method::RegisterCase, /*   */ "Yn nn nn nn nn"),
    (Method::UpdateCase, /*     */ "Yn nn nn nn nn"),
    (Method::GetCase, /*        */ "Yn Yn Yn nn nn"),
    (Method::ListCases, /*      */ "YY YY YY nn nn"),
    (Method::CourtFigures, /*   */ "nn nn YY nn nn"),
    (Method::RevokeToken, /*    */ "nn nn nn nn YY"),
    (Method::SubmitSweep, /*    */ "Yn Yn Yn nn nn"),
    (Method::GetSweep, /*       */ "Yn Yn Yn nn nn"),
    (Method::ListSweepResults, "Yn Yn Yn nn nn"),
    (Method::CancelSweep, /*    */ "Yn Yn Yn nn nn"),
    (Method::GetNotice, /*      */ "Yn Yn Yn nn nn"),
];

#[tokio::test]
async fn every_role_may_call_what_the_matrix_allows_and_only_for_its_own_court() {
    let mut world = World::start().await;
    let fixtures = fixtures(&mut world).await;
    let roles = [
        Role::CaseSystem,
        Role::Judge,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
    ];
    let mut cells = 0;
    for (method, row) in MATRIX {
        let wanted: Vec<char> = row.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(wanted.len(), 10, "{}", method.as_str());
        for (r, role) in roles.iter().enumerate() {
            for (c, court) in [COURT, OTHER_COURT].iter().enumerate() {
                let got = call(&world, *role, court, method, &fixtures).await;
                let permitted = wanted[r * 2 + c] == 'Y';
                let cell = format!(
                    "{} at {court} calling {}: {got:?}",
                    role.as_str(),
                    method.as_str()
                );
                if permitted {
                    assert!(
                        !matches!(got, Code::PermissionDenied | Code::Unauthenticated),
                        "{cell}"
                    );
                } else {
                    assert_eq!(got, Code::PermissionDenied, "{cell}");
                }
                cells += 1;
            }
        }
    }
    // Every method of the hub is in the table: a new RPC cannot go untested.
    assert_eq!(MATRIX.len(), Method::ALL.len());
    for method in Method::ALL {
        assert!(
            MATRIX.iter().any(|(m, _)| *m == method),
            "{} is not in the table",
            method.as_str()
        );
    }
    assert_eq!(cells, Method::ALL.len() * 5 * 2);
}

#[tokio::test]
async fn a_path_outside_the_method_table_is_refused_and_audited() {
    let world = World::start().await;
    for path in ["/assethub.v1.Orders/DeleteOrder", "/other.pkg.Svc/X"] {
        let mut grpc = tonic::client::Grpc::new(world.channel.clone());
        grpc.ready().await.unwrap();
        let mut request = tonic::Request::new(pb::GetOrderRequest {
            order_id: "ord-1".into(),
        });
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", token(Role::Supervisor, COURT))
                .parse()
                .unwrap(),
        );
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
        let codec = tonic_prost::ProstCodec::<pb::GetOrderRequest, pb::Order>::default();
        let status = grpc.unary(request, path, codec).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let mut auditor =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)));
    let entries = auditor
        .list_audit(pb::ListAuditRequest::default())
        .await
        .unwrap()
        .into_inner()
        .entries;
    for path in ["/assethub.v1.Orders/DeleteOrder", "/other.pkg.Svc/X"] {
        let refused = entries
            .iter()
            .find(|e| e.method == path)
            .unwrap_or_else(|| panic!("the unknown method {path} is audited"));
        assert_eq!(
            (refused.decision.as_str(), refused.outcome.as_str()),
            ("denied", "PERMISSION_DENIED")
        );
        assert_eq!(refused.role, "supervisor");
    }
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_unauthenticated() {
    let world = World::start().await;
    let mut anonymous = pb::asset_hub_client::AssetHubClient::new(world.channel.clone());
    let status = anonymous.query(demo_person_query()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let now = assethub_hub::auth::now_secs();
    let claims = |iat: i64, exp: i64| Claims {
        iss: String::new(),
        sub: "judge-x".into(),
        officer: "王法官".into(),
        court: COURT.into(),
        role: Role::Judge,
        jti: String::new(),
        iat,
        exp,
    };
    let demo = assethub_demo::token_issuer();
    let expired = demo.issue(&claims(now - 7_200, now - 3_600));
    let forever = demo.issue(&claims(now - 10, i64::MAX));
    let elsewhere = assethub_demo::token_issuer()
        .with_audience("another-hub")
        .issue(&claims(now - 10, now + 600));
    use base64::Engine;
    let stranger = TokenIssuer::from_seed(
        "demo",
        "demo-1",
        &base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
    )
    .unwrap()
    .issue(&claims(now - 10, now + 600));
    for (token, says) in [
        (expired, "invalid token: expired"),
        (forever, "longer than the 2592000 s the hub accepts"),
        (elsewhere, "the audience (aud) is not \"assethub\""),
        (stranger, "invalid token: bad signature"),
        ("ahv1.x.y".into(), "not a JWT"),
    ] {
        let mut client = pb::asset_hub_client::AssetHubClient::with_interceptor(
            world.channel.clone(),
            bearer(&token),
        );
        let status = client.query(demo_person_query()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{says}");
        assert!(status.message().contains(says), "{says}: {status:?}");
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
    // (The court's case system registered the world's cases: a judge is the fresh caller.)
    let (mut greedy, _) = world.clients_as(Role::Judge, COURT);
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
    let (mut other, _) = world.clients_as(Role::Supervisor, COURT);
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
    let anonymous = entries
        .iter()
        .find(|e| e.actor == "unauthenticated" && e.outcome == "UNAUTHENTICATED")
        .unwrap_or_else(|| panic!("refused before any service, still audited: {entries:?}"));
    assert_eq!(anonymous.method, "Query");
    assert!(
        anonymous.detail.contains("peer 127.0.0.1:"),
        "{anonymous:?}"
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
                written_answers: false,
            }];
        }),
        ..WorldOptions::default()
    })
    .await;
    let fixtures = fixtures(&mut world).await;
    let seal_of = |key: &str| pb::PlaceHoldRequest {
        quantity: Default::default(),
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
        currency: String::new(),
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
