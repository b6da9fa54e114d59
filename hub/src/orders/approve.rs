//! Four-eyes decisions (DOMAIN rule 10): a supervisor of the order's court, who is not the
//! officer who gave it, approves (the order is then executed) or rejects an order awaiting
//! approval. "Not the same person" compares identities — the tokens' issuer and subject —
//! never display names; the approver's identity and name stay on the order and in its events.

use super::desk::{Desk, DeskError};
use super::model::{Order, State};
use crate::identity::{normalize_name, Caller};
use tokio::time::Instant;

/// Whether `approver` gave `order` (by identity; by normalised name only for orders recorded
/// before identities were).
pub fn same_person(order: &Order, approver: &Caller) -> bool {
    if order.officer_id.is_empty() {
        normalize_name(&order.officer) == approver.officer
    } else {
        order.officer_id == approver.identity()
    }
}

impl Desk {
    /// `approver` approves or rejects `order_id` (the caller checked the court and the case).
    pub async fn decide_approval(
        &self,
        order_id: &str,
        approver: &Caller,
        approve: bool,
        reason: &str,
        deadline: Instant,
    ) -> Result<Order, DeskError> {
        let order = self.get(order_id).await?;
        if order.court != approver.court {
            return Err(DeskError::Forbidden(format!(
                "order {order_id} belongs to court {}; only its supervisors may approve it",
                order.court
            )));
        }
        if same_person(&order, approver) {
            return Err(DeskError::Forbidden(
                "nobody may approve or reject an order they gave themselves".into(),
            ));
        }
        if order.state != State::AwaitingApproval {
            return Err(DeskError::Refused(format!(
                "order {order_id} is {}, not awaiting approval",
                order.state.as_str()
            )));
        }
        let mut next = order.clone();
        next.approver_id = approver.identity();
        next.approver = approver.officer.clone();
        let who = format!("{} ({})", approver.officer, approver.identity());
        if approve {
            next.state = State::Requested;
            next.detail = format!("approved by {who}");
        } else {
            next.state = State::Rejected;
            next.detail = format!("not approved by {who}: {reason}");
        }
        if approve {
            self.ledger.approve(&order, &next).await?;
        } else {
            self.ledger.update(&[(order, next)]).await?;
        }
        if approve {
            self.executor.run(order_id, deadline).await;
        }
        self.settled(order_id, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;

    fn supervisor(sub: &str, name: &str) -> Caller {
        Caller {
            iss: "court-ca".into(),
            sub: sub.into(),
            officer: normalize_name(name),
            court: "鄂0116".into(),
            role: Role::Supervisor,
        }
    }

    #[test]
    fn the_same_person_is_found_by_identity_not_by_name() {
        let order = Order {
            officer: "李庭长".into(),
            officer_id: "court-ca/li-0001".into(),
            ..crate::orders::ledger::tests::order("o", "c", 1)
        };
        // One subject under another display name is still the same person.
        assert!(same_person(&order, &supervisor("li-0001", "李庭长 ")));
        assert!(same_person(&order, &supervisor("li-0001", "Li")));
        // Another subject sharing the name is another person.
        assert!(!same_person(&order, &supervisor("li-0002", "李庭长")));
        // The same subject at another issuer is another identity.
        let mut elsewhere = supervisor("li-0001", "李庭长");
        elsewhere.iss = "other-ca".into();
        assert!(!same_person(&order, &elsewhere));
        // Orders recorded before identities: by normalised name.
        let legacy = Order {
            officer_id: String::new(),
            ..order
        };
        assert!(same_person(&legacy, &supervisor("x", "李庭长\u{3000}")));
    }
}
