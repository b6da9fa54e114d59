//! The tonic service for `assethub.v1.Cases`: the court's case system registers and changes
//! its enforcement cases; judges and supervisors read them with what they hold now. Who may
//! call which method is decided by the gate; each handler checks the case's court. A service on
//! top of `cases` (the records), `orders` (what each case holds now) and `audit`.

use crate::audit::CallNote;
use crate::auth::{self, in_court, Method};
use crate::bounds;
use crate::cases::book::{store_status, CaseBook};
use crate::cases::model::{
    valid_account, CaseChange, CaseDebtor, CaseRecord, CaseState, NewCase, MAX_DEBTORS,
};
use crate::cases::store::CaseVersion;
use crate::clock::Clock;
use crate::control_api::convert;
use crate::grpc::invalid_argument;
use crate::orders::ledger::{CaseFigures, Ledger, LedgerError};
use crate::tallies::Tallies;
use crate::validate::{self, Violation};
use assethub_connectors::domain::{CaseNumber, CivilDate};
use assethub_proto::v1 as pb;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Largest claim accepted: 10^13 fen (one hundred billion yuan).
const MAX_CLAIM_FEN: i64 = 10_000_000_000_000;

pub struct CasesService {
    book: Arc<CaseBook>,
    ledger: Ledger,
    clock: Arc<Clock>,
    tallies: Option<Arc<Tallies>>,
}

impl CasesService {
    pub fn new(book: Arc<CaseBook>, ledger: Ledger, clock: Arc<Clock>) -> Self {
        Self {
            book,
            ledger,
            clock,
            tallies: None,
        }
    }

    /// Answers `CourtFigures` from `tallies` (without them, every day counts nothing).
    pub fn with_tallies(mut self, tallies: Arc<Tallies>) -> Self {
        self.tallies = Some(tallies);
        self
    }

    async fn case_message(
        &self,
        record: &CaseRecord,
        history: Vec<CaseVersion>,
    ) -> Result<pb::Case, Status> {
        let figures = self
            .ledger
            .case_figures(&record.case_number)
            .await
            .map_err(ledger_status)?;
        let holds = self
            .ledger
            .live_holds_of_case(&record.case_number)
            .await
            .map_err(ledger_status)?;
        let nearest = holds
            .iter()
            .filter(|o| o.end_day > 0)
            .map(|o| o.end_day)
            .min()
            .map(|d| CivilDate::from_days(d).to_string())
            .unwrap_or_default();
        Ok(case_message(
            record,
            &figures,
            holds.len(),
            nearest,
            history,
        ))
    }
}

fn ledger_status(e: LedgerError) -> Status {
    tracing::error!(error = %e, "ledger error");
    Status::unavailable("the order ledger is unavailable")
}

fn state_message(state: CaseState) -> pb::CaseState {
    match state {
        CaseState::Open => pb::CaseState::Open,
        CaseState::Suspended => pb::CaseState::Suspended,
        CaseState::Closed => pb::CaseState::Closed,
    }
}

fn state_from(raw: i32) -> Option<CaseState> {
    match pb::CaseState::try_from(raw).ok()? {
        pb::CaseState::Open => Some(CaseState::Open),
        pb::CaseState::Suspended => Some(CaseState::Suspended),
        pb::CaseState::Closed => Some(CaseState::Closed),
        pb::CaseState::Unspecified => None,
    }
}

fn case_message(
    record: &CaseRecord,
    figures: &CaseFigures,
    holds: usize,
    nearest_end_date: String,
    history: Vec<CaseVersion>,
) -> pb::Case {
    pb::Case {
        case_number: record.case_number.clone(),
        court: record.court.clone(),
        state: state_message(record.state) as i32,
        debtors: record
            .debtors
            .iter()
            .map(|d| pb::CaseDebtor {
                id_number: d.id.clone(),
                name: d.name.clone(),
                id_masked: d.masked(),
            })
            .collect(),
        claim_fen: record.claim_fen,
        account: record.account.clone(),
        version: record.version,
        frozen_fen: figures.frozen_fen,
        deducted_fen: figures.deducted_fen,
        reserved_fen: figures.reserved_fen,
        holds_in_force: u32::try_from(holds).unwrap_or(u32::MAX),
        nearest_end_date,
        created_at_ms: record.created_at_ms,
        updated_at_ms: record.updated_at_ms,
        updated_by: record.updated_by.clone(),
        history: history
            .into_iter()
            .map(|v| pb::CaseVersion {
                version: v.version,
                at_ms: v.at_ms,
                actor: v.actor,
                state: state_message(v.state) as i32,
                claim_fen: v.claim_fen,
                account: v.account,
                change: v.change,
            })
            .collect(),
    }
}

fn check(violations: Vec<Violation>) -> Result<(), Status> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(invalid_argument(&violations))
    }
}

/// A case number written on `today` (in Beijing, by the hub's clock).
fn case_number(
    text: &str,
    today: CivilDate,
    violations: &mut Vec<Violation>,
) -> Option<CaseNumber> {
    validate::case_number(text, "case_number", today, violations)
}

fn claim(fen: i64, field: &str, violations: &mut Vec<Violation>) {
    if fen <= 0 || fen > MAX_CLAIM_FEN {
        violations.push(Violation::new(
            field,
            format!(
                "must be a positive number of fen (1 yuan = 100 fen) up to {MAX_CLAIM_FEN} ({} yuan)",
                assethub_connectors::domain::Fen(MAX_CLAIM_FEN).to_yuan_string()
            ),
        ));
    }
}

fn account(text: &str, field: &str, violations: &mut Vec<Violation>) {
    if let Err(why) = valid_account(text) {
        violations.push(Violation::new(field, why));
    }
}

/// Debtors of a request, validated, sorted, without one number twice.
fn debtors(
    list: &[pb::Debtor],
    field: &str,
    today: CivilDate,
    violations: &mut Vec<Violation>,
) -> Vec<CaseDebtor> {
    if list.len() > MAX_DEBTORS {
        violations.push(Violation::new(
            field,
            format!("at most {MAX_DEBTORS} debtors"),
        ));
        return Vec::new();
    }
    let mut out: Vec<CaseDebtor> = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let Some(debtor) = validate::debtor(d, &format!("{field}[{i}]"), today, violations) else {
            continue;
        };
        let debtor = CaseDebtor::of(&debtor);
        if out.iter().any(|o| o.id == debtor.id) {
            violations.push(Violation::new(
                format!("{field}[{i}].id_number"),
                "names a debtor listed before",
            ));
            continue;
        }
        out.push(debtor);
    }
    out.sort();
    out
}

impl CasesService {
    async fn register_impl(
        &self,
        request: Request<pb::RegisterCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = auth::authorize(&request, Method::RegisterCase)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.case(&body.case_number);
        let mut violations = Vec::new();
        let today = self.clock.today();
        let case = case_number(&body.case_number, today, &mut violations);
        if body.debtors.is_empty() {
            violations.push(Violation::new("debtors", "at least one debtor is required"));
        }
        let list = debtors(&body.debtors, "debtors", today, &mut violations);
        claim(body.claim_fen, "claim_fen", &mut violations);
        account(&body.account, "account", &mut violations);
        check(violations)?;
        let Some(case) = case else {
            return Err(Status::invalid_argument("invalid request"));
        };
        in_court(&caller, case.court())?;
        let new = NewCase {
            case: case.clone(),
            debtors: list,
            claim_fen: body.claim_fen,
            account: body.account,
        };
        let created = self
            .book
            .store()
            .register(&new, &caller.actor())
            .await
            .map_err(store_status)?;
        note.detail(if created {
            "registered"
        } else {
            "already registered, same content"
        });
        self.book.forget(case.as_str()).await;
        let record = self.read(case.as_str()).await?;
        Ok(Response::new(self.case_message(&record, Vec::new()).await?))
    }

    async fn read(&self, case: &str) -> Result<CaseRecord, Status> {
        self.book
            .store()
            .get(case)
            .await
            .map_err(store_status)?
            .ok_or_else(|| Status::not_found(format!("case {case} is not registered")))
    }

    async fn update_impl(
        &self,
        request: Request<pb::UpdateCaseRequest>,
    ) -> Result<Response<pb::UpdateCaseResponse>, Status> {
        let caller = auth::authorize(&request, Method::UpdateCase)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.case(&body.case_number);
        let mut violations = Vec::new();
        let today = self.clock.today();
        let case = case_number(&body.case_number, today, &mut violations);
        if body.expected_version < 0 {
            violations.push(Violation::new("expected_version", "must not be negative"));
        }
        if let Some(fen) = body.claim_fen {
            claim(fen, "claim_fen", &mut violations);
        }
        let added = debtors(&body.add_debtors, "add_debtors", today, &mut violations);
        if let Some(text) = &body.account {
            account(text, "account", &mut violations);
        }
        let state = match body.state {
            0 => None,
            raw => match state_from(raw) {
                Some(state) => Some(state),
                None => {
                    violations.push(Violation::new("state", "unknown case state"));
                    None
                }
            },
        };
        let reason = body.reason.trim();
        validate::bounded(&bounds::REASON, reason, "reason", &mut violations);
        if body.claim_fen.is_none()
            && added.is_empty()
            && body.account.is_none()
            && state.is_none()
            && violations.is_empty()
        {
            violations.push(Violation::new("case_number", "the request changes nothing"));
        }
        check(violations)?;
        let Some(case) = case else {
            return Err(Status::invalid_argument("invalid request"));
        };
        in_court(&caller, case.court())?;
        let change = CaseChange {
            case_number: case.as_str().to_string(),
            expected_version: body.expected_version,
            claim_fen: body.claim_fen,
            add_debtors: added,
            account: body.account,
            state,
            reason: reason.to_string(),
        };
        let record = self
            .book
            .store()
            .update(&change, &caller.actor())
            .await
            .map_err(store_status)?;
        self.book.forget(case.as_str()).await;
        note.detail(format!("version {}", record.version));
        let holds = self
            .ledger
            .live_holds_of_case(case.as_str())
            .await
            .map_err(ledger_status)?;
        let today = self.clock.today().days();
        Ok(Response::new(pb::UpdateCaseResponse {
            case: Some(self.case_message(&record, Vec::new()).await?),
            holds_in_force: holds.iter().map(|o| convert::order(o, today)).collect(),
        }))
    }

    async fn get_impl(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = auth::authorize(&request, Method::GetCase)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.case(&body.case_number);
        let mut violations = Vec::new();
        let today = self.clock.today();
        let case = case_number(&body.case_number, today, &mut violations);
        check(violations)?;
        let Some(case) = case else {
            return Err(Status::invalid_argument("invalid request"));
        };
        in_court(&caller, case.court())?;
        let record = self.read(case.as_str()).await?;
        let history = if body.include_history {
            self.book
                .store()
                .history(case.as_str())
                .await
                .map_err(store_status)?
        } else {
            Vec::new()
        };
        Ok(Response::new(self.case_message(&record, history).await?))
    }

    async fn list_impl(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let caller = auth::authorize(&request, Method::ListCases)?;
        let body = request.into_inner();
        let mut violations = Vec::new();
        let states = validate::enum_filter(
            &body.states,
            "states",
            "unknown case state",
            state_from,
            &mut violations,
        );
        if body.limit > 1000 {
            violations.push(Violation::new("limit", "must be at most 1000"));
        }
        validate::bounded(
            &bounds::CASE_NUMBER,
            &body.after_case_number,
            "after_case_number",
            &mut violations,
        );
        check(violations)?;
        let limit = if body.limit == 0 { 100 } else { body.limit };
        let records = self
            .book
            .store()
            .list(&caller.court, &states, &body.after_case_number, limit)
            .await
            .map_err(store_status)?;
        let mut cases = Vec::with_capacity(records.len());
        for record in &records {
            cases.push(self.case_message(record, Vec::new()).await?);
        }
        let next_after = if records.len() == limit as usize {
            records
                .last()
                .map(|r| r.case_number.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListCasesResponse { cases, next_after }))
    }
}

impl CasesService {
    async fn figures_impl(
        &self,
        request: Request<pb::CourtFiguresRequest>,
    ) -> Result<Response<pb::CourtFiguresResponse>, Status> {
        let caller = auth::authorize(&request, Method::CourtFigures)?;
        let body = request.into_inner();
        let today = self.clock.today();
        let day = if body.day.is_empty() {
            today
        } else {
            let day = CivilDate::parse(&body.day)
                .ok()
                .filter(|_| body.day.len() <= 10)
                .ok_or_else(|| {
                    invalid_argument(&[Violation::new("day", "must be a date, YYYY-MM-DD")])
                })?;
            if day > today {
                return Err(invalid_argument(&[Violation::new(
                    "day",
                    "must not be after today (Beijing)",
                )]));
            }
            day
        };
        let rows = match &self.tallies {
            Some(tallies) => tallies
                .of_day(&caller.court, day.days())
                .await
                .map_err(|e| ledger_status(LedgerError::from(e)))?,
            None => Vec::new(),
        };
        let searches = rows
            .iter()
            .find(|r| r.source.is_empty())
            .map_or(0, |r| r.tally.answers);
        let sources = rows
            .into_iter()
            .filter(|r| !r.source.is_empty())
            .map(|r| pb::SourceFigures {
                source_id: r.source,
                kind: r.kind,
                answers: r.tally.answers,
                hits: r.tally.hits,
                calls: r.tally.calls,
                errors: r.tally.errors,
                timeouts: r.tally.timeouts,
                latency_ms_total: r.tally.latency_ms,
                fast_calls: r.tally.fast,
                slow_calls: r.tally.slow,
            })
            .collect();
        Ok(Response::new(pb::CourtFiguresResponse {
            court: caller.court.clone(),
            day: day.to_string(),
            searches,
            sources,
        }))
    }
}

#[tonic::async_trait]
impl pb::cases_server::Cases for CasesService {
    async fn court_figures(
        &self,
        request: Request<pb::CourtFiguresRequest>,
    ) -> Result<Response<pb::CourtFiguresResponse>, Status> {
        self.figures_impl(request).await
    }

    async fn register_case(
        &self,
        request: Request<pb::RegisterCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        self.register_impl(request).await
    }

    async fn update_case(
        &self,
        request: Request<pb::UpdateCaseRequest>,
    ) -> Result<Response<pb::UpdateCaseResponse>, Status> {
        self.update_impl(request).await
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        self.get_impl(request).await
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        self.list_impl(request).await
    }
}
