//! The metrics endpoint: `GET /metrics` on its own listener (`[metrics] listen`), plain HTTP.
//! The series hold no personal data, so a listener off loopback is allowed, with a warning.
//! A listener that cannot be bound is logged and the hub serves without metrics: observability
//! never keeps the hub from answering.

use super::{Exporter, CONTENT_TYPE};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The Prometheus metrics endpoint (`GET /metrics`, plain HTTP; the series hold no personal
/// data, so a listener off loopback is allowed with a warning).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// Port 0: any free port (tests).
    pub listen: SocketAddr,
    /// Which per-source series are exported (`all`, `notable`, or `auto`: all up to
    /// [`super::AUTO_ALL_UP_TO`] sources); the per-kind series always are.
    pub per_source: super::PerSource,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            per_source: super::PerSource::Auto,
        }
    }
}

/// The endpoint's listener, when metrics are enabled and the address could be bound.
pub async fn bind(config: &MetricsConfig) -> Option<TcpListener> {
    if !config.enabled {
        return None;
    }
    match TcpListener::bind(config.listen).await {
        Ok(listener) => {
            let addr = listener.local_addr().unwrap_or(config.listen);
            if !addr.ip().is_loopback() {
                tracing::warn!(%addr, "metrics served in plaintext off loopback (they hold no personal data)");
            }
            Some(listener)
        }
        Err(e) => {
            tracing::warn!(addr = %config.listen, error = %e, "cannot listen for metrics; serving without them");
            None
        }
    }
}

/// Serves `GET /metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, exporter: Exporter) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("metrics at http://{addr}/metrics");
    }
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(exporter);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "metrics endpoint stopped");
    }
}

async fn scrape(State(exporter): State<Exporter>) -> Response {
    match exporter.render().await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics").into_response(),
    }
}
