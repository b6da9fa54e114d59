//! The command centre's figures (`Cases.CourtFigures`): a court's searches today, each source's
//! answers and hits, and each agency's calls, errors, timeouts and answer times — counted as the
//! searches ran, checked against what the searches' own responses said (the oracle), for the
//! right court only, on the Beijing day asked.

use assethub_proto::v1 as pb;
use assethub_proto::v1::cases_client::CasesClient;
use assethub_tests::{
    bearer, demo_person_query, token, Authed, Role, World, WorldOptions, COURT, OTHER_COURT,
};
use std::collections::BTreeMap;
use std::time::Duration;

fn figures_client(world: &World, role: Role, court: &str) -> CasesClient<Authed> {
    CasesClient::with_interceptor(world.channel.clone(), bearer(&token(role, court)))
}

/// Per source: (answers, hits, calls, errors, timeouts), counted from responses.
type Counted = BTreeMap<String, (i64, i64, i64, i64, i64)>;

fn count(counted: &mut Counted, response: &pb::QueryResponse) {
    for s in &response.sources {
        let row = counted.entry(s.source.clone()).or_default();
        row.0 += 1;
        row.1 += i64::from(!s.assets.is_empty());
        if !s.cached {
            row.2 += 1;
            row.3 += i64::from(s.status == pb::SourceStatus::Error as i32);
            row.4 += i64::from(s.status == pb::SourceStatus::TimedOut as i32);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_courts_figures_are_its_searches_as_they_were_answered() {
    let world = World::start_with(WorldOptions::default()).await;
    let (mut search, _) = world.clients_as(Role::Judge, COURT);
    let mut counted = Counted::new();
    // A fresh search, one from the cache, and a fresh one again.
    for fresh in [false, false, true] {
        let mut request = demo_person_query();
        request.fresh = fresh;
        let response = search.query(request).await.expect("a search").into_inner();
        count(&mut counted, &response);
    }
    // Then one agency failing every call and another too slow for the search's deadline.
    world.agency("bank-hengtong").knobs.fail_next(1_000);
    world
        .agency("registry-wuhan")
        .knobs
        .set_latency(Duration::from_secs(3), Duration::ZERO);
    let mut request = demo_person_query();
    request.fresh = true;
    request.deadline_ms = 800;
    let response = search.query(request).await.expect("a search").into_inner();
    count(&mut counted, &response);
    assert_eq!(
        counted["bank-hengtong"].3, 1,
        "one error seen by the caller"
    );
    assert_eq!(
        counted["registry-wuhan"].4, 1,
        "one timeout seen by the caller"
    );

    let figures = figures_client(&world, Role::Supervisor, COURT)
        .court_figures(pb::CourtFiguresRequest::default())
        .await
        .expect("a supervisor reads the court's figures")
        .into_inner();
    assert_eq!(figures.court, COURT);
    assert_eq!(
        figures.day,
        assethub_hub::clock::Clock::new().today().to_string(),
        "today in Beijing"
    );
    assert_eq!(figures.searches, 4);
    let got: Counted = figures
        .sources
        .iter()
        .map(|s| {
            (
                s.source_id.clone(),
                (s.answers, s.hits, s.calls, s.errors, s.timeouts),
            )
        })
        .collect();
    assert_eq!(
        got, counted,
        "(answers, hits, calls, errors, timeouts) per source"
    );
    assert_eq!(got.len(), world.config.sources.len());
    let cached: i64 = counted.values().map(|c| c.0 - c.2).sum();
    assert!(cached > 0, "the second search was answered from the cache");
    for s in &figures.sources {
        assert!(!s.kind.is_empty(), "{}", s.source_id);
        assert!(s.fast_calls + s.slow_calls <= s.calls, "{s:?}");
    }
    // The slow agency's call took the search's whole deadline: not fast, and its time counted.
    let slow = figures
        .sources
        .iter()
        .find(|s| s.source_id == "registry-wuhan")
        .expect("the registry's row");
    assert!(slow.latency_ms_total >= 800, "{slow:?}");
    assert!(slow.fast_calls < slow.calls, "{slow:?}");

    // Another court's supervisor sees that court's day: nothing searched there.
    let other = figures_client(&world, Role::Supervisor, OTHER_COURT)
        .court_figures(pb::CourtFiguresRequest::default())
        .await
        .expect("a supervisor of another court")
        .into_inner();
    assert_eq!((other.court.as_str(), other.searches), (OTHER_COURT, 0));
    assert!(other.sources.is_empty());

    // An earlier day is its own; a day that is not one, or is still to come, is refused.
    let mut client = figures_client(&world, Role::Supervisor, COURT);
    let earlier = client
        .court_figures(pb::CourtFiguresRequest {
            day: "2025-01-02".into(),
        })
        .await
        .expect("an earlier day")
        .into_inner();
    assert_eq!((earlier.day.as_str(), earlier.searches), ("2025-01-02", 0));
    for day in ["2025-13-01", "tomorrow", "2999-01-01", "2025-01-02-extra"] {
        let refused = client
            .court_figures(pb::CourtFiguresRequest { day: day.into() })
            .await
            .expect_err(day);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{day}");
    }
    // Judges search; the figures are their supervisors'.
    let judge = figures_client(&world, Role::Judge, COURT)
        .court_figures(pb::CourtFiguresRequest::default())
        .await
        .expect_err("a judge");
    assert_eq!(judge.code(), tonic::Code::PermissionDenied);
}
