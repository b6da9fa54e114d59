//! `hubctl audit verify`, `hubctl audit list` and `hubctl audit checkpoint`: the hub's
//! tamper-evident audit log (`assethub.v1.Audit`). `verify` prints "audit log intact: N
//! entries" or "BROKEN ..." and exits 1 when the chain is broken or a checkpoint fails (the
//! checkpoints of `--checkpoint FILE` and the hub's newest, one verdict each); `list` prints
//! entries oldest first, as a table or a JSON array; `checkpoint` prints the newest signed
//! checkpoint (or signs one with `--now`), as text or as the JSON line to keep.
//!
//! The checkpoint half (reading kept checkpoints, rendering checkpoints and verdicts) lives
//! in `audit/checkpoints.rs`, the entry table and JSON of `list` in `audit/entries.rs`.

mod checkpoints;
mod entries;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assethub_proto::v1::audit_client::AuditClient;
use assethub_proto::v1::{
    CheckpointAuditRequest, ListAuditRequest, VerifyAuditRequest, VerifyAuditResponse,
};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::client::{bounded, request};
use crate::error::CliError;
use crate::json;
use crate::render::{plural, sanitize};

pub use checkpoints::{CheckpointReportJson, Kept};
pub use entries::{record_json, table, RecordJson};

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
    /// Walk the whole hash chain and name the first broken entry, and check that the log
    /// still extends each kept checkpoint and the hub's newest (exit code 1 when any fails).
    Verify(VerifyArgs),
    /// Print audit entries, oldest first.
    List(ListArgs),
    /// Print the hub's newest signed checkpoint of the log, or sign a new one (--now). With
    /// the global --json it prints the JSON line to keep:
    /// `hubctl --json audit checkpoint --now >> checkpoints.jsonl`.
    Checkpoint(CheckpointArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A JSON-lines file of kept checkpoints (as `hubctl --json audit checkpoint` prints
    /// them) to check the log against; repeatable.
    #[arg(long = "checkpoint", value_name = "FILE")]
    pub checkpoints: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Sign a new checkpoint of the log as it is now.
    #[arg(long)]
    pub now: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries numbered above N.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub after: u64,
    /// At most this many entries [hub default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: Option<u32>,
    /// Only entries of this case (either parenthesis form).
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: Option<String>,
    /// Only entries of this method, exactly as recorded (e.g. PlaceHold,
    /// agency:bank-gongxin:freeze).
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
}

impl ListArgs {
    pub fn request(&self) -> ListAuditRequest {
        ListAuditRequest {
            after_seq: self.after,
            limit: self.limit.unwrap_or(0),
            case_number: self.case_number.clone().unwrap_or_default(),
            method: self.method.clone().unwrap_or_default(),
            ..ListAuditRequest::default()
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
    let (conn, addr) = crate::client::channel(addr, timeout).await?;
    let client =
        AuditClient::new(conn).max_decoding_message_size(crate::client::MAX_RESPONSE_BYTES);
    Ok(AuditHub { client, addr })
}

/// Runs `audit verify`, `audit list` or `audit checkpoint`.
pub async fn run(
    addr: &str,
    timeout: Duration,
    args: AuditArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    // Kept checkpoints are read before connecting: a bad file fails without a call.
    let kept = match &args.command {
        AuditCommand::Verify(v) => checkpoints::read_files(&v.checkpoints)?,
        _ => Vec::new(),
    };
    let mut hub = connect(addr, Some(timeout)).await?;
    match args.command {
        AuditCommand::Verify(_) => verify(&mut hub, Some(timeout), &kept, as_json, out).await,
        AuditCommand::List(list_args) => {
            list(&mut hub, Some(timeout), list_args.request(), as_json, out).await
        }
        AuditCommand::Checkpoint(c) => {
            checkpoint(&mut hub, Some(timeout), c.now, as_json, out).await
        }
    }
}

pub async fn verify(
    hub: &mut AuditHub,
    timeout: Option<Duration>,
    kept: &[Kept],
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = VerifyAuditRequest {
        checkpoints: kept.iter().map(|k| k.checkpoint.clone().into()).collect(),
    };
    let call = hub.client.verify_audit(request(message, timeout));
    let report = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if !report.intact {
        BROKEN.store(true, Ordering::Relaxed);
    }
    let labels: Vec<&str> = kept.iter().map(|k| k.label.as_str()).collect();
    if as_json {
        writeln!(out, "{}", json::to_line(&verify_json(&report, &labels)))?;
    } else {
        write!(out, "{}", verify_text(&report, &labels))?;
    }
    Ok(())
}

pub async fn checkpoint(
    hub: &mut AuditHub,
    timeout: Option<Duration>,
    now: bool,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let call = hub
        .client
        .checkpoint_audit(request(CheckpointAuditRequest { sign_now: now }, timeout));
    let response = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if as_json {
        writeln!(out, "{}", checkpoints::json_line(&response)?)?;
    } else {
        write!(out, "{}", checkpoints::text(&response))?;
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
        if response.more {
            writeln!(
                out,
                "more entries follow: --after {} (with the same filters)",
                response.next_after_seq
            )?;
        }
    }
    Ok(())
}

/// `audit verify --json`.
#[derive(Debug, Serialize)]
pub struct VerifyJson<'a> {
    pub intact: bool,
    pub entries_checked: u64,
    /// `null` when the chain is intact.
    pub first_broken_seq: Option<u64>,
    pub reason: Option<&'a str>,
    pub head_hash: &'a str,
    /// One per kept checkpoint, in order, then the hub's newest.
    pub checkpoints: Vec<CheckpointReportJson<'a>>,
    /// What the hub cannot prove wrong but an auditor should look into.
    pub warnings: &'a [String],
}

/// `labels` name the kept checkpoints sent, in order ("mine.jsonl:3").
pub fn verify_json<'a>(r: &'a VerifyAuditResponse, labels: &[&'a str]) -> VerifyJson<'a> {
    VerifyJson {
        intact: r.intact,
        entries_checked: r.entries_checked,
        first_broken_seq: (r.first_broken_seq != 0).then_some(r.first_broken_seq),
        reason: (!r.intact).then_some(r.reason.as_str()),
        head_hash: &r.head_hash,
        checkpoints: checkpoints::reports_json(r, labels),
        warnings: &r.warnings,
    }
}

pub fn verify_text(r: &VerifyAuditResponse, labels: &[&str]) -> String {
    let entries = plural(r.entries_checked as usize, "entry", "entries");
    let mut text = if r.first_broken_seq != 0 {
        format!(
            "BROKEN at entry #{}: {}\n({entries} intact before it)\n",
            r.first_broken_seq,
            sanitize(&r.reason),
        )
    } else if r.intact {
        format!(
            "audit log intact: {entries}\nhead hash: {}\n",
            sanitize(&r.head_hash)
        )
    } else {
        let failed = r
            .checkpoints
            .iter()
            .filter(|c| !checkpoints::is_ok(c))
            .count();
        format!(
            "BROKEN: {failed} of {} failed (the chain alone verifies: {entries})\nhead hash: {}\n",
            plural(r.checkpoints.len(), "checkpoint", "checkpoints"),
            sanitize(&r.head_hash)
        )
    };
    text.push_str(&checkpoints::reports_text(r, labels));
    for warning in &r.warnings {
        text.push_str(&format!("WARNING: {}\n", sanitize(warning)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn verify_output() {
        let intact = VerifyAuditResponse {
            entries_checked: 12,
            intact: true,
            first_broken_seq: 0,
            reason: String::new(),
            head_hash: "ab".repeat(32),
            checkpoints: Vec::new(),
            warnings: Vec::new(),
        };
        assert!(verify_text(&intact, &[]).starts_with("audit log intact: 12 entries\n"));
        let line = json::to_line(&verify_json(&intact, &[]));
        assert!(line.starts_with(
            r#"{"intact":true,"entries_checked":12,"first_broken_seq":null,"reason":null,"#
        ));
        let broken = VerifyAuditResponse {
            entries_checked: 4,
            intact: false,
            first_broken_seq: 5,
            reason: "hash does not match the entry's content (entry edited)".into(),
            head_hash: String::new(),
            checkpoints: Vec::new(),
            warnings: Vec::new(),
        };
        assert!(verify_text(&broken, &[]).starts_with(
            "BROKEN at entry #5: hash does not match the entry's content (entry edited)\n"
        ));
        let line = json::to_line(&verify_json(&broken, &[]));
        assert!(line.contains(r#""intact":false"#) && line.contains(r#""first_broken_seq":5"#));
    }

    #[test]
    fn list_arguments_carry_the_filters() {
        let cli = crate::Cli::try_parse_from([
            "hubctl",
            "audit",
            "list",
            "--case",
            "(2024)鄂0116执1234号",
            "--method",
            "agency:bank-gongxin:freeze",
            "--after",
            "7",
        ])
        .expect("parses");
        let crate::Command::Audit(AuditArgs {
            command: AuditCommand::List(l),
        }) = cli.command
        else {
            panic!("audit list expected")
        };
        let request = l.request();
        assert_eq!(request.case_number, "(2024)鄂0116执1234号");
        assert_eq!(request.method, "agency:bank-gongxin:freeze");
        assert_eq!(
            (request.after_seq, request.limit, request.since_ms),
            (7, 0, 0)
        );
    }

    #[test]
    fn checkpoint_and_verify_arguments() {
        let parse = |args: &[&str]| {
            let cli = crate::Cli::try_parse_from(args).expect("parses");
            let crate::Command::Audit(a) = cli.command else {
                panic!("audit expected")
            };
            (cli.json, a.command)
        };
        let (json, command) = parse(&["hubctl", "--json", "audit", "checkpoint", "--now"]);
        assert!(
            json && matches!(
                command,
                AuditCommand::Checkpoint(CheckpointArgs { now: true })
            )
        );
        let (_, command) = parse(&["hubctl", "audit", "checkpoint"]);
        assert!(matches!(
            command,
            AuditCommand::Checkpoint(CheckpointArgs { now: false })
        ));
        let (_, command) = parse(&[
            "hubctl",
            "audit",
            "verify",
            "--checkpoint",
            "mine.jsonl",
            "--checkpoint",
            "/srv/theirs.jsonl",
        ]);
        let AuditCommand::Verify(v) = command else {
            panic!("verify expected")
        };
        assert_eq!(
            v.checkpoints,
            [
                PathBuf::from("mine.jsonl"),
                PathBuf::from("/srv/theirs.jsonl")
            ]
        );
        let (_, command) = parse(&["hubctl", "audit", "verify"]);
        assert!(matches!(command, AuditCommand::Verify(v) if v.checkpoints.is_empty()));
        assert!(crate::Cli::try_parse_from(["hubctl", "audit", "verify", "--checkpoint"]).is_err());
        assert!(crate::Cli::try_parse_from(["hubctl", "audit", "checkpoint", "--later"]).is_err());
    }
}
