//! Test harness: starts the demo line-up of mock agencies and a hub wired to them, all on
//! ephemeral loopback ports, and hands out a real gRPC client. Shared by the end-to-end tests
//! and the benchmark.

use assethub_connectors::domain::CivilDate;
use assethub_hub::clock::Clock;
use assethub_hub::{spawn, spawn_with_clock, HubConfig, RunningHub};
use assethub_mocks::population::{DEFAULT_SEED, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_mocks::{
    demo_agencies, start_all, start_all_keeping, AgencyConfig, Population, RunningAgency,
};
use assethub_proto::v1 as pb;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_proto::v1::cases_client::CasesClient;
use assethub_proto::v1::orders_client::OrdersClient;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;

pub use assethub_hub::auth::Role;

/// The hub as a separate OS process (SIGKILL, SIGTERM, restart, RSS).
#[cfg(unix)]
pub mod hub_process;
/// The soak test's load generator and report.
pub mod load;

/// The crash-safety invariant checker (ledger against the agencies' hold registers).
pub mod invariants;

/// The chaos run: faulty agencies, a hub SIGKILLed under load, and the load itself.
pub mod chaos;

/// Many sources on a few mock listeners, the hub as a process, and what a fresh query costs.
#[cfg(unix)]
pub mod wide;

/// Durable sweeps from a client's side: submission in chunks, waiting, results, the bound.
pub mod sweep;

/// Throughput runs against the agencies' bound: the hub process, paced sources, RSS, the report.
#[cfg(unix)]
pub mod throughput;

/// The console's real-browser harness: headless Chromium through chromedriver.
pub mod browser;

/// The court of [`CASE`].
pub const COURT: &str = "鄂0116";

/// The bearer interceptor and the channel type every client of the hub uses.
pub use assethub_client::{Authed, Bearer};

/// A token of the demo issuer for `role` at `court`, valid for an hour.
pub fn token(role: Role, court: &str) -> String {
    let now = assethub_hub::auth::now_secs();
    assethub_demo::token_issuer().issue(&assethub_hub::auth::Claims {
        iss: String::new(),
        sub: format!("{}@{court}", role.as_str()),
        officer: officer_of(role).into(),
        court: court.into(),
        role,
        jti: String::new(),
        iat: now,
        exp: now + 3_600,
    })
}

/// The officer the test tokens name for `role`.
pub fn officer_of(role: Role) -> &'static str {
    match role {
        Role::Judge => "王法官",
        Role::Supervisor => "李庭长",
        _ => "",
    }
}

/// The bearer interceptor for `token`.
pub fn bearer(token: &str) -> Bearer {
    Bearer::new(Some(token)).expect("a token is valid metadata")
}

/// A case number owned by a basic court in Wuhan, valid for every test. [`World`] registers it
/// with the first [`CASE_DEBTORS`] debtors of its population (the demo debtors first) and
/// [`CASE_CLAIM_FEN`].
pub const CASE: &str = "(2024)鄂0116执1234号";
/// Debtors of the population registered on [`CASE`].
pub const CASE_DEBTORS: usize = 500;
/// [`CASE`]'s claim: 100,000,000.00 yuan.
pub const CASE_CLAIM_FEN: i64 = 10_000_000_000;
/// [`CASE`]'s receiving account.
pub const CASE_ACCOUNT: &str = "HB0116-ZX-2024-1234";
/// A case of the other court ([`OTHER_COURT`]), registered with the demo person.
pub const OTHER_COURT_CASE: &str = "(2024)鄂01执77号";
pub const OTHER_COURT: &str = "鄂01";

/// A case system's client for `court`.
pub fn cases_client(channel: &Channel, court: &str) -> CasesClient<Authed> {
    CasesClient::with_interceptor(channel.clone(), bearer(&token(Role::CaseSystem, court)))
}

/// Registers `case` (of `court`) with `debtors` (identity number, name), `claim_fen` and
/// `account`, as the court's case system does; panics if the hub refuses.
pub async fn register_case(
    channel: &Channel,
    case: &str,
    debtors: &[(String, String)],
    claim_fen: i64,
    account: &str,
) -> pb::Case {
    let court = assethub_connectors::domain::CaseNumber::parse_recorded(case)
        .expect("a valid case number")
        .court()
        .to_string();
    cases_client(channel, &court)
        .register_case(pb::RegisterCaseRequest {
            case_number: case.into(),
            debtors: debtors
                .iter()
                .map(|(id, name)| pb::Debtor {
                    id_number: id.clone(),
                    name: name.clone(),
                })
                .collect(),
            claim_fen,
            account: account.into(),
        })
        .await
        .unwrap_or_else(|s| panic!("registering {case}: {s:?}"))
        .into_inner()
}

/// The standard cases of a test world: [`CASE`] with the first [`CASE_DEBTORS`] debtors,
/// [`OTHER_COURT_CASE`] with the demo person, and the demo's walkthrough cases.
pub async fn register_standard_cases(channel: &Channel, population: &Population) {
    let debtors: Vec<(String, String)> = population
        .debtors()
        .iter()
        .take(CASE_DEBTORS)
        .map(|d| (d.id_number.clone(), d.name.clone()))
        .collect();
    register_case(channel, CASE, &debtors, CASE_CLAIM_FEN, CASE_ACCOUNT).await;
    let person = [(DEMO_PERSON_ID.to_string(), DEMO_PERSON_NAME.to_string())];
    register_case(
        channel,
        OTHER_COURT_CASE,
        &person,
        CASE_CLAIM_FEN,
        "HB01-ZX-2024-0077",
    )
    .await;
    for demo in assethub_mocks::demo_cases::demo_cases().iter().skip(1) {
        register_case(
            channel,
            &demo.case_number,
            &demo.debtors,
            demo.claim_fen,
            &demo.account,
        )
        .await;
    }
}

/// Last changes to the agencies' configuration before they start.
pub type AgencyTweak = Box<dyn FnOnce(&mut [AgencyConfig])>;

/// How to set up a world.
pub struct WorldOptions {
    /// Debtors in the synthetic population.
    pub population: usize,
    /// Latency of every agency, replacing the realistic defaults (tests run at 0).
    pub agency_latency_ms: Option<u64>,
    /// Last changes to the hub configuration before it starts.
    pub tweak: Box<dyn FnOnce(&mut HubConfig)>,
    /// Last changes to the agencies' configuration before they start.
    pub tweak_agencies: AgencyTweak,
    /// The ledger to use; `None`: a fresh SQLite file in the world's data directory.
    pub ledger_url: Option<String>,
    /// The agencies keep their hold registers in the world's data directory, so that
    /// [`World::restart_agencies`] brings them back as they were (otherwise they come back
    /// empty, as agencies that lost their registers).
    pub keep_registers: bool,
    /// The hub's calendar (`None`: the system clock); the agencies' calendars are moved to the
    /// same date.
    pub clock: Option<Arc<Clock>>,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            population: 500,
            agency_latency_ms: Some(0),
            tweak: Box::new(|_| {}),
            tweak_agencies: Box::new(|_| {}),
            ledger_url: None,
            keep_registers: false,
            clock: None,
        }
    }
}

/// The ledgers a story about money runs on: SQLite always (`None`: the world's own file) and
/// PostgreSQL when `ASSETHUB_TEST_PG_URL` names a server (a fresh `assethub_test_*` database;
/// `.ci/run` clears old ones).
pub async fn ledger_backends() -> Vec<(&'static str, Option<String>)> {
    let mut backends = vec![("sqlite", None)];
    if let Ok(base) = std::env::var("ASSETHUB_TEST_PG_URL") {
        sqlx::any::install_default_drivers();
        let admin = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await
            .expect("the PostgreSQL server of ASSETHUB_TEST_PG_URL answers");
        let name = format!("assethub_test_{}", uuid_like());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("a test database can be created");
        admin.close().await;
        let (root, _) = base.rsplit_once('/').expect("a database URL");
        backends.push(("postgres", Some(format!("{root}/{name}"))));
    }
    backends
}

/// A fresh PostgreSQL database (see [`ledger_backends`]) for a story that needs several hubs on
/// one ledger, or `None` after saying the story is skipped (no `ASSETHUB_TEST_PG_URL`).
pub async fn postgres_ledger() -> Option<String> {
    let url = ledger_backends()
        .await
        .into_iter()
        .find_map(|(backend, url)| url.filter(|_| backend == "postgres"));
    if url.is_none() {
        eprintln!("skipped: ASSETHUB_TEST_PG_URL names no PostgreSQL server");
    }
    url
}

/// 32 hex digits, unique enough for a test database's name.
fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// The demo line-up on ephemeral ports, answering at once (no latency, no jitter): for tests
/// that run the hub themselves.
pub async fn instant_agencies(population: Arc<Population>) -> Vec<RunningAgency> {
    let mut lineup = demo_agencies(0);
    for agency in &mut lineup {
        agency.latency_ms = 0;
        agency.jitter_ms = 0;
    }
    start_all(&lineup, population).await.expect("mocks start")
}

async fn start_agencies(
    lineup: &[AgencyConfig],
    population: Arc<Population>,
    kept: Option<&std::path::Path>,
) -> Vec<RunningAgency> {
    match kept {
        Some(dir) => start_all_keeping(lineup, population, dir).await,
        None => start_all(lineup, population).await,
    }
    .expect("mock agencies start")
}

/// Mock agencies plus a hub configured against them.
pub struct World {
    pub population: Arc<Population>,
    pub agencies: Vec<RunningAgency>,
    pub hub: RunningHub,
    /// Search and orders clients of a judge of [`COURT`].
    pub client: AssetHubClient<Authed>,
    pub orders: OrdersClient<Authed>,
    pub channel: Channel,
    /// The hub's configuration (its ledger lives in `data`), to restart it.
    pub config: HubConfig,
    pub data: tempfile::TempDir,
    /// The agencies' configuration, to restart them on the same ports.
    lineup: Vec<AgencyConfig>,
    /// Where the agencies keep their registers, when they do.
    kept: Option<std::path::PathBuf>,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(WorldOptions::default()).await
    }

    pub async fn start_with(options: WorldOptions) -> Self {
        let population = Arc::new(Population::generate(DEFAULT_SEED, options.population));
        let mut lineup = demo_agencies(0);
        if let Some(latency) = options.agency_latency_ms {
            for agency in &mut lineup {
                agency.latency_ms = latency;
                agency.jitter_ms = 0;
            }
        }
        (options.tweak_agencies)(&mut lineup);
        let data = tempfile::tempdir().expect("temporary data directory");
        let kept = options.keep_registers.then(|| data.path().join("agencies"));
        let agencies = start_agencies(&lineup, population.clone(), kept.as_deref()).await;
        let mut config = config_for(&agencies);
        config.ledger.url = options
            .ledger_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/ledger.db", data.path().display()));
        // Each world's signed audit checkpoints next to its ledger, never shared.
        config.audit.checkpoint_file = data.path().join("audit-checkpoints.jsonl");
        config.control.follow_up_ms = 100;
        (options.tweak)(&mut config);
        let clock = match options.clock {
            Some(clock) => {
                let shift = CivilDate::today().days_until(clock.today());
                for agency in &agencies {
                    agency.knobs.set_clock_offset_days(shift);
                }
                clock
            }
            None => Arc::new(Clock::new()),
        };
        let hub = spawn_with_clock(
            config.clone(),
            "127.0.0.1:0".parse().expect("loopback address"),
            clock,
        )
        .await
        .expect("hub starts");
        let channel = channel(&hub).await;
        register_standard_cases(&channel, &population).await;
        let (client, orders) = clients_as(&channel, Role::Judge, COURT);
        Self {
            population,
            agencies,
            hub,
            client,
            orders,
            channel,
            config,
            data,
            lineup,
            kept,
        }
    }

    /// Stops every agency and starts it again on the same port: with its register as it was
    /// when the world keeps registers, else empty.
    pub async fn restart_agencies(&mut self) {
        let mut lineup = self.lineup.clone();
        for (config, agency) in lineup.iter_mut().zip(std::mem::take(&mut self.agencies)) {
            config.port = agency.addr.port();
            agency.shutdown().await;
        }
        self.agencies =
            start_agencies(&lineup, self.population.clone(), self.kept.as_deref()).await;
    }

    /// Stops the hub and starts a new one on the same ledger (the agencies keep running).
    pub async fn restart_hub(&mut self) {
        self.restart_hub_with(|_| {}).await;
    }

    pub async fn restart_hub_with(&mut self, tweak: impl FnOnce(&mut HubConfig)) {
        let mut config = self.config.clone();
        tweak(&mut config);
        let hub = spawn(config, "127.0.0.1:0".parse().expect("loopback address"))
            .await
            .expect("hub restarts");
        let old = std::mem::replace(&mut self.hub, hub);
        drop(old);
        self.channel = channel(&self.hub).await;
        let (client, orders) = clients_as(&self.channel, Role::Judge, COURT);
        self.client = client;
        self.orders = orders;
    }

    /// Registers `case` with `debtors`, `claim_fen` and `account` (see [`register_case`]).
    pub async fn register(
        &self,
        case: &str,
        debtors: &[(String, String)],
        claim_fen: i64,
        account: &str,
    ) -> pb::Case {
        register_case(&self.channel, case, debtors, claim_fen, account).await
    }

    /// Clients of another caller: `role` at `court`.
    pub fn clients_as(
        &self,
        role: Role,
        court: &str,
    ) -> (AssetHubClient<Authed>, OrdersClient<Authed>) {
        clients_as(&self.channel, role, court)
    }

    pub fn agency(&self, name: &str) -> &RunningAgency {
        self.agencies
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no agency {name}"))
    }

    /// Asset inquiries each agency has answered, by name.
    pub fn inquiries(&self) -> Vec<(String, u64)> {
        self.agencies
            .iter()
            .map(|a| (a.name.clone(), a.knobs.inquiries()))
            .collect()
    }
}

/// A client channel to `hub` (a second hub a test runs beside the world's, say).
pub async fn channel(hub: &RunningHub) -> Channel {
    assethub_client::channel(&hub.url(), Duration::from_secs(5), None)
        .await
        .expect("client connects")
}

/// Search and orders clients on `channel` carrying a token for `role` at `court`.
pub fn clients_as(
    channel: &Channel,
    role: Role,
    court: &str,
) -> (AssetHubClient<Authed>, OrdersClient<Authed>) {
    let bearer = bearer(&token(role, court));
    (
        AssetHubClient::with_interceptor(channel.clone(), bearer.clone()),
        OrdersClient::with_interceptor(channel.clone(), bearer),
    )
}

/// The example configuration with every source pointed at the running mock of the same name.
pub fn config_for(agencies: &[RunningAgency]) -> HubConfig {
    let mut config = assethub_demo::config();
    // Metrics on any free port (`RunningHub::metrics_addr`): hubs of parallel tests never
    // compete for the default one.
    config.metrics.listen = "127.0.0.1:0".parse().expect("loopback address");
    for source in &mut config.sources {
        let agency = agencies
            .iter()
            .find(|a| a.name == source.id.as_str())
            .unwrap_or_else(|| panic!("no mock agency for source {}", source.id));
        source
            .settings
            .insert("base_url".into(), toml::Value::String(agency.base_url()));
    }
    config
}

/// A query for one debtor under [`CASE`].
pub fn query(id_number: &str, name: &str) -> pb::QueryRequest {
    pb::QueryRequest {
        kind_names: Default::default(),
        case_number: CASE.into(),
        debtor: Some(pb::Debtor {
            id_number: id_number.into(),
            name: name.into(),
        }),
        kinds: vec![],
        fresh: false,
        deadline_ms: 0,
    }
}

/// A query for the demo person (张伟).
pub fn demo_person_query() -> pb::QueryRequest {
    query(DEMO_PERSON_ID, DEMO_PERSON_NAME)
}

/// The result of one source in a response.
pub fn source<'a>(response: &'a pb::QueryResponse, id: &str) -> &'a pb::SourceResult {
    response
        .sources
        .iter()
        .find(|s| s.source == id)
        .unwrap_or_else(|| panic!("no result for source {id}"))
}

/// A control instruction of `case` by the judge of the harness's tokens, with its ruling.
pub fn instruction(case: &str, key: &str) -> Option<pb::Instruction> {
    Some(pb::Instruction {
        case_number: case.into(),
        ruling: format!("{case}之一"),
        officer: officer_of(Role::Judge).into(),
        idempotency_key: key.into(),
    })
}

/// The demo person (张伟) as a control request's debtor.
pub fn demo_debtor() -> Option<pb::Debtor> {
    Some(pb::Debtor {
        id_number: DEMO_PERSON_ID.into(),
        name: DEMO_PERSON_NAME.into(),
    })
}

/// Polls an order (with a client of its court) until it reaches `wanted`; fails the test after
/// 20 s.
pub async fn wait_with(
    orders: &mut OrdersClient<Authed>,
    order_id: &str,
    wanted: pb::OrderState,
) -> pb::Order {
    for _ in 0..400 {
        let order = orders
            .get_order(pb::GetOrderRequest {
                order_id: order_id.into(),
            })
            .await
            .expect("the order can be read")
            .into_inner();
        if order.state == wanted as i32 {
            return order;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("order {order_id} never became {wanted:?}");
}

/// The hub's metrics at `addr` (its `GET /metrics`), as text and as samples read with the
/// hub's strict exposition reader.
pub async fn scrape(
    addr: std::net::SocketAddr,
) -> (String, Vec<assethub_hub::metrics::text::Sample>) {
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("the metrics endpoint answers");
    assert!(response.status().is_success());
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let samples =
        assethub_hub::metrics::text::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, samples)
}
