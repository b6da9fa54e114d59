//! End-to-end search stories: mock agencies and the hub on ephemeral ports, driven through the
//! real gRPC client, asserting what a case system would see.

use assethub_mocks::population::{
    DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_proto::v1::{self as pb, asset::Detail};
use assethub_tests::{demo_person_query, query, source, Role, World, WorldOptions, CASE, COURT};
use futures::StreamExt;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tonic_types::StatusExt;

fn status(result: &pb::SourceResult) -> pb::SourceStatus {
    pb::SourceStatus::try_from(result.status).unwrap_or(pb::SourceStatus::Unspecified)
}

#[tokio::test]
async fn every_kind_of_agency_answers_for_the_demo_debtors() {
    let mut world = World::start().await;
    for (id, name) in [
        (DEMO_PERSON_ID, DEMO_PERSON_NAME),
        (DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
    ] {
        let response = world
            .client
            .query(query(id, name))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.case_number, CASE);
        assert_eq!(response.sources.len(), 6);
        let mut kinds = BTreeSet::new();
        for result in &response.sources {
            assert_eq!(
                status(result),
                pb::SourceStatus::Ok,
                "{}: {}",
                result.source,
                result.reason
            );
            assert!(
                !result.assets.is_empty(),
                "{} holds something of the demo debtor",
                result.source
            );
            assert!(!result.cached);
            assert!(result.attempts >= 1);
            kinds.insert(result.kind);
            for asset in &result.assets {
                assert!(asset.asset_ref.starts_with(&format!("{}:", result.source)));
                let detail = asset.detail.as_ref().expect("asset detail");
                let matches_kind = matches!(
                    (pb::AssetKind::try_from(result.kind).unwrap(), detail),
                    (pb::AssetKind::Bank, Detail::Deposit(_))
                        | (pb::AssetKind::RealEstate, Detail::Property(_))
                        | (pb::AssetKind::Vehicle, Detail::Vehicle(_))
                        | (pb::AssetKind::Payment, Detail::PaymentBalance(_))
                );
                assert!(
                    matches_kind,
                    "{} reported a foreign asset kind",
                    result.source
                );
            }
        }
        assert_eq!(kinds.len(), 4, "all four kinds answer");
    }
}

#[tokio::test]
async fn the_two_banks_report_different_accounts() {
    let mut world = World::start().await;
    let response = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let accounts = |id| -> BTreeSet<String> {
        source(&response, id)
            .assets
            .iter()
            .map(|a| a.asset_ref.split_once(':').unwrap().1.to_string())
            .collect()
    };
    assert!(accounts("bank-gongxin").is_disjoint(&accounts("bank-hengtong")));
}

#[tokio::test]
async fn unknown_debtor_and_wrong_name_are_answers_not_errors() {
    let mut world = World::start().await;
    // The court's record can name someone no agency knows, or spell a name otherwise than
    // the agencies do: the agencies' answers say so, per source.
    let case = "(2024)鄂0116执5001号";
    let debtors = [
        ("110105198001010016".to_string(), "李四".to_string()),
        (DEMO_PERSON_ID.to_string(), "王五".to_string()),
    ];
    world
        .register(case, &debtors, 100_000, "HB0116-ZX-2024-5001")
        .await;
    let in_case = |id: &str, name: &str| pb::QueryRequest {
        case_number: case.into(),
        ..query(id, name)
    };
    // A valid identity number nobody in the population has.
    let stranger = world
        .client
        .query(in_case("110105198001010016", "李四"))
        .await;
    let stranger = match stranger {
        Ok(r) => r.into_inner(),
        Err(s) => panic!("{s:?}"),
    };
    for result in &stranger.sources {
        assert_eq!(
            status(result),
            pb::SourceStatus::NotFound,
            "{}",
            result.source
        );
    }
    let wrong_name = world
        .client
        .query(in_case(DEMO_PERSON_ID, "王五"))
        .await
        .unwrap()
        .into_inner();
    for result in &wrong_name.sources {
        assert_eq!(
            status(result),
            pb::SourceStatus::NameMismatch,
            "{}",
            result.source
        );
    }
}

#[tokio::test]
async fn kinds_select_sources() {
    let mut world = World::start().await;
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Payment as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    let ids: Vec<_> = response.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(ids, ["pay-xinfu", "pay-weiqian"]);
    // The same by registered name; every answer names its kind.
    let mut request = demo_person_query();
    request.kind_names = vec!["payment".into()];
    let response = world.client.query(request).await.unwrap().into_inner();
    let named: Vec<_> = response
        .sources
        .iter()
        .map(|s| (s.source.as_str(), s.kind_name.as_str()))
        .collect();
    assert_eq!(
        named,
        [("pay-xinfu", "payment"), ("pay-weiqian", "payment")]
    );
}

#[tokio::test]
async fn a_slow_source_does_not_delay_the_streamed_answers_of_others() {
    let mut world = World::start().await;
    world
        .agency("registry-wuhan")
        .knobs
        .set_latency(Duration::from_millis(1500), Duration::ZERO);
    let started = Instant::now();
    let mut stream = world
        .client
        .stream_query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let mut arrivals = vec![];
    while let Some(result) = stream.next().await {
        let result = result.unwrap();
        arrivals.push((result.source.clone(), started.elapsed(), status(&result)));
    }
    assert_eq!(arrivals.len(), 6);
    let (last, last_at, last_status) = arrivals.last().unwrap();
    assert_eq!(last, "registry-wuhan", "the slow registry answers last");
    assert_eq!(*last_status, pb::SourceStatus::Ok);
    assert!(*last_at >= Duration::from_millis(1500));
    for (id, at, _) in &arrivals[..5] {
        assert!(
            *at < Duration::from_millis(1000),
            "{id} arrived after {at:?}, held up by the slow source"
        );
    }
}

#[tokio::test]
async fn at_the_deadline_the_hub_answers_with_what_it_has() {
    let mut world = World::start().await;
    world
        .agency("vehicle-hubei")
        .knobs
        .set_latency(Duration::from_secs(5), Duration::ZERO);
    let mut request = demo_person_query();
    request.deadline_ms = 600;
    let started = Instant::now();
    let response = world.client.query(request).await.unwrap().into_inner();
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(2),
        "answered at the deadline, not after ({elapsed:?})"
    );
    for result in &response.sources {
        let expected = if result.source == "vehicle-hubei" {
            pb::SourceStatus::TimedOut
        } else {
            pb::SourceStatus::Ok
        };
        assert_eq!(status(result), expected, "{}", result.source);
    }
    assert!(source(&response, "vehicle-hubei")
        .reason
        .contains("deadline"));
}

#[tokio::test]
async fn the_grpc_deadline_bounds_the_query_too() {
    let mut world = World::start().await;
    world
        .agency("bank-hengtong")
        .knobs
        .set_latency(Duration::from_secs(5), Duration::ZERO);
    let mut request = tonic::Request::new(demo_person_query());
    request.set_timeout(Duration::from_millis(800));
    let response = world.client.query(request).await.unwrap().into_inner();
    assert_eq!(
        status(source(&response, "bank-hengtong")),
        pb::SourceStatus::TimedOut
    );
    assert_eq!(
        status(source(&response, "bank-gongxin")),
        pb::SourceStatus::Ok
    );
}

#[tokio::test]
async fn a_hundred_concurrent_identical_queries_make_one_call_per_agency() {
    let world = World::start_with(WorldOptions {
        agency_latency_ms: Some(100),
        ..Default::default()
    })
    .await;
    let queries = (0..100).map(|_| {
        let mut client = world.client.clone();
        async move {
            client
                .query(demo_person_query())
                .await
                .unwrap()
                .into_inner()
        }
    });
    let responses = futures::future::join_all(queries).await;
    for (agency, inquiries) in world.inquiries() {
        assert_eq!(inquiries, 1, "{agency} was asked {inquiries} times");
    }
    for response in &responses {
        assert!(response
            .sources
            .iter()
            .all(|s| status(s) == pb::SourceStatus::Ok));
    }
    let fetched: usize = responses
        .iter()
        .map(|r| r.sources.iter().filter(|s| !s.cached).count())
        .sum();
    assert_eq!(
        fetched, 6,
        "exactly one response per source reports a fresh agency call"
    );
}

#[tokio::test]
async fn answers_are_cached_and_the_caller_can_demand_fresh_ones() {
    let mut world = World::start().await;
    world.client.query(demo_person_query()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cached = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    for result in &cached.sources {
        assert!(result.cached, "{}", result.source);
        assert_eq!(result.attempts, 0);
        assert!(
            result.age_ms >= 20,
            "{}: age {}",
            result.source,
            result.age_ms
        );
    }
    let mut fresh = demo_person_query();
    fresh.fresh = true;
    let fresh = world.client.query(fresh).await.unwrap().into_inner();
    assert!(fresh.sources.iter().all(|s| !s.cached && s.age_ms == 0));
    for (agency, inquiries) in world.inquiries() {
        assert_eq!(inquiries, 2, "{agency}");
    }
}

#[tokio::test]
async fn errors_are_not_cached() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(|c| c.retry.max_attempts = 1),
        ..Default::default()
    })
    .await;
    world.agency("bank-gongxin").knobs.fail_next(1);
    let first = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let failed = source(&first, "bank-gongxin");
    assert_eq!(status(failed), pb::SourceStatus::Error);
    assert!(failed.reason.contains("503"), "{}", failed.reason);
    let second = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let recovered = source(&second, "bank-gongxin");
    assert_eq!(status(recovered), pb::SourceStatus::Ok);
    assert!(!recovered.cached);
    assert!(source(&second, "bank-hengtong").cached);
}

#[tokio::test]
async fn server_errors_are_retried_within_one_query() {
    let mut world = World::start().await;
    world.agency("registry-wuhan").knobs.fail_next(2);
    let response = world
        .client
        .query(demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let registry = source(&response, "registry-wuhan");
    assert_eq!(status(registry), pb::SourceStatus::Ok);
    assert_eq!(registry.attempts, 3);
}

#[tokio::test]
async fn a_429_retry_after_is_honoured() {
    let mut world = World::start().await;
    world
        .agency("pay-xinfu")
        .knobs
        .throttle_next(1, Duration::from_secs(1));
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Payment as i32];
    let started = Instant::now();
    let response = world.client.query(request).await.unwrap().into_inner();
    let throttled = source(&response, "pay-xinfu");
    assert_eq!(status(throttled), pb::SourceStatus::Ok);
    assert_eq!(throttled.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as the platform asked"
    );
    assert_eq!(source(&response, "pay-weiqian").attempts, 1);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_is_reported_at_once() {
    let mut world = World::start().await;
    world
        .agency("pay-weiqian")
        .knobs
        .throttle_next(1, Duration::from_secs(30));
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Payment as i32];
    request.deadline_ms = 3000;
    let started = Instant::now();
    let response = world.client.query(request).await.unwrap().into_inner();
    let throttled = source(&response, "pay-weiqian");
    assert_eq!(status(throttled), pb::SourceStatus::Error);
    assert!(
        throttled.reason.contains("rate_limited"),
        "{}",
        throttled.reason
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not sit out the deadline"
    );
}

#[tokio::test]
async fn bad_identity_numbers_and_case_numbers_are_rejected_with_field_details() {
    let mut world = World::start().await;
    let cases = [
        (query("110105194912310021", "张伟"), "debtor.id_number"),
        (query("91350100M000100Y44", "某公司"), "debtor.id_number"),
        (query("110105194913310021", "张伟"), "debtor.id_number"),
        (query(DEMO_PERSON_ID, ""), "debtor.name"),
        (
            pb::QueryRequest {
                case_number: "(2024)鄂0116民初1234号".into(),
                ..demo_person_query()
            },
            "case_number",
        ),
        (
            pb::QueryRequest {
                case_number: "鄂0116执1234".into(),
                ..demo_person_query()
            },
            "case_number",
        ),
        (
            pb::QueryRequest {
                debtor: None,
                ..demo_person_query()
            },
            "debtor",
        ),
        (
            pb::QueryRequest {
                kinds: vec![0],
                ..demo_person_query()
            },
            "kinds[0]",
        ),
        (
            pb::QueryRequest {
                kind_names: vec!["payment".into(), "never_configured_kind".into()],
                ..demo_person_query()
            },
            "kind_names[1]",
        ),
        (
            pb::QueryRequest {
                deadline_ms: 3_600_000,
                ..demo_person_query()
            },
            "deadline_ms",
        ),
    ];
    for (request, field) in cases {
        let error = world.client.query(request).await.unwrap_err();
        assert_eq!(error.code(), tonic::Code::InvalidArgument, "{field}");
        let details = error.get_details_bad_request().expect("BadRequest detail");
        let fields: Vec<_> = details
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, [field]);
        assert!(!error.message().contains("110105194912310021"));
    }
    for (agency, inquiries) in world.inquiries() {
        assert_eq!(inquiries, 0, "{agency} was asked about an invalid request");
    }
}

#[tokio::test]
async fn a_batch_streams_every_item_and_bounds_calls_per_agency() {
    let world = World::start_with(WorldOptions {
        agency_latency_ms: Some(20),
        tweak: Box::new(|c| {
            for source in &mut c.sources {
                source.max_concurrency = 3;
            }
            c.server.batch_concurrency = 16;
        }),
        ..Default::default()
    })
    .await;
    let mut items: Vec<pb::BatchItem> = world
        .population
        .debtors()
        .iter()
        .take(60)
        .map(|d| pb::BatchItem {
            case_number: CASE.into(),
            debtor: Some(pb::Debtor {
                id_number: d.id_number.clone(),
                name: d.name.clone(),
            }),
        })
        .collect();
    items.insert(
        7,
        pb::BatchItem {
            case_number: CASE.into(),
            debtor: Some(pb::Debtor {
                id_number: "123".into(),
                name: "某".into(),
            }),
        },
    );
    let request = pb::BatchQueryRequest {
        kind_names: Default::default(),
        items,
        kinds: vec![],
        fresh: false,
        item_deadline_ms: 20_000,
    };
    let mut stream = world
        .client
        .clone()
        .batch_query(request)
        .await
        .unwrap()
        .into_inner();
    let mut seen = BTreeSet::new();
    while let Some(item) = stream.next().await {
        let item = item.unwrap();
        assert!(seen.insert(item.index), "index {} twice", item.index);
        match item.outcome.unwrap() {
            pb::batch_item_result::Outcome::Error(e) => {
                assert_eq!(item.index, 7);
                assert_eq!(e.code, "INVALID_ARGUMENT");
                assert_eq!(e.violations[0].field, "debtor.id_number");
            }
            pb::batch_item_result::Outcome::Response(r) => {
                assert_eq!(r.sources.len(), 6);
                for s in &r.sources {
                    let st = status(s);
                    assert!(
                        matches!(st, pb::SourceStatus::Ok),
                        "item {} {}: {:?} {}",
                        item.index,
                        s.source,
                        st,
                        s.reason
                    );
                }
            }
        }
    }
    assert_eq!(seen.len(), 61);
    for agency in &world.agencies {
        assert_eq!(agency.knobs.inquiries(), 60, "{}", agency.name);
        assert!(
            agency.knobs.peak_in_flight() <= 3,
            "{} saw {} at once",
            agency.name,
            agency.knobs.peak_in_flight()
        );
    }
}

#[tokio::test]
async fn list_sources_names_every_connector() {
    let world = World::start().await;
    let (mut admin, _) = world.clients_as(Role::Admin, COURT);
    let sources = admin
        .list_sources(pb::ListSourcesRequest {})
        .await
        .unwrap()
        .into_inner()
        .sources;
    let ids: Vec<_> = sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "bank-gongxin",
            "bank-hengtong",
            "registry-wuhan",
            "vehicle-hubei",
            "pay-xinfu",
            "pay-weiqian"
        ]
    );
    let registry = &sources[2];
    assert_eq!(registry.kind, pb::AssetKind::RealEstate as i32);
    assert_eq!(registry.connector_type, "real_estate");
    assert_eq!(registry.capabilities, ["query", "seal", "release", "renew"]);
    assert_eq!(registry.cache_ttl_secs, 3600);
}

#[tokio::test]
async fn health_and_reflection_answer_standard_tools() {
    let world = World::start().await;
    let channel = tonic::transport::Channel::from_shared(world.hub.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    for service in [
        "assethub.v1.AssetHub",
        "assethub.v1.Orders",
        "assethub.v1.Cases",
        "assethub.v1.Audit",
        "assethub.v1.Tokens",
        "assethub.v1.Notices",
        "assethub.v1.Sweeps",
    ] {
        let serving = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("{service}: {e:?}"))
            .into_inner();
        assert_eq!(
            serving.status,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
            "{service}"
        );
    }
}

/// The services reflection `$version` (v1 or v1alpha) lists on `$channel`.
macro_rules! listed_services {
    ($version:ident, $channel:expr) => {{
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new($channel)
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.next().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("unexpected reflection answer");
        };
        list.service
            .into_iter()
            .map(|s| s.name)
            .collect::<BTreeSet<_>>()
    }};
}

#[tokio::test]
async fn reflection_in_both_versions_lists_the_api_and_nothing_else() {
    let world = World::start().await;
    let channel = tonic::transport::Channel::from_shared(world.hub.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let served: BTreeSet<String> = [
        "assethub.v1.AssetHub",
        "assethub.v1.Audit",
        "assethub.v1.Cases",
        "assethub.v1.Notices",
        "assethub.v1.Orders",
        "assethub.v1.Sweeps",
        "assethub.v1.Tokens",
        "grpc.health.v1.Health",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Each version lists itself too.
    let with = |reflection: &str| {
        let mut listed = served.clone();
        listed.insert(reflection.to_string());
        listed
    };
    assert_eq!(
        listed_services!(v1, channel.clone()),
        with("grpc.reflection.v1.ServerReflection")
    );
    assert_eq!(
        listed_services!(v1alpha, channel),
        with("grpc.reflection.v1alpha.ServerReflection")
    );
}

#[tokio::test]
async fn a_source_that_keeps_failing_is_cut_off_then_probed_back() {
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            for source in &mut config.sources {
                source.breaker_failures = 2;
                source.breaker_cooldown_ms = 300;
            }
        }),
        ..WorldOptions::default()
    })
    .await;
    let breaker = |world: &World| {
        let (mut admin, _) = world.clients_as(Role::Admin, COURT);
        async move {
            admin
                .list_sources(pb::ListSourcesRequest {})
                .await
                .unwrap()
                .into_inner()
                .sources
                .into_iter()
                .find(|s| s.id == "registry-wuhan")
                .unwrap()
                .breaker_state
        }
    };
    let registry = world.agency("registry-wuhan").knobs.clone();
    registry.fail_next(1_000);
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::RealEstate as i32];
    request.fresh = true;
    let first = world
        .client
        .query(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status(source(&first, "registry-wuhan")),
        pb::SourceStatus::Error
    );
    assert_eq!(breaker(&world).await, "open");
    // While open, no call reaches the agency and the answer says why.
    let seen = registry.requests();
    let second = world
        .client
        .query(request.clone())
        .await
        .unwrap()
        .into_inner();
    let reason = &source(&second, "registry-wuhan").reason;
    assert!(reason.contains("circuit open"), "{reason}");
    assert_eq!(registry.requests(), seen);
    // The agency recovers; after the cool-down one probe goes through and closes it.
    registry.fail_next(0);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let third = world.client.query(request).await.unwrap().into_inner();
    assert_eq!(
        status(source(&third, "registry-wuhan")),
        pb::SourceStatus::Ok
    );
    assert_eq!(breaker(&world).await, "closed");
}
