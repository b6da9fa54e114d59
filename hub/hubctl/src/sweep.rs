//! `hubctl sweep`: durable sweeps kept by the hub. `submit` streams a CSV of debtors to the hub
//! in chunks and prints the sweep's id; `status` shows progress, rate and ETA; `results` prints
//! every item's per-source summary (masked; `--json`: one JSON line per item), a page at a
//! time; `cancel` stops one. `hubctl batch --durable` is `sweep submit` with the batch's flags.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use assethub_proto::v1 as pb;
use assethub_proto::v1::sweeps_client::SweepsClient;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::client::{self, Conn, MAX_RESPONSE_BYTES};
use crate::debtors::DebtorRow;
use crate::error::CliError;
use crate::render::{group_digits, plural, sanitize, yuan, Align, Table};

/// Items per submission chunk (the hub takes up to 1,000).
const CHUNK: usize = 500;
/// Results asked per page.
const PAGE: u32 = 1_000;

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: SweepCommand,
}

#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Submit every debtor of a CSV file (header: case_number,id_number,name) as a sweep the
    /// hub works through on its own; prints the sweep's id.
    Submit(SubmitArgs),
    /// A sweep's progress: counts, rate, ETA.
    Status(IdArg),
    /// Every item's result: per-source status, assets and their value (masked).
    Results(IdArg),
    /// Stop a sweep: items not yet asked are never asked.
    Cancel(IdArg),
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// CSV file with a header row case_number,id_number,name.
    #[arg(value_name = "PATH")]
    pub file: PathBuf,
    #[command(flatten)]
    pub common: crate::cli::search::SearchArgs,
    /// Idempotency key: submitting the same key again names the first sweep [default: the
    /// file's name and size].
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Deadline per debtor in milliseconds (0 or absent: the hub's default).
    #[arg(long, value_name = "N")]
    pub item_deadline_ms: Option<u32>,
}

#[derive(Debug, Args)]
pub struct IdArg {
    /// The sweep's id, as `sweep submit` printed it.
    #[arg(value_name = "ID")]
    pub id: String,
}

/// What `submit` sends besides the rows.
pub struct SubmitInput {
    pub key: String,
    pub kinds: Vec<i32>,
    pub kind_names: Vec<String>,
    pub fresh: bool,
    pub item_deadline_ms: u32,
}

pub struct Sweeps {
    client: SweepsClient<Conn>,
    addr: String,
}

pub async fn connect(addr: &str, timeout: Option<Duration>) -> Result<Sweeps, CliError> {
    let (conn, addr) = client::channel(addr, timeout).await?;
    let client = SweepsClient::new(conn).max_decoding_message_size(MAX_RESPONSE_BYTES);
    Ok(Sweeps { client, addr })
}

/// The default key of a file: its name and size, so running the same command twice submits
/// once.
pub fn default_key(path: &std::path::Path) -> String {
    let name: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    format!("{name}:{size}")
}

pub async fn submit(
    hub: &mut Sweeps,
    input: SubmitInput,
    rows: Vec<DebtorRow>,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let header = pb::SweepHeader {
        client_key: input.key,
        kinds: input.kinds,
        kind_names: input.kind_names,
        fresh: input.fresh,
        item_deadline_ms: input.item_deadline_ms,
    };
    let total = rows.len();
    let mut chunks = vec![pb::SubmitSweepChunk {
        part: Some(pb::submit_sweep_chunk::Part::Header(header)),
    }];
    for group in rows.chunks(CHUNK) {
        let items = group
            .iter()
            .map(|r| pb::SweepItem {
                case_number: r.case_number.clone(),
                debtor: Some(pb::Debtor {
                    id_number: r.id_number.clone(),
                    name: r.name.clone(),
                }),
            })
            .collect();
        chunks.push(pb::SubmitSweepChunk {
            part: Some(pb::submit_sweep_chunk::Part::Items(pb::SweepItems {
                items,
            })),
        });
    }
    let sweep = hub
        .client
        .submit_sweep(futures::stream::iter(chunks))
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if as_json {
        writeln!(out, "{}", sweep_json(&sweep))?;
    } else {
        writeln!(out, "{}", sweep.id)?;
        if sweep.created {
            eprintln!(
                "sweep {} accepted: {} (key {}); follow it with `hubctl sweep status {}`",
                sweep.id,
                plural(total, "debtor", "debtors"),
                sweep.client_key,
                sweep.id
            );
        } else {
            eprintln!(
                "key {} was submitted before: sweep {} ({} items), nothing new submitted",
                sweep.client_key, sweep.id, sweep.total
            );
        }
    }
    Ok(())
}

pub async fn status(
    hub: &mut Sweeps,
    id: String,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let sweep = hub
        .client
        .get_sweep(pb::GetSweepRequest { id })
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    print_sweep(&sweep, as_json, out)
}

pub async fn cancel(
    hub: &mut Sweeps,
    id: String,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let sweep = hub
        .client
        .cancel_sweep(pb::CancelSweepRequest { id })
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    print_sweep(&sweep, as_json, out)
}

fn print_sweep(sweep: &pb::Sweep, as_json: bool, out: &mut impl Write) -> Result<(), CliError> {
    if as_json {
        writeln!(out, "{}", sweep_json(sweep))?;
        return Ok(());
    }
    for line in sweep_lines(sweep) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A sweep as a person reads it: state, counts, rate, elapsed and ETA.
pub fn sweep_lines(sweep: &pb::Sweep) -> Vec<String> {
    let n = |v: u64| group_digits(u128::from(v));
    let settled = sweep.done + sweep.awaiting + sweep.failed + sweep.refused;
    let end = if sweep.finished_at_ms > 0 {
        sweep.finished_at_ms
    } else {
        now_ms()
    };
    let elapsed = Duration::from_millis(u64::try_from(end - sweep.started_at_ms).unwrap_or(0));
    let eta = match state_word(sweep.state) {
        "running" if sweep.rate_per_sec > 0.0 => {
            format!("{:.0}s", sweep.waiting as f64 / sweep.rate_per_sec)
        }
        "running" => "unknown".into(),
        _ => "-".into(),
    };
    vec![
        format!(
            "sweep {}  {}{}  key {}  court {}",
            sweep.id,
            state_word(sweep.state),
            if sweep.fresh { "  fresh" } else { "" },
            sanitize(&sweep.client_key),
            sweep.court
        ),
        format!(
            "  {} of {} settled: done {}  awaiting agencies {}  failed {}  refused {}  waiting {}",
            n(settled),
            n(sweep.total),
            n(sweep.done),
            n(sweep.awaiting),
            n(sweep.failed),
            n(sweep.refused),
            n(sweep.waiting)
        ),
        format!(
            "  rate {:.1}/s  elapsed {:.1}s  eta {eta}",
            sweep.rate_per_sec,
            elapsed.as_secs_f64()
        ),
    ]
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub fn state_word(state: i32) -> &'static str {
    match pb::SweepState::try_from(state) {
        Ok(pb::SweepState::Running) => "running",
        Ok(pb::SweepState::Awaiting) => "awaiting agencies",
        Ok(pb::SweepState::Finished) => "finished",
        Ok(pb::SweepState::Cancelled) => "cancelled",
        _ => "unknown",
    }
}

pub fn item_state_word(state: i32) -> &'static str {
    match pb::SweepItemState::try_from(state) {
        Ok(pb::SweepItemState::Waiting) => "waiting",
        Ok(pb::SweepItemState::Asking) => "asking",
        Ok(pb::SweepItemState::Done) => "done",
        Ok(pb::SweepItemState::Awaiting) => "awaiting",
        Ok(pb::SweepItemState::Failed) => "failed",
        Ok(pb::SweepItemState::Refused) => "refused",
        _ => "unknown",
    }
}

pub fn sweep_json(sweep: &pb::Sweep) -> serde_json::Value {
    json!({
        "id": sweep.id,
        "client_key": sweep.client_key,
        "court": sweep.court,
        "state": state_word(sweep.state),
        "fresh": sweep.fresh,
        "created": sweep.created,
        "total": sweep.total,
        "done": sweep.done,
        "awaiting": sweep.awaiting,
        "failed": sweep.failed,
        "refused": sweep.refused,
        "waiting": sweep.waiting,
        "started_at_ms": sweep.started_at_ms,
        "finished_at_ms": sweep.finished_at_ms,
        "rate_per_sec": (sweep.rate_per_sec * 10.0).round() / 10.0,
    })
}

pub async fn results(
    hub: &mut Sweeps,
    id: String,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let mut table = Table::new(&[
        ("#", Align::Right),
        ("case", Align::Left),
        ("debtor", Align::Left),
        ("name", Align::Left),
        ("state", Align::Left),
        ("assets", Align::Right),
        ("yuan", Align::Right),
        ("sources", Align::Left),
    ]);
    let mut after: Option<u64> = None;
    let mut count = 0usize;
    loop {
        let page = hub
            .client
            .list_sweep_results(pb::ListSweepResultsRequest {
                id: id.clone(),
                after_index: after.unwrap_or(0),
                from_start: after.is_none(),
                limit: PAGE,
            })
            .await
            .map_err(|s| CliError::status(&hub.addr, s))?
            .into_inner();
        for item in &page.results {
            count += 1;
            if as_json {
                writeln!(out, "{}", item_json(item))?;
            } else {
                table.push(item_row(item));
            }
        }
        after = page.results.last().map(|r| r.index).or(after);
        if !page.more || page.results.is_empty() {
            break;
        }
    }
    if !as_json {
        for line in table.lines() {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "{}", plural(count, "item", "items"))?;
    }
    Ok(())
}

fn item_row(item: &pb::SweepItemResult) -> Vec<String> {
    let assets: u64 = item.sources.iter().map(|s| u64::from(s.asset_count)).sum();
    let value: i128 = item.sources.iter().map(|s| i128::from(s.total_fen)).sum();
    let sources = if item.sources.is_empty() {
        format!("{} {}", item.error_code, sanitize(&item.error_message))
    } else {
        let not_ok: Vec<String> = item
            .sources
            .iter()
            .filter(|s| s.status != "ok" && s.status != "not_found")
            .map(|s| {
                if s.ticket.is_empty() {
                    format!("{} {}", s.source, s.status)
                } else {
                    format!("{} {} ticket {}", s.source, s.status, sanitize(&s.ticket))
                }
            })
            .collect();
        let answered = item
            .sources
            .iter()
            .filter(|s| s.status == "ok" || s.status == "not_found")
            .count();
        let mut text = format!("{answered}/{} answered", item.sources.len());
        if !not_ok.is_empty() {
            text.push_str("; ");
            text.push_str(&not_ok.join(", "));
        }
        text
    };
    vec![
        item.index.to_string(),
        sanitize(&item.case_number),
        item.debtor_id.clone(),
        sanitize(&item.debtor_name),
        item_state_word(item.state).into(),
        assets.to_string(),
        yuan(value),
        sources,
    ]
}

fn item_json(item: &pb::SweepItemResult) -> serde_json::Value {
    json!({
        "index": item.index,
        "case_number": item.case_number,
        "debtor_id": item.debtor_id,
        "debtor_name": item.debtor_name,
        "state": item_state_word(item.state),
        "request_id": item.request_id,
        "error_code": item.error_code,
        "error_message": item.error_message,
        "sources": item.sources.iter().map(|s| json!({
            "source": s.source,
            "kind": s.kind_name,
            "status": s.status,
            "assets": s.asset_count,
            "total_fen": s.total_fen,
            "ticket": s.ticket,
            "reason": s.reason,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_reads_as_counts_rate_and_eta() {
        let sweep = pb::Sweep {
            id: "abc".into(),
            client_key: "k".into(),
            court: "鄂0116".into(),
            state: pb::SweepState::Running as i32,
            total: 10_000,
            done: 4_000,
            refused: 2,
            waiting: 5_998,
            started_at_ms: now_ms() - 8_000,
            rate_per_sec: 500.0,
            ..Default::default()
        };
        let lines = sweep_lines(&sweep);
        assert_eq!(lines[0], "sweep abc  running  key k  court 鄂0116");
        assert_eq!(
            lines[1],
            "  4,002 of 10,000 settled: done 4,000  awaiting agencies 0  failed 0  refused 2  waiting 5,998"
        );
        assert!(
            lines[2].starts_with("  rate 500.0/s  elapsed "),
            "{}",
            lines[2]
        );
        assert!(lines[2].ends_with("eta 12s"), "{}", lines[2]);
    }

    #[test]
    fn an_item_row_sums_its_sources_and_names_the_unanswered() {
        let source =
            |name: &str, status: &str, n: u32, fen: i64, ticket: &str| pb::SweepSourceSummary {
                source: name.into(),
                kind_name: "bank".into(),
                status: status.into(),
                asset_count: n,
                total_fen: fen,
                ticket: ticket.into(),
                reason: String::new(),
            };
        let item = pb::SweepItemResult {
            index: 7,
            case_number: "(2024)鄂0116执1234号".into(),
            debtor_id: "110105********002X".into(),
            debtor_name: "张*".into(),
            state: pb::SweepItemState::Awaiting as i32,
            sources: vec![
                source("bank-a", "ok", 2, 1_234_567, ""),
                source("bank-b", "pending", 0, 0, "T-9"),
                source("registry", "not_found", 0, 0, ""),
            ],
            ..Default::default()
        };
        let row = item_row(&item);
        assert_eq!(row[4], "awaiting");
        assert_eq!((row[5].as_str(), row[6].as_str()), ("2", "12,345.67"));
        assert_eq!(row[7], "2/3 answered; bank-b pending ticket T-9");
    }
}
