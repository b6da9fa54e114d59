//! `hubctl notice ID [-o FILE]`: the assistance notice (协助执行通知书) of a control order, or
//! the inquiry notice (协助查询通知书) of an inquiry (an id `inq-…`, as `hubctl inquiries` lists
//! them), as the hub renders and signs it, a PDF for an agency that works on paper. It holds
//! the debtor's name and identity number: `-o` writes it with mode 0600, and PDF bytes are
//! never written to a terminal. `hubctl notice verify FILE --public-key B64 [--key-id ID]`
//! checks a notice off-line — a PDF (its QR code and its printed fields) or a scan (PNG, JPEG:
//! its QR code) — against the hub's public instruction key; no hub is called. Off-line
//! verification applies no freshness window (a paper notice is read days after signing).
//! Exit codes: 0 valid, 1 with a one-line reason otherwise.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use assethub_notice::{PublicKeys, Signed};
use assethub_proto::v1::get_notice_request::Subject;
use assethub_proto::v1::notices_client::NoticesClient;
use assethub_proto::v1::GetNoticeRequest;
use clap::{Args, Subcommand};

use crate::client::{bounded, request};
use crate::error::CliError;
use crate::json;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct NoticeArgs {
    #[command(subcommand)]
    pub command: Option<NoticeCommand>,
    /// The control order (`ord-…`) or inquiry (`inq-…`) whose notice to render.
    #[arg(value_name = "ID", required = true)]
    pub order_id: Option<String>,
    /// Write the PDF to FILE (mode 0600) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// Verify a notice off-line: a PDF (QR and printed fields) or a scan (PNG/JPEG, QR).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The notice: a PDF as the hub rendered it, or a PNG/JPEG scan of its first page.
    pub file: PathBuf,
    /// The hub's public instruction key (base64, 32 bytes), as agencies configure it.
    #[arg(long, value_name = "B64")]
    pub public_key: String,
    /// Accept the key only under this key id [default: whatever id the notice names].
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,
}

impl NoticeArgs {
    /// Whether the command calls the hub (verification does not).
    pub fn calls_hub(&self) -> bool {
        self.command.is_none()
    }
}

pub async fn run(
    addr: &str,
    timeout: Duration,
    args: NoticeArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    match args.command {
        Some(NoticeCommand::Verify(v)) => verify(&v, as_json, out),
        None => {
            let order_id = args.order_id.unwrap_or_default();
            fetch(
                addr,
                timeout,
                order_id,
                args.output.as_deref(),
                as_json,
                out,
            )
            .await
        }
    }
}

/// An inquiry's id starts `inq-`; anything else names an order.
fn subject(id: String) -> Subject {
    if id.starts_with("inq-") {
        Subject::InquiryId(id)
    } else {
        Subject::OrderId(id)
    }
}

#[derive(serde::Serialize)]
struct WrittenJson<'a> {
    file: String,
    title: &'a str,
    key_id: &'a str,
    signed_at: i64,
    bytes: usize,
}

async fn fetch(
    addr: &str,
    timeout: Duration,
    order_id: String,
    output: Option<&Path>,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    if output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Input(
            "the notice is a PDF holding personal data: redirect it (> notice.pdf) or give -o FILE"
                .into(),
        ));
    }
    let (conn, addr) = crate::client::channel(addr, Some(timeout)).await?;
    let mut client = NoticesClient::new(conn);
    let call = client.get_notice(request(
        GetNoticeRequest {
            subject: Some(subject(order_id)),
        },
        Some(timeout),
    ));
    let notice = bounded(Some(timeout), call)
        .await
        .map_err(|s| CliError::status(&addr, s))?
        .into_inner();
    let Some(path) = output else {
        out.write_all(&notice.pdf)?;
        return Ok(());
    };
    assethub_client::private_files::write(path, &notice.pdf)
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?;
    if as_json {
        let line = json::to_line(&WrittenJson {
            file: path.display().to_string(),
            title: &notice.title,
            key_id: &notice.key_id,
            signed_at: notice.signed_at,
            bytes: notice.pdf.len(),
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(
            out,
            "{} written to {} ({} bytes, mode 0600, holds personal data), signed by key {}",
            notice.title,
            path.display(),
            notice.pdf.len(),
            notice.key_id
        )?;
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct VerifiedJson<'a> {
    valid: bool,
    title: &'a str,
    number: &'a str,
    case_number: &'a str,
    key_id: &'a str,
    signed_at: i64,
    printed_fields_checked: bool,
}

fn verify(args: &VerifyArgs, as_json: bool, out: &mut impl Write) -> Result<(), CliError> {
    let keys = PublicKeys::default()
        .with(args.key_id.as_deref(), &args.public_key)
        .map_err(|e| CliError::Input(format!("--public-key: {e}")))?;
    let verified = assethub_notice::verify_file(&args.file, &keys)
        .map_err(|e| CliError::NoticeInvalid(e.to_string()))?;
    let payload = &verified.payload;
    let title = assethub_notice::model::title(&payload.body);
    if as_json {
        let line = json::to_line(&VerifiedJson {
            valid: true,
            title,
            number: payload.body.number(),
            case_number: payload.body.case(),
            key_id: &payload.key_id,
            signed_at: payload.signed_at,
            printed_fields_checked: verified.printed_checked,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let what = match &payload.body {
        Signed::Instruction(f) => format!(
            "{} of order {} ({}) in case {}",
            title,
            f.key,
            assethub_notice::model::action_words(&f.action),
            f.case
        ),
        Signed::Inquiry(f) => format!("{} of inquiry {} in case {}", title, f.inquiry_id, f.case),
    };
    let printed = if verified.printed_checked {
        "; its printed fields match the signed ones"
    } else {
        "; a scan: only its QR code was checked, compare the printed fields by eye"
    };
    writeln!(
        out,
        "valid: {what}, signed by key {} at {}{printed}",
        payload.key_id,
        assethub_notice::model::beijing_time(payload.signed_at)
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
        let mut full = vec!["hubctl"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full)
    }

    #[test]
    fn an_order_id_renders_and_verify_checks_a_file_without_the_hub() {
        let Command::Notice(n) = parse(&["notice", "ord-1", "-o", "n.pdf"]).unwrap().command else {
            panic!("a notice command");
        };
        assert!(n.calls_hub());
        assert_eq!(n.order_id.as_deref(), Some("ord-1"));
        assert_eq!(n.output.as_deref(), Some(std::path::Path::new("n.pdf")));
        let Command::Notice(n) = parse(&["notice", "verify", "scan.png", "--public-key", "k"])
            .unwrap()
            .command
        else {
            panic!("a notice command");
        };
        assert!(!n.calls_hub());
        let Some(super::NoticeCommand::Verify(v)) = n.command else {
            panic!("verify");
        };
        assert_eq!(v.file, std::path::Path::new("scan.png"));
        assert_eq!(v.key_id, None);
        // Neither an order nor a file: refused; verify needs the key.
        assert!(parse(&["notice"]).is_err());
        assert!(parse(&["notice", "verify", "scan.png"]).is_err());
    }

    #[test]
    fn a_notice_that_does_not_verify_exits_1_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-notice.png");
        std::fs::write(&file, b"plain text").unwrap();
        let args = super::VerifyArgs {
            file,
            public_key: "fRMhVfSBTleCMgCvXyXHLDv4PT+lofwK2tuhWFlBW8M=".into(),
            key_id: None,
        };
        let err = super::verify(&args, false, &mut Vec::new()).unwrap_err();
        assert_eq!(err.exit_code(), std::process::ExitCode::from(1));
        assert!(
            err.to_text()
                .starts_with("invalid notice: cannot read the notice"),
            "{}",
            err.to_text()
        );
        let bad_key = super::VerifyArgs {
            public_key: "short".into(),
            ..args
        };
        let err = super::verify(&bad_key, false, &mut Vec::new()).unwrap_err();
        assert_eq!(err.exit_code(), std::process::ExitCode::from(2));
    }
}
