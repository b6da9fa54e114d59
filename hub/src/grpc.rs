//! What every gRPC service of the hub shares, below all of them: INVALID_ARGUMENT with its field
//! violations ([`invalid_argument`]), the canonical names of status codes ([`code_name`]) as
//! the audit, the metrics and hubctl spell them, and the caller's deadline ([`grpc_timeout`]).
//! Imports only `bounds` and `validate`; knows no service.

use crate::bounds;
use crate::validate::{self, Violation};
use std::time::Duration;
use tonic::{Code, Request, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The canonical gRPC code name (`PERMISSION_DENIED`), as `ItemError.code`, hubctl and the
/// metrics spell it; defined in `assethub-client` so clients spell it alike.
pub use assethub_client::code_name;

pub fn grpc_timeout<T>(request: &Request<T>) -> Option<Duration> {
    // An interceptor's round trip drops the reserved `grpc-timeout` header; the auth
    // interceptor keeps what it said in the extensions.
    if let Some(GrpcTimeout(timeout)) = request.extensions().get::<GrpcTimeout>() {
        return Some(*timeout);
    }
    request
        .metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(validate::parse_grpc_timeout)
}

/// The caller's gRPC deadline, as read before interceptors strip the header.
#[derive(Debug, Clone, Copy)]
pub struct GrpcTimeout(pub Duration);

/// INVALID_ARGUMENT with the first [`bounds::MAX_FIELD_VIOLATIONS`] violations as a
/// `google.rpc.BadRequest`, and a message of at most [`bounds::MAX_ERROR_MESSAGE_BYTES`] that
/// lists them and says how many more there were.
pub fn invalid_argument(violations: &[Violation]) -> Status {
    let (shown, summary) = summarise(violations);
    let mut details = ErrorDetails::new();
    for v in shown {
        details.add_bad_request_violation(v.field.clone(), v.description.clone());
    }
    Status::with_error_details(
        Code::InvalidArgument,
        bounds::cut(
            &format!("invalid request: {summary}"),
            bounds::MAX_ERROR_MESSAGE_BYTES,
        ),
        details,
    )
}

/// The violations an error shows (each field and description bounded) and their summary.
pub(crate) fn summarise(violations: &[Violation]) -> (Vec<Violation>, String) {
    let shown: Vec<Violation> = violations
        .iter()
        .take(bounds::MAX_FIELD_VIOLATIONS)
        .map(|v| Violation::new(bounds::cut(&v.field, 100), bounds::cut(&v.description, 300)))
        .collect();
    let mut summary = shown
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    let more = violations.len() - shown.len();
    if more > 0 {
        summary.push_str(&format!(" (and {more} more)"));
    }
    (shown, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_ten_violations_in_at_most_a_kibibyte_and_count_the_rest() {
        let many: Vec<Violation> = (0..100_000)
            .map(|i| Violation::new(format!("kinds[{i}]"), "x".repeat(1000)))
            .collect();
        let status = invalid_argument(&many);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().len() <= 1024, "{}", status.message().len());
        assert!(status.message().starts_with("invalid request: kinds[0]: "));
        let shown = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(shown.len(), 10);
        assert_eq!(shown[9].field, "kinds[9]");
        assert!(shown[9].description.len() <= 300);
        let few = invalid_argument(&many[..2]);
        assert!(few
            .message()
            .ends_with(&format!("kinds[1]: {}…", "x".repeat(297))));
        let three: Vec<Violation> = (0..12)
            .map(|i| Violation::new(format!("f{i}"), "bad"))
            .collect();
        assert!(invalid_argument(&three)
            .message()
            .ends_with("f9: bad (and 2 more)"));
    }

    #[test]
    fn code_names_are_the_canonical_ones() {
        assert_eq!(code_name(Code::PermissionDenied), "PERMISSION_DENIED");
        assert_eq!(code_name(Code::Ok), "OK");
        assert_eq!(code_name(Code::Unauthenticated), "UNAUTHENTICATED");
    }
}
