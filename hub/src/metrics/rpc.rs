//! Counting gRPC calls by method and status code: a tower layer around the hub's gRPC server.
//!
//! The code is read from the response head: an error answered at once carries `grpc-status`
//! in its headers (a "trailers-only" response), which is how every failed unary call and
//! every refused stream ends; a response without it has started successfully and counts as
//! OK. A stream that fails after it started is counted as OK (its status travels in the
//! trailers, after this layer has seen the response).
//!
//! Methods come from the hub's own list (`auth::Method`), health checks are `health`, and any
//! other path `other`, so a caller cannot create series by inventing paths.

use super::Metrics;
use crate::identity::Method;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tonic::codegen::Service;
use tonic::Code;

/// Wraps a service so each call is counted in `assethub_rpc_requests_total`.
#[derive(Clone)]
pub struct RpcMetricsLayer(Arc<Metrics>);

impl RpcMetricsLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self(metrics)
    }
}

impl<S> tower_layer::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B, R> Service<http::Request<B>> for RpcMetrics<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    R: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = method_label(request.uri().path());
        let metrics = self.metrics.clone();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            let code = match &result {
                Ok(response) => code_label(response),
                Err(_) => "UNKNOWN",
            };
            metrics.rpc(method, code);
            result
        })
    }
}

/// The method a request path names, from a closed set.
pub(super) fn method_label(path: &str) -> &'static str {
    let Some((service, name)) = path.rsplit_once('/') else {
        return "other";
    };
    if service.starts_with("/assethub.v1.") {
        if let Some(m) = Method::ALL.into_iter().find(|m| m.as_str() == name) {
            return m.as_str();
        }
    }
    if service == "/grpc.health.v1.Health" {
        return "health";
    }
    "other"
}

fn code_label<R>(response: &http::Response<R>) -> &'static str {
    match response.headers().get("grpc-status") {
        Some(status) => crate::grpc::code_name(Code::from_bytes(status.as_bytes())),
        None if response.status() == http::StatusCode::OK => "OK",
        None => "UNKNOWN",
    }
}
