//! The gate: one tower layer in front of every service of the hub's own API
//! (`/assethub.v1.*`), so no RPC — today's or one added tomorrow — can skip authentication,
//! authorization, the limits or the audit.
//!
//! For each call it maps the gRPC path to a [`Method`] and, in order:
//! 1. refuses a peer address over its refusal budget (RESOURCE_EXHAUSTED, before any token is
//!    looked at, answered only after a quarter of a second so a flood slows down),
//! 2. authenticates the bearer token (UNAUTHENTICATED),
//! 3. refuses a path that is not in the hub's method table (PERMISSION_DENIED),
//! 4. limits the caller's rate (RESOURCE_EXHAUSTED),
//! 5. checks the role against the permission matrix (PERMISSION_DENIED),
//! 6. for a streaming method, takes one of the caller's stream slots (RESOURCE_EXHAUSTED).
//!
//! Every refusal is audited with the method and the peer's address; those for no or a bad
//! token or a limit are also taken from the peer's refusal budget and audited per peer and
//! window ([`RefusalWindows`]): the first as usual, the rest as one aggregated entry. A call
//! that passes carries its [`Caller`], a [`CallNote`] for the service to fill in, and the
//! caller's gRPC deadline in its extensions; once the service has answered (for a stream: once
//! it has started) the call is audited with its outcome, and only then does the answer go out.
//! The response body holds the call's stream slot and counts the call open on its connection
//! ([`crate::conn`]) until it is dropped.
//!
//! Health and reflection (`/grpc.health.v1.Health/*`, `/grpc.reflection.*`) are open and pass
//! untouched; any other path is treated as an unknown method of the hub (refused, audited).
//! Court scoping needs the case or order and is checked by each service.

use crate::audit::{CallAudit, CallNote, Refusal, RefusalWindows};
use crate::auth::limit::RateLimiter;
use crate::auth::{permitted, Authenticator};
use crate::conn::{Activity, ConnInfo};
use crate::grpc::GrpcTimeout;
use crate::identity::{Caller, Method};
use crate::metrics::Metrics;
use crate::streams::{Held, StreamCap, StreamPermit};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::codegen::http;
use tonic::codegen::Service;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::{Code, Status};

/// How long a call from an address over its refusal budget waits for its refusal.
const PEER_REFUSAL_DELAY: Duration = Duration::from_millis(250);

/// Longest method text kept for a path the hub does not know.
const MAX_UNKNOWN_PATH: usize = 120;

/// The gate's limits beyond each caller's rate (which the [`Authenticator`] keeps).
#[derive(Debug, Clone, Copy)]
pub struct GateLimits {
    /// Streams one caller may have open at once.
    pub streams_per_caller: u32,
    /// Refusals per second per peer address, and the burst (rate 0: no limit).
    pub peer_refusals_per_sec: u32,
    pub peer_refusal_burst: u32,
    /// The window refusals are aggregated in, per peer.
    pub refusal_window: Duration,
}

#[derive(Clone)]
pub struct GateLayer {
    auth: Arc<Authenticator>,
    audit: CallAudit,
    streams: Arc<StreamCap>,
    peers: Arc<RateLimiter>,
    windows: Arc<RefusalWindows>,
    metrics: Option<Arc<Metrics>>,
}

impl GateLayer {
    pub fn new(auth: Arc<Authenticator>, audit: CallAudit, limits: GateLimits) -> Self {
        Self {
            auth,
            audit,
            streams: StreamCap::new(limits.streams_per_caller),
            peers: Arc::new(RateLimiter::new(
                limits.peer_refusals_per_sec,
                limits.peer_refusal_burst,
            )),
            windows: Arc::new(RefusalWindows::new(limits.refusal_window)),
            metrics: None,
        }
    }

    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Writes the aggregated entries of refusal windows that have ended, every window, for
    /// ever (the server runs it beside serving).
    pub async fn flush_refusals_forever(self) {
        let every = self.windows.window();
        loop {
            tokio::time::sleep(every).await;
            self.flush_refusals(false).await;
        }
    }

    /// Writes the aggregated entries of the refusal windows that have ended (`everything`:
    /// of all of them, when stopping).
    pub async fn flush_refusals(&self, everything: bool) {
        for aggregate in self.windows.ended(everything) {
            self.audit.refusals(&aggregate).await;
        }
    }

    /// Audits one refusal: on its own, or (no or a bad token, a limit) per peer and window.
    async fn refuse(
        &self,
        caller: Option<&Caller>,
        method: &str,
        peer: Option<SocketAddr>,
        status: &Status,
        reason: &'static str,
    ) {
        let limited = matches!(
            status.code(),
            Code::Unauthenticated | Code::ResourceExhausted
        );
        if !limited {
            self.count(reason, false);
            self.audit.refused(caller, method, peer, status).await;
            return;
        }
        let ip = peer.map(|p| p.ip());
        if reason != "peer" {
            self.peers.admit(&peer_key(peer));
        }
        let (refusal, ended) = self.windows.note(ip, crate::grpc::code_name(status.code()));
        if let Some(aggregate) = ended {
            self.audit.refusals(&aggregate).await;
        }
        self.count(reason, refusal == Refusal::Counted);
        if refusal == Refusal::Audit {
            self.audit.refused(caller, method, peer, status).await;
        }
    }

    fn count(&self, reason: &'static str, aggregated: bool) {
        if let Some(metrics) = &self.metrics {
            metrics.gate_refused(reason, aggregated);
        }
    }
}

/// The key of a peer's refusal budget: its address without the port.
fn peer_key(peer: Option<SocketAddr>) -> String {
    peer.map(|p| p.ip().to_string()).unwrap_or_default()
}

/// The methods whose answer is a stream, capped per caller.
fn streaming(method: Method) -> bool {
    matches!(
        method,
        Method::WatchEvents | Method::StreamQuery | Method::BatchQuery | Method::SubmitSweep
    )
}

impl<S> tower_layer::Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gate {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    layer: GateLayer,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// What the gate decided before the service: who calls which method, or why not (with the
/// reason's metric label), and the stream slot a streaming call holds.
struct Admission {
    caller: Option<Caller>,
    /// The method's name, or the (bounded) path of an unknown one.
    method: String,
    verdict: Result<Option<StreamPermit>, (Status, &'static str)>,
}

impl GateLayer {
    fn admit<B>(&self, request: &http::Request<B>, peer: Option<SocketAddr>) -> Admission {
        let path = request.uri().path();
        let known = Method::from_path(path);
        let method = match known {
            Some(m) => m.as_str().to_string(),
            None => path.chars().take(MAX_UNKNOWN_PATH).collect(),
        };
        if !self.peers.has_token(&peer_key(peer)) {
            let status = Status::resource_exhausted(format!(
                "too many refused calls from {}; wait before calling again",
                peer.map_or_else(|| "this address".into(), |p| p.ip().to_string())
            ));
            return Admission {
                caller: None,
                method,
                verdict: Err((status, "peer")),
            };
        }
        let caller = match self.auth.authenticate(request.headers()) {
            Ok(caller) => caller,
            Err(status) => {
                return Admission {
                    caller: None,
                    method,
                    verdict: Err((status, "unauthenticated")),
                }
            }
        };
        let verdict = match known {
            None => Err((
                Status::permission_denied(format!("{method} is not a method of the hub's API")),
                "denied",
            )),
            Some(m) => self
                .auth
                .admit(&caller)
                .map_err(|s| (s, "rate"))
                .and_then(|()| permitted(&caller, m).map_err(|s| (s, "denied")))
                .and_then(|()| self.stream_slot(&caller, m)),
        };
        Admission {
            caller: Some(caller),
            method,
            verdict,
        }
    }

    /// One of the caller's stream slots for a streaming method (none needed otherwise).
    fn stream_slot(
        &self,
        caller: &Caller,
        method: Method,
    ) -> Result<Option<StreamPermit>, (Status, &'static str)> {
        if !streaming(method) {
            return Ok(None);
        }
        match self.streams.open(&caller.identity()) {
            Some(permit) => Ok(Some(permit)),
            None => Err((
                Status::resource_exhausted(format!(
                    "caller {} has {} streams open, the most allowed (server.max_streams_per_caller); close one first",
                    caller.identity(),
                    self.streams.max()
                )),
                "streams",
            )),
        }
    }
}

/// The standard services anyone may call: health checks and reflection.
fn open_path(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// The peer's address and its connection's calls, as the listener's connection info says
/// (guarded connections, plain or TLS; a bare TCP listener has no call count).
fn connection<B>(request: &http::Request<B>) -> (Option<SocketAddr>, Option<Activity>) {
    let extensions = request.extensions();
    let guarded = extensions.get::<ConnInfo>().or_else(|| {
        extensions
            .get::<TlsConnectInfo<ConnInfo>>()
            .map(|tls| tls.get_ref())
    });
    if let Some(info) = guarded {
        return (info.tcp.remote_addr(), Some(info.activity.clone()));
    }
    let peer = extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|tls| tls.get_ref().remote_addr())
        });
    (peer, None)
}

/// The call's status as its response head says: a trailers-only error carries `grpc-status`;
/// without it the call answered (unary) or started (stream) successfully.
fn outcome<R>(response: &http::Response<R>) -> Result<(), Status> {
    match Status::from_header_map(response.headers()) {
        Some(status) if status.code() != tonic::Code::Ok => Err(status),
        _ => Ok(()),
    }
}

impl<S, B> Service<http::Request<B>> for Gate<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let (peer, activity) = connection(&request);
        let open = activity.as_ref().map(Activity::begin);
        if open_path(request.uri().path()) {
            let call = self.inner.call(request);
            return Box::pin(async move {
                let response = call.await?;
                Ok(response.map(|body| Held::wrap(body, open)))
            });
        }
        let admission = self.layer.admit(&request, peer);
        let layer = self.layer.clone();
        let Admission {
            caller,
            method,
            verdict,
        } = admission;
        let permit = match verdict {
            Ok(permit) => permit,
            Err((status, reason)) => {
                return Box::pin(async move {
                    layer
                        .refuse(caller.as_ref(), &method, peer, &status, reason)
                        .await;
                    if reason == "peer" {
                        // Slows a flood down instead of answering it as fast as it comes.
                        tokio::time::sleep(PEER_REFUSAL_DELAY).await;
                    }
                    drop(open);
                    Ok(status.into_http())
                });
            }
        };
        let note = CallNote::default();
        let extensions = request.extensions_mut();
        if let Some(caller) = caller.clone() {
            extensions.insert(caller);
        }
        extensions.insert(note.clone());
        if let Some(timeout) = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::validate::parse_grpc_timeout)
        {
            request.extensions_mut().insert(GrpcTimeout(timeout));
        }
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            let audited = layer
                .audit
                .call(caller.as_ref(), &method, &note, &outcome(&response))
                .await;
            if audited.is_err() {
                // The answer goes out only after its entry: without one, there is none.
                drop(response);
                return Ok(Status::unavailable(crate::audit::UNAUDITED).into_http());
            }
            Ok(response.map(|body| Held::wrap(body, (permit, open))))
        })
    }
}
