//! The gate: one tower layer in front of every service of the hub's own API
//! (`/assethub.v1.*`), so no RPC — today's or one added tomorrow — can skip authentication,
//! authorization or the audit.
//!
//! For each call it maps the gRPC path to a [`Method`] and, in order:
//! 1. authenticates the bearer token (UNAUTHENTICATED),
//! 2. refuses a path that is not in the hub's method table (PERMISSION_DENIED),
//! 3. limits the caller's rate (RESOURCE_EXHAUSTED),
//! 4. checks the role against the permission matrix (PERMISSION_DENIED),
//!
//! auditing every refusal with the method and the peer's address. A call that passes carries
//! its [`Caller`], a [`CallNote`] for the service to fill in, and the caller's gRPC deadline in
//! its extensions; once the service has answered (for a stream: once it has started) the call
//! is audited with its outcome, and only then does the answer go out.
//!
//! Health and reflection (`/grpc.health.v1.Health/*`, `/grpc.reflection.*`) are open and pass
//! untouched; any other path is treated as an unknown method of the hub (refused, audited).
//! Court scoping needs the case or order and is checked by each service.

use crate::audit::{CallAudit, CallNote};
use crate::auth::{permitted, Authenticator};
use crate::identity::{Caller, Method};
use crate::service::GrpcTimeout;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tonic::codegen::Service;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::Status;

/// Longest method text kept for a path the hub does not know.
const MAX_UNKNOWN_PATH: usize = 120;

#[derive(Clone)]
pub struct GateLayer {
    auth: Arc<Authenticator>,
    audit: CallAudit,
}

impl GateLayer {
    pub fn new(auth: Arc<Authenticator>, audit: CallAudit) -> Self {
        Self { auth, audit }
    }
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

/// What the gate decided before the service: who calls which method, or why not.
struct Admission {
    caller: Option<Caller>,
    /// The method's name, or the (bounded) path of an unknown one.
    method: String,
    verdict: Result<(), Status>,
}

impl GateLayer {
    fn admit<B>(&self, request: &http::Request<B>) -> Admission {
        let path = request.uri().path();
        let known = Method::from_path(path);
        let method = match known {
            Some(m) => m.as_str().to_string(),
            None => path.chars().take(MAX_UNKNOWN_PATH).collect(),
        };
        let caller = match self.auth.authenticate(request.headers()) {
            Ok(caller) => caller,
            Err(status) => {
                return Admission {
                    caller: None,
                    method,
                    verdict: Err(status),
                }
            }
        };
        let verdict = match known {
            None => Err(Status::permission_denied(format!(
                "{method} is not a method of the hub's API"
            ))),
            Some(m) => self
                .auth
                .admit(&caller)
                .and_then(|()| permitted(&caller, m)),
        };
        Admission {
            caller: Some(caller),
            method,
            verdict,
        }
    }
}

/// The standard services anyone may call: health checks and reflection.
fn open_path(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

fn peer<B>(request: &http::Request<B>) -> Option<SocketAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|tls| tls.get_ref().remote_addr())
        })
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
        if open_path(request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let admission = self.layer.admit(&request);
        let audit = self.layer.audit.clone();
        let Admission {
            caller,
            method,
            verdict,
        } = admission;
        if let Err(status) = verdict {
            let peer = peer(&request);
            return Box::pin(async move {
                audit.refused(caller.as_ref(), &method, peer, &status).await;
                Ok(status.into_http())
            });
        }
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
            audit
                .call(caller.as_ref(), &method, &note, &outcome(&response))
                .await;
            Ok(response)
        })
    }
}
