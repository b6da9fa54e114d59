//! The control commands: `freeze` (one-click freeze of a debtor's funds up to a cap),
//! `freeze-asset`, `seal` and `watch` (one asset from a search), and `release`, `deduct` and
//! `renew` (a hold placed earlier). Each prints the resulting order(s) as text or JSON.

use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::{
    ActOnHoldRequest, Debtor, FreezeFundsRequest, Order, OrderAction, OrderState, PlaceHoldRequest,
};

use crate::client::{bounded, request};
use crate::error::CliError;
use crate::json;
use crate::order_client::{InstructionInput, OrdersHub};
use crate::order_json;
use crate::order_render;

/// `hubctl freeze`: the debtor and the case's cap.
pub struct FreezeInput {
    pub instruction: InstructionInput,
    pub id_number: String,
    pub name: String,
    pub cap_fen: i64,
    pub days: u32,
}

impl FreezeInput {
    pub fn request(self, stderr: &mut impl Write) -> Result<FreezeFundsRequest, CliError> {
        Ok(FreezeFundsRequest {
            instruction: Some(self.instruction.build(stderr)?),
            debtor: Some(Debtor {
                id_number: self.id_number,
                name: self.name,
            }),
            cap_fen: self.cap_fen,
            days: self.days,
        })
    }
}

/// `hubctl freeze-asset`, `seal`, `watch`: one asset.
pub struct HoldInput {
    pub instruction: InstructionInput,
    pub action: OrderAction,
    pub asset_ref: String,
    pub id_number: String,
    pub name: String,
    /// `freeze-asset` only; 0 otherwise.
    pub amount_fen: i64,
    /// `freeze-asset --currency`; empty: the account's own.
    pub currency: String,
    pub days: u32,
}

impl HoldInput {
    pub fn request(self, stderr: &mut impl Write) -> Result<PlaceHoldRequest, CliError> {
        Ok(PlaceHoldRequest {
            quantity: Default::default(),
            instruction: Some(self.instruction.build(stderr)?),
            action: self.action as i32,
            asset_ref: self.asset_ref,
            debtor: Some(Debtor {
                id_number: self.id_number,
                name: self.name,
            }),
            amount_fen: self.amount_fen,
            days: self.days,
            currency: self.currency,
        })
    }
}

/// `hubctl release`, `deduct`, `renew`: a hold order.
pub struct ActInput {
    pub instruction: InstructionInput,
    pub action: OrderAction,
    pub order_id: String,
    /// `deduct` only; 0 otherwise (the money goes to the case's registered account).
    pub amount_fen: i64,
    /// `renew --days`; 0: as long as the law allows.
    pub days: u32,
}

impl ActInput {
    pub fn request(self, stderr: &mut impl Write) -> Result<ActOnHoldRequest, CliError> {
        Ok(ActOnHoldRequest {
            instruction: Some(self.instruction.build(stderr)?),
            action: self.action as i32,
            order_id: self.order_id,
            amount_fen: self.amount_fen,
            case_account: String::new(),
            days: self.days,
        })
    }
}

pub async fn freeze(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    input: FreezeInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = input.request(&mut std::io::stderr())?;
    let call = hub.client.freeze_funds(request(message, timeout));
    let response = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    if as_json {
        writeln!(out, "{}", json::to_line(&order_json::freeze(&response)))?;
    } else {
        write!(out, "{}", order_render::freeze(&response))?;
    }
    ended_well(&response.orders)
}

pub async fn place_hold(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    input: HoldInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = input.request(&mut std::io::stderr())?;
    let call = hub.client.place_hold(request(message, timeout));
    let order = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    print_order(&order, as_json, out)?;
    ended_well(std::slice::from_ref(&order))
}

pub async fn act_on_hold(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    input: ActInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = input.request(&mut std::io::stderr())?;
    let call = hub.client.act_on_hold(request(message, timeout));
    let order = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    print_order(&order, as_json, out)?;
    ended_well(std::slice::from_ref(&order))
}

/// `Ok` unless one of `orders` (just made or approved) ended rejected or failed: then the
/// command exits 3 and says which on stderr, after printing them as usual. Orders still
/// waiting (for approval, for the agency, in a queue) are not failures.
pub fn ended_well(orders: &[Order]) -> Result<(), CliError> {
    let ended: Vec<String> = orders
        .iter()
        .filter(|o| o.state == OrderState::Rejected as i32 || o.state == OrderState::Failed as i32)
        .map(|o| {
            let state = if o.state == OrderState::Rejected as i32 {
                "rejected"
            } else {
                "failed"
            };
            let detail = crate::render::sanitize(&o.detail);
            if detail.is_empty() {
                format!("order {} ended {state}", o.order_id)
            } else {
                format!("order {} ended {state}: {detail}", o.order_id)
            }
        })
        .collect();
    if ended.is_empty() {
        Ok(())
    } else {
        Err(CliError::OrderEnded(ended))
    }
}

/// One order: a `key: value` block, or one JSON object.
pub fn print_order(order: &Order, as_json: bool, out: &mut impl Write) -> Result<(), CliError> {
    if as_json {
        writeln!(out, "{}", json::to_line(&order_json::order(order)))?;
    } else {
        write!(out, "{}", order_render::order_block(order))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_that_end_rejected_or_failed_make_the_command_exit_3() {
        let order = |id: &str, state: OrderState, detail: &str| Order {
            order_id: id.into(),
            state: state as i32,
            detail: detail.into(),
            ..Order::default()
        };
        for waiting in [
            OrderState::Effective,
            OrderState::AwaitingApproval,
            OrderState::AwaitingAgency,
            OrderState::Queued,
        ] {
            assert!(
                ended_well(&[order("o-1", waiting, "")]).is_ok(),
                "{waiting:?}"
            );
        }
        let err = ended_well(&[
            order("o-1", OrderState::Effective, ""),
            order("o-2", OrderState::Rejected, "该账户无此冻结编号"),
            order("o-3", OrderState::Failed, ""),
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), std::process::ExitCode::from(3));
        assert_eq!(
            err.to_text(),
            "order o-2 ended rejected: 该账户无此冻结编号\norder o-3 ended failed"
        );
    }

    fn instruction() -> InstructionInput {
        InstructionInput {
            case_number: "(2024)鄂0116执1234号".into(),
            ruling: "(2024)鄂0116执1234号之一".into(),
            officer: "李四".into(),
            key: Some("k-1".into()),
        }
    }

    #[test]
    fn freeze_request_carries_cap_and_debtor() {
        let r = FreezeInput {
            instruction: instruction(),
            id_number: "11010519491231002X".into(),
            name: "张三".into(),
            cap_fen: 1_234_567,
            days: 0,
        }
        .request(&mut Vec::new())
        .expect("builds");
        assert_eq!(r.cap_fen, 1_234_567);
        assert_eq!(r.days, 0);
        assert_eq!(r.debtor.as_ref().map(|d| d.name.as_str()), Some("张三"));
        let i = r.instruction.expect("instruction");
        assert_eq!(i.idempotency_key, "k-1");
        assert_eq!(i.case_number, "(2024)鄂0116执1234号");
    }

    #[test]
    fn hold_and_act_requests() {
        let r = HoldInput {
            instruction: instruction(),
            action: OrderAction::Seal,
            asset_ref: "re-wuhan:1".into(),
            id_number: "i".into(),
            name: "n".into(),
            amount_fen: 0,
            currency: String::new(),
            days: 30,
        }
        .request(&mut Vec::new())
        .expect("builds");
        assert_eq!(r.action, OrderAction::Seal as i32);
        assert_eq!(r.asset_ref, "re-wuhan:1");
        assert_eq!(r.days, 30);
        let a = ActInput {
            instruction: instruction(),
            action: OrderAction::Deduct,
            order_id: "ord-1".into(),
            amount_fen: 500,
            days: 0,
        }
        .request(&mut Vec::new())
        .expect("builds");
        assert_eq!(a.action, OrderAction::Deduct as i32);
        assert_eq!(a.order_id, "ord-1");
        assert_eq!(a.amount_fen, 500);
        // The destination of a deduction is never the caller's to name.
        assert_eq!(a.case_account, "");
    }
}
