//! Recording a written answer (`RecordAnswer`): only for an order of an off-line source that
//! awaits its agency's answer (or is queued), only by an officer of the order's court,
//! idempotent by the court's client key. Where the court's four-eyes rule covers written
//! answers (`[[auth.approval]] written_answers = true`), the first officer's answer is only
//! proposed: it takes effect when a second officer, a supervisor who is not the proposer,
//! records the same answer (a double entry from the same document); a different answer is
//! refused naming the fields that differ, and the proposer may replace the proposal with a
//! corrected one. Applying goes through the executor's answer path.

use super::store::{self, Row, APPLIED, APPLYING, CONFIRMATION, PROPOSED, SUPERSEDED};
use super::{agency_answer, check, WrittenAnswer};
use crate::identity::{Caller, Role};
use crate::orders::desk::{request_hash, Desk, DeskError};
use crate::orders::model::{Order, State};
use assethub_connectors::domain::CivilDate;

/// One officer's `RecordAnswer` call.
#[derive(Debug, Clone)]
pub struct Recording {
    pub order_id: String,
    /// The client's idempotency key (per court).
    pub key: String,
    pub answer: WrittenAnswer,
    pub caller: Caller,
}

impl Desk {
    /// Whether written answers of `court` wait for a second officer's confirmation.
    fn answers_confirmed(&self, court: &str) -> bool {
        self.approval
            .iter()
            .any(|r| r.court == court && r.written_answers)
    }

    /// Whether `order` waits for a written answer of its off-line agency (its notice issued):
    /// nothing to ask nor resend.
    pub fn awaits_written_answer(&self, order: &Order) -> bool {
        order.state == State::AwaitingAgency
            && order.attempts > 0
            && self.source(&order.source).is_ok_and(|s| s.offline())
    }

    /// Records `r`'s written answer; answers the order as it stands afterwards.
    pub async fn record_answer(&self, r: &Recording) -> Result<Order, DeskError> {
        let order = self.get(&r.order_id).await?;
        // Answers on one case are recorded one at a time in this hub: two officers recording
        // different answers to one order at once get the first applied and the second refused
        // (the order no longer awaits an answer), never a stale write.
        let lock = self.case_lock(&order.case_number);
        let _one_at_a_time = lock.lock().await;
        let order = self.get(&r.order_id).await?;
        if order.court != r.caller.court {
            return Err(DeskError::Forbidden(format!(
                "order {} belongs to court {}; only its officers record answers to it",
                order.order_id, order.court
            )));
        }
        let source = self.source(&order.source)?;
        if !source.offline() {
            return Err(DeskError::Refused(format!(
                "order {} is at {}, an online agency: its answers come through the hub, not on paper",
                order.order_id, order.source
            )));
        }
        let content = request_hash(
            &r.answer
                .canonical(&r.order_id)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        let identity = r.caller.identity();
        let request = request_hash(&[&content, &identity]);
        let pool = self.ledger.pool();
        if let Some(row) = store::by_key(pool, &order.court, &r.key).await? {
            return self.replayed(row, &request).await;
        }
        let open = order.state == State::AwaitingAgency
            || (order.state == State::Queued && order.action.places_hold());
        if !open || order.attempts == 0 {
            return Err(DeskError::Refused(format!(
                "order {} is {}: only an order whose notice was issued and whose agency has not answered (awaiting_agency, or queued) takes a written answer",
                order.order_id,
                order.state.as_str()
            )));
        }
        let kind = source.kind();
        let issued = store::notice_of(pool, &order.order_id)
            .await?
            .map(|n| CivilDate::from_days(n.issued_day));
        check(
            &order,
            &r.answer,
            self.policy.max_days(kind),
            issued,
            self.clock.today(),
        )
        .map_err(DeskError::Refused)?;
        let row = Row {
            answer_id: format!("ans-{}", uuid::Uuid::new_v4().simple()),
            court: order.court.clone(),
            client_key: r.key.clone(),
            request_hash: request.clone(),
            content_hash: content.clone(),
            order_id: order.order_id.clone(),
            status: APPLYING.into(),
            proposal_id: String::new(),
            answer: r.answer.clone(),
            officer_id: identity.clone(),
            officer: r.caller.officer.clone(),
        };
        if !self.answers_confirmed(&order.court) {
            return self.insert_and_apply(row, &request, None).await;
        }
        let Some(proposal) = store::proposal_of(pool, &order.order_id).await? else {
            return self.propose(order, row, &request, None).await;
        };
        if proposal.officer_id == identity {
            if proposal.content_hash == content {
                return Err(DeskError::Forbidden(
                    "nobody may confirm a written answer they recorded themselves: a second officer (a supervisor of the court) records it again to confirm it".into(),
                ));
            }
            // The proposer corrects their own proposal.
            return self.propose(order, row, &request, Some(proposal)).await;
        }
        if r.caller.role != Role::Supervisor {
            return Err(DeskError::Forbidden(format!(
                "a written answer to order {} was proposed by {}; only a supervisor of the court confirms it",
                order.order_id, proposal.officer
            )));
        }
        if proposal.content_hash != content {
            return Err(DeskError::Refused(format!(
                "the answer differs from the one {} proposed in {}: check the document and record the same answer to confirm it",
                proposal.officer,
                proposal.answer.differences(&r.answer).join(", ")
            )));
        }
        let row = Row {
            status: CONFIRMATION.into(),
            proposal_id: proposal.answer_id.clone(),
            ..row
        };
        self.insert_and_apply(row, &request, Some(proposal)).await
    }

    /// The call recorded under the same key before: the same call answers the order as it
    /// stands (finishing an answer a stop interrupted); another is refused.
    async fn replayed(&self, row: Row, request: &str) -> Result<Order, DeskError> {
        if row.request_hash != request {
            return Err(DeskError::KeyReused(row.client_key));
        }
        if row.status == APPLYING || row.status == CONFIRMATION {
            let proposal = if row.proposal_id.is_empty() {
                None
            } else {
                store::by_id(self.ledger.pool(), &row.proposal_id).await?
            };
            self.apply_row(&row, proposal.as_ref()).await?;
        }
        self.get(&row.order_id).await
    }

    /// Records a proposal (replacing `replaced`, the proposer's earlier one) and says on the
    /// order that it waits for confirmation.
    async fn propose(
        &self,
        order: Order,
        row: Row,
        request: &str,
        replaced: Option<Row>,
    ) -> Result<Order, DeskError> {
        let row = Row {
            status: PROPOSED.into(),
            ..row
        };
        if !store::insert(self.ledger.pool(), &row).await? {
            return self.raced(&row, request).await;
        }
        if let Some(old) = replaced {
            store::set_status(self.ledger.pool(), &old.answer_id, PROPOSED, SUPERSEDED).await?;
        }
        let mut next = order.clone();
        next.detail = format!(
            "written answer {} of {} recorded by {}; it takes effect when a second officer (a supervisor of the court) confirms it",
            row.answer.agency_ref_or_outcome(),
            row.answer.answered_on,
            row.officer
        );
        self.ledger.update(&[(order, next)]).await?;
        self.get(&row.order_id).await
    }

    async fn insert_and_apply(
        &self,
        row: Row,
        request: &str,
        proposal: Option<Row>,
    ) -> Result<Order, DeskError> {
        if !store::insert(self.ledger.pool(), &row).await? {
            return self.raced(&row, request).await;
        }
        self.apply_row(&row, proposal.as_ref()).await?;
        self.get(&row.order_id).await
    }

    /// Another call with the same key was recorded first: answered as its replay.
    async fn raced(&self, row: &Row, request: &str) -> Result<Order, DeskError> {
        match store::by_key(self.ledger.pool(), &row.court, &row.client_key).await? {
            Some(won) => self.replayed(won, request).await,
            None => Err(DeskError::KeyReused(row.client_key.clone())),
        }
    }

    /// Applies a recorded answer (confirmed by `row`'s officer when `proposal` is the answer
    /// they confirm) to its order, unless it has had its answer meanwhile, and marks it applied.
    async fn apply_row(&self, row: &Row, proposal: Option<&Row>) -> Result<(), DeskError> {
        let order = self.get(&row.order_id).await?;
        let open = order.state == State::AwaitingAgency || order.state == State::Queued;
        if open {
            let a = &row.answer;
            let mut words = format!(
                "written answer {} of {}",
                a.agency_ref_or_outcome(),
                a.answered_on
            );
            if !a.document.is_empty() {
                words.push_str(&format!(" ({})", a.document));
            }
            match proposal {
                Some(p) => words.push_str(&format!(
                    " recorded by {}, confirmed by {}",
                    p.officer, row.officer
                )),
                None => words.push_str(&format!(" recorded by {}", row.officer)),
            }
            if !a.reason.is_empty() {
                words.push_str(&format!(": {}", a.reason));
            }
            let answer = agency_answer(&order, a, words);
            let start = a.from.map(CivilDate::days);
            self.executor.apply_stated(&order, &answer, start).await?;
        }
        let pool = self.ledger.pool();
        store::set_status(pool, &row.answer_id, &row.status, APPLIED).await?;
        if let Some(p) = proposal {
            store::set_status(pool, &p.answer_id, PROPOSED, APPLIED).await?;
        }
        Ok(())
    }
}

impl WrittenAnswer {
    /// How the answer is named in an order's detail: its reference, else its outcome.
    fn agency_ref_or_outcome(&self) -> String {
        if self.agency_ref.is_empty() {
            format!("({})", self.outcome.as_str())
        } else {
            self.agency_ref.clone()
        }
    }
}
