//! `RecordAnswer`: an off-line agency's written answer as an officer records it, validated for
//! shape at the edge (every field bounded, dates real, the outcome's figures present), then
//! handed to the desk, which checks it against the order and applies it (see
//! [`crate::orders::paper`]).

use super::{check, status, OrdersService};
use crate::audit::CallNote;
use crate::auth::{self, Method};
use crate::bounds;
use crate::orders::paper::{Outcome, Recording, WrittenAnswer};
use crate::validate::{bounded, Violation};
use assethub_connectors::domain::CivilDate;
use assethub_proto::v1 as pb;
use tonic::{Request, Response, Status};

/// Largest figure a written answer may state (fen or units), as for requests.
const MAX_FIGURE: i64 = super::validate::MAX_FEN;
/// Longest queue position accepted.
const MAX_POSITION: u32 = 100_000;

impl OrdersService {
    pub(super) async fn record_answer_impl(
        &self,
        request: Request<pb::RecordAnswerRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = auth::authorize(&request, Method::RecordAnswer)?;
        let note = CallNote::of(&request);
        let body = request.into_inner();
        note.detail(format!("order {}", body.order_id));
        let mut violations = Vec::new();
        let answer = written_answer(&body, &mut violations);
        super::validate::order_id(&body.order_id, "order_id", &mut violations);
        let key = body.idempotency_key.as_str();
        if bounded(
            &bounds::IDEMPOTENCY_KEY,
            key,
            "idempotency_key",
            &mut violations,
        ) && key.is_empty()
        {
            violations.push(Violation::new("idempotency_key", "is required"));
        }
        check(violations)?;
        let Some(answer) = answer else {
            return Err(Status::invalid_argument("the answer is incomplete"));
        };
        let order = self.desk.get(&body.order_id).await.map_err(status)?;
        note.case(&order.case_number);
        note.debtor(&order.debtor_id);
        auth::in_court(&caller, &order.court)?;
        let recording = Recording {
            order_id: body.order_id.clone(),
            key: key.to_string(),
            answer,
            caller,
        };
        let order = self.desk.record_answer(&recording).await.map_err(status)?;
        Ok(Response::new(super::convert::order(&order, self.today())))
    }
}

fn date(text: &str, field: &str, violations: &mut Vec<Violation>) -> Option<CivilDate> {
    if text.is_empty() {
        return None;
    }
    if text.len() > 10 {
        violations.push(Violation::new(field, "must be a date, yyyy-MM-dd"));
        return None;
    }
    CivilDate::parse(text)
        .map_err(|e| violations.push(Violation::new(field, e)))
        .ok()
}

fn text(
    value: &str,
    bound: &bounds::Bound,
    field: &str,
    violations: &mut Vec<Violation>,
) -> String {
    let value = value.trim();
    if bounded(bound, value, field, violations) {
        value.to_string()
    } else {
        String::new()
    }
}

/// The answer a request states, when its shape is right (each fault is a violation).
fn written_answer(
    b: &pb::RecordAnswerRequest,
    violations: &mut Vec<Violation>,
) -> Option<WrittenAnswer> {
    let outcome = match pb::AnswerOutcome::try_from(b.outcome) {
        Ok(pb::AnswerOutcome::Held) => Some(Outcome::Held),
        Ok(pb::AnswerOutcome::Queued) => Some(Outcome::Queued),
        Ok(pb::AnswerOutcome::Refused) => Some(Outcome::Refused),
        Ok(pb::AnswerOutcome::Released) => Some(Outcome::Released),
        Ok(pb::AnswerOutcome::Deducted) => Some(Outcome::Deducted),
        _ => {
            violations.push(Violation::new(
                "outcome",
                "must be one of HELD, QUEUED, REFUSED, RELEASED, DEDUCTED",
            ));
            None
        }
    };
    for (value, field) in [(b.amount_fen, "amount_fen"), (b.quantity, "quantity")] {
        if !(0..=MAX_FIGURE).contains(&value) {
            violations.push(Violation::new(
                field,
                format!("must be 0 or a positive number up to {MAX_FIGURE}"),
            ));
        }
    }
    if b.queue_position > MAX_POSITION {
        violations.push(Violation::new(
            "queue_position",
            format!("must be at most {MAX_POSITION}"),
        ));
    }
    let reason = text(&b.reason, &bounds::REASON, "reason", violations);
    let agency_ref = text(&b.agency_ref, &bounds::AGENCY_REF, "agency_ref", violations);
    let document = text(&b.document, &bounds::DOCUMENT, "document", violations);
    let from = date(&b.held_from, "held_from", violations);
    let until = date(&b.held_until, "held_until", violations);
    if from.is_some() != until.is_some() && violations.iter().all(|v| !v.field.starts_with("held_"))
    {
        violations.push(Violation::new(
            if from.is_none() {
                "held_from"
            } else {
                "held_until"
            },
            "a period states both its first and its last day",
        ));
    }
    let answered_on = date(&b.answered_on, "answered_on", violations);
    if b.answered_on.is_empty() {
        violations.push(Violation::new(
            "answered_on",
            "is required (the date of the written answer)",
        ));
    }
    if !violations.is_empty() {
        return None;
    }
    Some(WrittenAnswer {
        outcome: outcome?,
        amount_fen: b.amount_fen,
        quantity: b.quantity,
        queue_position: b.queue_position,
        reason,
        agency_ref,
        from,
        until,
        answered_on: answered_on?,
        document,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(b: &pb::RecordAnswerRequest) -> Vec<String> {
        let mut violations = Vec::new();
        let answer = written_answer(b, &mut violations);
        assert_eq!(answer.is_some(), violations.is_empty());
        violations.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn every_malformed_field_is_named() {
        let good = pb::RecordAnswerRequest {
            order_id: "ord-1".into(),
            idempotency_key: "k".into(),
            outcome: pb::AnswerOutcome::Held as i32,
            agency_ref: "蔡不动产查封字第7号".into(),
            held_from: "2026-12-03".into(),
            held_until: "2027-12-02".into(),
            answered_on: "2026-12-03".into(),
            document: "scan.pdf".into(),
            ..Default::default()
        };
        assert!(fields(&good).is_empty());
        let bad = pb::RecordAnswerRequest {
            outcome: 99,
            amount_fen: -1,
            quantity: MAX_FIGURE + 1,
            queue_position: MAX_POSITION + 1,
            reason: "x".repeat(201),
            agency_ref: "a\u{200b}b".into(),
            document: "d".repeat(201),
            held_from: "2026-02-30".into(),
            held_until: "2026-12-03T00:00".into(),
            answered_on: String::new(),
            ..good.clone()
        };
        assert_eq!(
            fields(&bad),
            [
                "outcome",
                "amount_fen",
                "quantity",
                "queue_position",
                "reason",
                "agency_ref",
                "document",
                "held_from",
                "held_until",
                "answered_on"
            ]
        );
        let half = pb::RecordAnswerRequest {
            held_until: String::new(),
            ..good
        };
        assert_eq!(fields(&half), ["held_until"]);
    }
}
