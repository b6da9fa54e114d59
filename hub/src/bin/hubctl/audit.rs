//! `hubctl audit verify` and `hubctl audit list`: the hub's tamper-evident audit log
//! (`assethub.v1.Audit`). `verify` prints "audit log intact: N entries" or "BROKEN at entry
//! #SEQ: REASON" and exits 1 when broken; `list` prints entries oldest first, as a table or a
//! JSON array.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assethub_proto::v1::audit_client::AuditClient;
use assethub_proto::v1::{AuditRecord, ListAuditRequest, VerifyAuditRequest, VerifyAuditResponse};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::client::{bounded, normalize_addr, request};
use crate::error::{chain, CliError};
use crate::json;
use crate::order_render::utc_time;
use crate::render::{plural, sanitize, Align, Table};

/// Largest response message accepted (a long page of entries).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Longest wait for the TCP/HTTP2 connection itself.
const MAX_CONNECT: Duration = Duration::from_secs(5);
/// Hex characters of an entry hash shown in the table.
const SHORT_HASH: usize = 12;

/// Set when `verify` found the chain broken: the command printed its report and must exit 1.
static BROKEN: AtomicBool = AtomicBool::new(false);

/// Whether `verify` found the audit log broken (exit code 1 although the call succeeded).
pub fn found_broken() -> bool {
    BROKEN.load(Ordering::Relaxed)
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole hash chain and name the first broken entry (exit code 1 when broken).
    Verify,
    /// Print audit entries, oldest first.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries numbered above N.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub after: u64,
    /// At most this many entries [hub default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: Option<u32>,
}

impl ListArgs {
    pub fn request(&self) -> ListAuditRequest {
        ListAuditRequest {
            after_seq: self.after,
            limit: self.limit.unwrap_or(0),
        }
    }
}

/// A connected Audit client and the address it talks to (for error messages).
pub struct AuditHub {
    pub client: AuditClient<crate::client::Conn>,
    pub addr: String,
}

/// Connects eagerly, so that "nobody is listening" is reported as such before any call.
pub async fn connect(addr: &str, timeout: Option<Duration>) -> Result<AuditHub, CliError> {
    let addr = normalize_addr(addr);
    let endpoint = crate::client::endpoint(&addr)?
        .connect_timeout(timeout.map_or(MAX_CONNECT, |t| t.min(MAX_CONNECT)));
    let channel = endpoint.connect().await.map_err(|e| CliError::Connect {
        addr: addr.clone(),
        detail: chain(&e),
    })?;
    let client = AuditClient::new(crate::client::authed(channel))
        .max_decoding_message_size(MAX_RESPONSE_BYTES);
    Ok(AuditHub { client, addr })
}

/// Runs `audit verify` or `audit list`.
pub async fn run(
    addr: &str,
    timeout: Duration,
    args: AuditArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let mut hub = connect(addr, Some(timeout)).await?;
    match args.command {
        AuditCommand::Verify => verify(&mut hub, Some(timeout), as_json, out).await,
        AuditCommand::List(list_args) => {
            list(&mut hub, Some(timeout), list_args.request(), as_json, out).await
        }
    }
}

pub async fn verify(
    hub: &mut AuditHub,
    timeout: Option<Duration>,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let call = hub
        .client
        .verify_audit(request(VerifyAuditRequest {}, timeout));
    let report = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if !report.intact {
        BROKEN.store(true, Ordering::Relaxed);
    }
    if as_json {
        writeln!(out, "{}", json::to_line(&verify_json(&report)))?;
    } else {
        write!(out, "{}", verify_text(&report))?;
    }
    Ok(())
}

pub async fn list(
    hub: &mut AuditHub,
    timeout: Option<Duration>,
    message: ListAuditRequest,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let call = hub.client.list_audit(request(message, timeout));
    let response = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if as_json {
        let entries: Vec<RecordJson<'_>> = response.entries.iter().map(record_json).collect();
        writeln!(out, "{}", json::to_line(&entries))?;
    } else {
        write!(out, "{}", table(&response.entries))?;
    }
    Ok(())
}

/// `audit verify --json`.
#[derive(Debug, Serialize)]
pub struct VerifyJson<'a> {
    pub intact: bool,
    pub entries_checked: u64,
    /// `null` when intact.
    pub first_broken_seq: Option<u64>,
    pub reason: Option<&'a str>,
    pub head_hash: &'a str,
}

pub fn verify_json(r: &VerifyAuditResponse) -> VerifyJson<'_> {
    VerifyJson {
        intact: r.intact,
        entries_checked: r.entries_checked,
        first_broken_seq: (!r.intact).then_some(r.first_broken_seq),
        reason: (!r.intact).then_some(r.reason.as_str()),
        head_hash: &r.head_hash,
    }
}

pub fn verify_text(r: &VerifyAuditResponse) -> String {
    if r.intact {
        format!(
            "audit log intact: {}\nhead hash: {}\n",
            plural(r.entries_checked as usize, "entry", "entries"),
            sanitize(&r.head_hash)
        )
    } else {
        format!(
            "BROKEN at entry #{}: {}\n({} intact before it)\n",
            r.first_broken_seq,
            sanitize(&r.reason),
            plural(r.entries_checked as usize, "entry", "entries")
        )
    }
}

/// One entry of `audit list --json`.
#[derive(Debug, Serialize)]
pub struct RecordJson<'a> {
    pub seq: u64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub court: &'a str,
    pub role: &'a str,
    pub method: &'a str,
    pub case_number: &'a str,
    pub debtor_ref: &'a str,
    pub decision: &'a str,
    pub outcome: &'a str,
    pub detail: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

pub fn record_json(r: &AuditRecord) -> RecordJson<'_> {
    RecordJson {
        seq: r.seq,
        at_ms: r.at_ms,
        actor: &r.actor,
        court: &r.court,
        role: &r.role,
        method: &r.method,
        case_number: &r.case_number,
        debtor_ref: &r.debtor_ref,
        decision: &r.decision,
        outcome: &r.outcome,
        detail: &r.detail,
        prev_hash: &r.prev_hash,
        hash: &r.hash,
    }
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}

pub fn table(entries: &[AuditRecord]) -> String {
    if entries.is_empty() {
        return "no audit entries\n".to_string();
    }
    let mut table = Table::new(&[
        ("SEQ", Align::Right),
        ("TIME", Align::Left),
        ("ACTOR", Align::Left),
        ("COURT", Align::Left),
        ("ROLE", Align::Left),
        ("METHOD", Align::Left),
        ("CASE", Align::Left),
        ("DEBTOR", Align::Left),
        ("DECISION", Align::Left),
        ("OUTCOME", Align::Left),
        ("HASH", Align::Left),
        ("DETAIL", Align::Left),
    ]);
    for e in entries {
        table.push(vec![
            e.seq.to_string(),
            utc_time(e.at_ms),
            or_dash(&e.actor),
            or_dash(&e.court),
            or_dash(&e.role),
            or_dash(&e.method),
            or_dash(&e.case_number),
            or_dash(&e.debtor_ref),
            or_dash(&e.decision),
            or_dash(&e.outcome),
            e.hash.chars().take(SHORT_HASH).collect(),
            e.detail.clone(),
        ]);
    }
    let mut out = table.lines().join("\n");
    out.push('\n');
    out.push_str(&plural(entries.len(), "entry", "entries"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> AuditRecord {
        AuditRecord {
            seq,
            at_ms: 1_714_521_600_000,
            actor: "李四".into(),
            court: "鄂0116".into(),
            role: "judge".into(),
            method: "/assethub.v1.Orders/PlaceHold".into(),
            case_number: "(2024)鄂0116执1234号".into(),
            debtor_ref: "0123456789abcdef0123456789abcdef".into(),
            decision: "allowed".into(),
            outcome: "ord-1".into(),
            detail: String::new(),
            prev_hash: "0".repeat(64),
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn verify_output() {
        let intact = VerifyAuditResponse {
            entries_checked: 12,
            intact: true,
            first_broken_seq: 0,
            reason: String::new(),
            head_hash: "ab".repeat(32),
        };
        assert!(verify_text(&intact).starts_with("audit log intact: 12 entries\n"));
        let line = json::to_line(&verify_json(&intact));
        assert!(line.starts_with(
            r#"{"intact":true,"entries_checked":12,"first_broken_seq":null,"reason":null,"#
        ));
        let broken = VerifyAuditResponse {
            entries_checked: 4,
            intact: false,
            first_broken_seq: 5,
            reason: "hash does not match the entry's content (entry edited)".into(),
            head_hash: String::new(),
        };
        assert!(verify_text(&broken).starts_with(
            "BROKEN at entry #5: hash does not match the entry's content (entry edited)\n"
        ));
        let line = json::to_line(&verify_json(&broken));
        assert!(line.contains(r#""intact":false"#) && line.contains(r#""first_broken_seq":5"#));
    }

    #[test]
    fn list_output() {
        assert_eq!(table(&[]), "no audit entries\n");
        let text = table(&[record(1), record(2)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("SEQ"));
        assert!(lines[1].contains("2024-05-01T00:00:00Z") && lines[1].contains("abababababab"));
        assert_eq!(lines[3], "2 entries");
        let records = [record(7)];
        let list: Vec<RecordJson<'_>> = records.iter().map(record_json).collect();
        let line = json::to_line(&list);
        assert!(line.starts_with(r#"[{"seq":7,"at_ms":1714521600000,"actor":"李四""#));
    }
}
