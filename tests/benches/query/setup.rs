//! The bench's world: the demo line-up of mock agencies in this process (quotas lifted, banks
//! deciding freezes in 20 ms), and the hub as its own process (the release binary
//! `assethub-under-test`) with per-caller and per-source limits raised, so the figures are the
//! hub's, not its throttles'; plus the gRPC clients on several connections.

use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::{demo_agencies, start_all, FamilySettings, Population, RunningAgency};
use assethub_proto::v1 as pb;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_proto::v1::orders_client::OrdersClient;
use assethub_tests::hub_process::HubProcess;
use assethub_tests::{clients_as, config_for, register_case, Authed, Role, COURT};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

/// Debtors in the population: the first 500 are on the standard case; fresh queries go round
/// the whole population, so no two of 1,000 in flight ask about the same debtor (the hub
/// would coalesce them into one agency call).
pub const POPULATION: usize = 2_500;
/// Debtors per registered case (the hub's limit).
const PER_CASE: usize = 500;

/// The clients of one connection to the hub.
#[derive(Clone)]
pub struct Connection {
    pub search: AssetHubClient<Authed>,
    pub orders: OrdersClient<Authed>,
    pub health: HealthClient<Channel>,
}

pub struct Bench {
    pub population: Arc<Population>,
    pub agencies: Vec<RunningAgency>,
    pub hub: HubProcess,
    pub connections: Vec<Connection>,
    /// (case, debtor) of every debtor of the population, for fresh queries.
    pub pairs: Arc<Vec<(String, pb::Debtor)>>,
    pub dir: tempfile::TempDir,
}

/// A client able to read the 4,000-source answer (tonic's default limit is 4 MB).
pub const MAX_MESSAGE: usize = 256 << 20;

impl Bench {
    pub async fn start(connections: usize) -> Bench {
        let population = Arc::new(Population::generate(DEFAULT_SEED, POPULATION));
        let mut lineup = demo_agencies(0);
        for agency in &mut lineup {
            agency.latency_ms = 0;
            agency.jitter_ms = 0;
            match &mut agency.settings {
                FamilySettings::Payment(payment) => payment.quota_per_sec = 0,
                FamilySettings::Bank(bank) => bank.freeze_decision_ms = 20,
                _ => {}
            }
        }
        let agencies = start_all(&lineup, population.clone())
            .await
            .expect("mock agencies start");
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut config = config_for(&agencies);
        raise_limits(&mut config);
        if std::env::var("BENCH_AGENCY_HTTP").as_deref() == Ok("2") {
            // The agencies speak HTTP/2 (h2c) as well: the hub may multiplex its calls.
            for source in &mut config.sources {
                source
                    .settings
                    .insert("http2_prior_knowledge".into(), toml::Value::Boolean(true));
            }
        }
        let hub = HubProcess::start(
            &config,
            "127.0.0.1:0".parse().expect("loopback"),
            dir.path(),
        )
        .await;
        let mut list = Vec::with_capacity(connections);
        for _ in 0..connections {
            list.push(connect(&hub.url()).await);
        }
        let channel = channel(&hub.url()).await;
        assethub_tests::register_standard_cases(&channel, &population).await;
        let pairs = register_population(&channel, &population).await;
        Bench {
            population,
            agencies,
            hub,
            connections: list,
            pairs: Arc::new(pairs),
            dir,
        }
    }

    /// Asset inquiries answered by every agency so far.
    pub fn agency_calls(&self) -> u64 {
        self.agencies.iter().map(|a| a.knobs.inquiries()).sum()
    }

    pub fn agency_ports(&self) -> Vec<u16> {
        self.agencies.iter().map(|a| a.addr.port()).collect()
    }

    /// Every agency answers after exactly `ms` milliseconds.
    pub fn set_agency_latency(&self, ms: u64) {
        for agency in &self.agencies {
            agency
                .knobs
                .set_latency(Duration::from_millis(ms), Duration::ZERO);
        }
    }
}

/// The hub's limits out of the way of one caller sending 1,000 queries at once: no per-caller
/// rate, per-source concurrency and quotas well above 1,000, and a deadline no queue reaches.
pub fn raise_limits(config: &mut assethub_hub::HubConfig) {
    config.ledger.url = "sqlite://data/ledger.db".into();
    config.auth.requests_per_sec = 0;
    config.server.default_deadline_ms = 30_000;
    config.server.max_calls_per_connection = 1_000;
    for source in &mut config.sources {
        source.max_concurrency = 4_096;
        source.rate_limit_per_sec = 0;
    }
}

pub async fn channel(url: &str) -> Channel {
    assethub_client::channel(url, Duration::from_secs(5), None)
        .await
        .expect("the bench connects to the hub")
}

/// A connection of its own, with a judge's search and orders clients and a health client.
pub async fn connect(url: &str) -> Connection {
    let channel = channel(url).await;
    let (search, orders) = clients_as(&channel, Role::Judge, COURT);
    Connection {
        search: search.max_decoding_message_size(MAX_MESSAGE),
        orders,
        health: HealthClient::new(channel),
    }
}

/// Registers the debtors beyond the standard case's 500 on cases of their own (500 each), and
/// answers (case, debtor) for the whole population.
async fn register_population(
    channel: &Channel,
    population: &Population,
) -> Vec<(String, pb::Debtor)> {
    let mut pairs = Vec::with_capacity(population.debtors().len());
    for (chunk, debtors) in population.debtors().chunks(PER_CASE).enumerate() {
        let case = if chunk == 0 {
            assethub_tests::CASE.to_string()
        } else {
            let case = format!("(2024)鄂0116执{}号", 9_000 + chunk);
            let list: Vec<(String, String)> = debtors
                .iter()
                .map(|d| (d.id_number.clone(), d.name.clone()))
                .collect();
            register_case(channel, &case, &list, 1_000_000, &format!("BENCH-F{chunk}")).await;
            case
        };
        pairs.extend(debtors.iter().map(|d| {
            (
                case.clone(),
                pb::Debtor {
                    id_number: d.id_number.clone(),
                    name: d.name.clone(),
                },
            )
        }));
    }
    pairs
}
