//! The crash-safety invariant checker: compares the hub's ledger of control orders with every
//! agency's hold register and names each disagreement. Owns the invariants of issue 5:
//!
//! - every order that creates a hold (freeze, seal, watch) has a hold at its agency under its
//!   key (the order id) iff it reached the agency, in the status its final state says, holding
//!   the amount and ending on the day the ledger records;
//! - every release, deduction and renewal the ledger counts as done was done at the agency, on
//!   the hold its target names, and none the ledger counts as not done was;
//! - no agency holds anything under a key the ledger does not know (an orphan hold), nor any
//!   hold placed without a key;
//! - one caller request (court + caller key + asset) never made two orders nor two holds, and a
//!   case never holds one asset twice with the same kind of hold;
//! - what the agencies hold frozen or moved for a case, valued at each order's recorded rate,
//!   never exceeds the case's registered claim (no excess control, counted at the agencies).
//!
//! Input: the ledger (read after the hub stopped, or alongside an in-process hub) and each
//! agency's [`RegisterExport`] in the documented hold-register export format
//! ([`assethub_conformance::register`], the format `GET /__admin/holds` serves, which third-party
//! mocks serve too); output: a [`Report`] of counts and [`Mismatch`]es.

use assethub_conformance::register::{HoldRow, KeyedHold, RegisterExport};
use assethub_hub::orders::ledger::OrderFilter;
use assethub_hub::orders::{Action, Ledger, LedgerError, Order, State};
use assethub_mocks::RunningAgency;
use std::collections::{BTreeMap, HashMap};

pub mod history;
mod report;

pub use report::{Mismatch, MismatchKind, Report};

/// One agency's register, under the source id the hub knows the agency by.
#[derive(Debug, Clone)]
pub struct AgencyRegister {
    pub source: String,
    pub export: RegisterExport,
}

/// Every running agency's register as of now (in process; the agencies keep running), read
/// as the export format: what `GET /__admin/holds` would serve.
pub fn registers(agencies: &[RunningAgency]) -> Vec<AgencyRegister> {
    agencies
        .iter()
        .filter_map(|a| {
            a.knobs.register().map(|export| AgencyRegister {
                source: a.name.clone(),
                export: exported(&export),
            })
        })
        .collect()
}

/// A mock's register in the documented export format (through its JSON, as an outside checker
/// reads it).
pub fn exported(register: &assethub_mocks::holds::RegisterExport) -> RegisterExport {
    let json = serde_json::to_value(register).expect("a register serialises");
    serde_json::from_value(json).expect("the mocks serve the documented export format")
}

/// Every order in the ledger at `url`.
pub async fn ledger_orders(url: &str) -> Result<Vec<Order>, LedgerError> {
    let ledger = Ledger::open(url).await?;
    let orders = ledger
        .list(&OrderFilter {
            limit: u32::MAX,
            ..OrderFilter::default()
        })
        .await?;
    ledger.pool().close().await;
    Ok(orders)
}

/// Reads the ledger at `url` and checks it against `registers`, claims included.
pub async fn check_ledger(url: &str, registers: &[AgencyRegister]) -> Result<Report, LedgerError> {
    let orders = ledger_orders(url).await?;
    let mut report = check(&orders, registers);
    check_claims(&mut report, &orders, registers, &ledger_claims(url).await?);
    Ok(report)
}

/// Every registered case's claim in the ledger at `url`.
pub async fn ledger_claims(url: &str) -> Result<BTreeMap<String, i64>, LedgerError> {
    use sqlx::Row;
    let ledger = Ledger::open(url).await?;
    let rows = sqlx::query("SELECT case_number, claim_fen FROM cases")
        .fetch_all(ledger.pool())
        .await
        .map_err(LedgerError::Db)?;
    let mut claims = BTreeMap::new();
    for row in &rows {
        claims.insert(
            row.try_get::<String, _>(0).map_err(LedgerError::Db)?,
            row.try_get::<i64, _>(1).map_err(LedgerError::Db)?,
        );
    }
    ledger.pool().close().await;
    Ok(claims)
}

/// No case holds more than it claims, in what the agencies report (each hold valued at the
/// rate its freeze order recorded).
pub fn check_claims(
    report: &mut Report,
    orders: &[Order],
    registers: &[AgencyRegister],
    claims: &BTreeMap<String, i64>,
) {
    let by_id: HashMap<&str, &Order> = orders.iter().map(|o| (o.order_id.as_str(), o)).collect();
    let mut held: BTreeMap<&str, i64> = BTreeMap::new();
    for register in registers {
        for hold in &register.export.holds {
            let Some(order) = by_id.get(hold.placed_by.as_str()) else {
                continue;
            };
            if order.action != Action::Freeze {
                continue;
            }
            *held.entry(order.case_number.as_str()).or_default() +=
                order.value(hold.held_fen + hold.deducted_fen);
        }
    }
    for (case, value) in held {
        if let Some(&claim) = claims.get(case) {
            if value > claim {
                report.add(
                    MismatchKind::OverClaim,
                    "",
                    case,
                    format!(
                        "the agencies hold {value} fen for case {case}, which claims {claim} fen"
                    ),
                );
            }
        }
    }
}

/// What the agency should show for a hold order in its ledger state.
enum Expect {
    /// Never sent, or refused before the agency recorded anything.
    Absent,
    /// Refused: the agency recorded a refusal, or nothing.
    RejectedOrAbsent,
    /// The hub still waits for this order: it must not be left so once settled.
    Unsettled,
    /// This status.
    Status(&'static str),
}

fn expect(order: &Order) -> Expect {
    match order.state {
        State::AwaitingApproval | State::Failed => Expect::Absent,
        State::Requested if order.attempts == 0 => Expect::Absent,
        State::Requested => Expect::Unsettled,
        State::AwaitingAgency => Expect::Status("pending"),
        State::Effective | State::Partial => Expect::Status("effective"),
        State::Queued => Expect::Status("queued"),
        State::Released => Expect::Status("released"),
        State::Deducted => Expect::Status("deducted"),
        State::Expired => Expect::Status("expired"),
        State::Rejected => Expect::RejectedOrAbsent,
    }
}

/// Compares `orders` (the whole ledger) with the agencies' `registers`.
pub fn check(orders: &[Order], registers: &[AgencyRegister]) -> Report {
    let mut report = Report::new(orders, registers);
    let by_id: HashMap<&str, &Order> = orders.iter().map(|o| (o.order_id.as_str(), o)).collect();
    let keyed: HashMap<(&str, &str), &KeyedHold> = registers
        .iter()
        .flat_map(|r| {
            r.export
                .keyed
                .iter()
                .map(move |k| ((r.source.as_str(), k.key.as_str()), k))
        })
        .collect();
    let holds: HashMap<(&str, &str), &HoldRow> = registers
        .iter()
        .flat_map(|r| {
            r.export
                .holds
                .iter()
                .map(move |h| ((r.source.as_str(), h.id.as_str()), h))
        })
        .collect();
    for order in orders {
        let at = keyed
            .get(&(order.source.as_str(), order.order_id.as_str()))
            .copied();
        if order.action.places_hold() {
            let row = at.and_then(|k| holds.get(&(order.source.as_str(), k.hold.as_str())));
            check_hold_order(&mut report, order, at, row.copied());
        } else {
            check_action_order(
                &mut report,
                order,
                at,
                by_id.get(order.target_order_id.as_str()),
            );
        }
    }
    check_registers(&mut report, registers, &by_id);
    check_requests(&mut report, orders);
    report
}

fn check_hold_order(
    report: &mut Report,
    order: &Order,
    at: Option<&KeyedHold>,
    row: Option<&HoldRow>,
) {
    let id = order.order_id.as_str();
    let state = order.state.as_str();
    match (expect(order), at) {
        (Expect::Absent, None) | (Expect::RejectedOrAbsent, None) => return,
        (Expect::Absent, Some(k)) => {
            report.add(
                MismatchKind::UnexpectedHold,
                id,
                &k.hold,
                format!(
                    "order is {state} (attempts {}) but the agency holds {} {}",
                    order.attempts, k.hold, k.status
                ),
            );
            return;
        }
        (Expect::RejectedOrAbsent, Some(k)) if k.status != "rejected" => {
            report.add(
                MismatchKind::StateMismatch,
                id,
                &k.hold,
                format!("order is rejected but the agency's hold is {}", k.status),
            );
            return;
        }
        (Expect::RejectedOrAbsent, Some(_)) => return,
        (Expect::Unsettled, _) | (Expect::Status("pending"), None) => {
            report.add(
                MismatchKind::Unsettled,
                id,
                at.map_or("", |k| k.hold.as_str()),
                format!(
                    "order is still {state} (attempts {}); the agency {}",
                    order.attempts,
                    at.map_or("never received it".to_string(), |k| format!(
                        "holds {} {}",
                        k.hold, k.status
                    ))
                ),
            );
            return;
        }
        (Expect::Status(_), None) => {
            report.add(
                MismatchKind::MissingHold,
                id,
                &order.agency_ref,
                format!("order is {state} but the agency has no instruction under its key"),
            );
            return;
        }
        (Expect::Status(want), Some(k)) if k.status != want => {
            report.add(
                MismatchKind::StateMismatch,
                id,
                &k.hold,
                format!("order is {state}, the agency's hold is {}", k.status),
            );
        }
        (Expect::Status(_), Some(_)) => {}
    }
    let Some(k) = at else { return };
    if k.instruction != "place" {
        report.add(
            MismatchKind::WrongHold,
            id,
            &k.hold,
            "the order's key changed an existing hold instead of placing one".into(),
        );
    }
    if order.state != State::AwaitingAgency && order.agency_ref != k.hold {
        report.add(
            MismatchKind::WrongHold,
            id,
            &k.hold,
            format!(
                "the ledger records hold {:?}, the agency placed {}",
                order.agency_ref, k.hold
            ),
        );
    }
    check_amounts(report, order, k, row);
}

/// Money and period of a hold order the agency answered.
fn check_amounts(report: &mut Report, order: &Order, k: &KeyedHold, row: Option<&HoldRow>) {
    let id = order.order_id.as_str();
    if order.state == State::AwaitingAgency {
        return;
    }
    if order.frozen_fen != k.held_fen {
        report.add(
            MismatchKind::AmountMismatch,
            id,
            &k.hold,
            format!(
                "ledger frozen {} fen, agency holds {} fen",
                order.frozen_fen, k.held_fen
            ),
        );
    }
    if let Some(row) = row {
        if order.deducted_fen != row.deducted_fen {
            report.add(
                MismatchKind::AmountMismatch,
                id,
                &k.hold,
                format!(
                    "ledger deducted {} fen, agency moved {} fen",
                    order.deducted_fen, row.deducted_fen
                ),
            );
        }
    }
    if order.action == Action::Freeze && matches!(order.state, State::Effective | State::Partial) {
        let short = order.frozen_fen + order.deducted_fen < order.amount_fen;
        if short != (order.state == State::Partial) {
            report.add(
                MismatchKind::StateMismatch,
                id,
                &k.hold,
                format!(
                    "order is {} for {} fen asked, {} frozen, {} deducted",
                    order.state.as_str(),
                    order.amount_fen,
                    order.frozen_fen,
                    order.deducted_fen
                ),
            );
        }
    }
    if order.state.is_live_hold() {
        let until = assethub_connectors::domain::CivilDate::from_days(order.end_day).to_string();
        if until != k.until {
            report.add(
                MismatchKind::PeriodMismatch,
                id,
                &k.hold,
                format!("ledger ends {until}, agency ends {}", k.until),
            );
        }
    }
}

fn check_action_order(
    report: &mut Report,
    order: &Order,
    at: Option<&KeyedHold>,
    target: Option<&&Order>,
) {
    let id = order.order_id.as_str();
    let state = order.state.as_str();
    let done = order.state == State::Effective;
    let settled_not_done = matches!(
        order.state,
        State::Rejected | State::Failed | State::AwaitingApproval
    ) || (order.state == State::Requested && order.attempts == 0);
    match at {
        None if done => report.add(
            MismatchKind::MissingInstruction,
            id,
            &order.agency_ref,
            format!(
                "{} order is done but the agency never received it",
                order.action.as_str()
            ),
        ),
        None if settled_not_done => {}
        None => report.add(
            MismatchKind::Unsettled,
            id,
            &order.agency_ref,
            format!(
                "{} order is still {state}; the agency never received it",
                order.action.as_str()
            ),
        ),
        Some(k) if !done => report.add(
            if settled_not_done {
                MismatchKind::UnexpectedHold
            } else {
                MismatchKind::Unsettled
            },
            id,
            &k.hold,
            format!(
                "{} order is {state} but the agency carried it out (hold now {})",
                order.action.as_str(),
                k.status
            ),
        ),
        Some(k) => {
            let target_ref = target.map_or("", |t| t.agency_ref.as_str());
            if k.hold != target_ref {
                report.add(
                    MismatchKind::WrongHold,
                    id,
                    &k.hold,
                    format!(
                        "acted on {}, the target order's hold is {target_ref:?}",
                        k.hold
                    ),
                );
            }
            match order.action {
                Action::Release if k.status != "released" => report.add(
                    MismatchKind::StateMismatch,
                    id,
                    &k.hold,
                    format!("release done but the hold is {}", k.status),
                ),
                Action::Deduct if k.deducted_fen != order.deducted_fen => report.add(
                    MismatchKind::AmountMismatch,
                    id,
                    &k.hold,
                    format!(
                        "ledger deducted {} fen, the agency moved {} fen",
                        order.deducted_fen, k.deducted_fen
                    ),
                ),
                Action::Renew => {
                    let until = assethub_connectors::domain::CivilDate::from_days(order.end_day)
                        .to_string();
                    if k.until < until {
                        report.add(
                            MismatchKind::PeriodMismatch,
                            id,
                            &k.hold,
                            format!("renewed to {until}, the agency's hold ends {}", k.until),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// What the agencies hold that the ledger cannot account for.
fn check_registers(
    report: &mut Report,
    registers: &[AgencyRegister],
    by_id: &HashMap<&str, &Order>,
) {
    for register in registers {
        for k in &register.export.keyed {
            match by_id.get(k.key.as_str()) {
                None => report.add(
                    if k.instruction == "place" {
                        MismatchKind::OrphanHold
                    } else {
                        MismatchKind::OrphanInstruction
                    },
                    &k.key,
                    &k.hold,
                    format!(
                        "{} holds {} ({}) under key {} that no order has",
                        register.source, k.hold, k.status, k.key
                    ),
                ),
                Some(order) if order.source != register.source => report.add(
                    MismatchKind::WrongAgency,
                    &k.key,
                    &k.hold,
                    format!(
                        "order of source {} reached {}",
                        order.source, register.source
                    ),
                ),
                Some(_) => {}
            }
        }
        // Holds per (asset, case, kind): the caller requests that placed them, and those live.
        let mut requests: BTreeMap<(&str, &str, &str, String), Vec<&str>> = BTreeMap::new();
        let mut live: BTreeMap<(&str, &str, String), Vec<&str>> = BTreeMap::new();
        for hold in &register.export.holds {
            if hold.placed_by.is_empty() {
                report.add(
                    MismatchKind::UnkeyedHold,
                    "",
                    &hold.id,
                    format!(
                        "{} holds {} without any instruction key",
                        register.source, hold.id
                    ),
                );
                continue;
            }
            let Some(order) = by_id.get(hold.placed_by.as_str()) else {
                continue;
            };
            let kind = hold.kind.clone();
            requests
                .entry((&hold.asset, &hold.case, &hold.ruling, kind.clone()))
                .or_default()
                .push(order.order_id.as_str());
            if matches!(hold.status.as_str(), "pending" | "effective" | "queued") {
                live.entry((&hold.asset, &hold.case, kind))
                    .or_default()
                    .push(hold.id.as_str());
            }
        }
        for ids in requests.values().filter(|ids| ids.len() > 1) {
            let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
            for id in ids {
                let order = by_id[id];
                let request = (order.court.as_str(), order.client_key.as_str());
                if let Some(first) = seen.insert(request, id) {
                    report.add(
                        MismatchKind::DoubleHold,
                        id,
                        &order.agency_ref,
                        format!(
                            "orders {first} and {id} both hold the asset for one caller request"
                        ),
                    );
                }
            }
        }
        for ((asset, case, kind), ids) in live.iter().filter(|(_, ids)| ids.len() > 1) {
            report.add(
                MismatchKind::TwoLiveHolds,
                "",
                &ids.join(","),
                format!(
                    "case {case} holds {asset} with {} {kind} holds at once",
                    ids.len()
                ),
            );
        }
    }
}

/// One caller request never makes two orders on one asset.
fn check_requests(report: &mut Report, orders: &[Order]) {
    let mut seen: HashMap<(&str, &str, &str, &str, Action), &str> = HashMap::new();
    for order in orders {
        let request = (
            order.court.as_str(),
            order.client_key.as_str(),
            order.source.as_str(),
            order.asset_local.as_str(),
            order.action,
        );
        if let Some(first) = seen.insert(request, &order.order_id) {
            report.add(
                MismatchKind::DuplicateRequest,
                &order.order_id,
                "",
                format!(
                    "orders {first} and {} come from one caller request ({} key of court {})",
                    order.order_id,
                    order.action.as_str(),
                    order.court
                ),
            );
        }
    }
}
