//! The tonic service for `assethub.v1.AssetHub`: validates requests at the edge, admits the
//! case and debtor (registered, open, of the caller's court, a party: [`crate::cases`]) before
//! any agency is asked, runs searches through the fan-out, and maps results onto the wire. A
//! batch admits and audits each item on its own (查询留痕: one audit entry per debtor). Per-source
//! failures travel inside the results; only a bad request (or an overloaded hub) fails the call
//! itself. Authentication, the role check and the call's audit entry are the gate's.

use crate::audit::{CallAudit, CallNote};
use crate::auth::{self, Caller, Method};
use crate::bounds;
use crate::cases::{CaseBook, Purpose};
use crate::clock::Clock;
use crate::convert;
use crate::grpc::summarise;
pub use crate::grpc::{grpc_timeout, invalid_argument, GrpcTimeout};
use crate::inquiries::{Inquiries, InquiryFilter};
use crate::search::{Outcome, Search, SearchHub, SourceReport};
use crate::validate::{self, DeadlinePolicy, ValidQuery, Violation};
use assethub_connectors::domain::mask_name;
use assethub_proto::served::v1 as served;
use assethub_proto::v1 as pb;
use futures::StreamExt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tonic_types::StatusExt;
use tracing::Instrument;

mod answers_later;
mod stubs;

type ResultStream<T> = Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Limits the service applies to requests.
#[derive(Debug, Clone, Copy)]
pub struct ServiceLimits {
    pub deadlines: DeadlinePolicy,
    pub batch_concurrency: usize,
    pub max_batch_items: usize,
}

pub struct HubService {
    search: Arc<SearchHub>,
    limits: ServiceLimits,
    audit: CallAudit,
    cases: Arc<CaseBook>,
    clock: Arc<Clock>,
    inquiries: Option<Arc<Inquiries>>,
}

impl HubService {
    /// The service; `clock` dates requests (case-number years and birth dates are judged on
    /// today in Beijing by it).
    pub fn new(
        search: Arc<SearchHub>,
        limits: ServiceLimits,
        audit: CallAudit,
        cases: Arc<CaseBook>,
        clock: Arc<Clock>,
    ) -> Self {
        Self {
            search,
            limits,
            audit,
            cases,
            clock,
            inquiries: None,
        }
    }

    /// Lists inquiries from `inquiries`, and keeps a StreamQuery with pending sources open
    /// for their answers.
    pub fn with_inquiries(mut self, inquiries: Arc<Inquiries>) -> Self {
        self.inquiries = Some(inquiries);
        self
    }

    /// Notes the query's case and debtor for the audit, validates it and admits its case.
    async fn admitted<T>(
        &self,
        request: &Request<T>,
        body: &pb::QueryRequest,
        method: Method,
    ) -> Result<Arc<Search>, Status> {
        let caller = auth::authorize(request, method)?;
        let note = CallNote::of(request);
        note.case(&body.case_number);
        if let Some(debtor) = &body.debtor {
            note.debtor(&debtor.id_number);
        }
        let search = self.prepare(request, body)?;
        self.cases
            .admit(
                &caller,
                &search.case,
                Some((&search.debtor.id, &search.debtor.name)),
                Purpose::Search,
            )
            .await?;
        Ok(search)
    }

    /// Validates a query request and turns it into a search with an absolute deadline.
    fn prepare<T>(
        &self,
        request: &Request<T>,
        body: &pb::QueryRequest,
    ) -> Result<Arc<Search>, Status> {
        let valid = validate::query(
            &body.case_number,
            body.debtor.as_ref(),
            &body.kinds,
            &body.kind_names,
            self.clock.today(),
        );
        let timeout = validate::deadline(
            grpc_timeout(request),
            body.deadline_ms,
            "deadline_ms",
            self.limits.deadlines,
        );
        match (valid, timeout) {
            (Ok(valid), Ok(timeout)) => Ok(Arc::new(search_for(
                valid,
                body.fresh,
                Instant::now() + timeout,
                request_id(request),
            ))),
            (valid, timeout) => {
                let mut violations = valid.err().unwrap_or_default();
                violations.extend(timeout.err());
                Err(invalid_argument(&violations))
            }
        }
    }
}

fn search_for(valid: ValidQuery, fresh: bool, deadline: Instant, request_id: String) -> Search {
    Search {
        case: valid.case,
        debtor: valid.debtor,
        kinds: valid.kinds,
        fresh,
        deadline,
        request_id,
    }
}

fn call_span(method: &'static str, search: &Search) -> tracing::Span {
    tracing::info_span!(
        "call",
        method,
        request_id = %search.request_id,
        case = %search.case,
        debtor = %search.debtor.id,
        name = %mask_name(&search.debtor.name),
    )
}

/// The one line a search logs at info: how its sources fared (each source's own line is
/// debug, or warn when it failed or timed out).
fn log_summary(reports: &[SourceReport], started: Instant) {
    let (mut cached, mut failed, mut timed_out) = (0usize, 0usize, 0usize);
    for report in reports {
        match report.outcome {
            Outcome::Answer(_) if report.cached => cached += 1,
            Outcome::Answer(_) => {}
            Outcome::Failed(_) => failed += 1,
            Outcome::TimedOut => timed_out += 1,
        }
    }
    tracing::info!(
        sources = reports.len(),
        cached,
        failed,
        timed_out,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "query done"
    );
}

fn query_response(
    search: &Search,
    reports: &[SourceReport],
    started: Instant,
) -> served::QueryResponse {
    served::QueryResponse {
        case_number: search.case.to_string(),
        sources: reports.iter().map(convert::source_result).collect(),
        elapsed_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
    }
}

impl HubService {
    async fn query_impl(
        &self,
        request: Request<pb::QueryRequest>,
    ) -> Result<Response<served::QueryResponse>, Status> {
        let search = self
            .admitted(&request, request.get_ref(), Method::Query)
            .await?;
        let span = call_span("Query", &search);
        async {
            let started = Instant::now();
            let reports = self.search.collect(search.clone()).await;
            log_summary(&reports, started);
            Ok(Response::new(query_response(&search, &reports, started)))
        }
        .instrument(span)
        .await
    }

    async fn stream_query_impl(
        &self,
        request: Request<pb::QueryRequest>,
    ) -> Result<Response<ResultStream<served::SourceResult>>, Status> {
        let search = self
            .admitted(&request, request.get_ref(), Method::StreamQuery)
            .await?;
        let span = call_span("StreamQuery", &search);
        let (tx, rx) = mpsc::channel(16);
        let deadline = search.deadline;
        let reports = self.search.stream(search);
        let inquiries = self.inquiries.clone();
        tokio::spawn(
            async move {
                let mut reports = std::pin::pin!(reports);
                let mut pending = Vec::new();
                while let Some(report) = reports.next().await {
                    if let Some(open) = &report.inquiry {
                        pending.push((report.clone(), open.inquiry_id.clone()));
                    }
                    if tx.send(Ok(convert::source_result(&report))).await.is_err() {
                        tracing::info!("client went away; remaining sources cancelled");
                        return;
                    }
                }
                if let Some(inquiries) = inquiries.filter(|_| !pending.is_empty()) {
                    answers_later::answers(&inquiries, pending, deadline, &tx).await;
                }
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn batch_query_impl(
        &self,
        request: Request<pb::BatchQueryRequest>,
    ) -> Result<Response<ResultStream<served::BatchItemResult>>, Status> {
        let caller = auth::authorize(&request, Method::BatchQuery)?;
        let note = CallNote::of(&request);
        let overall = grpc_timeout(&request).map(|t| Instant::now() + t);
        let batch_id = request_id(&request);
        let body = request.into_inner();
        note.detail(format!("{} items", body.items.len()));
        let item_timeout = validate::deadline(
            None,
            body.item_deadline_ms,
            "item_deadline_ms",
            self.limits.deadlines,
        )
        .map_err(|v| invalid_argument(&[v]))?;
        if body.items.is_empty() || body.items.len() > self.limits.max_batch_items {
            return Err(invalid_argument(&[Violation {
                field: "items".into(),
                description: format!("must hold 1 to {} items", self.limits.max_batch_items),
            }]));
        }
        // The kinds every item shares: refused once for the batch, not once per item.
        let mut violations = Vec::new();
        validate::asset_kinds(&body.kinds, &body.kind_names, &mut violations);
        if !violations.is_empty() {
            return Err(invalid_argument(&violations));
        }
        let (tx, rx) = mpsc::channel(64);
        let batch = Arc::new(Batch {
            hub: self.search.clone(),
            cases: self.cases.clone(),
            audit: self.audit.clone(),
            clock: self.clock.clone(),
            caller,
            kinds: body.kinds,
            kind_names: body.kind_names,
            fresh: body.fresh,
            item_timeout,
            overall,
            batch_id: batch_id.clone(),
        });
        let concurrency = self.limits.batch_concurrency;
        let span = tracing::info_span!("call", method = "BatchQuery", request_id = %batch_id, items = body.items.len());
        tokio::spawn(
            async move {
                let started = Instant::now();
                let mut results = futures::stream::iter(body.items.into_iter().enumerate())
                    .map(|(index, item)| batch.clone().item(index as u32, item))
                    .buffer_unordered(concurrency);
                let mut done = 0usize;
                while let Some(result) = results.next().await {
                    if tx.send(Ok(result)).await.is_err() {
                        tracing::info!(done, "client went away; batch cancelled");
                        return;
                    }
                    done += 1;
                }
                tracing::info!(
                    done,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "batch done"
                );
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn list_sources_impl(
        &self,
        request: Request<pb::ListSourcesRequest>,
    ) -> Result<Response<pb::ListSourcesResponse>, Status> {
        auth::authorize(&request, Method::ListSources)?;
        let sources = self
            .search
            .registry()
            .all()
            .iter()
            .map(|s| pb::SourceInfo {
                id: s.id().to_string(),
                kind: convert::kind(s.kind()) as i32,
                kind_name: s.kind().to_string(),
                kind_info: Some(convert::kind_info(s.spec())),
                connector_type: s.connector_type.clone(),
                capabilities: s
                    .capabilities()
                    .iter()
                    .map(|c| c.as_str().to_string())
                    .collect(),
                cache_ttl_secs: s.cache_ttl.as_secs(),
                max_concurrency: s.max_concurrency,
                breaker_state: s.breaker.state().as_str().to_string(),
                in_flight: s
                    .max_concurrency
                    .saturating_sub(s.limiter.available_permits() as u32),
                rate_limit_per_sec: s.rate.per_sec(),
                rate_limit_burst: s.rate.burst(),
                retry_budget: s.budget.available(),
            })
            .collect();
        Ok(Response::new(pb::ListSourcesResponse { sources }))
    }

    async fn list_inquiries_impl(
        &self,
        request: Request<pb::ListInquiriesRequest>,
    ) -> Result<Response<pb::ListInquiriesResponse>, Status> {
        let caller = auth::authorize(&request, Method::ListInquiries)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.case(&body.case_number);
        let mut violations = Vec::new();
        let case_number = if body.case_number.is_empty() {
            None
        } else {
            validate::case_number(
                &body.case_number,
                "case_number",
                self.clock.today(),
                &mut violations,
            )
            .map(|case| auth::in_court(&caller, case.court()).map(|_| case.as_str().to_string()))
            .transpose()?
        };
        let states = validate::enum_filter(
            &body.states,
            "states",
            "unknown state",
            convert::inquiry_state_from,
            &mut violations,
        );
        if body.limit > crate::inquiries::MAX_LIST {
            violations.push(Violation::new(
                "limit",
                format!("must be at most {}", crate::inquiries::MAX_LIST),
            ));
        }
        if !violations.is_empty() {
            return Err(invalid_argument(&violations));
        }
        let Some(inquiries) = &self.inquiries else {
            return Ok(Response::new(pb::ListInquiriesResponse::default()));
        };
        let filter = InquiryFilter {
            court: Some(caller.court.clone()),
            case_number,
            states,
            limit: if body.limit == 0 { 100 } else { body.limit },
        };
        let listed = inquiries.list(&filter).await.map_err(|e| {
            tracing::error!(error = %e, "cannot list inquiries");
            Status::unavailable("the inquiry store cannot be read now")
        })?;
        Ok(Response::new(pb::ListInquiriesResponse {
            inquiries: listed.iter().map(convert::inquiry).collect(),
        }))
    }
}

/// One batch being worked through: what every item shares.
struct Batch {
    hub: Arc<SearchHub>,
    cases: Arc<CaseBook>,
    audit: CallAudit,
    clock: Arc<Clock>,
    caller: Caller,
    kinds: Vec<i32>,
    kind_names: Vec<String>,
    fresh: bool,
    item_timeout: Duration,
    overall: Option<Instant>,
    batch_id: String,
}

impl Batch {
    /// One item: validated, its case admitted, audited (searched or refused), then searched.
    async fn item(self: Arc<Self>, index: u32, item: pb::BatchItem) -> served::BatchItemResult {
        let debtor_id = item
            .debtor
            .as_ref()
            .map(|d| d.id_number.clone())
            .unwrap_or_default();
        let today = self.clock.today();
        let admitted = match validate::query(
            &item.case_number,
            item.debtor.as_ref(),
            &self.kinds,
            &self.kind_names,
            today,
        ) {
            Err(violations) => Err(ItemRefusal::Invalid(violations)),
            Ok(valid) => self
                .cases
                .admit(
                    &self.caller,
                    &valid.case,
                    Some((&valid.debtor.id, &valid.debtor.name)),
                    Purpose::Search,
                )
                .await
                .map(|_| valid)
                .map_err(ItemRefusal::Refused),
        };
        let verdict = match &admitted {
            Ok(_) => Ok(()),
            Err(ItemRefusal::Invalid(_)) => Err(Status::invalid_argument("invalid item")),
            Err(ItemRefusal::Refused(status)) => Err(status.clone()),
        };
        let audited = self
            .audit
            .search_item(
                Some(&self.caller),
                &item.case_number,
                &debtor_id,
                index,
                &verdict,
            )
            .await;
        // No entry, no search.
        let admitted = match audited {
            Ok(()) => admitted,
            Err(_) => Err(ItemRefusal::Refused(Status::unavailable(
                crate::audit::UNAUDITED,
            ))),
        };
        let outcome = match admitted {
            Err(ItemRefusal::Invalid(violations)) => {
                served::batch_item_result::Outcome::Error(item_error(&violations))
            }
            Err(ItemRefusal::Refused(status)) => {
                served::batch_item_result::Outcome::Error(refused_item(&status))
            }
            Ok(valid) => {
                let deadline = item_deadline(self.item_timeout, self.overall);
                let request_id = format!("{}-{index}", self.batch_id);
                let search = Arc::new(search_for(valid, self.fresh, deadline, request_id));
                let item_started = Instant::now();
                let reports = self.hub.collect(search.clone()).await;
                served::batch_item_result::Outcome::Response(query_response(
                    &search,
                    &reports,
                    item_started,
                ))
            }
        };
        served::BatchItemResult {
            index,
            outcome: Some(outcome),
        }
    }
}

/// An item refused after validation: its code, message and reason (ErrorInfo), if any.
fn refused_item(status: &Status) -> served::ItemError {
    served::ItemError {
        code: crate::grpc::code_name(status.code()).into(),
        message: bounds::cut(status.message(), bounds::MAX_ERROR_MESSAGE_BYTES),
        violations: vec![],
        reason: status
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_default(),
    }
}

/// Why one batch item is answered with an error instead of a search.
enum ItemRefusal {
    Invalid(Vec<Violation>),
    /// Another court's case, an unregistered or closed case, a debtor not a party.
    Refused(Status),
}

fn item_deadline(item_timeout: Duration, overall: Option<Instant>) -> Instant {
    let own = Instant::now() + item_timeout;
    overall.map_or(own, |o| o.min(own))
}

/// The caller's `x-request-id` if it is a sane token, else a new UUID.
pub(crate) fn request_id<T>(request: &Request<T>) -> String {
    request
        .metadata()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn item_error(violations: &[Violation]) -> served::ItemError {
    let (shown, summary) = summarise(violations);
    served::ItemError {
        code: crate::grpc::code_name(tonic::Code::InvalidArgument).into(),
        message: bounds::cut(
            &format!("invalid item: {summary}"),
            bounds::MAX_ERROR_MESSAGE_BYTES,
        ),
        violations: shown
            .into_iter()
            .map(|v| served::FieldViolation {
                field: v.field,
                description: v.description,
            })
            .collect(),
        reason: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_item_shows_ten_violations_in_at_most_a_kibibyte() {
        let many: Vec<Violation> = (0..100_000)
            .map(|i| Violation::new(format!("kinds[{i}]"), "x".repeat(1000)))
            .collect();
        let item = item_error(&many);
        assert_eq!(item.code, "INVALID_ARGUMENT");
        assert!(item.message.len() <= 1024);
        assert!(item.message.starts_with("invalid item: kinds[0]: "));
        assert_eq!(item.violations.len(), 10);
        let twelve: Vec<Violation> = (0..12)
            .map(|i| Violation::new(format!("f{i}"), "bad"))
            .collect();
        assert!(item_error(&twelve)
            .message
            .ends_with("f9: bad (and 2 more)"));
    }
}
