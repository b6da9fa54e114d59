//! Runtime controls shared by every mock agency: simulated latency, counters, and injected
//! gateway-level faults (503s, 429s with `Retry-After`). Applied as an axum middleware in
//! front of each agency's own API, adjustable in-process (tests) or over HTTP at
//! `/__admin/knobs` (demo, scripts). Agency-specific behaviour (a payment platform's own
//! quota, a bank's error codes) lives in the agency's module, not here.
//!
//! # Fault rules (per agency, per endpoint)
//!
//! Besides the knobs above, each agency holds a list of fault rules ([`crate::faults`]),
//! applied by the same middleware after the knobs' latency, `throttle_next` and `fail_next`.
//! Requests under `/__admin` are never faulted.
//!
//! A rule, as JSON (every field optional; rates are probabilities `0.0..=1.0` drawn per
//! request; unknown fields are refused):
//!
//! ```json
//! {
//!   "endpoint": "/gateway/v2/judicial/freeze",
//!   "latency_ms": 50, "jitter_ms": 30,
//!   "long_tail_rate": 0.05, "long_tail_ms": 5000,
//!   "error_rate": 0.1, "error_status": 503,
//!   "hang_rate": 0.02,
//!   "reset_rate": 0.02,
//!   "throttle_rate": 0.05, "retry_after_secs": 1,
//!   "malformed_rate": 0.02,
//!   "truncated_rate": 0.02,
//!   "slow_body_rate": 0.05, "slow_body_chunk_bytes": 64, "slow_body_delay_ms": 100,
//!   "never_decide_rate": 0.1
//! }
//! ```
//!
//! | field | default | effect |
//! | --- | --- | --- |
//! | `endpoint` | `"*"` | `"*"` every business endpoint; an exact path; or a path prefix ending in `*` (`"/gateway/v2/judicial/*"`) |
//! | `latency_ms`, `jitter_ms` | 0, 0 | added delay: `latency_ms` plus uniform `0..=jitter_ms` |
//! | `long_tail_rate`, `long_tail_ms` | 0, 0 | with this probability, `long_tail_ms` more |
//! | `error_rate`, `error_status` | 0, 503 | answer `error_status` (any status; meant for 5xx) instead of the agency |
//! | `hang_rate` | 0 | never answer: the request is held open for an hour ([`crate::faults::HANG`]) without blocking others; answered 504 when the agency stops |
//! | `reset_rate` | 0 | drop the connection without any HTTP response (the client sees a connection error, e.g. hyper `IncompleteMessage`) |
//! | `throttle_rate`, `retry_after_secs` | 0, 1 | answer 429 with `Retry-After: retry_after_secs` |
//! | `malformed_rate` | 0 | run the agency, then replace its body with garbage of the same `Content-Type` (JSON, XML, else bytes) that does not parse; status kept |
//! | `truncated_rate` | 0 | run the agency, declare its whole `Content-Length`, send the first half of the body and close the connection |
//! | `slow_body_rate`, `slow_body_chunk_bytes`, `slow_body_delay_ms` | 0, 64, 100 | stream the agency's real body in chunks, waiting before each: slower but complete |
//! | `never_decide_rate` | 0 | bank only, freeze path: an accepted freeze (`00` with its ticket) is never decided |
//!
//! Order per request: every rule whose `endpoint` matches draws each kind in the order above
//! (one draw per rate, always, so a seed gives the same sequence whatever the rates); delays
//! add up; of the faults answering *instead of* the agency the first drawn wins in the order
//! reset, hang, throttle, error (first matching rule first), and then no body fault applies;
//! of the body faults, malformed, truncated, slow. `never_decide_rate` is drawn by the bank
//! when it accepts a freeze.
//!
//! Randomness comes from a ChaCha8 RNG per agency, seeded with `seed` (default: a hash of the
//! agency's name), so a run with the same seed and the same request order injects the same
//! faults.
//!
//! At start, in the `mock-agencies` TOML ([`crate::AgencySpec`]), beside an agency's fields:
//!
//! ```toml
//! [[agencies]]
//! name = "bank-gongxin"
//! # ... the agency's own fields ...
//! [agencies.faults]
//! seed = 7
//! [[agencies.faults.rules]]
//! endpoint = "/gateway/v2/judicial/freeze"
//! error_rate = 0.2
//! never_decide_rate = 0.1
//! ```
//!
//! At run time, over HTTP:
//!
//! - `GET /__admin/faults` → `{"seed": 7, "rules": [...], "injected": {...}}`.
//! - `POST /__admin/faults` with `{"seed"?: u64, "rules": [...], "replace"?: bool}`: appends
//!   the rules (replaces all of them with `"replace": true`), reseeds when `seed` is given;
//!   answers as `GET`.
//! - `DELETE /__admin/faults?endpoint=/path` removes the rules whose `endpoint` is exactly
//!   that; `DELETE /__admin/faults` removes them all; answers as `GET`. Counts are kept.
//!
//! In process: `agency.knobs.faults()` ([`Faults`]): `add_rules`, `set_rules`,
//! `remove_rules`, `configure`, `reseed`, `counts`, `injected`.
//!
//! # The hold register
//!
//! - `GET /__admin/holds` → `{"holds": [...], "keyed": [...]}`, the agency's hold register as of
//!   its today (expiries and queue promotions applied): every hold (`id`, `asset`, `kind`,
//!   `court`, `case`, `ruling`, `status`, `queue_position`, `requested_fen`, `held_fen`,
//!   `deducted_fen`, `since`, `until`, `placed_by` = the key that placed it) and every keyed
//!   instruction (`key`, `instruction` = `place` or `change`, `hold`, `asset`, `kind`, `court`,
//!   `case`, `status`, `queue_position`, `held_fen`, `deducted_fen` moved by that instruction,
//!   `until`). `status` is `pending`, `effective`, `queued`, `rejected`, `released`, `deducted`
//!   or `expired`. Refused instructions record no key.
//! - In process: `agency.knobs.register()` ([`RegisterExport`]).
//! - `POST /__admin/holds/lift` `{"hold": "<id>"}` (in process: `knobs.lift_at_counter(id)`):
//!   a clerk lifts a hold at the counter, with no instruction from any court — the drift the
//!   hub finds by reconciling.
//!
//! `injected` counts faults by kind since the agency started:
//! `{"latency", "long_tail", "error", "hang", "reset", "throttle", "malformed", "truncated",
//! "slow_body", "never_decided", "total"}`; `latency` counts requests a rule delayed and is
//! left out of `total`; the knobs' `fail_next` 503s count as `error` and `throttle_next` 429s
//! as `throttle`.

use crate::faults::{self, Faults, Kind};
use crate::holds::{HoldBook, RegisterExport, RegisterView};
use assethub_connectors::domain::CivilDate;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Path prefix of the admin API; requests under it skip latency and faults.
pub const ADMIN_PREFIX: &str = "/__admin";

#[derive(Debug, Default)]
pub struct Knobs {
    latency_ms: AtomicU64,
    jitter_ms: AtomicU64,
    requests: AtomicU64,
    /// Requests refused for the client's quota (a payment platform's 429 `QUOTA_EXCEEDED`).
    quota_refusals: AtomicU64,
    inquiries: AtomicU64,
    /// TCP connections the agency's listener accepted (every endpoint, admin included).
    connections: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    fail_next: AtomicU32,
    throttle_next: AtomicU32,
    throttle_retry_after_secs: AtomicU64,
    clock_offset_days: AtomicI64,
    faults: Faults,
    /// The agency's hold register, attached by its router (read-only view).
    register: OnceLock<RegisterView>,
    /// Distinct inquiries taken per (debtor id, case number), by an agency answering later.
    distinct: std::sync::Mutex<std::collections::HashMap<(String, String), u64>>,
    /// Request ids seen per debtor and case (agencies that record them: the bank).
    inquiry_log: crate::inquiry_log::InquiryLog,
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

    /// Called by an agency answering later each time it takes a new inquiry (not a repeated
    /// request id) about `debtor_id` in `case`.
    pub fn count_distinct_inquiry(&self, debtor_id: &str, case: &str) {
        let mut distinct = self.distinct.lock().unwrap_or_else(|e| e.into_inner());
        *distinct
            .entry((debtor_id.to_string(), case.to_string()))
            .or_default() += 1;
    }

    /// Distinct inquiries taken about `debtor_id` in `case` (tests' "asked once" oracle).
    pub fn distinct_inquiries(&self, debtor_id: &str, case: &str) -> u64 {
        let distinct = self.distinct.lock().unwrap_or_else(|e| e.into_inner());
        distinct
            .get(&(debtor_id.to_string(), case.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Request ids this agency saw per debtor and case (recorded by the bank's inquiry).
    pub fn inquiry_log(&self) -> &crate::inquiry_log::InquiryLog {
        &self.inquiry_log
    }

    /// Called by the listener for each TCP connection it accepts.
    pub fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// TCP connections accepted so far: how well a client reuses its connections (a client
    /// keeping them alive opens one per call in flight at most, once).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
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

    /// Requests refused for exceeding the client's quota so far.
    pub fn quota_refusals(&self) -> u64 {
        self.quota_refusals.load(Ordering::Relaxed)
    }

    pub(crate) fn count_quota_refusal(&self) {
        self.quota_refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// The agency's calendar day: today (UTC) plus the clock offset.
    pub fn today(&self) -> CivilDate {
        CivilDate::today().plus_days(self.clock_offset_days.load(Ordering::Relaxed))
    }

    /// Moves the agency's calendar `days` from the real date (holds expire by it).
    pub fn set_clock_offset_days(&self, days: i64) {
        self.clock_offset_days.store(days, Ordering::Relaxed);
    }

    /// The agency's per-endpoint fault rules and the counts of faults injected.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Makes `book` (the agency's hold register) readable through these knobs and at
    /// `/__admin/holds`. The first register attached stays.
    pub fn attach_register(&self, book: &HoldBook) {
        let _ = self.register.set(book.view());
    }

    /// Every hold and keyed instruction in the agency's register as of its today; `None`
    /// when the agency attached no register.
    pub fn register(&self) -> Option<RegisterExport> {
        self.register.get().map(|view| view.export(self.today()))
    }

    /// Keeps the agency's register in `file` from now on, starting from what it holds.
    pub fn keep_register_in(&self, file: &std::path::Path) -> std::io::Result<()> {
        match self.register.get() {
            Some(view) => view.keep_in(file, self.today()),
            None => Ok(()),
        }
    }

    /// Lifts hold `id` at the counter, with no instruction from any court (the drift the hub
    /// must reconcile); false when the agency has no such hold in force or queued.
    pub fn lift_at_counter(&self, id: &str) -> bool {
        self.register
            .get()
            .is_some_and(|view| view.lift_at_counter(id, self.today()))
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
        knobs.faults.count(Kind::Throttle);
        return faults::throttled(knobs.throttle_retry_after_secs.load(Ordering::Relaxed));
    }
    if Knobs::take(&knobs.fail_next) {
        knobs.faults.count(Kind::Error);
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    faults::inject(&knobs.faults, request, next).await
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

/// `POST /__admin/holds/lift` `{"hold": "<id>"}`: a clerk lifts the hold at the counter.
pub async fn lift_hold(State(knobs): State<Arc<Knobs>>, Json(body): Json<LiftHold>) -> Response {
    if knobs.lift_at_counter(&body.hold) {
        (StatusCode::OK, "lifted").into_response()
    } else {
        (StatusCode::NOT_FOUND, "no such hold in force or queued").into_response()
    }
}

#[derive(Debug, Deserialize)]
pub struct LiftHold {
    pub hold: String,
}

/// `GET /__admin/holds`: the hold register (404 when the agency keeps none).
pub async fn get_holds(State(knobs): State<Arc<Knobs>>) -> Response {
    match knobs.register() {
        Some(export) => Json(export).into_response(),
        None => (StatusCode::NOT_FOUND, "this agency keeps no hold register").into_response(),
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
