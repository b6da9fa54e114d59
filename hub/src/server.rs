//! Assembling and running the hub: builds the registry, cache and search from a configuration,
//! the order desk and its ledger, and serves `assethub.v1.AssetHub`, `Orders`, `Cases`,
//! `Audit`, `Tokens`, `Notices` and `Sweeps` (with the sweep worker) with the standard gRPC health and reflection (v1 and v1alpha) services so tools
//! like grpcurl, grpcio-reflection and grpc_health_probe work against it.

use crate::audit::{AuditLog, AuditService, CallAudit, CheckpointFile, Checkpointer};
use crate::auth::limit::RateLimiter;
use crate::auth::revoke::Revocations;
use crate::auth::Authenticator;
use crate::cache::AnswerCache;
use crate::cases::{CaseBook, CaseStore};
use crate::cases_api::CasesService;
use crate::clock::Clock;
use crate::config::HubConfig;
use crate::conn::{ConnTimeouts, GuardedIo};
use crate::control_api::OrdersService;
use crate::gate::{GateLayer, GateLimits};
use crate::inquiries::{FollowPolicy, Inquiries};
use crate::metrics::{self, Exporter, Metrics, RpcMetricsLayer, ScrapeSource};
use crate::notices_api::NoticesService;
use crate::orders::currency::ExchangeRates;
use crate::orders::execute::Executor;
use crate::orders::follow::Reconcile;
use crate::orders::policy::HoldPolicy;
use crate::orders::{Desk, Ledger, LedgerError};
use crate::registry::Registry;
use crate::search::SearchHub;
use crate::service::{HubService, ServiceLimits};
use crate::sweeps::{SweepStore, Sweeper, SweepsService};
use crate::tokens_api::TokensService;
use crate::validate::DeadlinePolicy;
use crate::wire_errors::WireErrorsLayer;
use assethub_connectors::Factories;
use assethub_proto::served::v1::asset_hub_server::AssetHubServer;
use assethub_proto::v1::audit_server::AuditServer;
use assethub_proto::v1::cases_server::CasesServer;
use assethub_proto::v1::notices_server::NoticesServer;
use assethub_proto::v1::orders_server::OrdersServer;
use assethub_proto::v1::sweeps_server::SweepsServer;
use assethub_proto::v1::tokens_server::TokensServer;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// Largest request or response message of every service (a batch of 10,000 debtors fits
/// easily); a larger request is refused with RESOURCE_EXHAUSTED ([`crate::wire_errors`]).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] assethub_connectors::ConfigError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("audit log: {0}")]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Claim(#[from] crate::db::ClaimError),
}

/// Everything a running hub is made of, built from a configuration.
pub struct Hub {
    tls: Option<crate::config::TlsConfig>,
    /// How connections are kept alive and when they are closed.
    connections: Connections,
    /// The public demo keys the configuration uses ([`HubConfig::demo_keys`]).
    demo_keys: Vec<String>,
    /// This process's claim on an embedded ledger (none on PostgreSQL), held while it serves.
    _ledger_claim: Option<Arc<crate::db::EmbeddedClaim>>,
    /// What the other hubs on a PostgreSQL ledger commit, heard while serving.
    peers: Option<crate::orders::peers::Peers>,
    /// Each court's searches and agency answers today (the command centre's figures).
    tallies: Arc<crate::tallies::Tallies>,
    /// This hub among the hubs of a PostgreSQL ledger, dividing the agencies' quotas.
    members: Option<Arc<crate::registry::members::Members>>,
    /// Leases on a PostgreSQL ledger: whether this hub follows the open inquiries.
    inquiry_leases: Option<Arc<crate::db::Leases>>,
    pub search: HubService,
    pub orders: OrdersService,
    pub audit: AuditService,
    pub cases: CasesService,
    pub tokens: TokensService,
    pub sweeps: SweepsService,
    /// The durable sweep worker (resumes running sweeps when the hub starts).
    pub sweeper: Arc<Sweeper>,
    pub notices: NoticesService,
    /// Revoked tokens, and how often other hubs' revocations are read from the ledger.
    revocations: Arc<Revocations>,
    revocation_poll: Duration,
    /// The case register (the demo registers its cases here before serving).
    pub case_book: Arc<CaseBook>,
    /// Authentication, authorization and audit in front of every service.
    pub gate: GateLayer,
    /// Signs the audit log's checkpoints (at `checkpoint_every`, and on demand).
    pub checkpoints: Checkpointer,
    checkpoint_every: Option<Duration>,
    pub desk: Arc<Desk>,
    /// Inquiries agencies answer later, resumed when the hub starts serving.
    pub inquiries: Arc<Inquiries>,
    pub clock: Arc<Clock>,
    follow_up: Duration,
    reconcile: Reconcile,
    /// How long a stopping hub lets control executions in flight finish.
    drain: Duration,
    pub metrics: Arc<Metrics>,
    /// The metrics endpoint's listener and what it serves (none when disabled or unbound).
    metrics_endpoint: Option<(TcpListener, Exporter)>,
}

impl Hub {
    /// Where the metrics endpoint listens, if it does.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        let (listener, _) = self.metrics_endpoint.as_ref()?;
        listener.local_addr().ok()
    }
}

/// Builds the services from a configuration, its sources with the built-in connector types,
/// and opens (migrating) the order ledger.
pub async fn build(config: &HubConfig) -> Result<Hub, ServeError> {
    build_with_clock(config, Arc::new(Clock::new())).await
}

/// [`build`] with the connector types of `factories` (an embedder's own on top of
/// `assethub_connectors::factories()`).
pub async fn build_with(config: &HubConfig, factories: &Factories) -> Result<Hub, ServeError> {
    assemble(config, factories, Arc::new(Clock::new())).await
}

/// [`build`] with its calendar: tests start a hub at a chosen instant.
pub async fn build_with_clock(config: &HubConfig, clock: Arc<Clock>) -> Result<Hub, ServeError> {
    assemble(config, &assethub_connectors::factories(), clock).await
}

async fn assemble(
    config: &HubConfig,
    factories: &Factories,
    clock: Arc<Clock>,
) -> Result<Hub, ServeError> {
    let registry = Arc::new(Registry::from_config_with(config, factories).await?);
    let cache = AnswerCache::bounded(config.cache.max_entries, config.cache.max_bytes);
    let answers = cache.clone();
    let metrics = Arc::new(Metrics::for_sources(
        config.metrics.per_source,
        registry.all().len(),
    ));
    // Before anything touches the file: an embedded ledger is one hub process's.
    let ledger_claim = crate::db::sqlite_file(&config.ledger.url)
        .map(|file| crate::db::claim_embedded(&file))
        .transpose()?;
    let ledger = Ledger::open(&config.ledger.url).await?;
    let inquiries = Inquiries::new(
        ledger.clone(),
        registry.clone(),
        cache.clone(),
        clock.clone(),
        FollowPolicy::default(),
    );
    let tallies = Arc::new(crate::tallies::Tallies::new(
        ledger.pool().clone(),
        clock.clone(),
    ));
    let search = Arc::new(
        SearchHub::new(registry.clone(), cache.clone(), (&config.retry).into())
            .with_metrics(metrics.clone())
            .with_inquiries(inquiries.clone())
            .with_tallies(tallies.clone()),
    );
    let audit = CallAudit::new(AuditLog::open(
        ledger.pool().clone(),
        ledger.sqlite_file(),
        &config.trust.audit_key(),
    )?);
    let checkpoints = checkpointer(config, audit.log())?;
    let control = &config.control;
    let cases = Arc::new(CaseBook::new(CaseStore::new(ledger.pool().clone())));
    // This process among the hubs of a shared (PostgreSQL) ledger.
    let hub_id = format!("hub-{}", uuid::Uuid::new_v4().simple());
    let members = crate::registry::members::Members::for_ledger(
        &config.ledger.url,
        ledger.pool().clone(),
        &hub_id,
        registry.quota_share().clone(),
    )
    .map(Arc::new);
    let leases = crate::db::is_shared(&config.ledger.url)
        .then(|| Arc::new(crate::db::Leases::new(ledger.pool().clone(), hub_id)));
    if leases.is_some() {
        inquiries.follow_under_lease();
    }
    let peers = crate::orders::peers::Peers::for_ledger(
        &config.ledger.url,
        ledger.clone(),
        answers.clone(),
        cases.clone(),
        members.clone(),
    )
    .map(|peers| peers.with_inquiries(inquiries.clone()));
    let signer = config
        .trust
        .signer()
        .map_err(|e| ServeError::Invalid(e.to_string()))?;
    let font = notice_font(config)?;
    let executor = Arc::new(
        Executor::new(
            ledger.clone(),
            registry.clone(),
            cache,
            Duration::from_millis(control.call_timeout_ms),
            Duration::from_millis(config.retry.min_delay_ms.max(10)),
            signer.clone(),
            Some(audit.clone()),
        )
        .with_metrics(metrics.clone())
        .with_clock(clock.clone())
        .with_leases(leases.clone()),
    );
    let rates = ExchangeRates::from_config(&control.exchange_rates).map_err(ServeError::Invalid)?;
    let desk = Arc::new(
        Desk::new(
            ledger.clone(),
            registry.clone(),
            search.clone(),
            HoldPolicy::new(registry.kinds().clone()),
            clock.clone(),
            executor,
        )
        .with_approval(config.auth.approval.clone())
        .with_rates(rates),
    );
    let limits = limits(config);
    let sweeper = Arc::new(
        Sweeper::new(
            SweepStore::new(ledger.pool().clone()),
            search.clone(),
            cases.clone(),
            audit.clone(),
            clock.clone(),
            config.sweeps,
        )
        .with_leases(leases.clone()),
    );
    let verifier = config
        .auth
        .verifier()
        .map_err(|e| ServeError::Invalid(e.to_string()))?;
    if config.auth.issuers.is_empty() {
        tracing::warn!(
            "no token issuers configured ([[auth.issuers]]): every call will be refused"
        );
    }
    let revocations = Revocations::load(ledger.pool().clone())
        .await
        .map_err(LedgerError::from)?;
    let auth = Authenticator::new(
        verifier,
        revocations.clone(),
        // Shared with the other hubs of a PostgreSQL ledger, as the agencies' quotas are.
        RateLimiter::new(config.auth.requests_per_sec, config.auth.burst)
            .shared(registry.quota_share().clone()),
    );
    let issuers = config.auth.issuers.iter().map(|i| i.name.clone()).collect();
    Ok(Hub {
        tls: config.server.tls.clone(),
        demo_keys: config.demo_keys(),
        _ledger_claim: ledger_claim,
        peers,
        members,
        inquiry_leases: leases,
        gate: GateLayer::new(auth, audit.clone(), gate_limits(config))
            .with_metrics(metrics.clone()),
        connections: Connections::from(&config.server),
        search: HubService::new(search, limits, audit.clone(), cases.clone(), clock.clone())
            .with_inquiries(inquiries.clone()),
        inquiries: inquiries.clone(),
        orders: OrdersService::new(desk.clone(), cases.clone(), clock.clone(), limits.deadlines)
            .with_metrics(metrics.clone()),
        audit: AuditService::new(audit.log().clone(), checkpoints.clone()),
        cases: CasesService::new(cases.clone(), ledger, clock.clone())
            .with_tallies(tallies.clone()),
        tallies,
        tokens: TokensService::new(revocations.clone(), issuers),
        sweeps: SweepsService::new(sweeper.clone(), limits.deadlines),
        sweeper,
        notices: NoticesService::new(desk.clone(), inquiries.clone(), signer, font),
        revocations,
        revocation_poll: Duration::from_millis(config.auth.revocation_poll_ms),
        case_book: cases,
        checkpoints,
        checkpoint_every: match config.audit.checkpoint_interval_secs {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        },
        clock,
        follow_up: Duration::from_millis(control.follow_up_ms),
        reconcile: Reconcile {
            every: Duration::from_millis(control.reconcile_ms),
            batch: control.reconcile_batch,
        },
        drain: Duration::from_millis(control.call_timeout_ms),
        metrics_endpoint: crate::metrics::bind(&config.metrics).await.map(|listener| {
            let ledger: Arc<dyn ScrapeSource> = Arc::new(desk.ledger().clone());
            let cache: Arc<dyn ScrapeSource> = Arc::new(answers.clone());
            (
                listener,
                Exporter::new(
                    metrics.clone(),
                    vec![registry as Arc<dyn ScrapeSource>, ledger, cache],
                ),
            )
        }),
        desk,
        metrics,
    })
}

/// The font assistance notices are set in: a configured font must load (the hub does not
/// start otherwise); without one, Debian's usual CJK fonts, and when none is installed the
/// hub still serves and GetNotice says what to install.
fn notice_font(config: &HubConfig) -> Result<Result<assethub_notice::CjkFont, String>, ServeError> {
    match assethub_notice::CjkFont::locate(config.notices.font.as_deref()) {
        Ok(font) => Ok(Ok(font)),
        Err(e) if config.notices.font.is_some() => {
            Err(ServeError::Invalid(format!("notices.font: {e}")))
        }
        Err(e) => {
            tracing::warn!(error = %e, "assistance notices cannot be rendered");
            Ok(Err(e.to_string()))
        }
    }
}

/// The audit checkpoint signer: its key (never in the database) and its file (directory
/// created now, so a bad path fails at start).
fn checkpointer(config: &HubConfig, log: &AuditLog) -> Result<Checkpointer, ServeError> {
    let key = config
        .trust
        .checkpoint_key()
        .map_err(|e| ServeError::Invalid(e.to_string()))?;
    let file = CheckpointFile::new(&config.audit.checkpoint_file);
    file.prepare().map_err(|e| {
        ServeError::Invalid(format!(
            "audit.checkpoint_file {}: {e}",
            config.audit.checkpoint_file.display()
        ))
    })?;
    Ok(Checkpointer::new(log.clone(), key, file))
}

fn gate_limits(config: &HubConfig) -> GateLimits {
    GateLimits {
        streams_per_caller: config.server.max_streams_per_caller,
        peer_refusals_per_sec: config.auth.refusals_per_sec_per_peer,
        peer_refusal_burst: config.auth.refusal_burst_per_peer,
        refusal_window: Duration::from_secs(config.auth.refusal_audit_window_secs),
    }
}

/// The connection settings of `[server]`.
#[derive(Debug, Clone, Copy)]
struct Connections {
    timeouts: ConnTimeouts,
    max_calls: u32,
    keepalive_interval: Duration,
    keepalive_timeout: Duration,
    tcp_keepalive: Option<Duration>,
}

impl From<&crate::config::ServerConfig> for Connections {
    fn from(s: &crate::config::ServerConfig) -> Self {
        Self {
            timeouts: ConnTimeouts {
                header_read: Duration::from_secs(s.header_read_timeout_secs),
                idle: (s.idle_timeout_secs > 0).then(|| Duration::from_secs(s.idle_timeout_secs)),
            },
            max_calls: s.max_calls_per_connection,
            keepalive_interval: Duration::from_secs(s.keepalive_interval_secs),
            keepalive_timeout: Duration::from_secs(s.keepalive_timeout_secs),
            tcp_keepalive: (s.tcp_keepalive_secs > 0)
                .then(|| Duration::from_secs(s.tcp_keepalive_secs)),
        }
    }
}

fn limits(config: &HubConfig) -> ServiceLimits {
    ServiceLimits {
        deadlines: DeadlinePolicy {
            default: Duration::from_millis(config.server.default_deadline_ms),
            max: Duration::from_millis(config.server.max_deadline_ms),
        },
        batch_concurrency: config.server.batch_concurrency,
        max_batch_items: config.server.max_batch_items,
    }
}

/// Serves on `listener` until `shutdown` resolves, then drains in-flight calls; sources are
/// built with the built-in connector types.
pub async fn serve(
    config: &HubConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with(
        config,
        &assethub_connectors::factories(),
        listener,
        shutdown,
    )
    .await
}

/// [`serve`] with the connector types of `factories`.
pub async fn serve_with(
    config: &HubConfig,
    factories: &Factories,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let hub = build_with(config, factories).await?;
    serve_hub(hub, listener, shutdown).await
}

/// What reflection describes: the hub's own services and health.
fn reflection_builder() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(assethub_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Serves an assembled hub; its follow-up loop (pending orders, queues, expiry, sightings)
/// and the audit checkpoint interval run while it serves. When `shutdown` resolves: no new
/// calls are accepted, calls in flight finish, the follow-up loop and the checkpoint interval
/// stop, and control executions in flight get up to the control call timeout to finish;
/// whatever is still unanswered stays recorded as awaiting its agency and is resumed (asked
/// about by its idempotency key) at the next start.
pub async fn serve_hub(
    hub: Hub,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<AssetHubServer<HubService>>()
        .await;
    health_reporter
        .set_serving::<OrdersServer<OrdersService>>()
        .await;
    health_reporter
        .set_serving::<CasesServer<CasesService>>()
        .await;
    health_reporter
        .set_serving::<AuditServer<AuditService>>()
        .await;
    health_reporter
        .set_serving::<TokensServer<TokensService>>()
        .await;
    health_reporter
        .set_serving::<SweepsServer<SweepsService>>()
        .await;
    health_reporter
        .set_serving::<NoticesServer<NoticesService>>()
        .await;
    // Both reflection versions: grpcurl speaks v1, Python's grpcio-reflection and many other
    // tools still v1alpha.
    let reflection = reflection_builder().build_v1()?;
    let reflection_v1alpha = reflection_builder().build_v1alpha()?;
    // Every call of the hub's own APIs passes the gate (authentication, authorization,
    // audit); health and reflection are open.
    let api = AssetHubServer::new(hub.search)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let orders = OrdersServer::new(hub.orders)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let audit = AuditServer::new(hub.audit)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let cases = CasesServer::new(hub.cases)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let tokens = TokensServer::new(hub.tokens)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let sweeps = SweepsServer::new(hub.sweeps)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    // Resumes running sweeps; stops with the server.
    let _sweeper = AbortOnDrop(tokio::spawn(hub.sweeper.clone().run_forever()));
    let notices = NoticesServer::new(hub.notices)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    // Counted among the hubs of the ledger before the first call, so this hub's first agency
    // calls are already paced at its share of the quotas.
    if let Some(members) = &hub.members {
        if let Err(e) = members.join().await {
            tracing::warn!(error = %e, "cannot join the hubs of the ledger: pacing at the whole quota until a beat succeeds");
        }
    }
    let beats = hub
        .members
        .clone()
        .map(|members| AbortOnDrop(tokio::spawn(members.beat_forever())));
    let _peers = hub
        .peers
        .map(|peers| AbortOnDrop(tokio::spawn(peers.run_forever())));
    let _revocations = AbortOnDrop(tokio::spawn(
        hub.revocations.clone().poll_every(hub.revocation_poll),
    ));
    // Open inquiries are followed again (and answers within their TTL cached) before serving.
    hub.inquiries
        .resume()
        .await
        .map_err(|e| ServeError::Invalid(format!("cannot resume the open inquiries: {e}")))?;
    let inquiries = hub.inquiries.clone();
    let lead = hub.inquiry_leases.clone().map(|leases| {
        AbortOnDrop(tokio::spawn(
            inquiries
                .clone()
                .lead_forever(leases, Duration::from_secs(2)),
        ))
    });
    let _ready = AbortOnDrop(tokio::spawn(
        inquiries.clone().listen_forever(Duration::from_secs(2)),
    ));
    // Stops with the server, even when the serving task is aborted.
    let follow_up = AbortOnDrop(tokio::spawn(
        hub.desk
            .clone()
            .follow_up_forever(hub.follow_up, hub.reconcile),
    ));
    let checkpoints = hub
        .checkpoint_every
        .map(|every| AbortOnDrop(tokio::spawn(hub.checkpoints.clone().run_every(every))));
    let _source_health = AbortOnDrop(tokio::spawn(crate::health::report_sources(
        health_reporter.clone(),
        hub.desk.registry().clone(),
        Duration::from_secs(1),
    )));
    let _refusals = AbortOnDrop(tokio::spawn(hub.gate.clone().flush_refusals_forever()));
    let _tallies = AbortOnDrop(tokio::spawn(
        hub.tallies.clone().flush_forever(Duration::from_secs(2)),
    ));
    let tallies = hub.tallies.clone();
    let gate = hub.gate.clone();
    let _metrics = hub
        .metrics_endpoint
        .map(|(listener, exporter)| AbortOnDrop(tokio::spawn(metrics::serve(listener, exporter))));
    let addr = listener.local_addr()?;
    exposure(addr, hub.tls.is_some(), &hub.demo_keys)?;
    let connections = hub.connections;
    let mut builder = tonic::transport::Server::builder()
        .max_concurrent_streams(connections.max_calls)
        .http2_keepalive_interval(Some(connections.keepalive_interval))
        .http2_keepalive_timeout(Some(connections.keepalive_timeout));
    match &hub.tls {
        Some(tls) => {
            builder = builder.tls_config(server_tls(tls)?)?;
            tracing::info!(%addr, client_ca = tls.client_ca_file.is_some(), "assethub serving over TLS");
        }
        None => {
            tracing::warn!(%addr, "assethub serving PLAINTEXT on loopback: configure [server.tls] for anything else");
        }
    }
    if !hub.demo_keys.is_empty() {
        tracing::warn!(
            %addr,
            keys = hub.demo_keys.join("; "),
            "assethub trusts or signs with PUBLIC demo keys (anyone can mint tokens with them): loopback only, never in production"
        );
    }
    let served = builder
        .layer(RpcMetricsLayer::new(hub.metrics))
        .layer(hub.gate)
        .layer(WireErrorsLayer)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(api)
        .add_service(orders)
        .add_service(audit)
        .add_service(cases)
        .add_service(tokens)
        .add_service(sweeps)
        .add_service(notices)
        .serve_with_incoming_shutdown(guarded(listener, connections), shutdown)
        .await;
    gate.flush_refusals(true).await;
    if let Err(e) = tallies.flush().await {
        tracing::warn!(error = %e, "the last search figures could not be written");
    }
    drop(beats);
    if let Some(members) = &hub.members {
        members.leave().await;
    }
    drop(follow_up);
    drop(lead);
    inquiries.stop();
    if let Some(leases) = &hub.inquiry_leases {
        // Another hub follows the open inquiries at its next round, not after the lease ran out.
        if let Err(e) = leases
            .release(crate::inquiries::lead::INQUIRIES_LEASE)
            .await
        {
            tracing::warn!(error = %e, "cannot give up following the inquiries; another hub takes over when the lease runs out");
        }
    }
    drop(checkpoints);
    let unfinished = hub.desk.drain(hub.drain).await;
    if unfinished > 0 {
        tracing::warn!(
            unfinished,
            "stopping with control orders still awaiting their agency: they are recorded and resume at the next start"
        );
    }
    served?;
    Ok(())
}

/// Refuses a listener beyond loopback that would serve plaintext or trust public demo keys.
fn exposure(addr: SocketAddr, tls: bool, demo_keys: &[String]) -> Result<(), ServeError> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if !tls {
        return Err(ServeError::Invalid(format!(
            "refusing to serve plaintext on {addr}, which is not loopback: configure [server.tls]"
        )));
    }
    if !demo_keys.is_empty() {
        return Err(ServeError::Invalid(format!(
            "refusing to serve on {addr}, which is not loopback, with public demo keys anyone can use: {}; configure your own",
            demo_keys.join("; ")
        )));
    }
    Ok(())
}

/// The listener's TLS settings from the configured PEM files.
fn server_tls(tls: &crate::config::TlsConfig) -> Result<ServerTlsConfig, ServeError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| ServeError::Invalid(format!("server.tls: {}: {e}", path.display())))
    };
    let identity = Identity::from_pem(read(&tls.cert_file)?, read(&tls.key_file)?);
    let mut config = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = &tls.client_ca_file {
        config = config
            .client_ca_root(Certificate::from_pem(read(ca)?))
            .client_auth_optional(!tls.require_client_cert);
    }
    Ok(config)
}

/// Resolves on Ctrl-C or (Unix) SIGTERM: the shutdown future of the hub's binaries.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: draining in-flight calls");
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Accepted connections with `TCP_NODELAY` (without it, Nagle's algorithm and delayed ACKs
/// add ~40 ms to every small response) and TCP keepalive to notice dead peers.
pub fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)))
}

/// Accepted connections as [`incoming`] makes them, with the configured TCP keepalive, each
/// closed once it starts no call within the header-read timeout or stays idle
/// ([`crate::conn`]).
fn guarded(
    listener: TcpListener,
    connections: Connections,
) -> impl futures::Stream<Item = std::io::Result<GuardedIo<tokio::net::TcpStream>>> {
    use futures::TryStreamExt;
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(connections.tcp_keepalive)
        .map_ok(move |stream| GuardedIo::new(stream, connections.timeouts))
}

/// A hub running in the background (tests, benchmarks, the demo).
pub struct RunningHub {
    pub addr: SocketAddr,
    /// The hub's calendar (tests move it to show expiry).
    pub clock: Arc<Clock>,
    pub desk: Arc<Desk>,
    /// Where `GET /metrics` answers (none when metrics are disabled or could not listen).
    pub metrics_addr: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl RunningHub {
    /// `http://<addr>`, for a tonic client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting calls and waits for in-flight ones to finish.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(ServeError::Io(std::io::Error::other(join))),
        }
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (port 0: any free port) and serves `config` in the background.
pub async fn spawn(config: HubConfig, addr: SocketAddr) -> Result<RunningHub, ServeError> {
    spawn_with_clock(config, addr, Arc::new(Clock::new())).await
}

/// [`spawn`] with the connector types of `factories`.
pub async fn spawn_with(
    config: HubConfig,
    factories: &Factories,
    addr: SocketAddr,
) -> Result<RunningHub, ServeError> {
    let hub = assemble(&config, factories, Arc::new(Clock::new())).await?;
    run(hub, addr).await
}

/// [`spawn`] with its calendar: tests run a hub at a chosen instant.
pub async fn spawn_with_clock(
    config: HubConfig,
    addr: SocketAddr,
    clock: Arc<Clock>,
) -> Result<RunningHub, ServeError> {
    let hub = build_with_clock(&config, clock).await?;
    run(hub, addr).await
}

/// Serves an assembled hub on `addr` in the background.
async fn run(hub: Hub, addr: SocketAddr) -> Result<RunningHub, ServeError> {
    let (clock, desk) = (hub.clock.clone(), hub.desk.clone());
    let metrics_addr = hub.metrics_addr();
    exposure(addr, hub.tls.is_some(), &hub.demo_keys)?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve_hub(hub, listener, async {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningHub {
        addr,
        clock,
        desk,
        metrics_addr,
        stop: Some(stop),
        task,
    })
}
