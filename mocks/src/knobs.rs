//! Runtime controls shared by every mock agency: simulated latency, counters, and injected
//! gateway-level faults (503s, 429s with `Retry-After`). Applied as an axum middleware in
//! front of each agency's own API, adjustable in-process (tests) or over HTTP at
//! `/__admin/knobs` (demo, scripts). Agency-specific behaviour (a payment platform's own
//! quota, a bank's error codes) lives in the agency's module, not here.

use assethub_connectors::domain::CivilDate;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Path prefix of the admin API; requests under it skip latency and faults.
pub const ADMIN_PREFIX: &str = "/__admin";

#[derive(Debug, Default)]
pub struct Knobs {
    latency_ms: AtomicU64,
    jitter_ms: AtomicU64,
    requests: AtomicU64,
    inquiries: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    fail_next: AtomicU32,
    throttle_next: AtomicU32,
    throttle_retry_after_secs: AtomicU64,
    clock_offset_days: AtomicI64,
}

/// A snapshot / update of the knobs, as JSON on the admin API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KnobSettings {
    pub latency_ms: Option<u64>,
    pub jitter_ms: Option<u64>,
    /// Answer the next N requests with 503.
    pub fail_next: Option<u32>,
    /// Answer the next N requests with 429 and `Retry-After: throttle_retry_after_secs`.
    pub throttle_next: Option<u32>,
    pub throttle_retry_after_secs: Option<u64>,
    /// Read-only: requests seen (all business endpoints) and inquiries answered.
    pub requests: Option<u64>,
    pub inquiries: Option<u64>,
    /// Days added to the agency's calendar (hold expiry), to show what happens later.
    pub clock_offset_days: Option<i64>,
}

impl Knobs {
    pub fn new(latency: Duration, jitter: Duration) -> Self {
        let knobs = Self::default();
        knobs.set_latency(latency, jitter);
        knobs
    }

    pub fn set_latency(&self, latency: Duration, jitter: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::Relaxed);
        self.jitter_ms
            .store(jitter.as_millis() as u64, Ordering::Relaxed);
    }

    /// Answer the next `n` business requests with HTTP 503.
    pub fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::Relaxed);
    }

    /// Answer the next `n` business requests with HTTP 429 and `Retry-After`.
    pub fn throttle_next(&self, n: u32, retry_after: Duration) {
        self.throttle_retry_after_secs
            .store(retry_after.as_secs(), Ordering::Relaxed);
        self.throttle_next.store(n, Ordering::Relaxed);
    }

    /// Called by an agency's inquiry handler each time it answers an asset inquiry.
    pub fn count_inquiry(&self) {
        self.inquiries.fetch_add(1, Ordering::Relaxed);
    }

    /// Asset inquiries answered so far (token, health and admin calls not counted).
    pub fn inquiries(&self) -> u64 {
        self.inquiries.load(Ordering::Relaxed)
    }

    /// Most business requests this agency was handling at once since it started.
    pub fn peak_in_flight(&self) -> u64 {
        self.peak_in_flight.load(Ordering::Relaxed)
    }

    /// Business requests received so far, including rejected and faulted ones.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The agency's calendar day: today (UTC) plus the clock offset.
    pub fn today(&self) -> CivilDate {
        CivilDate::today().plus_days(self.clock_offset_days.load(Ordering::Relaxed))
    }

    /// Moves the agency's calendar `days` from the real date (holds expire by it).
    pub fn set_clock_offset_days(&self, days: i64) {
        self.clock_offset_days.store(days, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> KnobSettings {
        KnobSettings {
            latency_ms: Some(self.latency_ms.load(Ordering::Relaxed)),
            jitter_ms: Some(self.jitter_ms.load(Ordering::Relaxed)),
            fail_next: Some(self.fail_next.load(Ordering::Relaxed)),
            throttle_next: Some(self.throttle_next.load(Ordering::Relaxed)),
            throttle_retry_after_secs: Some(self.throttle_retry_after_secs.load(Ordering::Relaxed)),
            requests: Some(self.requests()),
            inquiries: Some(self.inquiries()),
            clock_offset_days: Some(self.clock_offset_days.load(Ordering::Relaxed)),
        }
    }

    pub fn apply(&self, update: &KnobSettings) {
        if let Some(v) = update.latency_ms {
            self.latency_ms.store(v, Ordering::Relaxed);
        }
        if let Some(v) = update.jitter_ms {
            self.jitter_ms.store(v, Ordering::Relaxed);
        }
        if let Some(v) = update.clock_offset_days {
            self.set_clock_offset_days(v);
        }
        if let Some(v) = update.fail_next {
            self.fail_next.store(v, Ordering::Relaxed);
        }
        if let Some(v) = update.throttle_retry_after_secs {
            self.throttle_retry_after_secs.store(v, Ordering::Relaxed);
        }
        if let Some(v) = update.throttle_next {
            self.throttle_next.store(v, Ordering::Relaxed);
        }
    }

    fn simulated_delay(&self) -> Duration {
        let base = self.latency_ms.load(Ordering::Relaxed);
        let jitter = self.jitter_ms.load(Ordering::Relaxed);
        let extra = if jitter > 0 {
            rand::rng().random_range(0..=jitter)
        } else {
            0
        };
        Duration::from_millis(base + extra)
    }

    fn take(counter: &AtomicU32) -> bool {
        counter
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// Middleware: latency first (a real agency is slow before it answers anything), then
/// injected faults, then the agency's own handler.
pub async fn middleware(State(knobs): State<Arc<Knobs>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return next.run(request).await;
    }
    knobs.requests.fetch_add(1, Ordering::Relaxed);
    let _in_flight = InFlight::enter(&knobs);
    let delay = knobs.simulated_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if Knobs::take(&knobs.throttle_next) {
        let secs = knobs.throttle_retry_after_secs.load(Ordering::Relaxed);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            "Too Many Requests",
        )
            .into_response();
    }
    if Knobs::take(&knobs.fail_next) {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    next.run(request).await
}

/// Counts a request as in flight for as long as it lives, tracking the peak.
struct InFlight<'a>(&'a Knobs);

impl<'a> InFlight<'a> {
    fn enter(knobs: &'a Knobs) -> Self {
        let now = knobs.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        knobs.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        Self(knobs)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

pub async fn get_knobs(State(knobs): State<Arc<Knobs>>) -> Json<KnobSettings> {
    Json(knobs.snapshot())
}

pub async fn set_knobs(
    State(knobs): State<Arc<Knobs>>,
    Json(update): Json<KnobSettings>,
) -> Json<KnobSettings> {
    knobs.apply(&update);
    Json(knobs.snapshot())
}
