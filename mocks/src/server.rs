//! Starting and stopping one mock agency: wraps the agency's router with the knobs middleware
//! and the admin API (`/__admin/knobs`, `/__admin/faults`, `/__admin/holds`), binds it (port 0 for an ephemeral port) and serves until dropped.

use crate::faults::{self, FaultsConfig};
use crate::knobs::{self, Knobs, ADMIN_PREFIX};
use crate::population::Population;
use crate::{AgencyConfig, Family};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running mock agency. Dropping it (or calling `shutdown`) stops the server.
#[derive(Debug)]
pub struct RunningAgency {
    pub name: String,
    pub family: Family,
    pub addr: SocketAddr,
    pub knobs: Arc<Knobs>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningAgency {
    /// Base URL of the agency's API, e.g. `http://127.0.0.1:18081`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (hung ones are answered 504 at once).
    pub async fn shutdown(mut self) {
        self.knobs.faults().release_hangs();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningAgency {
    fn drop(&mut self) {
        self.knobs.faults().release_hangs();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts one agency on `config.host:config.port` (port 0: any free port), with no fault
/// rules (its fault RNG seeded from its name).
pub async fn start(
    config: &AgencyConfig,
    population: Arc<Population>,
) -> std::io::Result<RunningAgency> {
    start_with_faults(config, &FaultsConfig::default(), population).await
}

/// Starts one agency with the fault rules in `faults` (seed: `faults.seed`, else derived
/// from the agency's name).
pub async fn start_with_faults(
    config: &AgencyConfig,
    faults: &FaultsConfig,
    population: Arc<Population>,
) -> std::io::Result<RunningAgency> {
    start_keeping(config, faults, population, None).await
}

/// Starts one agency; with `keep`, its hold register is kept in `keep/<name>.json` and read
/// back from there (see [`crate::holds`]), so it outlives the process.
pub async fn start_keeping(
    config: &AgencyConfig,
    faults: &FaultsConfig,
    population: Arc<Population>,
    keep: Option<&std::path::Path>,
) -> std::io::Result<RunningAgency> {
    let knobs = Arc::new(Knobs::new(
        Duration::from_millis(config.latency_ms),
        Duration::from_millis(config.jitter_ms),
    ));
    knobs.faults().configure(&FaultsConfig {
        seed: Some(
            faults
                .seed
                .unwrap_or_else(|| crate::faults::seed_for(&config.name)),
        ),
        rules: faults.rules.clone(),
    });
    let api = crate::agency_router(config, population, knobs.clone());
    if let Some(dir) = keep {
        knobs.keep_register_in(&register_file(dir, &config.name))?;
    }
    let admin = Router::new()
        .route(
            &format!("{ADMIN_PREFIX}/knobs"),
            get(knobs::get_knobs).post(knobs::set_knobs),
        )
        .route(
            &format!("{ADMIN_PREFIX}/faults"),
            get(faults::get_faults)
                .post(faults::post_faults)
                .delete(faults::delete_faults),
        )
        .route(&format!("{ADMIN_PREFIX}/holds"), get(knobs::get_holds))
        .route(
            &format!("{ADMIN_PREFIX}/holds/lift"),
            post(knobs::lift_hold),
        )
        .with_state(knobs.clone());
    let app = api.merge(admin).layer(axum::middleware::from_fn_with_state(
        knobs.clone(),
        knobs::middleware,
    ));
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    // Answer small requests at once rather than after a delayed ACK (Nagle); count each
    // connection (tests of the hub's connection reuse).
    let counted = knobs.clone();
    let listener = listener.tap_io(move |tcp| {
        counted.count_connection();
        let _ = tcp.set_nodelay(true);
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let name = config.name.clone();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(agency = %name, error = %e, "mock agency stopped");
        }
    });
    tracing::info!(agency = %config.name, family = ?config.family(), %addr, "mock agency listening");
    Ok(RunningAgency {
        name: config.name.clone(),
        family: config.family(),
        addr,
        knobs,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Where an agency named `name` keeps its register under `dir`.
pub fn register_file(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    dir.join(format!("{name}.json"))
}

#[cfg(test)]
mod tests {
    use crate::holds::RegisterExport;
    use crate::{demo_agencies, start_all, Population};
    use std::sync::Arc;

    #[tokio::test]
    async fn every_family_serves_its_register_at_admin_holds() {
        let agencies = start_all(&demo_agencies(0), Arc::new(Population::generate(7, 20)))
            .await
            .expect("agencies start");
        let client = reqwest::Client::new();
        for agency in &agencies {
            assert_eq!(
                agency.knobs.register(),
                Some(RegisterExport::default()),
                "{} attached its register",
                agency.name
            );
            let response = client
                .get(format!("{}/__admin/holds", agency.base_url()))
                .send()
                .await
                .expect("answered");
            assert_eq!(response.status().as_u16(), 200, "{}", agency.name);
            let export: RegisterExport = response.json().await.expect("register JSON");
            assert_eq!(export, RegisterExport::default(), "{}", agency.name);
        }
    }

    #[tokio::test]
    async fn knobs_without_a_register_answer_404() {
        let knobs = Arc::new(crate::Knobs::default());
        let response = crate::knobs::get_holds(axum::extract::State(knobs)).await;
        assert_eq!(response.status().as_u16(), 404);
    }
}
