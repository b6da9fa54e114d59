//! The Audit service's input checks: a request in, what the log understands out, or
//! INVALID_ARGUMENT naming every bad field (`checkpoints[2].head_hash`, `until_ms`).

use super::bounded::FIELD_LIMIT;
use super::{Checkpoint, ListQuery};
use crate::bounds;
use crate::validate::Violation;
use assethub_proto::v1 as pb;
use tonic::Status;

pub use assethub_client::checkpoint::MAX_CHECKPOINTS;

/// The request's checkpoints, each well formed (whether signed by the hub is judged later).
pub fn checkpoints(given: Vec<pb::AuditCheckpoint>) -> Result<Vec<Checkpoint>, Status> {
    if given.len() > MAX_CHECKPOINTS {
        return Err(crate::grpc::invalid_argument(&[Violation::new(
            "checkpoints",
            format!(
                "{} checkpoints; at most {MAX_CHECKPOINTS} per request",
                given.len()
            ),
        )]));
    }
    let checkpoints: Vec<Checkpoint> = given.into_iter().map(Checkpoint::from).collect();
    let violations: Vec<Violation> = checkpoints
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.problems().into_iter().map(move |(field, problem)| {
                // The JSON line's "v" is the message's `version`.
                let field = if field == "v" { "version" } else { field };
                Violation::new(format!("checkpoints[{i}].{field}"), problem)
            })
        })
        .collect();
    if violations.is_empty() {
        Ok(checkpoints)
    } else {
        Err(crate::grpc::invalid_argument(&violations))
    }
}

/// The listing a ListAudit request asks for.
pub fn list_query(request: pb::ListAuditRequest) -> Result<ListQuery, Status> {
    let mut violations = Vec::new();
    for (field, value, bound) in [
        ("case_number", &request.case_number, &bounds::AUDIT_FILTER),
        ("method", &request.method, &bounds::AUDIT_METHOD),
    ] {
        if value.len() > FIELD_LIMIT {
            violations.push(Violation::new(
                field,
                format!("at most {FIELD_LIMIT} bytes (no recorded value is longer)"),
            ));
        } else {
            crate::validate::bounded(bound, value, field, &mut violations);
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
        return Err(crate::grpc::invalid_argument(&violations));
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
    fn malformed_checkpoints_are_named_by_index_and_field() {
        let good = crate::audit::CheckpointKey::from_seed(
            "k",
            "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=",
        )
        .unwrap()
        .sign(1, &"a".repeat(64), 1);
        let mut bad = pb::AuditCheckpoint::from(good.clone());
        bad.version = 7;
        bad.head_hash = "xyz".into();
        let status = checkpoints(vec![good.clone().into(), bad]).unwrap_err();
        assert_eq!(
            fields(&status),
            ["checkpoints[1].version", "checkpoints[1].head_hash"]
        );
        let many = vec![pb::AuditCheckpoint::from(good.clone()); MAX_CHECKPOINTS + 1];
        assert_eq!(fields(&checkpoints(many).unwrap_err()), ["checkpoints"]);
        assert_eq!(checkpoints(vec![good.clone().into()]).unwrap(), vec![good]);
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
