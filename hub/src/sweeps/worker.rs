//! The sweep worker: started with the hub, it resumes every running sweep (items left `asking`
//! by a crash first, under their same request ids), then takes waiting items in windows —
//! marked `asking` in one transaction before any agency hears of them — and runs each through
//! the fan-out search, `concurrency` at a time. The agencies' own limits (each source's rate
//! gate and bulkhead) pace it; the worker adds none below them. Each item is admitted and
//! audited on behalf of the sweep's submitter, exactly like a batch item; its result is written
//! as a compact per-source summary, a few hundred items per transaction. Items some agency will
//! answer later (`awaiting`), and items an agency failed (`failed`, while rounds are left), are
//! looked at again later for those sources only, without `fresh` for pending ones.
//!
//! Several hubs on one PostgreSQL ledger: a sweep is worked on by one hub at a time, the
//! holder of its `sweep:<id>` lease (renewed while it works); when that hub dies the lease runs
//! out and another resumes the sweep as after a crash. A submission interrupted on another hub
//! is discarded only once it is [`STALE_SUBMISSION`] old (that hub may still be receiving it).

use super::model::{
    answered, failed, item_state, parse_summary, summary_text, ItemRow, ItemState, SourceSummary,
    SweepRow, SweepState,
};
use super::store::{SweepStore, SweepStoreError};
use crate::audit::CallAudit;
use crate::bounds;
use crate::cases::{CaseBook, Purpose};
use crate::clock::Clock;
use crate::config::SweepsConfig;
use crate::db::Leases;
use crate::grpc::code_name;
use crate::search::{Outcome, Search, SearchHub, SourceReport};
use crate::validate;
use assethub_connectors::QueryAnswer;
use assethub_proto::v1 as pb;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tonic::Status;

/// Results written to the ledger in one transaction, at most.
const WRITE_CHUNK: usize = 256;
/// How often the worker looks for sweeps and due items when nothing wakes it.
const IDLE_LOOK: Duration = Duration::from_secs(1);
/// Longest reason kept in a source's summary.
const MAX_REASON_BYTES: usize = 200;
/// How long a sweep's lease lasts without renewal (renewed every third of it).
const SWEEP_LEASE: Duration = Duration::from_secs(15);
/// On a shared ledger: a submission still receiving after this long is one whose hub died.
pub const STALE_SUBMISSION: Duration = Duration::from_secs(3600);

pub struct Sweeper {
    store: SweepStore,
    search: Arc<SearchHub>,
    cases: Arc<CaseBook>,
    audit: CallAudit,
    clock: Arc<Clock>,
    settings: SweepsConfig,
    wake: Notify,
    running: Mutex<HashSet<String>>,
    /// On a shared ledger, who works on which sweep.
    leases: Option<Arc<Leases>>,
}

impl Sweeper {
    pub fn new(
        store: SweepStore,
        search: Arc<SearchHub>,
        cases: Arc<CaseBook>,
        audit: CallAudit,
        clock: Arc<Clock>,
        settings: SweepsConfig,
    ) -> Self {
        Self {
            store,
            search,
            cases,
            audit,
            clock,
            settings,
            wake: Notify::new(),
            running: Mutex::new(HashSet::new()),
            leases: None,
        }
    }

    /// Works on each sweep under a lease shared with the other hubs of the ledger.
    pub fn with_leases(mut self, leases: Option<Arc<Leases>>) -> Self {
        self.leases = leases;
        self
    }

    pub fn store(&self) -> &SweepStore {
        &self.store
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn settings(&self) -> &SweepsConfig {
        &self.settings
    }

    /// A sweep was submitted: look now rather than at the next idle look.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Works on sweeps for ever: discards submissions a crash interrupted, then runs every
    /// active sweep on a task of its own. Dropping (aborting) it stops them all.
    pub async fn run_forever(self: Arc<Self>) {
        // Alone on the ledger, any submission still receiving was this hub's before it stopped;
        // shared, only a stale one is surely nobody's.
        let stale_before = match self.leases {
            None => i64::MAX,
            Some(_) => self.clock.now_ms() - STALE_SUBMISSION.as_millis() as i64,
        };
        match self.store.unsealed(stale_before).await {
            Ok(ids) => {
                for id in ids {
                    tracing::warn!(sweep = %id, "discarding a sweep whose submission did not complete");
                    if let Err(e) = self.store.discard(&id).await {
                        tracing::error!(sweep = %id, error = %e, "cannot discard an incomplete sweep");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read incomplete sweeps"),
        }
        let mut tasks = JoinSet::new();
        loop {
            match self.store.active().await {
                Ok(ids) => {
                    for id in ids {
                        let new = self.lock_running().insert(id.clone());
                        if new {
                            tasks.spawn(self.clone().run_sweep(id));
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read the active sweeps"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_LOOK) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run_sweep(self: Arc<Self>, id: String) {
        let lease = format!("sweep:{id}");
        if self.leased(&lease).await {
            let worked = tokio::select! {
                worked = self.clone().work(&id) => worked,
                () = self.keep(&lease) => {
                    tracing::warn!(sweep = %id, "lost the sweep's lease; another hub works on it");
                    Ok(())
                }
            };
            if let Err(e) = worked {
                tracing::error!(sweep = %id, error = %e, "sweep stopped on a ledger error; resumed at the next look");
                tokio::time::sleep(IDLE_LOOK).await;
            }
            if let Some(leases) = &self.leases {
                let _ = leases.release(&lease).await;
            }
        }
        self.lock_running().remove(&id);
    }

    /// Takes or renews `lease` (always held alone on the ledger); `false` when another hub
    /// holds it or the ledger cannot say.
    async fn leased(&self, lease: &str) -> bool {
        Leases::may_work(self.leases.as_deref(), lease, SWEEP_LEASE).await
    }

    /// Renews `lease` every third of its length; returns once it could not (never alone).
    async fn keep(&self, lease: &str) {
        if self.leases.is_none() {
            return std::future::pending().await;
        }
        loop {
            tokio::time::sleep(SWEEP_LEASE / 3).await;
            if !self.leased(lease).await {
                return;
            }
        }
    }

    /// One sweep from where it stands to its end (or its cancellation).
    async fn work(self: Arc<Self>, id: &str) -> Result<(), SweepStoreError> {
        let Some(sweep) = self.store.get(id).await? else {
            return Ok(());
        };
        let sweep = Arc::new(sweep);
        let window = self.settings.window;
        tracing::info!(sweep = %id, total = sweep.total, "sweep working");
        loop {
            // Items an earlier run may have asked: again, under the same request ids.
            let mut phase = Phase::new(&self, &sweep);
            let mut after = -1i64;
            loop {
                let items = self.store.left_asking(id, after, window).await?;
                let Some(last) = items.last() else { break };
                after = i64::try_from(last.index).unwrap_or(i64::MAX);
                phase.dispatch(items, false).await;
            }
            // Then every waiting item, a window at a time.
            loop {
                if !self.active(id).await? {
                    return phase.finish().await;
                }
                let items = self.store.claim(id, window).await?;
                if items.is_empty() {
                    break;
                }
                phase.dispatch(items, false).await;
            }
            phase.finish().await?;
            // Then the items that wait for an agency, or whose agency failed, when they are due.
            loop {
                if !self.active(id).await? {
                    return Ok(());
                }
                let due = self.store.due(id, self.clock.now_ms(), window).await?;
                if !due.is_empty() {
                    let mut phase = Phase::new(&self, &sweep);
                    phase.dispatch(due, true).await;
                    phase.finish().await?;
                    continue;
                }
                if self.store.counts(id).await?.waiting > 0 {
                    // Results a ledger error kept from being written: asked again.
                    break;
                }
                if self.store.pending_later(id).await? == 0 {
                    self.store
                        .set_state(id, SweepState::Finished, self.clock.now_ms())
                        .await?;
                    tracing::info!(sweep = %id, "sweep finished");
                    return Ok(());
                }
                self.store.set_state(id, SweepState::Awaiting, 0).await?;
                tokio::time::sleep(IDLE_LOOK).await;
            }
        }
    }

    /// Whether the sweep is still to be worked on (not cancelled or gone).
    async fn active(&self, id: &str) -> Result<bool, SweepStoreError> {
        Ok(self
            .store
            .get(id)
            .await?
            .is_some_and(|s| matches!(s.state, SweepState::Running | SweepState::Awaiting)))
    }

    /// One item: admitted and audited on behalf of the submitter, then searched (every selected
    /// source, or on a `recheck` only those that have not answered).
    async fn ask(&self, sweep: &SweepRow, item: ItemRow, recheck: bool) -> ItemRow {
        let mut row = item.clone();
        row.attempts = row.attempts.saturating_add(1);
        let debtor = pb::Debtor {
            id_number: item.debtor_id.clone(),
            name: item.debtor_name.clone(),
        };
        let valid = validate::query(
            &item.case_number,
            Some(&debtor),
            &[],
            &sweep.kinds,
            self.clock.today(),
        );
        let valid = match valid {
            Ok(valid) => valid,
            Err(violations) => {
                let status = Status::invalid_argument(crate::grpc::summarise(&violations).1);
                return self.refused(sweep, row, status).await;
            }
        };
        let admitted = self
            .cases
            .admit(
                &sweep.caller,
                &valid.case,
                Some((&valid.debtor.id, &valid.debtor.name)),
                Purpose::Search,
            )
            .await;
        if let Err(status) = admitted {
            return self.refused(sweep, row, status).await;
        }
        self.audit
            .sweep_item(
                &sweep.caller,
                &which(sweep, &row),
                &item.case_number,
                &item.debtor_id,
                &Ok(()),
            )
            .await;
        let search = |fresh: bool| {
            Arc::new(Search {
                case: valid.case.clone(),
                debtor: valid.debtor.clone(),
                kinds: valid.kinds.clone(),
                fresh,
                deadline: Instant::now()
                    + Duration::from_millis(u64::try_from(sweep.item_deadline_ms).unwrap_or(0)),
                request_id: sweep.request_id(item.index),
            })
        };
        let summaries = if recheck {
            let mut sources = parse_summary(&item.summary);
            for summary in sources.iter_mut().filter(|s| !answered(&s.status)) {
                let source = self
                    .search
                    .registry()
                    .all()
                    .iter()
                    .find(|s| s.id() == summary.source)
                    .cloned();
                let Some(source) = source else {
                    summary.status = "error".into();
                    summary.reason = "the source is no longer configured".into();
                    continue;
                };
                // A pending inquiry is looked up, never asked afresh; a failed one is asked
                // again as the sweep asks (same request id).
                let fresh = failed(&summary.status) && sweep.fresh;
                let report = self.search.ask_source(source, search(fresh)).await;
                *summary = summarize(&report);
            }
            sources
        } else {
            let reports = self.search.collect(search(sweep.fresh)).await;
            reports.iter().map(summarize).collect()
        };
        row.state = item_state(&summaries);
        row.summary = summary_text(&summaries);
        row.error_code.clear();
        row.error_message.clear();
        row.next_at_ms = self.next_look(row.state, row.attempts);
        row
    }

    /// When an item in `state` after `attempts` rounds is looked at again (0: never).
    fn next_look(&self, state: ItemState, attempts: u32) -> i64 {
        let after = |secs: u64| self.clock.now_ms() + (secs.saturating_mul(1000)) as i64;
        match state {
            ItemState::Awaiting => after(self.settings.recheck_secs),
            ItemState::Failed if attempts < self.settings.max_attempts => {
                after(self.settings.retry_secs)
            }
            _ => 0,
        }
    }

    async fn refused(&self, sweep: &SweepRow, mut row: ItemRow, status: Status) -> ItemRow {
        self.audit
            .sweep_item(
                &sweep.caller,
                &which(sweep, &row),
                &row.case_number,
                &row.debtor_id,
                &Err(status.clone()),
            )
            .await;
        row.state = ItemState::Refused;
        row.error_code = code_name(status.code()).to_string();
        row.error_message = bounds::cut(status.message(), bounds::MAX_ERROR_MESSAGE_BYTES);
        row.next_at_ms = 0;
        row
    }
}

/// What an item's audit entry says it was: its sweep, index and round.
fn which(sweep: &SweepRow, row: &ItemRow) -> String {
    format!(
        "sweep {} item {} round {}",
        sweep.id, row.index, row.attempts
    )
}

/// One source's report, compactly.
pub fn summarize(report: &SourceReport) -> SourceSummary {
    let mut summary = SourceSummary {
        source: report.source.id().to_string(),
        kind: report.source.kind().to_string(),
        status: String::new(),
        assets: 0,
        total_fen: 0,
        ticket: String::new(),
        reason: String::new(),
    };
    summary.status = match &report.outcome {
        Outcome::Answer(cached) => match &cached.answer {
            QueryAnswer::Found(assets) => {
                summary.assets = u32::try_from(assets.len()).unwrap_or(u32::MAX);
                summary.total_fen = assets
                    .iter()
                    .filter(|a| in_yuan(a))
                    .filter_map(|a| a.generic().value.map(|v| v.0))
                    .fold(0i64, i64::saturating_add);
                "ok"
            }
            QueryAnswer::NotFound => "not_found",
            QueryAnswer::NameMismatch => "name_mismatch",
            QueryAnswer::Pending { ticket, .. } => {
                summary.ticket = bounds::cut(ticket, MAX_REASON_BYTES);
                "pending"
            }
        },
        Outcome::Failed(error) => {
            summary.reason = bounds::cut(&error.to_string(), MAX_REASON_BYTES);
            "error"
        }
        Outcome::TimedOut => "timed_out",
    }
    .into();
    summary
}

/// Whether an asset's stated value is in yuan: a deposit in another currency is not added to
/// a total in fen of yuan (money is never summed across currencies).
fn in_yuan(asset: &assethub_connectors::domain::Asset) -> bool {
    match &asset.detail {
        assethub_connectors::domain::AssetDetail::Deposit(d) => d.currency == "CNY",
        _ => true,
    }
}

/// Items of one sweep in flight, `concurrency` at a time, and the task writing their results.
struct Phase {
    sweeper: Arc<Sweeper>,
    sweep: Arc<SweepRow>,
    permits: Arc<Semaphore>,
    tasks: JoinSet<()>,
    results: Option<mpsc::Sender<ItemRow>>,
    writer: tokio::task::JoinHandle<Result<(), SweepStoreError>>,
}

impl Phase {
    fn new(sweeper: &Arc<Sweeper>, sweep: &Arc<SweepRow>) -> Self {
        let concurrency = sweeper.settings.concurrency;
        let (tx, rx) = mpsc::channel(concurrency.max(WRITE_CHUNK));
        let writer = tokio::spawn(write(sweeper.store.clone(), sweep.id.clone(), rx));
        Self {
            sweeper: sweeper.clone(),
            sweep: sweep.clone(),
            permits: Arc::new(Semaphore::new(concurrency)),
            tasks: JoinSet::new(),
            results: Some(tx),
            writer,
        }
    }

    /// Starts every item, each as soon as one of the `concurrency` slots is free.
    async fn dispatch(&mut self, items: Vec<ItemRow>, recheck: bool) {
        for item in items {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                return;
            };
            while self.tasks.try_join_next().is_some() {}
            let (sweeper, sweep) = (self.sweeper.clone(), self.sweep.clone());
            let Some(results) = self.results.clone() else {
                return;
            };
            self.tasks.spawn(async move {
                let row = sweeper.ask(&sweep, item, recheck).await;
                let _ = results.send(row).await;
                drop(permit);
            });
        }
    }

    /// Waits for every item started and for their results to be written.
    async fn finish(mut self) -> Result<(), SweepStoreError> {
        while self.tasks.join_next().await.is_some() {}
        self.results.take();
        match (&mut self.writer).await {
            Ok(written) => written,
            Err(join) => Err(SweepStoreError::Corrupt(format!("result writer: {join}"))),
        }
    }
}

/// Writes results as they come, up to [`WRITE_CHUNK`] per transaction.
async fn write(
    store: SweepStore,
    sweep: String,
    mut results: mpsc::Receiver<ItemRow>,
) -> Result<(), SweepStoreError> {
    let mut chunk = Vec::with_capacity(WRITE_CHUNK);
    let mut outcome = Ok(());
    while results.recv_many(&mut chunk, WRITE_CHUNK).await > 0 {
        if let Err(e) = store.record(&sweep, &chunk).await {
            // The items stay `asking` and are asked again (same request ids).
            tracing::error!(sweep = %sweep, error = %e, items = chunk.len(), "cannot record sweep results");
            outcome = Err(e);
        }
        chunk.clear();
    }
    outcome
}
