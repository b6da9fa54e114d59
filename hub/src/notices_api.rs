//! The tonic service for `assethub.v1.Notices`: the assistance notice (协助执行通知书) of a
//! control order as a signed PDF, for agencies that receive their instructions on paper. The
//! notice signs the very instruction the executor would send ([`instruction_of`]) at the
//! order's recorded time, so rendering again gives the same signature and bytes. Authorized
//! like GetOrder (the caller's court only), and only for orders that may be sent (four-eyes:
//! none while an order awaits approval or after it was rejected); the gate audits every call, and the handler notes
//! the case, the debtor and the order. Rendering is left to `assethub-notice`.

use crate::audit::CallNote;
use crate::auth::{self, Method};
use crate::bounds;
use crate::grpc::invalid_argument;
use crate::inquiries::Inquiries;
use crate::orders::instruction::instruction_of;
use crate::orders::{paper, Desk, DeskError, Order, State};
use crate::validate::{bounded, Violation};
use assethub_connectors::domain::CivilDate;
use assethub_connectors::signature::InstructionSigner;
use assethub_notice::{CjkFont, Extras, InquiryFields, Notice, SignedPayload};
use assethub_proto::v1 as pb;
use pb::get_notice_request::Subject;
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct NoticesService {
    desk: Arc<Desk>,
    inquiries: Arc<Inquiries>,
    signer: InstructionSigner,
    /// The CJK font, or why there is none (said to every caller until one is installed).
    font: Result<CjkFont, String>,
}

impl NoticesService {
    pub fn new(
        desk: Arc<Desk>,
        inquiries: Arc<Inquiries>,
        signer: InstructionSigner,
        font: Result<CjkFont, String>,
    ) -> Self {
        Self {
            desk,
            inquiries,
            signer,
            font,
        }
    }

    /// The 协助查询通知书 of an inquiry: signed at the inquiry's recorded time, so asking again
    /// gives the same notice.
    async fn inquiry_notice(
        &self,
        caller: &crate::identity::Caller,
        note: &CallNote,
        id: &str,
    ) -> Result<Response<pb::Notice>, Status> {
        let inquiry = self
            .inquiries
            .get(id)
            .await
            .map_err(|e| Status::internal(format!("the inquiry book: {e}")))?
            .ok_or_else(|| Status::not_found(format!("no inquiry {id}")))?;
        note.case(&inquiry.case_number);
        auth::in_court(caller, &inquiry.court)?;
        note.debtor(&inquiry.debtor_id);
        let fields = InquiryFields {
            inquiry_id: inquiry.inquiry_id.clone(),
            case: inquiry.case_number.clone(),
            court: inquiry.court.clone(),
            officer: String::new(),
            source: inquiry.source.clone(),
            debtor_id: inquiry.debtor_id.clone(),
            debtor_name: inquiry.debtor_name.clone(),
            ticket: inquiry.ticket.clone(),
        };
        let notice = Notice {
            payload: SignedPayload::inquiry(
                &self.signer,
                fields,
                inquiry.created_at_ms.div_euclid(1000),
            ),
            extras: Extras {
                agency: inquiry.source.clone(),
                ..Extras::default()
            },
        };
        self.rendered(notice, id).await
    }

    async fn get_notice_impl(
        &self,
        request: Request<pb::GetNoticeRequest>,
    ) -> Result<Response<pb::Notice>, Status> {
        let caller = auth::authorize(&request, Method::GetNotice)?;
        let note = CallNote::of(&request);
        let mut violations = Vec::new();
        let id = match request.into_inner().subject {
            Some(Subject::OrderId(id)) => {
                order_id(&id, "order_id", &mut violations);
                check(violations)?;
                id
            }
            Some(Subject::InquiryId(id)) => {
                order_id(&id, "inquiry_id", &mut violations);
                check(violations)?;
                note.detail(format!("notice of inquiry {id}"));
                return self.inquiry_notice(&caller, &note, &id).await;
            }
            None => {
                violations.push(Violation::new("subject", "give order_id or inquiry_id"));
                return Err(invalid_argument(&violations));
            }
        };
        note.detail(format!("notice of order {id}"));
        let order = self.desk.get(&id).await.map_err(desk_status)?;
        note.case(&order.case_number);
        auth::in_court(&caller, &order.court)?;
        note.debtor(&order.debtor_id);
        issuable(&order)?;
        let hold = if order.action.places_hold() {
            String::new()
        } else {
            match self.desk.get(&order.target_order_id).await {
                Ok(target) if !target.agency_ref.is_empty() => target.agency_ref,
                Ok(_) => {
                    return Err(Status::failed_precondition(
                        "the hold this order acts on has no agency reference yet: record the agency's answer to it first",
                    ))
                }
                Err(e) => return Err(desk_status(e)),
            }
        };
        let instruction = instruction_of(&order, hold).map_err(Status::internal)?;
        // An off-line agency's notice carries the signature recorded when it was issued; any
        // other order's is signed at its recorded time. Either way, asking again gives the same
        // notice.
        let signed_at = match paper::store::notice_of(self.desk.ledger().pool(), &id)
            .await
            .map_err(|e| Status::internal(format!("the ledger: {e}")))?
        {
            Some(issued) => issued.signed_at,
            None => order.created_at_ms.div_euclid(1000),
        };
        let notice = Notice {
            payload: SignedPayload::instruction(&self.signer, &instruction, signed_at),
            extras: extras(&order),
        };
        self.rendered(notice, &id).await
    }

    /// `notice` as a PDF and its QR text.
    async fn rendered(&self, notice: Notice, id: &str) -> Result<Response<pb::Notice>, Status> {
        let font = self.font.clone().map_err(Status::failed_precondition)?;
        let rendered = tokio::task::spawn_blocking(move || {
            assethub_notice::render(&notice, &font).map(|pdf| (notice, pdf))
        })
        .await
        .map_err(|_| Status::internal("rendering the notice stopped"))?;
        let (notice, pdf) = rendered.map_err(|e| {
            tracing::error!(error = %e, subject = %id, "notice not rendered");
            Status::internal(format!("the notice could not be rendered: {e}"))
        })?;
        Ok(Response::new(pb::Notice {
            pdf,
            payload: notice.payload.to_qr_text(),
            file_name: notice.file_name(),
            key_id: notice.payload.key_id.clone(),
            signed_at: notice.payload.signed_at,
            title: notice.title().to_string(),
        }))
    }
}

/// Four-eyes holds for paper too: no notice for an order a supervisor has not approved yet,
/// nor for one a supervisor rejected (it was never to be sent).
fn issuable(order: &Order) -> Result<(), Status> {
    if order.state == State::AwaitingApproval {
        return Err(Status::failed_precondition(format!(
            "order {} awaits a supervisor's approval (four-eyes): its notice is issued once it is approved",
            order.order_id
        )));
    }
    if order.state == State::Rejected && order.attempts == 0 && !order.approver_id.is_empty() {
        return Err(Status::failed_precondition(format!(
            "order {} was not approved: it has no notice",
            order.order_id
        )));
    }
    Ok(())
}

/// What the notice prints beside the signed fields.
fn extras(order: &Order) -> Extras {
    Extras {
        agency: order.source.clone(),
        currency: order.currency.clone(),
        unit: if order.quantity > 0 {
            order.unit.clone()
        } else {
            String::new()
        },
        kind: order.kind.clone(),
        start: if order.start_day > 0 {
            CivilDate::from_days(order.start_day).to_string()
        } else {
            String::new()
        },
    }
}

fn check(violations: Vec<Violation>) -> Result<(), Status> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(invalid_argument(&violations))
    }
}

fn order_id(id: &str, field: &str, violations: &mut Vec<Violation>) {
    if bounded(&bounds::ORDER_ID, id, field, violations) && id.is_empty() {
        violations.push(Violation::new(field, "is empty"));
    }
}

fn desk_status(e: DeskError) -> Status {
    match e {
        DeskError::NotFound(what) => Status::not_found(what),
        DeskError::Forbidden(why) => Status::permission_denied(why),
        other => {
            tracing::error!(error = %other, "ledger error reading an order for its notice");
            Status::unavailable("the order ledger is unavailable")
        }
    }
}

#[tonic::async_trait]
impl pb::notices_server::Notices for NoticesService {
    async fn get_notice(
        &self,
        request: Request<pb::GetNoticeRequest>,
    ) -> Result<Response<pb::Notice>, Status> {
        self.get_notice_impl(request).await
    }
}
