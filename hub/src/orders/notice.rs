//! Issuing an instruction to an off-line agency as a notice (协助执行通知书): instead of a call,
//! the executor signs the instruction exactly as it would sign a send, records the notice (the
//! date it was issued and the signature, which the printed notice carries) once per order, and
//! leaves the order awaiting the agency's written answer. The instruction is audited like a
//! send, with the outcome `notice`. Rendering the notice is not done here.

use super::execute::Executor;
use super::ledger::LedgerError;
use super::model::{Order, State};
use super::paper::store;
use assethub_connectors::domain::{CivilDate, Fen};
use assethub_connectors::ControlInstruction;

/// What an order issued as a notice says while it waits.
pub fn awaiting_detail(issued: CivilDate) -> String {
    format!("notice issued on {issued}; awaiting the agency's written answer")
}

impl Executor {
    /// Issues `order`'s instruction as a notice, unless it was issued before (then nothing
    /// changes: the order waits for its written answer).
    pub(super) async fn issue_notice(
        &self,
        order: &Order,
        mut instruction: ControlInstruction,
    ) -> Result<(), LedgerError> {
        if order.state == State::AwaitingAgency && order.attempts > 0 {
            return Ok(());
        }
        let issued = self.clock.today();
        let signature = self.signer.sign(&instruction, crate::clock::now_secs());
        // Recorded before the order moves: a notice issued is never issued again with another
        // signature, even if the hub stops between the two writes.
        let notice = store::Notice {
            order_id: order.order_id.clone(),
            source: order.source.clone(),
            issued_day: issued.days(),
            key_id: signature.key_id.clone(),
            signed_at: signature.signed_at,
            signature: signature.signature.clone(),
        };
        let notice = store::record_notice(self.ledger.pool(), &notice).await?;
        instruction.signature = Some(signature);
        let issued = CivilDate::from_days(notice.issued_day);
        let mut next = order.clone();
        next.attempts += 1;
        next.state = State::AwaitingAgency;
        next.detail = awaiting_detail(issued);
        let saved = self.save(&[(order.clone(), next)]).await?.remove(0);
        self.audit_notice(&saved, &instruction).await;
        Ok(())
    }

    async fn audit_notice(&self, order: &Order, instruction: &ControlInstruction) {
        let Some(audit) = &self.audit else { return };
        let mut detail = vec![format!("order {}", order.order_id)];
        if let Some(signature) = &instruction.signature {
            detail.push(format!("signed by {}", signature.key_id));
        }
        if order.amount_fen > 0 {
            detail.push(format!(
                "amount {} {}",
                Fen(order.amount_fen).to_yuan_string(),
                order.currency
            ));
        }
        audit
            .instruction(
                &order.officer,
                &order.court,
                &order.source,
                order.action.as_str(),
                &order.case_number,
                &order.debtor_id,
                "notice".into(),
                detail.join("; "),
            )
            .await;
    }
}
