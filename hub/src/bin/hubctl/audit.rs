//! `hubctl audit verify` and `hubctl audit list`: the hub's tamper-evident audit log
//! (`assethub.v1.Audit`). `verify` prints "audit log intact: N entries" or "BROKEN at entry
//! #SEQ: REASON" and exits 1 when broken; `list` prints entries oldest first, as a table or a
//! JSON array (`audit/entries.rs`).

mod entries;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assethub_proto::v1::audit_client::AuditClient;
use assethub_proto::v1::{ListAuditRequest, VerifyAuditRequest, VerifyAuditResponse};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::client::{bounded, normalize_addr, request};
use crate::error::{chain, CliError};
use crate::json;
use crate::render::{plural, sanitize};

pub use entries::{record_json, table, RecordJson};

/// Largest response message accepted (a long page of entries).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Longest wait for the TCP/HTTP2 connection itself.
const MAX_CONNECT: Duration = Duration::from_secs(5);

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
        .verify_audit(request(VerifyAuditRequest::default(), timeout));
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
            checkpoints: Vec::new(),
        };
        assert!(verify_text(&broken).starts_with(
            "BROKEN at entry #5: hash does not match the entry's content (entry edited)\n"
        ));
        let line = json::to_line(&verify_json(&broken));
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
}
