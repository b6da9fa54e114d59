//! Failures of a `hubctl` command, how they are reported (stderr for people, a JSON object on
//! stdout with `--json`), and the exit code: 2 for invalid arguments, 3 when a control order
//! the command placed, acted with or approved ended rejected or failed (the order itself is
//! printed as usual), 1 otherwise.

use std::process::ExitCode;

use tonic::Code;
use tonic_types::StatusExt;

use crate::json::{ErrorJson, FailureJson, ViolationJson};

/// The command that starts the demo hub, quoted in connection errors.
pub const DEMO_HINT: &str = "cargo run --release -p assethub-demo";

#[derive(Debug)]
pub enum CliError {
    /// Bad local input: the CSV file, an address that is not a URI.
    Input(String),
    /// No connection to the hub.
    Connect { addr: String, detail: String },
    /// The hub answered with a non-OK status.
    Status { addr: String, status: tonic::Status },
    /// The command did not complete (e.g. a batch stream that ended early).
    Incomplete(String),
    /// Writing the output failed (other than a closed pipe).
    Io(std::io::Error),
    /// Orders the command made ended rejected or failed, one line each; already printed.
    OrderEnded(Vec<String>),
    /// An assistance notice that does not verify: why, one line.
    NoticeInvalid(String),
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e)
    }
}

impl CliError {
    pub fn status(addr: &str, status: tonic::Status) -> Self {
        CliError::Status {
            addr: addr.to_string(),
            status,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) => ExitCode::from(2),
            CliError::Status { status, .. } if status.code() == Code::InvalidArgument => {
                ExitCode::from(2)
            }
            CliError::OrderEnded(_) => ExitCode::from(3),
            _ => ExitCode::from(1),
        }
    }

    /// The error as `--json` shows it.
    pub fn to_json(&self) -> ErrorJson {
        let simple = |code: &str, message: String| ErrorJson {
            code: code.to_string(),
            message,
            violations: Vec::new(),
            reason: String::new(),
        };
        match self {
            CliError::Input(m) => simple("INVALID_ARGUMENT", m.clone()),
            CliError::Connect { addr, detail } => simple(
                "UNAVAILABLE",
                format!("no hub is listening at {addr}: {detail}"),
            ),
            CliError::Status { status, .. } => status_json(status),
            CliError::Incomplete(m) => simple("UNAVAILABLE", m.clone()),
            CliError::Io(e) => simple("INTERNAL", e.to_string()),
            CliError::OrderEnded(lines) => simple("ABORTED", lines.join("; ")),
            CliError::NoticeInvalid(m) => simple("INVALID_NOTICE", m.clone()),
        }
    }

    /// The error for people, several lines, no trailing newline.
    pub fn to_text(&self) -> String {
        match self {
            CliError::Input(m) => format!("error: {m}"),
            CliError::Connect { addr, detail } => format!(
                "error: no hub is listening at {addr} ({detail}).\n\
                 Start the demo hub with:\n    {DEMO_HINT}\n\
                 or point --addr (or ASSETHUB_ADDR) at a running hub."
            ),
            CliError::Status { addr, status } => {
                let e = status_json(status);
                // With field details the hub's message repeats them: print each field once.
                let message = if e.violations.is_empty() {
                    e.message.as_str()
                } else {
                    e.message.split(':').next().unwrap_or_default()
                };
                let mut text = if e.reason.is_empty() {
                    format!("error: {}: {message}", e.code)
                } else {
                    format!("error: {} ({}): {message}", e.code, e.reason)
                };
                for v in &e.violations {
                    text.push_str(&format!("\n  {}: {}", v.field, v.description));
                }
                match status.code() {
                    Code::Unavailable => text.push_str(&format!(
                        "\nIf no hub is running at {addr}, start the demo hub with:\n    {DEMO_HINT}"
                    )),
                    Code::DeadlineExceeded => text.push_str(
                        "\nThe call ran out of time; raise --timeout-ms (and --deadline-ms).",
                    ),
                    Code::FailedPrecondition if e.reason == "CASE_NOT_REGISTERED" => text.push_str(
                        "\nThe court's case system registers a case first: hubctl case register (or case import).",
                    ),
                    Code::FailedPrecondition if e.reason == "DEBTOR_NOT_A_PARTY" => text.push_str(
                        "\nhubctl case show CASE lists the case's debtors as registered.",
                    ),
                    _ => {}
                }
                text
            }
            CliError::Incomplete(m) => format!("error: {m}"),
            CliError::Io(e) => format!("error: writing output: {e}"),
            CliError::OrderEnded(lines) => lines.join("\n"),
            CliError::NoticeInvalid(m) => format!("invalid notice: {m}"),
        }
    }

    /// Reports the error: text on stderr, and with `--json` also `{"error": ...}` on stdout
    /// (not for orders that ended badly: stdout already holds them, one JSON object).
    pub fn report(&self, json: bool) {
        eprintln!("{}", crate::render::sanitize_multiline(&self.to_text()));
        if json && !matches!(self, CliError::OrderEnded(_)) {
            println!(
                "{}",
                crate::json::to_line(&FailureJson {
                    error: self.to_json()
                })
            );
        }
    }
}

/// A hub status as code name, message and the `google.rpc.BadRequest` field violations.
pub fn status_json(status: &tonic::Status) -> ErrorJson {
    let violations = status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| ViolationJson {
                    field: v.field,
                    description: v.description,
                })
                .collect()
        })
        .unwrap_or_default();
    ErrorJson {
        code: code_name(status.code()).to_string(),
        message: status.message().to_string(),
        violations,
        reason: status
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_default(),
    }
}

pub use assethub_client::code_name;

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn invalid_argument_carries_violations_and_exits_2() {
        let details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
            "debtor.id_number",
            "check character mismatch",
        )]);
        let status =
            tonic::Status::with_error_details(Code::InvalidArgument, "invalid request", details);
        let err = CliError::status("http://h:1", status);
        assert_eq!(err.exit_code(), ExitCode::from(2));
        let json = err.to_json();
        assert_eq!(json.code, "INVALID_ARGUMENT");
        assert_eq!(json.message, "invalid request");
        assert_eq!(
            json.violations,
            vec![ViolationJson {
                field: "debtor.id_number".into(),
                description: "check character mismatch".into()
            }]
        );
        let text = err.to_text();
        assert!(text.contains("INVALID_ARGUMENT: invalid request"));
        assert!(text.contains("  debtor.id_number: check character mismatch"));
        // The hub's message names the fields too: each is printed once.
        let details = ErrorDetails::with_bad_request(vec![FieldViolation::new("days", "too long")]);
        let status = tonic::Status::with_error_details(
            Code::InvalidArgument,
            "invalid request: days: too long",
            details,
        );
        let text = CliError::status("http://h:1", status).to_text();
        assert_eq!(
            text,
            "error: INVALID_ARGUMENT: invalid request\n  days: too long"
        );
    }

    #[test]
    fn a_refused_case_names_its_reason_and_what_to_do() {
        let mut details = ErrorDetails::new();
        details.set_error_info(
            "CASE_NOT_REGISTERED",
            "assethub.v1",
            std::collections::HashMap::new(),
        );
        let status = tonic::Status::with_error_details(
            Code::FailedPrecondition,
            "case X is not registered",
            details,
        );
        let err = CliError::status("http://h:1", status);
        assert_eq!(err.to_json().reason, "CASE_NOT_REGISTERED");
        let text = err.to_text();
        assert!(text.starts_with(
            "error: FAILED_PRECONDITION (CASE_NOT_REGISTERED): case X is not registered\n"
        ));
        assert!(text.contains("hubctl case register"));
    }

    #[test]
    fn other_failures_exit_1_and_connect_explains() {
        let err = CliError::status("http://h:1", tonic::Status::internal("boom"));
        assert_eq!(err.exit_code(), ExitCode::from(1));
        assert!(err.to_json().violations.is_empty());
        let err = CliError::Connect {
            addr: "http://127.0.0.1:50051".into(),
            detail: "Connection refused".into(),
        };
        assert_eq!(err.exit_code(), ExitCode::from(1));
        let text = err.to_text();
        assert!(text.contains("no hub is listening at http://127.0.0.1:50051"));
        assert!(text.contains(DEMO_HINT));
        assert_eq!(CliError::Input("x".into()).exit_code(), ExitCode::from(2));
        assert_eq!(code_name(Code::DeadlineExceeded), "DEADLINE_EXCEEDED");
    }
}
