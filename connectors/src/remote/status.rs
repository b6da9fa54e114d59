//! gRPC statuses from a remote connector as [`ConnectorError`]s, by the table in
//! `connector.proto`: the code gives the class, a `google.rpc.ErrorInfo` of the protocol's
//! domain (reason = the class in capitals) overrides it, and a `google.rpc.RetryInfo` becomes
//! `retry_after`. Codes the table does not name are classed by what they mean (CANCELLED: the
//! call was cut off, a connect error; ABORTED: a conflict worth retrying, a server error;
//! ALREADY_EXISTS, OUT_OF_RANGE: refusals); a deadline that passed before any answer is a
//! timeout whatever tonic calls it. Error texts are bounded and carry no personal
//! data: the debtor's number and name, and anything shaped like an identity number or credit
//! code, are masked before the text leaves this module.

use crate::domain::{mask_id, mask_name, Debtor, DebtorId};
use crate::error::{ConnectorError, ErrorClass};
use crate::http::truncate;
use std::time::Duration;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The `ErrorInfo` domain of the protocol.
pub const ERROR_DOMAIN: &str = "assethub.connector.v1";
/// Longest stretch of a connector's own message kept in an error.
const MAX_MESSAGE_CHARS: usize = 200;
/// Longest retry-after honoured (a connector asking for more is asked again after this).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3_600);

/// The class of a status code, as `connector.proto` tabulates it.
pub fn class_of_code(code: Code) -> ErrorClass {
    match code {
        Code::Unavailable | Code::Cancelled => ErrorClass::Connect,
        Code::DeadlineExceeded => ErrorClass::Timeout,
        Code::ResourceExhausted => ErrorClass::RateLimited,
        Code::Internal | Code::Unknown | Code::Aborted => ErrorClass::Server,
        Code::Unauthenticated | Code::PermissionDenied => ErrorClass::Auth,
        Code::InvalidArgument
        | Code::FailedPrecondition
        | Code::NotFound
        | Code::AlreadyExists
        | Code::OutOfRange => ErrorClass::Rejected,
        Code::DataLoss | Code::Ok => ErrorClass::Malformed,
        Code::Unimplemented => ErrorClass::Unsupported,
    }
}

/// The class an `ErrorInfo` reason names (the hub's own `circuit_open` is not a connector's).
pub fn class_of_reason(reason: &str) -> Option<ErrorClass> {
    Some(match reason {
        "CONNECT" => ErrorClass::Connect,
        "TIMEOUT" => ErrorClass::Timeout,
        "RATE_LIMITED" => ErrorClass::RateLimited,
        "SERVER" => ErrorClass::Server,
        "AUTH" => ErrorClass::Auth,
        "REJECTED" => ErrorClass::Rejected,
        "MALFORMED" => ErrorClass::Malformed,
        "UNSUPPORTED" => ErrorClass::Unsupported,
        _ => return None,
    })
}

/// The error a status from `call` (e.g. "Query") means; `debtor` is masked out of its text.
pub fn error_of(status: &Status, call: &str, debtor: Option<&Debtor>) -> ConnectorError {
    if deadline_passed_here(status) {
        return ConnectorError::new(
            ErrorClass::Timeout,
            format!("remote connector {call}: no answer within the deadline"),
        );
    }
    let details = status.get_error_details();
    let reason = details
        .error_info()
        .filter(|info| info.domain == ERROR_DOMAIN || info.domain.is_empty())
        .and_then(|info| class_of_reason(&info.reason));
    let class = reason.unwrap_or_else(|| class_of_code(status.code()));
    let retry_after = details
        .retry_info()
        .and_then(|info| info.retry_delay)
        .map(|delay| delay.min(MAX_RETRY_AFTER));
    let message = format!(
        "remote connector {call}: {:?}: {}",
        status.code(),
        clean_text(status.message(), debtor)
    );
    ConnectorError {
        class,
        message,
        retry_after,
    }
}

/// Whether tonic itself gave up because the call's deadline passed (it reports that as
/// CANCELLED "Timeout expired", which is no connect error).
fn deadline_passed_here(status: &Status) -> bool {
    let mut source = std::error::Error::source(status);
    while let Some(error) = source {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// A connector's own words made fit for an error or a log: at most 200 characters, control
/// characters replaced, the debtor's number and name and anything shaped like an identity
/// number or credit code masked.
pub fn clean_text(text: &str, debtor: Option<&Debtor>) -> String {
    let mut text: String = text
        .chars()
        .take(MAX_MESSAGE_CHARS * 4)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if let Some(debtor) = debtor {
        let name = debtor.name.trim();
        if !name.is_empty() {
            text = text.replace(name, &mask_name(name));
        }
    }
    truncate(&mask_identifiers(&text), MAX_MESSAGE_CHARS)
}

/// Masks every run of 18 ASCII letters and digits that is a valid identity number or credit
/// code (the debtor's or anybody's).
fn mask_identifiers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 18 && DebtorId::parse_recorded(run).is_ok() {
            out.push_str(&mask_id(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked_and_texts_are_bounded() {
        let debtor = Debtor {
            id: DebtorId::parse("11010519491231002X").unwrap(),
            name: "张伟".into(),
        };
        let text = clean_text(
            "张伟 (11010519491231002X) holds nothing; see 91350100M000100Y43\nbye",
            Some(&debtor),
        );
        assert_eq!(
            text,
            "张* (110105********002X) holds nothing; see 913501********0Y43 bye"
        );
        let long = clean_text(&"x".repeat(5_000), None);
        assert_eq!(long.chars().count(), MAX_MESSAGE_CHARS + 1);
        // Not an identifier (wrong check character): left alone.
        assert_eq!(clean_text("110105194912310021", None), "110105194912310021");
    }
}
