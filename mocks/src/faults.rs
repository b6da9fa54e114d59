//! Per-agency, per-endpoint fault injection: the rules, their seeded random draws, the
//! counters of what was injected, the middleware step that applies them and the admin API
//! (`/__admin/faults`). The rules' JSON is documented in [`crate::knobs`].

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::knobs::Knobs;

/// How long a hung request is held open before it is finally answered 504: far past any
/// client timeout.
pub const HANG: Duration = Duration::from_secs(3_600);

/// One fault rule: which endpoint it applies to and what it injects there. Every field is
/// optional in JSON/TOML; rates are probabilities in `0.0..=1.0` drawn per request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    /// `"*"` (every business endpoint), an exact request path, or a path prefix ending in `*`
    /// (`"/gateway/v2/judicial/*"`).
    pub endpoint: String,
    /// Fixed latency added to every matching request (ms).
    pub latency_ms: u64,
    /// Uniform jitter on top of `latency_ms`: `0..=jitter_ms` more (ms).
    pub jitter_ms: u64,
    /// Probability of a long-tail delay of `long_tail_ms` more.
    pub long_tail_rate: f64,
    pub long_tail_ms: u64,
    /// Probability of answering `error_status` (default 503) instead of the agency.
    pub error_rate: f64,
    pub error_status: u16,
    /// Probability of never answering (the request is held open for an hour).
    pub hang_rate: f64,
    /// Probability of dropping the connection without any HTTP response.
    pub reset_rate: f64,
    /// Probability of answering 429 with `Retry-After: retry_after_secs`.
    pub throttle_rate: f64,
    pub retry_after_secs: u64,
    /// Probability of replacing the agency's body with garbage of the same content type.
    pub malformed_rate: f64,
    /// Probability of cutting the body in half under a `Content-Length` of the whole.
    pub truncated_rate: f64,
    /// Probability of streaming the real body in `slow_body_chunk_bytes` chunks, waiting
    /// `slow_body_delay_ms` before each.
    pub slow_body_rate: f64,
    pub slow_body_chunk_bytes: usize,
    pub slow_body_delay_ms: u64,
    /// Bank only, on the freeze path: probability that an accepted freeze (answered `00`
    /// with a ticket) is never decided.
    pub never_decide_rate: f64,
    /// Bank only, on the inquiry path of a bank answering later (`answer_delay_ms`):
    /// probability that an accepted inquiry's ticket is lost (the status endpoint answers
    /// `BIZ1004`, ticket unknown).
    pub lose_ticket_rate: f64,
}

impl Default for FaultRule {
    fn default() -> Self {
        Self {
            endpoint: "*".into(),
            latency_ms: 0,
            jitter_ms: 0,
            long_tail_rate: 0.0,
            long_tail_ms: 0,
            error_rate: 0.0,
            error_status: 503,
            hang_rate: 0.0,
            reset_rate: 0.0,
            throttle_rate: 0.0,
            retry_after_secs: 1,
            malformed_rate: 0.0,
            truncated_rate: 0.0,
            slow_body_rate: 0.0,
            slow_body_chunk_bytes: 64,
            slow_body_delay_ms: 100,
            never_decide_rate: 0.0,
            lose_ticket_rate: 0.0,
        }
    }
}

impl FaultRule {
    /// A rule with no effect on `endpoint`, to fill in with struct update syntax.
    pub fn on(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..Self::default()
        }
    }

    /// Whether the rule applies to requests for `path`.
    pub fn matches(&self, path: &str) -> bool {
        match self.endpoint.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.endpoint == path,
        }
    }
}

/// The faults an agency starts with: `[agencies.faults]` in the mock-agencies TOML.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultsConfig {
    /// Seed of the agency's fault RNG; default: derived from the agency's name.
    pub seed: Option<u64>,
    pub rules: Vec<FaultRule>,
}

/// Faults injected so far, by kind (`total` sums all but plain `latency`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    pub latency: u64,
    pub long_tail: u64,
    pub error: u64,
    pub hang: u64,
    pub reset: u64,
    pub throttle: u64,
    pub malformed: u64,
    pub truncated: u64,
    pub slow_body: u64,
    pub never_decided: u64,
    pub lost_tickets: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Latency,
    LongTail,
    Error,
    Hang,
    Reset,
    Throttle,
    Malformed,
    Truncated,
    SlowBody,
    NeverDecided,
    LostTicket,
}

const KINDS: usize = 11;

/// The fault state of one agency: rules, seeded RNG and counters.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<Inner>,
    counts: [AtomicU64; KINDS],
    /// Set when the agency stops: hung requests end at once instead of holding shutdown.
    released: tokio::sync::watch::Sender<bool>,
}

#[derive(Debug)]
struct Inner {
    seed: u64,
    rng: ChaCha8Rng,
    rules: Vec<FaultRule>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            state: Mutex::new(Inner {
                seed: 0,
                rng: ChaCha8Rng::seed_from_u64(0),
                rules: Vec::new(),
            }),
            counts: Default::default(),
            released: tokio::sync::watch::channel(false).0,
        }
    }
}

/// A stable seed from an agency name (FNV-1a), so runs are reproducible without configuration.
pub fn seed_for(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the middleware does to one request, drawn up front.
#[derive(Debug, Default)]
struct Plan {
    delay: Duration,
    before: Option<Before>,
    after: Option<After>,
}

#[derive(Debug)]
enum Before {
    Reset,
    Hang,
    Throttle(u64),
    Error(u16),
}

#[derive(Debug)]
enum After {
    Malformed,
    Truncated,
    Slow { chunk: usize, delay: Duration },
}

impl Faults {
    fn state(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the rules and, when given, reseeds the RNG.
    pub fn configure(&self, config: &FaultsConfig) {
        let mut state = self.state();
        if let Some(seed) = config.seed {
            state.seed = seed;
            state.rng = ChaCha8Rng::seed_from_u64(seed);
        }
        state.rules = config.rules.clone();
    }

    /// Restarts the RNG from `seed`.
    pub fn reseed(&self, seed: u64) {
        let mut state = self.state();
        state.seed = seed;
        state.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    pub fn seed(&self) -> u64 {
        self.state().seed
    }

    /// Appends rules (applied after the existing ones).
    pub fn add_rules(&self, rules: impl IntoIterator<Item = FaultRule>) {
        self.state().rules.extend(rules);
    }

    pub fn set_rules(&self, rules: Vec<FaultRule>) {
        self.state().rules = rules;
    }

    /// Removes the rules whose `endpoint` is exactly `endpoint`; all rules when `None`.
    pub fn remove_rules(&self, endpoint: Option<&str>) {
        let mut state = self.state();
        match endpoint {
            Some(endpoint) => state.rules.retain(|r| r.endpoint != endpoint),
            None => state.rules.clear(),
        }
    }

    pub fn rules(&self) -> Vec<FaultRule> {
        self.state().rules.clone()
    }

    pub(crate) fn count(&self, kind: Kind) {
        self.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Faults injected so far, by kind.
    pub fn counts(&self) -> FaultCounts {
        let n = |kind: Kind| self.counts[kind as usize].load(Ordering::Relaxed);
        let mut counts = FaultCounts {
            latency: n(Kind::Latency),
            long_tail: n(Kind::LongTail),
            error: n(Kind::Error),
            hang: n(Kind::Hang),
            reset: n(Kind::Reset),
            throttle: n(Kind::Throttle),
            malformed: n(Kind::Malformed),
            truncated: n(Kind::Truncated),
            slow_body: n(Kind::SlowBody),
            never_decided: n(Kind::NeverDecided),
            lost_tickets: n(Kind::LostTicket),
            total: 0,
        };
        counts.total = counts.long_tail
            + counts.error
            + counts.hang
            + counts.reset
            + counts.throttle
            + counts.malformed
            + counts.truncated
            + counts.slow_body
            + counts.never_decided
            + counts.lost_tickets;
        counts
    }

    /// Ends every hung request (answered 504) and makes later hangs end at once; called when
    /// the agency stops, so a graceful shutdown does not wait an hour.
    pub fn release_hangs(&self) {
        self.released.send_replace(true);
    }

    /// Total faults injected so far (all kinds but plain latency).
    pub fn injected(&self) -> u64 {
        self.counts().total
    }

    /// Whether an asynchronous answer accepted on `path` should never come (drawn and counted).
    pub fn never_decide(&self, path: &str) -> bool {
        let mut state = self.state();
        let Inner { rng, rules, .. } = &mut *state;
        let mut hit = false;
        for rule in rules.iter().filter(|r| r.matches(path)) {
            hit |= draw(rng, rule.never_decide_rate);
        }
        drop(state);
        if hit {
            self.count(Kind::NeverDecided);
        }
        hit
    }

    /// Whether the ticket of an inquiry accepted on `path` should be lost (drawn and counted).
    pub fn lose_ticket(&self, path: &str) -> bool {
        let mut state = self.state();
        let Inner { rng, rules, .. } = &mut *state;
        let mut hit = false;
        for rule in rules.iter().filter(|r| r.matches(path)) {
            hit |= draw(rng, rule.lose_ticket_rate);
        }
        drop(state);
        if hit {
            self.count(Kind::LostTicket);
        }
        hit
    }

    /// Draws what happens to one request for `path`. Every matching rule draws every kind in
    /// a fixed order, so a seed gives the same sequence whatever fires.
    fn plan(&self, path: &str) -> Plan {
        let mut plan = Plan::default();
        let mut state = self.state();
        let Inner { rng, rules, .. } = &mut *state;
        let mut long_tail = false;
        for rule in rules.iter().filter(|r| r.matches(path)) {
            let jitter = if rule.jitter_ms > 0 {
                rng.random_range(0..=rule.jitter_ms)
            } else {
                0
            };
            plan.delay += Duration::from_millis(rule.latency_ms + jitter);
            if draw(rng, rule.long_tail_rate) {
                long_tail = true;
                plan.delay += Duration::from_millis(rule.long_tail_ms);
            }
            let before = [
                (draw(rng, rule.reset_rate), Before::Reset),
                (draw(rng, rule.hang_rate), Before::Hang),
                (
                    draw(rng, rule.throttle_rate),
                    Before::Throttle(rule.retry_after_secs),
                ),
                (draw(rng, rule.error_rate), Before::Error(rule.error_status)),
            ];
            let after = [
                (draw(rng, rule.malformed_rate), After::Malformed),
                (draw(rng, rule.truncated_rate), After::Truncated),
                (
                    draw(rng, rule.slow_body_rate),
                    After::Slow {
                        chunk: rule.slow_body_chunk_bytes.max(1),
                        delay: Duration::from_millis(rule.slow_body_delay_ms),
                    },
                ),
            ];
            if plan.before.is_none() {
                plan.before = before.into_iter().find(|(hit, _)| *hit).map(|(_, b)| b);
            }
            if plan.after.is_none() {
                plan.after = after.into_iter().find(|(hit, _)| *hit).map(|(_, a)| a);
            }
        }
        drop(state);
        if !plan.delay.is_zero() {
            self.count(Kind::Latency);
        }
        if long_tail {
            self.count(Kind::LongTail);
        }
        if let Some(before) = &plan.before {
            self.count(match before {
                Before::Reset => Kind::Reset,
                Before::Hang => Kind::Hang,
                Before::Throttle(_) => Kind::Throttle,
                Before::Error(_) => Kind::Error,
            });
            // A request answered before the agency runs has no body of the agency's to spoil.
            plan.after = None;
        }
        if let Some(after) = &plan.after {
            self.count(match after {
                After::Malformed => Kind::Malformed,
                After::Truncated => Kind::Truncated,
                After::Slow { .. } => Kind::SlowBody,
            });
        }
        plan
    }
}

fn draw(rng: &mut ChaCha8Rng, rate: f64) -> bool {
    // Always consume one draw, so the sequence does not depend on the rates.
    let x: f64 = rng.random();
    x < rate
}

/// The middleware step: applies the rules matching the request's path around `next`.
pub(crate) async fn inject(faults: &Faults, request: Request, next: Next) -> Response {
    let plan = faults.plan(request.uri().path());
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    match plan.before {
        Some(Before::Reset) => return reset(),
        Some(Before::Hang) => {
            let mut released = faults.released.subscribe();
            tokio::select! {
                _ = tokio::time::sleep(HANG) => {}
                _ = released.wait_for(|released| *released) => {}
            }
            return (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response();
        }
        Some(Before::Throttle(secs)) => return throttled(secs),
        Some(Before::Error(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let reason = status.canonical_reason().unwrap_or("Injected fault");
            return (status, reason).into_response();
        }
        None => {}
    }
    let response = next.run(request).await;
    match plan.after {
        None => response,
        Some(after) => {
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            let body = match after {
                After::Malformed => {
                    let content_type = parts
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    Body::from(garbage(content_type))
                }
                After::Truncated => {
                    let cut = bytes.len() / 2;
                    let declared = bytes.len().max(cut + 1);
                    parts
                        .headers
                        .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
                    truncated(bytes.slice(..cut))
                }
                After::Slow { chunk, delay } => slow(bytes, chunk, delay),
            };
            Response::from_parts(parts, body)
        }
    }
}

/// 429 with `Retry-After` (the legacy `throttle_next` knob answers the same).
pub(crate) fn throttled(secs: u64) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, secs.to_string())],
        "Too Many Requests",
    )
        .into_response()
}

/// A response whose body fails before anything is written: hyper drops the connection
/// without sending the status line, so the client sees a connection error.
fn reset() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// The first part of a body, flushed, then the connection dropped short of `Content-Length`.
fn truncated(part: Bytes) -> Body {
    let chunks = futures::stream::unfold(0u8, move |step| {
        let part = part.clone();
        async move {
            match step {
                0 => Some((Ok(part), 1)),
                1 => {
                    // Let the part reach the client before the connection goes.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "injected truncation",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Body::from_stream(chunks)
}

/// The whole body in `chunk`-byte pieces, each after `delay`.
fn slow(bytes: Bytes, chunk: usize, delay: Duration) -> Body {
    let chunks = futures::stream::unfold(bytes, move |rest| async move {
        if rest.is_empty() {
            return None;
        }
        tokio::time::sleep(delay).await;
        let mut rest = rest;
        let piece = rest.split_to(chunk.min(rest.len()));
        Some((Ok::<_, std::io::Error>(piece), rest))
    });
    Body::from_stream(chunks)
}

/// Garbage that claims `content_type` but does not parse as it.
fn garbage(content_type: &str) -> Bytes {
    let text: &[u8] = if content_type.contains("json") {
        br#"{"retCode":"0000","data":{"accounts":[{"acctNo":62220,,"bal":}]"#
    } else if content_type.contains("xml") {
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><data><<record attr=>&bogus;</respon"
    } else {
        b"\xff\xfe\x00garbage\x00\x01\x02"
    };
    Bytes::from_static(text)
}

/// The admin view: seed, rules and faults injected so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultsView {
    pub seed: u64,
    pub rules: Vec<FaultRule>,
    pub injected: FaultCounts,
}

/// `POST /__admin/faults`: rules to add (or to replace all with, `replace: true`) and an
/// optional new seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultsUpdate {
    pub seed: Option<u64>,
    pub rules: Vec<FaultRule>,
    pub replace: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoveQuery {
    pub endpoint: Option<String>,
}

impl Faults {
    pub fn view(&self) -> FaultsView {
        FaultsView {
            seed: self.seed(),
            rules: self.rules(),
            injected: self.counts(),
        }
    }

    pub fn update(&self, update: FaultsUpdate) {
        if let Some(seed) = update.seed {
            self.reseed(seed);
        }
        if update.replace {
            self.set_rules(update.rules);
        } else {
            self.add_rules(update.rules);
        }
    }
}

pub async fn get_faults(State(knobs): State<Arc<Knobs>>) -> Json<FaultsView> {
    Json(knobs.faults().view())
}

pub async fn post_faults(
    State(knobs): State<Arc<Knobs>>,
    Json(update): Json<FaultsUpdate>,
) -> Json<FaultsView> {
    knobs.faults().update(update);
    Json(knobs.faults().view())
}

pub async fn delete_faults(
    State(knobs): State<Arc<Knobs>>,
    Query(query): Query<RemoveQuery>,
) -> Json<FaultsView> {
    knobs.faults().remove_rules(query.endpoint.as_deref());
    Json(knobs.faults().view())
}

#[cfg(test)]
mod tests;
