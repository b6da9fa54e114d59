//! Load generator for the soak test: `workers` concurrent callers, each with its own
//! authenticated gRPC connection, issue a weighted mix of operations against a running hub for
//! a fixed time — cached searches of a hot set of debtors, fresh searches of random debtors of
//! the population, small batch queries, and control round trips (watch a car, then release
//! it) — while a sampler reads the hub process's resident memory every second. Owns the mix,
//! the workers and their tallies; the figures and the memory rule are in [`report`].
//!
//! Failures are classified, never with personal data: `rpc <code>` for a failed call,
//! `source <id> <STATUS>` for a source that did not answer within a successful search, and
//! `<step> ended <STATE>` for a control order in an unexpected state.

mod report;

pub use report::{memory_verdict, Memory, OpFigures, Report, Sample};

use crate::{cases_client, clients_as, register_standard_cases, Authed, Role, CASE, COURT};
use assethub_mocks::Population;
use assethub_proto::v1 as pb;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_proto::v1::cases_client::CasesClient;
use assethub_proto::v1::orders_client::OrdersClient;
use futures::{stream, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// The kinds of operation the load issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// A search of a debtor of the hot set, normally answered from the hub's cache.
    CachedSearch,
    /// A search of a random debtor with `fresh`: every agency asked.
    FreshSearch,
    /// A BatchQuery of a few random debtors.
    Batch,
    /// Watch a car, then release it: two orders through the ledger and the agency.
    Control,
}

impl Op {
    pub const ALL: [Op; 4] = [Op::CachedSearch, Op::FreshSearch, Op::Batch, Op::Control];

    pub fn name(self) -> &'static str {
        match self {
            Op::CachedSearch => "search-cached",
            Op::FreshSearch => "search-fresh",
            Op::Batch => "batch",
            Op::Control => "watch+release",
        }
    }
}

/// Relative weights of the operations.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub cached: u32,
    pub fresh: u32,
    pub batch: u32,
    pub control: u32,
}

impl Default for Mix {
    /// 60 % cached searches, 20 % fresh, 10 % batches, 10 % control round trips.
    fn default() -> Self {
        Self {
            cached: 60,
            fresh: 20,
            batch: 10,
            control: 10,
        }
    }
}

impl Mix {
    fn total(&self) -> u32 {
        self.cached + self.fresh + self.batch + self.control
    }

    /// The operation a draw in `0..total()` stands for.
    fn pick(&self, draw: u32) -> Op {
        let weights = [self.cached, self.fresh, self.batch, self.control];
        let mut rest = draw;
        for (op, weight) in Op::ALL.into_iter().zip(weights) {
            if rest < weight {
                return op;
            }
            rest -= weight;
        }
        Op::CachedSearch
    }
}

/// How much load, for how long.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workers: usize,
    pub duration: Duration,
    pub mix: Mix,
    /// Debtors per batch query.
    pub batch_size: usize,
    /// Seed of the workers' draws (worker `w` uses `seed + w`).
    pub seed: u64,
    pub sample_every: Duration,
}

impl Plan {
    pub fn new(workers: usize, duration: Duration) -> Self {
        Self {
            workers,
            duration,
            mix: Mix::default(),
            batch_size: 4,
            seed: 1,
            sample_every: Duration::from_secs(1),
        }
    }
}

/// Whom the load asks about.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Every debtor of the population, for fresh searches and batches.
    pub population: Vec<pb::Debtor>,
    /// The first debtors of the population, for cached searches.
    pub hot: Vec<pb::Debtor>,
    /// Cars found on the hot debtors, with their owners, for control round trips.
    pub cars: Vec<(pb::Debtor, String)>,
    /// Sources every search is answered by.
    pub sources: usize,
}

impl Targets {
    /// Searches every debtor of `population` through the hub at `url`, `concurrency` at a
    /// time, so that the hub's answer cache holds the whole population before the load starts
    /// (its growth is then over before memory is judged); the first `hot` debtors become the
    /// hot set, and the cars found on them the control targets.
    pub async fn discover(
        url: &str,
        population: &Population,
        hot: usize,
        concurrency: usize,
    ) -> Self {
        let debtors: Vec<pb::Debtor> = population
            .debtors()
            .iter()
            .map(|d| pb::Debtor {
                id_number: d.id_number.clone(),
                name: d.name.clone(),
            })
            .collect();
        let channel = connect(url).await;
        // The court's case system has registered the debtors' case first.
        register_standard_cases(&channel, population).await;
        let (client, _) = clients_as(&channel, Role::Judge, COURT);
        let answers: Vec<pb::QueryResponse> = stream::iter(&debtors)
            .map(|debtor| {
                let mut client = client.clone();
                async move {
                    client
                        .query(search(debtor, false))
                        .await
                        .expect("a warm-up search succeeds")
                        .into_inner()
                }
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
        let hot = hot.clamp(1, debtors.len());
        let mut cars = Vec::new();
        for (debtor, answer) in debtors.iter().zip(&answers).take(hot) {
            let vehicles = answer
                .sources
                .iter()
                .filter(|s| s.kind == pb::AssetKind::Vehicle as i32)
                .flat_map(|s| s.assets.iter());
            cars.extend(vehicles.map(|a| (debtor.clone(), a.asset_ref.clone())));
        }
        assert!(!cars.is_empty(), "the hot debtors own at least one car");
        Self {
            hot: debtors[..hot].to_vec(),
            sources: answers.iter().map(|a| a.sources.len()).max().unwrap_or(0),
            population: debtors,
            cars,
        }
    }
}

/// Runs `plan` against the hub at `url`; `rss_kib` reads the hub's resident memory.
pub async fn run(
    url: &str,
    plan: &Plan,
    targets: Arc<Targets>,
    rss_kib: impl Fn() -> Option<u64> + Send + 'static,
) -> Report {
    assert!(plan.workers > 0 && plan.mix.total() > 0, "a plan with work");
    let done = Arc::new(AtomicU64::new(0));
    let sequence = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let (stop, stopped) = oneshot::channel();
    let sampler = tokio::spawn(sample(
        started,
        plan.sample_every,
        done.clone(),
        rss_kib,
        stopped,
    ));
    let deadline = started + plan.duration;
    let mut workers = Vec::with_capacity(plan.workers);
    for w in 0..plan.workers {
        let channel = connect(url).await;
        let worker = Worker {
            rng: StdRng::seed_from_u64(plan.seed.wrapping_add(w as u64)),
            cases: cases_client(&channel, COURT),
            clients: clients_as(&channel, Role::Judge, COURT),
            targets: targets.clone(),
            plan: plan.clone(),
            sequence: sequence.clone(),
            done: done.clone(),
            tally: Tally::default(),
        };
        workers.push(tokio::spawn(worker.run(deadline)));
    }
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(worker.await.expect("a load worker does not panic"));
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    let samples = sampler.await.expect("the sampler does not panic");
    Report::new(
        plan,
        elapsed,
        tally.latencies,
        tally.failed,
        tally.causes,
        samples,
    )
}

async fn connect(url: &str) -> Channel {
    assethub_client::channel(url, Duration::from_secs(5), None)
        .await
        .expect("a load client connects")
}

/// Samples RSS and operations done every `every` until told to stop, then once more.
async fn sample(
    started: Instant,
    every: Duration,
    done: Arc<AtomicU64>,
    rss_kib: impl Fn() -> Option<u64>,
    mut stop: oneshot::Receiver<()>,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let last = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut stop => true,
        };
        if let Some(kib) = rss_kib() {
            samples.push(Sample {
                at: started.elapsed(),
                rss_kib: kib,
                ops: done.load(Ordering::Relaxed),
            });
        }
        if last {
            return samples;
        }
    }
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    /// Microseconds per operation, by kind.
    latencies: BTreeMap<Op, Vec<u32>>,
    /// Operations with at least one failure, by kind.
    failed: BTreeMap<Op, u64>,
    /// Failures by operation and cause.
    causes: BTreeMap<(Op, String), u64>,
}

impl Tally {
    fn record(&mut self, op: Op, took: Duration, causes: Vec<String>) {
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.latencies.entry(op).or_default().push(micros);
        if !causes.is_empty() {
            *self.failed.entry(op).or_default() += 1;
        }
        for cause in causes {
            *self.causes.entry((op, cause)).or_default() += 1;
        }
    }

    fn merge(&mut self, other: Tally) {
        for (op, mut latencies) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut latencies);
        }
        for (op, n) in other.failed {
            *self.failed.entry(op).or_default() += n;
        }
        for (key, n) in other.causes {
            *self.causes.entry(key).or_default() += n;
        }
    }
}

struct Worker {
    rng: StdRng,
    clients: (AssetHubClient<Authed>, OrdersClient<Authed>),
    /// The court's case system, registering each round trip's case.
    cases: CasesClient<Authed>,
    targets: Arc<Targets>,
    plan: Plan,
    sequence: Arc<AtomicU64>,
    done: Arc<AtomicU64>,
    tally: Tally,
}

impl Worker {
    async fn run(mut self, deadline: Instant) -> Tally {
        while Instant::now() < deadline {
            let op = self
                .plan
                .mix
                .pick(self.rng.random_range(0..self.plan.mix.total()));
            let began = Instant::now();
            let causes = self.issue(op).await;
            self.tally.record(op, began.elapsed(), causes);
            self.done.fetch_add(1, Ordering::Relaxed);
        }
        self.tally
    }

    async fn issue(&mut self, op: Op) -> Vec<String> {
        let targets = self.targets.clone();
        match op {
            Op::CachedSearch => {
                let debtor = pick(&mut self.rng, &targets.hot);
                self.search(debtor, false).await
            }
            Op::FreshSearch => {
                let debtor = pick(&mut self.rng, &targets.population);
                self.search(debtor, true).await
            }
            Op::Batch => {
                let debtors: Vec<&pb::Debtor> = (0..self.plan.batch_size.max(1))
                    .map(|_| pick(&mut self.rng, &targets.population))
                    .collect();
                self.batch(&debtors).await
            }
            Op::Control => {
                let (owner, car) = pick(&mut self.rng, &targets.cars);
                let n = self.sequence.fetch_add(1, Ordering::Relaxed);
                self.watch_and_release(owner, car, n).await
            }
        }
    }

    async fn search(&mut self, debtor: &pb::Debtor, fresh: bool) -> Vec<String> {
        match self.clients.0.query(search(debtor, fresh)).await {
            Ok(response) => source_causes(&response.into_inner(), self.targets.sources),
            Err(status) => vec![rpc_cause(&status)],
        }
    }

    async fn batch(&mut self, debtors: &[&pb::Debtor]) -> Vec<String> {
        let request = pb::BatchQueryRequest {
            kind_names: Default::default(),
            items: debtors
                .iter()
                .map(|d| pb::BatchItem {
                    case_number: CASE.into(),
                    debtor: Some((*d).clone()),
                })
                .collect(),
            kinds: vec![],
            fresh: false,
            item_deadline_ms: 0,
        };
        let mut stream = match self.clients.0.batch_query(request).await {
            Ok(response) => response.into_inner(),
            Err(status) => return vec![rpc_cause(&status)],
        };
        let (mut causes, mut items) = (Vec::new(), 0);
        loop {
            match stream.message().await {
                Ok(Some(item)) => {
                    items += 1;
                    match item.outcome {
                        Some(pb::batch_item_result::Outcome::Response(response)) => {
                            causes.extend(source_causes(&response, self.targets.sources))
                        }
                        Some(pb::batch_item_result::Outcome::Error(error)) => {
                            causes.push(format!("item {}", error.code))
                        }
                        None => causes.push("item without outcome".into()),
                    }
                }
                Ok(None) => break,
                Err(status) => {
                    causes.push(format!("stream {}", rpc_cause(&status)));
                    break;
                }
            }
        }
        if items != debtors.len() {
            causes.push("items missing".into());
        }
        causes
    }

    /// A case of its own per round trip (registered first, as the court's case system does),
    /// so concurrent workers never contend for one case's hold on a car.
    async fn watch_and_release(&mut self, owner: &pb::Debtor, car: &str, n: u64) -> Vec<String> {
        let case = format!("(2025)鄂0116执{}号", 100_000 + n);
        let registered = self
            .cases
            .register_case(pb::RegisterCaseRequest {
                case_number: case.clone(),
                debtors: vec![owner.clone()],
                claim_fen: 1_000_000,
                account: format!("HB0116-ZX-2025-{}", 100_000 + n),
            })
            .await;
        if let Err(status) = registered {
            return vec![format!("register {}", rpc_cause(&status))];
        }
        let instruction = |key: String| {
            Some(pb::Instruction {
                case_number: case.clone(),
                ruling: format!("{case}之一"),
                // Filled in from the caller's token.
                officer: String::new(),
                idempotency_key: key,
            })
        };
        let orders = &mut self.clients.1;
        let watch = orders
            .place_hold(pb::PlaceHoldRequest {
                quantity: Default::default(),
                instruction: instruction(format!("soak-w-{n}")),
                action: pb::OrderAction::Watch as i32,
                asset_ref: car.into(),
                debtor: Some(owner.clone()),
                amount_fen: 0,
                days: 30,
                currency: String::new(),
            })
            .await;
        let watch = match watch {
            Ok(order) => order.into_inner(),
            Err(status) => return vec![format!("watch {}", rpc_cause(&status))],
        };
        if watch.state != pb::OrderState::Effective as i32 {
            return vec![format!("watch ended {}", state_name(watch.state))];
        }
        let release = orders
            .act_on_hold(pb::ActOnHoldRequest {
                instruction: instruction(format!("soak-r-{n}")),
                action: pb::OrderAction::Release as i32,
                order_id: watch.order_id,
                amount_fen: 0,
                case_account: String::new(),
                days: 0,
            })
            .await;
        match release {
            Ok(order) if order.get_ref().state == pb::OrderState::Effective as i32 => vec![],
            Ok(order) => vec![format!(
                "release ended {}",
                state_name(order.get_ref().state)
            )],
            Err(status) => vec![format!("release {}", rpc_cause(&status))],
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, from: &'a [T]) -> &'a T {
    &from[rng.random_range(0..from.len())]
}

fn search(debtor: &pb::Debtor, fresh: bool) -> pb::QueryRequest {
    pb::QueryRequest {
        kind_names: Default::default(),
        case_number: CASE.into(),
        debtor: Some(debtor.clone()),
        kinds: vec![],
        fresh,
        deadline_ms: 0,
    }
}

/// Sources of a search that did not answer (OK and NOT_FOUND are answers; a NAME_MISMATCH
/// cannot happen with the population's own names, so it counts as a failure too).
fn source_causes(response: &pb::QueryResponse, sources: usize) -> Vec<String> {
    let mut causes = Vec::new();
    if response.sources.len() != sources {
        causes.push(format!("{} of {sources} sources", response.sources.len()));
    }
    for source in &response.sources {
        let answered = [
            pb::SourceStatus::Ok as i32,
            pb::SourceStatus::NotFound as i32,
        ];
        if !answered.contains(&source.status) {
            let status = pb::SourceStatus::try_from(source.status)
                .map(|s| s.as_str_name())
                .unwrap_or("SOURCE_STATUS_UNKNOWN");
            let status = status.strip_prefix("SOURCE_STATUS_").unwrap_or(status);
            causes.push(format!("source {} {status}", source.source));
        }
    }
    causes
}

fn rpc_cause(status: &tonic::Status) -> String {
    format!("rpc {:?}", status.code())
}

fn state_name(state: i32) -> &'static str {
    let name = pb::OrderState::try_from(state)
        .map(|s| s.as_str_name())
        .unwrap_or("ORDER_STATE_UNKNOWN");
    name.strip_prefix("ORDER_STATE_").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_picks_by_weight() {
        let mix = Mix::default();
        let mut counts = BTreeMap::new();
        for draw in 0..mix.total() {
            *counts.entry(mix.pick(draw)).or_insert(0) += 1;
        }
        assert_eq!(counts[&Op::CachedSearch], 60);
        assert_eq!(counts[&Op::FreshSearch], 20);
        assert_eq!(counts[&Op::Batch], 10);
        assert_eq!(counts[&Op::Control], 10);
    }

    #[test]
    fn only_answers_count_as_answered() {
        let result = |source: &str, status: pb::SourceStatus| pb::SourceResult {
            source: source.into(),
            status: status as i32,
            ..Default::default()
        };
        let response = pb::QueryResponse {
            sources: vec![
                result("bank-a", pb::SourceStatus::Ok),
                result("bank-b", pb::SourceStatus::NotFound),
                result("pay-c", pb::SourceStatus::Error),
                result("car-d", pb::SourceStatus::TimedOut),
            ],
            ..Default::default()
        };
        assert_eq!(
            source_causes(&response, 5),
            [
                "4 of 5 sources",
                "source pay-c ERROR",
                "source car-d TIMED_OUT"
            ]
        );
        let answered = pb::QueryResponse {
            sources: response.sources[..2].to_vec(),
            ..Default::default()
        };
        assert!(source_causes(&answered, 2).is_empty());
    }

    #[test]
    fn tallies_merge_counts_and_latencies() {
        let mut a = Tally::default();
        a.record(Op::Batch, Duration::from_millis(3), vec![]);
        a.record(
            Op::Batch,
            Duration::from_millis(5),
            vec!["rpc Unavailable".into()],
        );
        let mut b = Tally::default();
        b.record(
            Op::Batch,
            Duration::from_millis(4),
            vec!["rpc Unavailable".into(), "items missing".into()],
        );
        a.merge(b);
        assert_eq!(a.latencies[&Op::Batch].len(), 3);
        assert_eq!(a.failed[&Op::Batch], 2);
        assert_eq!(a.causes[&(Op::Batch, "rpc Unavailable".to_string())], 2);
        assert_eq!(a.causes[&(Op::Batch, "items missing".to_string())], 1);
    }
}
