//! `--json` shapes of the control commands. Field names are a contract used by scripts: change
//! them only with care (the tests below pin them).

use assethub_proto::v1::{order_event::Body, FreezeFundsResponse, Order, OrderEvent, Sighting};
use serde::Serialize;

use crate::order_names;

/// One order (`order`, `seal`, `release`, ... print one; `orders` prints an array).
#[derive(Debug, Serialize)]
pub struct OrderJson<'a> {
    pub order_id: &'a str,
    pub action: &'static str,
    pub state: &'static str,
    pub case_number: &'a str,
    pub ruling: &'a str,
    pub officer: &'a str,
    pub court: &'a str,
    pub source: &'a str,
    pub asset_ref: &'a str,
    pub debtor_masked: &'a str,
    pub amount_fen: i64,
    pub frozen_fen: i64,
    pub deducted_fen: i64,
    pub start_date: &'a str,
    pub end_date: &'a str,
    pub days_left: i32,
    pub queue_position: u32,
    pub agency_ref: &'a str,
    pub target_order_id: &'a str,
    pub group_id: &'a str,
    pub detail: &'a str,
    pub idempotency_key: &'a str,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The currency of amount_fen, frozen_fen and deducted_fen (minor units).
    pub currency: &'a str,
    /// What the order counts against its case's claim, in fen of yuan.
    pub value_fen: i64,
    pub exchange_rate: &'a str,
    pub rate_date: &'a str,
    /// Deductions: the case's registered account the money goes to.
    pub case_account: &'a str,
    pub officer_id: &'a str,
    pub approver_id: &'a str,
    pub approver: &'a str,
}

/// An account a one-click freeze left out, and why.
#[derive(Debug, Serialize)]
pub struct ExcludedJson<'a> {
    pub asset_ref: &'a str,
    pub currency: &'a str,
    pub available_fen: i64,
    pub reason: &'a str,
}

/// `hubctl freeze --json`: the one-click freeze's outcome.
#[derive(Debug, Serialize)]
pub struct FreezeJson<'a> {
    pub group_id: &'a str,
    /// case_total_fen + pending_fen + queued_fen + short_fen = cap_fen (fen of yuan).
    pub cap_fen: i64,
    pub claim_fen: i64,
    /// Frozen now by this request's orders (the response's `frozen_fen`).
    pub total_frozen_fen: i64,
    pub case_total_fen: i64,
    pub pending_fen: i64,
    pub queued_fen: i64,
    pub short_fen: i64,
    pub orders: Vec<OrderJson<'a>>,
    /// Fund sources that could not report balances in time: nothing was planned there.
    pub unavailable_sources: &'a [String],
    /// Accounts left out of the plan (foreign currency without a configured rate).
    pub excluded: Vec<ExcludedJson<'a>>,
}

/// `hubctl events --json`: one line per event, with `order` or `sighting`.
#[derive(Debug, Serialize)]
pub struct EventJson<'a> {
    pub cursor: u64,
    pub at_ms: i64,
    pub case_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sighting: Option<SightingJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inquiry: Option<InquiryEventJson<'a>>,
}

/// An inquiry's change of state (debtor masked by the hub).
#[derive(Debug, Serialize)]
pub struct InquiryEventJson<'a> {
    pub inquiry_id: &'a str,
    pub source: &'a str,
    pub state: &'a str,
    pub debtor_masked: &'a str,
    pub asset_count: u32,
    pub reason: &'a str,
}

#[derive(Debug, Serialize)]
pub struct SightingJson<'a> {
    pub order_id: &'a str,
    pub plate: &'a str,
    pub place: &'a str,
    pub seen_at: &'a str,
}

pub fn order(o: &Order) -> OrderJson<'_> {
    OrderJson {
        order_id: &o.order_id,
        action: order_names::action(o.action),
        state: order_names::state(o.state),
        case_number: &o.case_number,
        ruling: &o.ruling,
        officer: &o.officer,
        court: &o.court,
        source: &o.source,
        asset_ref: &o.asset_ref,
        debtor_masked: &o.debtor_masked,
        amount_fen: o.amount_fen,
        frozen_fen: o.frozen_fen,
        deducted_fen: o.deducted_fen,
        start_date: &o.start_date,
        end_date: &o.end_date,
        days_left: o.days_left,
        queue_position: o.queue_position,
        agency_ref: &o.agency_ref,
        target_order_id: &o.target_order_id,
        group_id: &o.group_id,
        detail: &o.detail,
        idempotency_key: &o.idempotency_key,
        created_at_ms: o.created_at_ms,
        updated_at_ms: o.updated_at_ms,
        currency: &o.currency,
        value_fen: o.value_fen,
        exchange_rate: &o.exchange_rate,
        rate_date: &o.rate_date,
        case_account: &o.case_account,
        officer_id: &o.officer_id,
        approver_id: &o.approver_id,
        approver: &o.approver,
    }
}

pub fn orders(list: &[Order]) -> Vec<OrderJson<'_>> {
    list.iter().map(order).collect()
}

pub fn freeze(r: &FreezeFundsResponse) -> FreezeJson<'_> {
    FreezeJson {
        group_id: &r.group_id,
        cap_fen: r.cap_fen,
        claim_fen: r.claim_fen,
        total_frozen_fen: r.frozen_fen,
        case_total_fen: r.case_total_fen,
        pending_fen: r.pending_fen,
        queued_fen: r.queued_fen,
        short_fen: r.short_fen,
        orders: orders(&r.orders),
        unavailable_sources: &r.unavailable_sources,
        excluded: r
            .excluded
            .iter()
            .map(|e| ExcludedJson {
                asset_ref: &e.asset_ref,
                currency: &e.currency,
                available_fen: e.available_fen,
                reason: &e.reason,
            })
            .collect(),
    }
}

pub fn sighting(s: &Sighting) -> SightingJson<'_> {
    SightingJson {
        order_id: &s.order_id,
        plate: &s.plate,
        place: &s.place,
        seen_at: &s.seen_at,
    }
}

pub fn event(e: &OrderEvent) -> EventJson<'_> {
    let (order_body, sighting_body) = match &e.body {
        Some(Body::Order(o)) => (Some(order(o)), None),
        Some(Body::Sighting(s)) => (None, Some(sighting(s))),
        Some(Body::Inquiry(_)) | None => (None, None),
    };
    let inquiry = match &e.body {
        Some(Body::Inquiry(i)) => Some(InquiryEventJson {
            inquiry_id: &i.inquiry_id,
            source: &i.source,
            state: &i.state,
            debtor_masked: &i.debtor_masked,
            asset_count: i.asset_count,
            reason: &i.reason,
        }),
        _ => None,
    };
    EventJson {
        cursor: e.cursor,
        at_ms: e.at_ms,
        case_number: &e.case_number,
        order: order_body,
        sighting: sighting_body,
        inquiry,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::json::to_line;
    use assethub_proto::v1::{OrderAction, OrderState};
    use serde_json::{json, Value};

    fn value<T: Serialize>(v: &T) -> Value {
        serde_json::from_str(&to_line(v)).expect("valid JSON")
    }

    pub(crate) fn sample_order() -> Order {
        Order {
            order_id: "ord-1".into(),
            action: OrderAction::Freeze as i32,
            state: OrderState::AwaitingAgency as i32,
            case_number: "(2024)鄂0116执1234号".into(),
            ruling: "(2024)鄂0116执1234号之一".into(),
            officer: "李四".into(),
            court: "鄂0116".into(),
            source: "bank-gongxin".into(),
            asset_ref: "bank-gongxin:6228480000000001".into(),
            debtor_masked: "110105********002X".into(),
            amount_fen: 1_234_567,
            frozen_fen: 1_000_000,
            deducted_fen: 5,
            start_date: "2024-05-01".into(),
            end_date: "2025-04-30".into(),
            days_left: 364,
            queue_position: 2,
            agency_ref: "GX-99".into(),
            target_order_id: "ord-0".into(),
            group_id: "grp-1".into(),
            detail: "partly frozen".into(),
            idempotency_key: "k-1".into(),
            created_at_ms: 1_714_521_600_000,
            updated_at_ms: 1_714_521_601_234,
            currency: "CNY".into(),
            value_fen: 1_234_567,
            officer_id: "court-ca/li-4".into(),
            ..Order::default()
        }
    }

    fn sample_order_json() -> Value {
        json!({
            "order_id": "ord-1", "action": "freeze", "state": "awaiting_agency",
            "case_number": "(2024)鄂0116执1234号", "ruling": "(2024)鄂0116执1234号之一",
            "officer": "李四", "court": "鄂0116", "source": "bank-gongxin",
            "asset_ref": "bank-gongxin:6228480000000001", "debtor_masked": "110105********002X",
            "amount_fen": 1_234_567, "frozen_fen": 1_000_000, "deducted_fen": 5,
            "start_date": "2024-05-01", "end_date": "2025-04-30", "days_left": 364,
            "queue_position": 2, "agency_ref": "GX-99", "target_order_id": "ord-0",
            "group_id": "grp-1", "detail": "partly frozen", "idempotency_key": "k-1",
            "created_at_ms": 1_714_521_600_000_i64, "updated_at_ms": 1_714_521_601_234_i64,
            "currency": "CNY", "value_fen": 1_234_567, "exchange_rate": "", "rate_date": "",
            "case_account": "", "officer_id": "court-ca/li-4", "approver_id": "", "approver": ""
        })
    }

    #[test]
    fn order_shape() {
        let o = sample_order();
        assert_eq!(value(&order(&o)), sample_order_json());
        // Exactly these 32 fields, order_id first.
        let line = to_line(&order(&o));
        assert!(line.starts_with(r#"{"order_id":"ord-1","action":"freeze","state":"#));
        assert_eq!(value(&order(&o)).as_object().map(|m| m.len()), Some(32));
        // Unknown enum values from a newer hub are named, not rejected.
        let newer = Order {
            action: 77,
            state: 77,
            ..Default::default()
        };
        let v = value(&order(&newer));
        assert_eq!(v["action"], json!("unknown"));
        assert_eq!(v["state"], json!("unknown"));
        // A list is a plain array.
        assert_eq!(
            value(&orders(&[o.clone(), o])),
            json!([sample_order_json(), sample_order_json()])
        );
    }

    #[test]
    fn freeze_response_shape() {
        let r = FreezeFundsResponse {
            group_id: "grp-1".into(),
            cap_fen: 5_000_000,
            claim_fen: 6_000_000,
            frozen_fen: 1_000_000,
            case_total_fen: 1_200_000,
            pending_fen: 100_000,
            queued_fen: 300_000,
            short_fen: 3_400_000,
            orders: vec![sample_order()],
            unavailable_sources: vec!["bank-slow".into()],
            excluded: vec![assethub_proto::v1::ExcludedAsset {
                asset_ref: "bank-gongxin:USD-1".into(),
                currency: "USD".into(),
                available_fen: 12_345,
                reason: "no rate".into(),
            }],
        };
        assert_eq!(
            value(&freeze(&r)),
            json!({
                "group_id": "grp-1", "cap_fen": 5_000_000, "claim_fen": 6_000_000,
                "total_frozen_fen": 1_000_000, "case_total_fen": 1_200_000,
                "pending_fen": 100_000, "queued_fen": 300_000, "short_fen": 3_400_000,
                "orders": [sample_order_json()], "unavailable_sources": ["bank-slow"],
                "excluded": [{"asset_ref": "bank-gongxin:USD-1", "currency": "USD",
                              "available_fen": 12_345, "reason": "no rate"}]
            })
        );
        let empty = FreezeFundsResponse::default();
        assert_eq!(value(&freeze(&empty))["orders"], json!([]));
    }

    #[test]
    fn event_shapes() {
        let e = OrderEvent {
            cursor: 42,
            at_ms: 1_714_521_600_000,
            case_number: "(2024)鄂0116执1234号".into(),
            body: Some(Body::Order(sample_order())),
        };
        assert_eq!(
            value(&event(&e)),
            json!({"cursor": 42, "at_ms": 1_714_521_600_000_i64,
                   "case_number": "(2024)鄂0116执1234号", "order": sample_order_json()})
        );
        let s = OrderEvent {
            cursor: 43,
            at_ms: 1,
            case_number: "c".into(),
            body: Some(Body::Sighting(Sighting {
                order_id: "ord-7".into(),
                plate: "鄂A12345".into(),
                place: "武汉市洪山区卓刀泉路口".into(),
                seen_at: "2024-05-02T08:15:00Z".into(),
            })),
        };
        assert_eq!(
            value(&event(&s)),
            json!({"cursor": 43, "at_ms": 1, "case_number": "c",
                   "sighting": {"order_id": "ord-7", "plate": "鄂A12345",
                                "place": "武汉市洪山区卓刀泉路口",
                                "seen_at": "2024-05-02T08:15:00Z"}})
        );
        let bare = OrderEvent {
            cursor: 44,
            ..Default::default()
        };
        assert_eq!(
            value(&event(&bare)),
            json!({"cursor": 44, "at_ms": 0, "case_number": ""})
        );
    }
}
