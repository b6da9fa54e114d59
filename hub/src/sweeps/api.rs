//! The tonic service for `assethub.v1.Sweeps`: takes a sweep's items as a client stream,
//! validating each at the edge (field violations name `items[<index>]`) and writing them to
//! the ledger chunk by chunk, and answers progress, results and cancellation for the caller's
//! own court. Authentication, the role check and the call's audit entry are the gate's; each
//! item's own audit entry is the worker's, when it is asked.

use super::model::{
    parse_summary, Counts, ItemRow, ItemState, NewItem, NewSweep, SweepRow, SweepState,
};
use super::store::SweepStoreError;
use super::worker::Sweeper;
use crate::audit::CallNote;
use crate::auth::{self, Method};
use crate::grpc::invalid_argument;
use crate::validate::{self, DeadlinePolicy, Violation};
use assethub_connectors::domain::{mask_id, mask_name};
use assethub_proto::v1 as pb;
use std::sync::Arc;
use std::time::Duration;
use tonic::{Request, Response, Status, Streaming};

/// Items one chunk of a submission may carry.
pub const MAX_CHUNK_ITEMS: usize = 1_000;
/// Results one page may carry, and the page when none is asked for.
pub const MAX_PAGE: u32 = 1_000;
pub const DEFAULT_PAGE: u32 = 100;
/// Longest client key and sweep id.
const MAX_KEY: usize = 64;

pub struct SweepsService {
    sweeper: Arc<Sweeper>,
    deadlines: DeadlinePolicy,
}

impl SweepsService {
    pub fn new(sweeper: Arc<Sweeper>, deadlines: DeadlinePolicy) -> Self {
        Self { sweeper, deadlines }
    }

    /// The caller's court's sweep `id`: NOT_FOUND when there is none, PERMISSION_DENIED when
    /// it is another court's (as another court's order is).
    async fn own(&self, caller: &auth::Caller, id: &str) -> Result<SweepRow, Status> {
        if !token(id) {
            return Err(invalid_argument(&[Violation::new(
                "id",
                format!("1-{MAX_KEY} of A-Z a-z 0-9 - _ . :"),
            )]));
        }
        match self.sweeper.store().get(id).await.map_err(store_status)? {
            Some(sweep) if sweep.state != SweepState::Receiving => {
                auth::in_court(caller, &sweep.court)?;
                Ok(sweep)
            }
            _ => Err(Status::not_found(format!("no sweep {id}"))),
        }
    }

    async fn view(&self, sweep: &SweepRow, created: bool) -> Result<pb::Sweep, Status> {
        let counts = self
            .sweeper
            .store()
            .counts(&sweep.id)
            .await
            .map_err(store_status)?;
        let now = self.sweeper.clock().now_ms();
        Ok(sweep_view(sweep, &counts, created, now))
    }

    async fn submit_impl(
        &self,
        request: Request<Streaming<pb::SubmitSweepChunk>>,
    ) -> Result<Response<pb::Sweep>, Status> {
        let caller = auth::authorize(&request, Method::SubmitSweep)?;
        let note = CallNote::of(&request);
        let mut chunks = request.into_inner();
        let header = match chunks.message().await?.and_then(|c| c.part) {
            Some(pb::submit_sweep_chunk::Part::Header(header)) => header,
            _ => {
                return Err(invalid_argument(&[Violation::new(
                    "header",
                    "the first chunk must be the sweep's header",
                )]))
            }
        };
        let mut violations = Vec::new();
        if !token(&header.client_key) {
            violations.push(Violation::new(
                "client_key",
                format!("1-{MAX_KEY} of A-Z a-z 0-9 - _ . :"),
            ));
        }
        let kinds = validate::asset_kinds(&header.kinds, &header.kind_names, &mut violations);
        let policy = DeadlinePolicy {
            default: Duration::from_millis(self.sweeper.settings().item_deadline_ms)
                .min(self.deadlines.max),
            ..self.deadlines
        };
        let deadline =
            validate::deadline(None, header.item_deadline_ms, "item_deadline_ms", policy)
                .map_err(|v| violations.push(v))
                .ok();
        if !violations.is_empty() {
            return Err(invalid_argument(&violations));
        }
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
        let new = NewSweep {
            id,
            court: caller.court.clone(),
            client_key: header.client_key.clone(),
            caller: caller.clone(),
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            fresh: header.fresh,
            item_deadline_ms: deadline.map_or(0, |d| d.as_millis() as i64),
            started_at_ms: self.sweeper.clock().now_ms(),
        };
        let store = self.sweeper.store();
        let (sweep, created) = store.create(&new).await.map_err(store_status)?;
        note.detail(format!("sweep {} key {}", sweep.id, sweep.client_key));
        if !created {
            // The same key again: the sweep submitted first, items sent again are not kept.
            return Ok(Response::new(self.view(&sweep, false).await?));
        }
        match self.receive(&sweep, &mut chunks).await {
            Ok(total) => {
                store.seal(&sweep.id, total).await.map_err(store_status)?;
                note.detail(format!(
                    "sweep {} key {}: {total} items",
                    sweep.id, sweep.client_key
                ));
                self.sweeper.wake();
                let sealed = store
                    .get(&sweep.id)
                    .await
                    .map_err(store_status)?
                    .ok_or_else(|| Status::internal("the sweep vanished"))?;
                Ok(Response::new(self.view(&sealed, true).await?))
            }
            Err(status) => {
                if let Err(e) = store.discard(&sweep.id).await {
                    tracing::error!(sweep = %sweep.id, error = %e, "cannot discard a refused sweep");
                }
                Err(status)
            }
        }
    }

    /// Reads, validates and writes every item chunk; the number of items.
    async fn receive(
        &self,
        sweep: &SweepRow,
        chunks: &mut Streaming<pb::SubmitSweepChunk>,
    ) -> Result<u64, Status> {
        let max_items = self.sweeper.settings().max_items;
        let today = self.sweeper.clock().today();
        let mut total = 0u64;
        while let Some(chunk) = chunks.message().await? {
            let items = match chunk.part {
                Some(pb::submit_sweep_chunk::Part::Items(items)) => items.items,
                _ => {
                    return Err(invalid_argument(&[Violation::new(
                        "header",
                        "only the first chunk is a header",
                    )]))
                }
            };
            if items.len() > MAX_CHUNK_ITEMS {
                return Err(invalid_argument(&[Violation::new(
                    "items",
                    format!(
                        "{} items in one chunk; at most {MAX_CHUNK_ITEMS}",
                        items.len()
                    ),
                )]));
            }
            if total + items.len() as u64 > max_items {
                return Err(invalid_argument(&[Violation::new(
                    "items",
                    format!("more than {max_items} items (sweeps.max_items)"),
                )]));
            }
            let mut valid = Vec::with_capacity(items.len());
            let mut violations = Vec::new();
            for (offset, item) in items.iter().enumerate() {
                let index = total + offset as u64;
                match validate::query(&item.case_number, item.debtor.as_ref(), &[], &[], today) {
                    // A sweep searches its own court's cases only: refused at once, as a batch
                    // item of another court's case is.
                    Ok(q) if q.case.court() != sweep.court => {
                        return Err(Status::permission_denied(format!(
                            "items[{index}]: case {} belongs to court {}, not the caller's {}",
                            q.case,
                            q.case.court(),
                            sweep.court
                        )));
                    }
                    Ok(q) => valid.push(NewItem {
                        case_number: q.case.as_str().to_string(),
                        debtor_id: q.debtor.id.as_str().to_string(),
                        debtor_name: q.debtor.name.clone(),
                    }),
                    Err(found) => violations.extend(found.into_iter().map(|v| {
                        Violation::new(format!("items[{index}].{}", v.field), v.description)
                    })),
                }
            }
            if !violations.is_empty() {
                return Err(invalid_argument(&violations));
            }
            self.sweeper
                .store()
                .add_items(&sweep.id, total, &valid)
                .await
                .map_err(store_status)?;
            total += valid.len() as u64;
        }
        if total == 0 {
            return Err(invalid_argument(&[Violation::new(
                "items",
                format!("must hold 1 to {max_items} items"),
            )]));
        }
        Ok(total)
    }

    async fn results_impl(
        &self,
        request: Request<pb::ListSweepResultsRequest>,
    ) -> Result<Response<pb::ListSweepResultsResponse>, Status> {
        let caller = auth::authorize(&request, Method::ListSweepResults)?;
        let body = request.into_inner();
        if body.limit > MAX_PAGE {
            return Err(invalid_argument(&[Violation::new(
                "limit",
                format!("at most {MAX_PAGE}"),
            )]));
        }
        let sweep = self.own(&caller, &body.id).await?;
        let limit = if body.limit == 0 {
            DEFAULT_PAGE
        } else {
            body.limit
        } as usize;
        let after = (!body.from_start).then_some(body.after_index);
        let mut rows = self
            .sweeper
            .store()
            .results(&sweep.id, after, limit + 1)
            .await
            .map_err(store_status)?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let results = rows.iter().map(|r| item_view(&sweep, r)).collect();
        Ok(Response::new(pb::ListSweepResultsResponse {
            results,
            more,
        }))
    }

    async fn cancel_impl(
        &self,
        request: Request<pb::CancelSweepRequest>,
    ) -> Result<Response<pb::Sweep>, Status> {
        let caller = auth::authorize(&request, Method::CancelSweep)?;
        let sweep = self.own(&caller, &request.get_ref().id).await?;
        let now = self.sweeper.clock().now_ms();
        let cancelled = self
            .sweeper
            .store()
            .set_state(&sweep.id, SweepState::Cancelled, now)
            .await
            .map_err(store_status)?;
        if !cancelled {
            return Err(Status::failed_precondition(format!(
                "sweep {} is {} and can no longer be cancelled",
                sweep.id,
                sweep.state.as_str()
            )));
        }
        let sweep = self.own(&caller, &sweep.id).await?;
        Ok(Response::new(self.view(&sweep, false).await?))
    }
}

#[tonic::async_trait]
impl pb::sweeps_server::Sweeps for SweepsService {
    async fn submit_sweep(
        &self,
        request: Request<Streaming<pb::SubmitSweepChunk>>,
    ) -> Result<Response<pb::Sweep>, Status> {
        self.submit_impl(request).await
    }

    async fn get_sweep(
        &self,
        request: Request<pb::GetSweepRequest>,
    ) -> Result<Response<pb::Sweep>, Status> {
        let caller = auth::authorize(&request, Method::GetSweep)?;
        let sweep = self.own(&caller, &request.get_ref().id).await?;
        Ok(Response::new(self.view(&sweep, false).await?))
    }

    async fn list_sweep_results(
        &self,
        request: Request<pb::ListSweepResultsRequest>,
    ) -> Result<Response<pb::ListSweepResultsResponse>, Status> {
        self.results_impl(request).await
    }

    async fn cancel_sweep(
        &self,
        request: Request<pb::CancelSweepRequest>,
    ) -> Result<Response<pb::Sweep>, Status> {
        self.cancel_impl(request).await
    }
}

/// A client key or sweep id: 1-64 of A-Z a-z 0-9 - _ . :
fn token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_KEY
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn store_status(e: SweepStoreError) -> Status {
    tracing::error!(error = %e, "sweep store");
    Status::unavailable("the sweep ledger cannot be read or written now; try again")
}

pub fn sweep_view(sweep: &SweepRow, counts: &Counts, created: bool, now_ms: i64) -> pb::Sweep {
    let end = if sweep.finished_at_ms > 0 {
        sweep.finished_at_ms
    } else {
        now_ms
    };
    let elapsed = (end - sweep.started_at_ms).max(1) as f64 / 1000.0;
    pb::Sweep {
        id: sweep.id.clone(),
        client_key: sweep.client_key.clone(),
        court: sweep.court.clone(),
        state: match sweep.state {
            SweepState::Receiving | SweepState::Running => pb::SweepState::Running,
            SweepState::Awaiting => pb::SweepState::Awaiting,
            SweepState::Finished => pb::SweepState::Finished,
            SweepState::Cancelled => pb::SweepState::Cancelled,
        } as i32,
        fresh: sweep.fresh,
        created,
        total: sweep.total,
        done: counts.done,
        awaiting: counts.awaiting,
        failed: counts.failed,
        refused: counts.refused,
        waiting: counts.waiting,
        started_at_ms: sweep.started_at_ms,
        finished_at_ms: sweep.finished_at_ms,
        rate_per_sec: counts.settled() as f64 / elapsed,
    }
}

fn item_view(sweep: &SweepRow, row: &ItemRow) -> pb::SweepItemResult {
    pb::SweepItemResult {
        index: row.index,
        case_number: row.case_number.clone(),
        debtor_id: mask_id(&row.debtor_id),
        debtor_name: mask_name(&row.debtor_name),
        state: match row.state {
            ItemState::Waiting => pb::SweepItemState::Waiting,
            ItemState::Asking => pb::SweepItemState::Asking,
            ItemState::Done => pb::SweepItemState::Done,
            ItemState::Awaiting => pb::SweepItemState::Awaiting,
            ItemState::Failed => pb::SweepItemState::Failed,
            ItemState::Refused => pb::SweepItemState::Refused,
        } as i32,
        sources: parse_summary(&row.summary)
            .into_iter()
            .map(|s| pb::SweepSourceSummary {
                source: s.source,
                kind_name: s.kind,
                status: s.status,
                asset_count: s.assets,
                total_fen: s.total_fen,
                ticket: s.ticket,
                reason: s.reason,
            })
            .collect(),
        error_code: row.error_code.clone(),
        error_message: row.error_message.clone(),
        request_id: sweep.request_id(row.index),
    }
}
