//! The metrics at width: per-kind series always, per-source series only for sources needing
//! attention when the hub exports `notable` ones, and `auto` choosing by the number of sources.

use super::tests::{flaky_hub, scrape_now, search, unreachable_registry};
use super::text::{parse, value};
use super::*;
use crate::cache::AnswerCache;
use crate::retry::RetryPolicy;
use crate::search::SearchHub;
use std::sync::Arc;

#[test]
fn auto_exports_every_per_source_series_up_to_its_limit_only() {
    assert!(PerSource::Auto.all_for(AUTO_ALL_UP_TO));
    assert!(!PerSource::Auto.all_for(AUTO_ALL_UP_TO + 1));
    assert!(PerSource::All.all_for(100_000));
    assert!(!PerSource::Notable.all_for(1));
}

#[tokio::test(start_paused = true)]
async fn answers_are_counted_per_kind_and_not_per_source_when_only_notable_sources_are() {
    let metrics = Arc::new(Metrics::for_sources(PerSource::Notable, 1));
    let (hub, _) = flaky_hub(&metrics, 0);
    hub.collect(search(false)).await;
    hub.collect(search(false)).await;
    let (text, samples) = scrape_now(&metrics);
    assert!(!text.contains("bank-a"), "no per-source series:\n{text}");
    let bank = ("kind", "bank");
    let outcomes = "assethub_kind_outcomes_total";
    assert_eq!(
        value(&samples, outcomes, &[bank, ("outcome", "ok")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, outcomes, &[bank, ("outcome", "cached")]),
        Some(1.0)
    );
    let duration = "assethub_kind_call_duration_seconds_count";
    assert_eq!(
        value(&samples, duration, &[bank, ("outcome", "ok")]),
        Some(1.0)
    );
    let cache = "assethub_kind_cache_requests_total";
    assert_eq!(
        value(&samples, cache, &[bank, ("result", "miss")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, cache, &[bank, ("result", "hit")]),
        Some(1.0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_source_keeps_its_own_error_and_retry_series() {
    let metrics = Arc::new(Metrics::for_sources(PerSource::Notable, 1));
    let (hub, _) = flaky_hub(&metrics, 10);
    hub.collect(search(false)).await;
    let (_, samples) = scrape_now(&metrics);
    let error = [
        ("source", "bank-a"),
        ("outcome", "error"),
        ("class", "server"),
    ];
    assert_eq!(
        value(&samples, "assethub_source_outcomes_total", &error),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "assethub_source_retries_total",
            &[("source", "bank-a")]
        ),
        Some(2.0)
    );
    let kind_error = [("kind", "bank"), ("outcome", "error"), ("class", "server")];
    assert_eq!(
        value(&samples, "assethub_kind_outcomes_total", &kind_error),
        Some(1.0)
    );
}

#[tokio::test]
async fn only_sources_needing_attention_have_state_series_and_kinds_count_them_all() {
    let registry = unreachable_registry().await;
    let metrics = Arc::new(Metrics::for_sources(
        PerSource::Notable,
        registry.all().len(),
    ));
    let exporter = Exporter::new(metrics.clone(), vec![registry.clone()]);
    let (first, second) = (registry.all()[0].clone(), registry.all()[1].clone());
    let (a, b) = (first.id().to_string(), second.id().to_string());
    let breaker = "assethub_source_breaker_state";
    let in_flight = "assethub_source_in_flight";
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, breaker, &[("source", &a)]), None);
    let kind = first.kind().as_str();
    let closed = [("kind", kind), ("state", "closed")];
    let sources_of_kind = registry
        .all()
        .iter()
        .filter(|s| s.kind() == first.kind())
        .count() as f64;
    assert_eq!(
        value(&samples, "assethub_kind_breakers", &closed),
        Some(sources_of_kind)
    );
    assert!(value(&samples, "assethub_agency_http_clients", &[]).is_some_and(|n| n >= 1.0));

    let once = RetryPolicy {
        max_attempts: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
    };
    let hub = Arc::new(SearchHub::new(
        registry.clone(),
        AnswerCache::new(100),
        once,
    ));
    hub.collect(search(false)).await;
    let permit = second.limiter.acquire().await.unwrap();
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(value(&samples, breaker, &[("source", &a)]), Some(2.0));
    assert_eq!(value(&samples, in_flight, &[("source", &b)]), Some(1.0));
    let open = [("kind", kind), ("state", "open")];
    assert_eq!(value(&samples, "assethub_kind_breakers", &open), Some(1.0));
    drop(permit);
    let samples = parse(&exporter.render().await.unwrap()).unwrap();
    assert_eq!(
        value(&samples, in_flight, &[("source", &b)]),
        None,
        "a source no longer needing attention leaves the export"
    );
    assert_eq!(value(&samples, breaker, &[("source", &a)]), Some(2.0));
}
