//! Per-source health in the standard gRPC health service: each source is a service named
//! `assethub.source.<id>`, NOT_SERVING while its circuit breaker is open (the agency is
//! considered down and calls fail fast), SERVING otherwise. Load balancers and
//! `grpc_health_probe -service assethub.source.bank-gongxin` see what `hubctl sources` shows.

use crate::breaker::BreakerState;
use crate::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

/// The health service name of source `id`.
pub fn service_name(id: &str) -> String {
    format!("assethub.source.{id}")
}

fn status_of(state: BreakerState) -> ServingStatus {
    match state {
        BreakerState::Open => ServingStatus::NotServing,
        BreakerState::Closed | BreakerState::HalfOpen => ServingStatus::Serving,
    }
}

/// Publishes every source's state now and then every `every`, until dropped.
pub async fn report_sources(reporter: HealthReporter, registry: Arc<Registry>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for source in registry.all() {
            reporter
                .set_service_status(service_name(source.id()), status_of(source.breaker.state()))
                .await;
        }
    }
}
