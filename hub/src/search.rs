//! Fan-out search: asks every selected source at once for one debtor, through the cache and
//! the retry policy, and yields each source's report the moment it is ready. Each source is
//! bounded by the caller's deadline on its own, so a slow agency never delays the others and
//! is reported as timed out when the deadline passes.
//!
//! Agencies that answer later (a ticket now, the answer in minutes): a source with an open
//! inquiry for the debtor is reported pending with that inquiry, without asking the agency
//! again (fresh or not); an inquiry to an asynchronous source is recorded before it is sent,
//! under the key the agency receives. The recording and following is the [`InquiryBook`]'s,
//! implemented above this module (`crate::inquiries`) and plugged in with
//! [`SearchHub::with_inquiries`].

use crate::cache::{AnswerCache, CacheKey, CachedAnswer};
use crate::known_assets::KnownAssets;
use crate::metrics::{CallOutcome, Metrics, SourceCall};
use crate::registry::{Registry, Source};
use crate::retry::{with_retries, RetryPolicy};
use crate::tallies::{Answered, SourceAnswer, Tallies};
use assethub_connectors::domain::{AssetKind, CaseNumber, Debtor};
use assethub_connectors::{CallContext, ConnectorError, QueryAnswer};
use async_trait::async_trait;
use futures::stream::{FuturesUnordered, Stream, StreamExt};
use futures::FutureExt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

/// One validated search.
#[derive(Debug, Clone)]
pub struct Search {
    pub case: CaseNumber,
    pub debtor: Debtor,
    /// Kinds to ask; empty means all.
    pub kinds: Vec<AssetKind>,
    pub fresh: bool,
    pub deadline: Instant,
    pub request_id: String,
}

/// How one source answered.
#[derive(Debug, Clone)]
pub enum Outcome {
    Answer(Arc<CachedAnswer>),
    Failed(Arc<ConnectorError>),
    TimedOut,
}

/// An inquiry the agency answers later, as a search reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInquiry {
    pub inquiry_id: String,
    pub ticket: String,
    /// When the agency expects to answer (Unix ms by the hub's clock; 0 when unknown).
    pub expected_at_ms: i64,
}

/// The durable record of inquiries agencies answer later, as the search uses it.
#[async_trait]
pub trait InquiryBook: Send + Sync + 'static {
    /// The open inquiry (sending or pending) to `source` about `debtor`, if any.
    fn open(&self, source: &str, debtor: &Debtor) -> Option<OpenInquiry>;
    /// Records an inquiry about to be sent to the asynchronous `source`; the key to send it
    /// under (the agency answers a repeated key with the same ticket). An error means it
    /// could not be recorded, and so must not be sent.
    async fn before_send(
        &self,
        source: &Source,
        case: &CaseNumber,
        debtor: &Debtor,
    ) -> Result<String, ConnectorError>;
    /// What the agency answered an inquiry sent under `key` (`None`: a source not configured
    /// asynchronous, which recorded nothing before sending). A `Pending` answer is recorded
    /// and followed; the open inquiry it became is returned.
    async fn after_send(
        &self,
        source: &Source,
        case: &CaseNumber,
        debtor: &Debtor,
        key: Option<&str>,
        result: &Result<QueryAnswer, ConnectorError>,
        attempts: u32,
    ) -> Option<OpenInquiry>;
}

/// One source's report for one search.
#[derive(Clone)]
pub struct SourceReport {
    pub source: Arc<Source>,
    /// Position of the source in the configuration (reports are sorted by it).
    pub position: usize,
    pub outcome: Outcome,
    pub cached: bool,
    pub age: Duration,
    pub latency: Duration,
    pub attempts: u32,
    /// The inquiry a pending answer belongs to (or the one an answer settled).
    pub inquiry: Option<OpenInquiry>,
}

pub struct SearchHub {
    registry: Arc<Registry>,
    cache: AnswerCache,
    retry: RetryPolicy,
    metrics: Option<Arc<Metrics>>,
    known: KnownAssets,
    inquiries: Option<Arc<dyn InquiryBook>>,
    tallies: Option<Arc<Tallies>>,
}

impl SearchHub {
    pub fn new(registry: Arc<Registry>, cache: AnswerCache, retry: RetryPolicy) -> Self {
        Self {
            registry,
            cache,
            retry,
            metrics: None,
            known: KnownAssets::default(),
            inquiries: None,
            tallies: None,
        }
    }

    /// Counts every search and each source's answer to it for the case's court.
    pub fn with_tallies(mut self, tallies: Arc<Tallies>) -> Self {
        self.tallies = Some(tallies);
        self
    }

    /// Records and follows inquiries agencies answer later in `book`.
    pub fn with_inquiries(mut self, book: Arc<dyn InquiryBook>) -> Self {
        self.inquiries = Some(book);
        self
    }

    /// The answer cache (inquiries answered later are put in it).
    pub fn cache(&self) -> &AnswerCache {
        &self.cache
    }

    /// What searches reported of each asset (whose it is, its currency).
    pub fn known_assets(&self) -> &KnownAssets {
        &self.known
    }

    /// Records every source report in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every selected source's report, in completion order.
    pub fn stream(
        self: &Arc<Self>,
        search: Arc<Search>,
    ) -> impl Stream<Item = SourceReport> + Send + 'static {
        let debtor = DebtorKey::of(&search);
        let kinds = search.kinds.clone();
        if let Some(tallies) = &self.tallies {
            tallies.search(search.case.court());
        }
        self.registry
            .all()
            .iter()
            .enumerate()
            .filter(|(_, s)| kinds.is_empty() || kinds.contains(&s.kind()))
            .map(|(position, source)| {
                let (tallies, of) = (self.tallies.clone(), search.clone());
                self.clone()
                    .ask(source.clone(), position, search.clone(), debtor.clone())
                    .inspect(move |report| {
                        if let Some(tallies) = tallies {
                            tallies.answer(of.case.court(), &tally_of(report));
                        }
                    })
            })
            .collect::<FuturesUnordered<_>>()
    }

    /// Every selected source's report, in configuration order, once all are in (or timed out).
    pub async fn collect(self: &Arc<Self>, search: Arc<Search>) -> Vec<SourceReport> {
        let mut reports: Vec<SourceReport> = self.stream(search).collect().await;
        reports.sort_by_key(|r| r.position);
        reports
    }

    /// One source's report for `search` (the desk's look at one asset before acting on it).
    pub async fn ask_source(
        self: &Arc<Self>,
        source: Arc<Source>,
        search: Arc<Search>,
    ) -> SourceReport {
        let debtor = DebtorKey::of(&search);
        self.clone().ask(source, 0, search, debtor).await
    }

    async fn ask(
        self: Arc<Self>,
        source: Arc<Source>,
        position: usize,
        search: Arc<Search>,
        debtor: DebtorKey,
    ) -> SourceReport {
        // Per-source detail is debug: at info a call logs one line, its summary.
        let span = tracing::debug_span!(
            "source",
            source = source.id(),
            kind = source.kind().as_str(),
            request_id = %search.request_id,
        );
        async move {
            let started = Instant::now();
            let attempts = Arc::new(AtomicU32::new(0));
            let key = CacheKey {
                source: source.shared_id().clone(),
                debtor_id: debtor.id,
                name: debtor.name,
            };
            if let Some(open) = self
                .inquiries
                .as_ref()
                .and_then(|book| book.open(source.id(), &search.debtor))
            {
                let report = pending_report(source.clone(), position, open, started);
                log_report(&report);
                return report;
            }
            // Owns what it uses: the cache runs it on a task of its own.
            let fetch = {
                let (hub, source, search) = (self.clone(), source.clone(), search.clone());
                let attempts = attempts.clone();
                move || async move { hub.fetch(&source, &search, &attempts).await }
            };
            let lookup = self
                .cache
                .get_or_fetch(key, source.cache_ttl, search.fresh, fetch);
            let (outcome, cached, age) =
                match tokio::time::timeout_at(search.deadline, lookup).await {
                    Ok(Ok(found)) => {
                        let age = if found.from_cache {
                            found.answer.age()
                        } else {
                            Duration::ZERO
                        };
                        (Outcome::Answer(found.answer), found.from_cache, age)
                    }
                    Ok(Err(error)) => (Outcome::Failed(error), false, Duration::ZERO),
                    Err(_) => (Outcome::TimedOut, false, Duration::ZERO),
                };
            let inquiry = match &outcome {
                Outcome::Answer(a) if matches!(a.answer, QueryAnswer::Pending { .. }) => self
                    .inquiries
                    .as_ref()
                    .and_then(|book| book.open(source.id(), &search.debtor)),
                _ => None,
            };
            let report = SourceReport {
                source: source.clone(),
                position,
                outcome,
                cached,
                age,
                latency: started.elapsed(),
                attempts: if cached {
                    0
                } else {
                    attempts.load(Ordering::Relaxed)
                },
                inquiry,
            };
            log_report(&report);
            if let Some(metrics) = &self.metrics {
                metrics.source_call(&metrics_call(&report, search.fresh));
            }
            report
        }
        .instrument(span)
        .await
    }
}

impl SearchHub {
    /// Asks the agency (through the source's layers and the retry policy), recording the
    /// inquiry before it is sent to an asynchronous source and what came of it after.
    async fn fetch(
        &self,
        source: &Arc<Source>,
        search: &Search,
        attempts: &AtomicU32,
    ) -> Result<(QueryAnswer, u32), ConnectorError> {
        let book = self.inquiries.as_ref();
        let key = match book.filter(|_| source.asynchronous) {
            Some(book) => Some(
                book.before_send(source, &search.case, &search.debtor)
                    .await?,
            ),
            None => None,
        };
        let ctx = CallContext {
            case: search.case.clone(),
            request_id: key.clone().unwrap_or_else(|| search.request_id.clone()),
        };
        let result = with_retries(&self.retry, &source.budget, search.deadline, || {
            crate::registry::call(source, search.deadline, || {
                // Counted only when made: a breaker or a quota may refuse first.
                attempts.fetch_add(1, Ordering::Relaxed);
                source.connector.query(&ctx, &search.debtor)
            })
        })
        .await;
        let made = attempts.load(Ordering::Relaxed);
        if let Some(book) = book {
            let pending = matches!(result, Ok(QueryAnswer::Pending { .. }));
            if key.is_some() || pending {
                book.after_send(
                    source,
                    &search.case,
                    &search.debtor,
                    key.as_deref(),
                    &result,
                    made,
                )
                .await;
            }
        }
        let answer = result?;
        if let QueryAnswer::Found(assets) = &answer {
            self.known
                .record(search.debtor.id.as_str(), assets, source.spec());
        }
        Ok((answer, made))
    }
}

/// The debtor's half of every cache key of one search, made once per search.
#[derive(Clone)]
struct DebtorKey {
    id: Arc<str>,
    name: Arc<str>,
}

impl DebtorKey {
    fn of(search: &Search) -> Self {
        Self {
            id: search.debtor.id.as_str().into(),
            name: search.debtor.name.as_str().into(),
        }
    }
}

/// The report of a source with an inquiry still open: pending, nothing asked.
fn pending_report(
    source: Arc<Source>,
    position: usize,
    open: OpenInquiry,
    started: Instant,
) -> SourceReport {
    let pending = QueryAnswer::Pending {
        ticket: open.ticket.clone(),
        expected_in: None,
    };
    let answer = Arc::new(CachedAnswer::new(
        pending,
        Instant::now(),
        Duration::ZERO,
        0,
    ));
    SourceReport {
        source,
        position,
        outcome: Outcome::Answer(answer),
        cached: false,
        age: Duration::ZERO,
        latency: started.elapsed(),
        attempts: 0,
        inquiry: Some(open),
    }
}

fn log_report(report: &SourceReport) {
    let latency_ms = report.latency.as_millis() as u64;
    match &report.outcome {
        Outcome::Answer(a) => tracing::debug!(
            outcome = answer_label(&a.answer),
            cached = report.cached,
            latency_ms,
            attempts = report.attempts,
            "source answered"
        ),
        Outcome::Failed(e) => tracing::warn!(
            outcome = "error",
            class = e.class.as_str(),
            error = %e,
            latency_ms,
            attempts = report.attempts,
            "source failed"
        ),
        Outcome::TimedOut => tracing::warn!(
            outcome = "timed_out",
            latency_ms,
            attempts = report.attempts,
            "source timed out"
        ),
    }
}

fn answer_label(answer: &assethub_connectors::QueryAnswer) -> &'static str {
    match answer {
        assethub_connectors::QueryAnswer::Found(_) => "ok",
        assethub_connectors::QueryAnswer::NotFound => "not_found",
        assethub_connectors::QueryAnswer::NameMismatch => "name_mismatch",
        assethub_connectors::QueryAnswer::Pending { .. } => "pending",
    }
}

/// What the command centre counts of one source's report.
fn tally_of(report: &SourceReport) -> SourceAnswer<'_> {
    SourceAnswer {
        source: report.source.id(),
        kind: report.source.kind().as_str(),
        answered: match &report.outcome {
            Outcome::Answer(a) if matches!(&a.answer, QueryAnswer::Found(found) if !found.is_empty()) => {
                Answered::Found
            }
            Outcome::Answer(_) => Answered::Empty,
            Outcome::Failed(_) => Answered::Failed,
            Outcome::TimedOut => Answered::TimedOut,
        },
        cached: report.cached,
        latency: report.latency,
    }
}

/// What the metrics record of one source's report (plain values; the metrics know no search).
fn metrics_call(report: &SourceReport, fresh: bool) -> SourceCall<'_> {
    SourceCall {
        source: report.source.id(),
        kind: report.source.kind().as_str(),
        outcome: match &report.outcome {
            Outcome::Answer(a) => CallOutcome::Answer(&a.answer),
            Outcome::Failed(e) => CallOutcome::Failed(e),
            Outcome::TimedOut => CallOutcome::TimedOut,
        },
        cached: report.cached,
        fresh,
        latency: report.latency,
        attempts: report.attempts,
    }
}

/// The answer cache's size, read at each scrape (the cache itself sits below the metrics).
impl crate::metrics::ScrapeSource for AnswerCache {
    fn refresh<'a>(
        &'a self,
        metrics: &'a crate::metrics::Metrics,
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            let (entries, bytes) = self.size().await;
            metrics.cache_size(entries, bytes);
        })
    }
}
