//! The Audit service's input checks: a request in, what the log understands out, or
//! INVALID_ARGUMENT naming every bad field (`until_ms`).

use super::bounded::FIELD_LIMIT;
use super::ListQuery;
use crate::validate::Violation;
use assethub_proto::v1 as pb;
use tonic::Status;

/// The listing a ListAudit request asks for.
pub fn list_query(request: pb::ListAuditRequest) -> Result<ListQuery, Status> {
    let mut violations = Vec::new();
    for (field, value) in [
        ("case_number", &request.case_number),
        ("method", &request.method),
    ] {
        if value.len() > FIELD_LIMIT {
            violations.push(Violation::new(
                field,
                format!("at most {FIELD_LIMIT} bytes (no recorded value is longer)"),
            ));
        }
    }
    for (field, value) in [
        ("since_ms", request.since_ms),
        ("until_ms", request.until_ms),
    ] {
        if value < 0 {
            violations.push(Violation::new(
                field,
                "must be a Unix time in milliseconds, or 0 for no bound",
            ));
        }
    }
    if request.since_ms > 0 && request.until_ms > 0 && request.until_ms <= request.since_ms {
        violations.push(Violation::new("until_ms", "must be after since_ms"));
    }
    if !violations.is_empty() {
        return Err(crate::service::invalid_argument(&violations));
    }
    Ok(ListQuery {
        after_seq: request.after_seq,
        limit: request.limit,
        max_bytes: request.max_bytes,
        case_number: request.case_number,
        method: request.method,
        since_ms: request.since_ms,
        until_ms: request.until_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;

    fn fields(status: &Status) -> Vec<String> {
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        status
            .get_details_bad_request()
            .expect("field details")
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn listing_filters_are_checked() {
        let status = list_query(pb::ListAuditRequest {
            case_number: "x".repeat(FIELD_LIMIT + 1),
            since_ms: 10,
            until_ms: 10,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(&status), ["case_number", "until_ms"]);
        let status = list_query(pb::ListAuditRequest {
            since_ms: -1,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(&status), ["since_ms"]);
        let query = list_query(pb::ListAuditRequest {
            after_seq: 4,
            method: "PlaceHold".into(),
            until_ms: 99,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (query.after_seq, query.method.as_str(), query.until_ms),
            (4, "PlaceHold", 99)
        );
    }
}
