//! Readable output of the control commands: a key: value block for one order, tables for
//! several, the one-click freeze's summary, and one line per event. Money is shown in yuan
//! with exactly two decimals, computed from integer fen.

use std::fmt::Write as _;

use assethub_core::domain::civil::civil_from_days;
use assethub_proto::v1::{order_event::Body, FreezeFundsResponse, Order, OrderEvent};

use crate::order_names;
use crate::render::{money_in, pad, plural, sanitize, yuan, Align, Table};

/// Unix milliseconds as UTC `2024-05-01T08:00:00Z`; `-` for 0 (not set).
pub fn utc_time(ms: i64) -> String {
    if ms == 0 {
        return "-".to_string();
    }
    let secs = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        (of_day % 3600) / 60,
        of_day % 60
    )
}

fn money(fen: i64) -> String {
    yuan(i128::from(fen))
}

/// An order's amount in its own currency (orders from hubs before currencies: yuan).
fn amount_of(o: &Order, minor: i64) -> String {
    let currency = if o.currency.is_empty() {
        "CNY"
    } else {
        o.currency.as_str()
    };
    money_in(minor, currency)
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}

/// `364`, `today`, `expired 3 days ago`; empty when the order has no period.
fn days_left(o: &Order) -> String {
    if o.end_date.is_empty() {
        return String::new();
    }
    match o.days_left {
        0 => "ends today".to_string(),
        d if d > 0 => plural(d.unsigned_abs() as usize, "day", "days"),
        d => format!(
            "ended {} ago",
            plural(d.unsigned_abs() as usize, "day", "days")
        ),
    }
}

fn queue(o: &Order) -> String {
    if o.queue_position > 0 {
        format!("#{}", o.queue_position)
    } else {
        "-".to_string()
    }
}

/// One order as `key: value` lines; empty fields are left out.
pub fn order_block(o: &Order) -> String {
    let action = order_names::action(o.action);
    let mut rows: Vec<(&str, String)> = vec![
        ("order", o.order_id.clone()),
        ("action", action.to_string()),
        ("state", order_names::state(o.state).to_string()),
        ("case", o.case_number.clone()),
    ];
    let mut text = |label: &'static str, value: &str| {
        if !value.is_empty() {
            rows.push((label, value.to_string()));
        }
    };
    text("ruling", &o.ruling);
    let officer = match (o.officer.is_empty(), o.officer_id.is_empty()) {
        (false, false) => format!("{} ({})", o.officer, o.officer_id),
        _ => o.officer.clone(),
    };
    text("officer", &officer);
    text("court", &o.court);
    text("source", &o.source);
    text("asset", &o.asset_ref);
    text("kind", &o.kind_name);
    text("debtor", &o.debtor_masked);
    if o.amount_fen != 0 {
        rows.push(("amount", amount_of(o, o.amount_fen)));
    }
    let units = |n: u64| format!("{} {}", crate::render::group_digits(u128::from(n)), o.unit);
    if o.quantity != 0 {
        // A freeze by quantity (shares): units, never money.
        rows.push(("quantity", units(o.quantity)));
        rows.push(("held", units(o.held_quantity)));
    } else if o.frozen_fen != 0 || action == "freeze" {
        rows.push(("frozen", amount_of(o, o.frozen_fen)));
    }
    if o.deducted_fen != 0 || action == "deduct" {
        rows.push(("deducted", amount_of(o, o.deducted_fen)));
    }
    if !o.exchange_rate.is_empty() {
        rows.push((
            "counts as",
            format!(
                "{} CNY at {} CNY per {} ({})",
                money(o.value_fen),
                sanitize(&o.exchange_rate),
                sanitize(&o.currency),
                sanitize(&o.rate_date)
            ),
        ));
    }
    if !o.case_account.is_empty() && action == "deduct" {
        rows.push(("into account", o.case_account.clone()));
    }
    if !o.approver_id.is_empty() {
        rows.push(("decided by", format!("{} ({})", o.approver, o.approver_id)));
    }
    if !o.start_date.is_empty() || !o.end_date.is_empty() {
        rows.push((
            "period",
            format!("{} .. {}", or_dash(&o.start_date), or_dash(&o.end_date)),
        ));
        let left = days_left(o);
        if !left.is_empty() {
            rows.push(("days left", left));
        }
    }
    if o.queue_position > 0 {
        rows.push(("queue position", o.queue_position.to_string()));
    }
    let mut text = |label: &'static str, value: &str| {
        if !value.is_empty() {
            rows.push((label, value.to_string()));
        }
    };
    text("agency ref", &o.agency_ref);
    text("target order", &o.target_order_id);
    text("group", &o.group_id);
    text("detail", &o.detail);
    text("key", &o.idempotency_key);
    rows.push(("created", utc_time(o.created_at_ms)));
    rows.push(("updated", utc_time(o.updated_at_ms)));

    let width = rows.iter().map(|(l, _)| l.len() + 1).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        let _ = writeln!(
            out,
            "{}  {}",
            pad(&format!("{label}:"), width, Align::Left),
            sanitize(&value)
        );
    }
    out
}

/// Several orders (`orders`), one row each.
pub fn orders_table(list: &[Order]) -> String {
    if list.is_empty() {
        return "no orders match\n".to_string();
    }
    let mut table = Table::new(&[
        ("ORDER", Align::Left),
        ("ACTION", Align::Left),
        ("STATE", Align::Left),
        ("CASE", Align::Left),
        ("ASSET", Align::Left),
        ("AMOUNT", Align::Right),
        ("FROZEN", Align::Right),
        ("QUEUE", Align::Right),
        ("END", Align::Left),
        ("LEFT", Align::Right),
        ("DETAIL", Align::Left),
    ]);
    let money_or_dash = |o: &Order, minor: i64| {
        if minor == 0 {
            "-".to_string()
        } else {
            amount_of(o, minor)
        }
    };
    for o in list {
        let left = if o.end_date.is_empty() {
            "-".to_string()
        } else {
            o.days_left.to_string()
        };
        table.push(vec![
            o.order_id.clone(),
            order_names::action(o.action).to_string(),
            order_names::state(o.state).to_string(),
            o.case_number.clone(),
            or_dash(&o.asset_ref),
            money_or_dash(o, o.amount_fen),
            money_or_dash(o, o.frozen_fen),
            queue(o),
            or_dash(&o.end_date),
            left,
            o.detail.clone(),
        ]);
    }
    let mut out = table.lines().join("\n");
    out.push('\n');
    let _ = writeln!(out, "{}", plural(list.len(), "order", "orders"));
    out
}

/// The one-click freeze: one row per order, then the summary line.
pub fn freeze(r: &FreezeFundsResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "freeze group {}: {}",
        sanitize(&or_dash(&r.group_id)),
        plural(r.orders.len(), "order", "orders")
    );
    if r.orders.is_empty() {
        out.push_str("no fund account to freeze\n");
    } else {
        out.push('\n');
        let mut table = Table::new(&[
            ("SOURCE", Align::Left),
            ("ASSET", Align::Left),
            ("STATE", Align::Left),
            ("ASKED", Align::Right),
            ("FROZEN", Align::Right),
            ("QUEUE", Align::Right),
            ("END", Align::Left),
            ("DETAIL", Align::Left),
        ]);
        for o in &r.orders {
            table.push(vec![
                o.source.clone(),
                o.asset_ref.clone(),
                order_names::state(o.state).to_string(),
                amount_of(o, o.amount_fen),
                amount_of(o, o.frozen_fen),
                queue(o),
                or_dash(&o.end_date),
                o.detail.clone(),
            ]);
        }
        out.push_str(&table.lines().join("\n"));
        out.push('\n');
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "cap {} CNY (claim {})  =  case holds {} + pending {} + queued {} + short {}",
        money(r.cap_fen),
        money(r.claim_fen),
        money(r.case_total_fen),
        money(r.pending_fen),
        money(r.queued_fen),
        money(r.short_fen),
    );
    let _ = writeln!(out, "frozen now by this freeze {} CNY", money(r.frozen_fen));
    for e in &r.excluded {
        let _ = writeln!(
            out,
            "left out: {} {} available: {}",
            sanitize(&e.asset_ref),
            money_in(e.available_fen, &e.currency),
            sanitize(&e.reason)
        );
    }
    if !r.unavailable_sources.is_empty() {
        let names: Vec<String> = r.unavailable_sources.iter().map(|s| sanitize(s)).collect();
        let _ = writeln!(
            out,
            "not planned (no balances in time): {}",
            names.join(", ")
        );
    }
    let pending = r
        .orders
        .iter()
        .filter(|o| matches!(order_names::state(o.state), "requested" | "awaiting_agency"))
        .count();
    if pending > 0 {
        let _ = writeln!(
            out,
            "{} still pending at the agency; follow them with `hubctl events --follow`",
            plural(pending, "order", "orders")
        );
    }
    out
}

/// One event: `#cursor time case ORDER order_id action state ...` or
/// `#cursor time case SIGHTING plate place seen_at ...`.
pub fn event_line(e: &OrderEvent) -> String {
    let mut parts: Vec<String> = vec![
        format!("#{}", e.cursor),
        utc_time(e.at_ms),
        or_dash(&e.case_number),
    ];
    match &e.body {
        Some(Body::Order(o)) => {
            parts.push("ORDER".to_string());
            parts.push(or_dash(&o.order_id));
            parts.push(order_names::action(o.action).to_string());
            parts.push(order_names::state(o.state).to_string());
            if !o.asset_ref.is_empty() {
                parts.push(o.asset_ref.clone());
            }
            if o.amount_fen != 0 {
                parts.push(format!("asked {}", amount_of(o, o.amount_fen)));
            }
            if o.quantity != 0 {
                parts.push(format!(
                    "asked {} {} held {} {}",
                    o.quantity, o.unit, o.held_quantity, o.unit
                ));
            }
            if o.frozen_fen != 0 {
                parts.push(format!("frozen {}", amount_of(o, o.frozen_fen)));
            }
            if o.deducted_fen != 0 {
                parts.push(format!("deducted {}", amount_of(o, o.deducted_fen)));
            }
            if !o.case_account.is_empty() && order_names::action(o.action) == "deduct" {
                parts.push(format!("into {}", o.case_account));
            }
            if !o.approver_id.is_empty() {
                parts.push(format!("decided by {} ({})", o.approver, o.approver_id));
            }
            if !o.end_date.is_empty() {
                parts.push(format!("until {}", o.end_date));
            }
            if o.queue_position > 0 {
                parts.push(format!("queue #{}", o.queue_position));
            }
            if !o.target_order_id.is_empty() {
                parts.push(format!("on {}", o.target_order_id));
            }
            if !o.detail.is_empty() {
                parts.push(format!("({})", o.detail));
            }
        }
        Some(Body::Sighting(s)) => {
            parts.push("SIGHTING".to_string());
            parts.push(or_dash(&s.plate));
            parts.push(or_dash(&s.place));
            parts.push(or_dash(&s.seen_at));
            if !s.order_id.is_empty() {
                parts.push(format!("watch {}", s.order_id));
            }
        }
        Some(Body::Inquiry(i)) => {
            parts.push("INQUIRY".to_string());
            parts.push(or_dash(&i.inquiry_id));
            parts.push(or_dash(&i.source));
            parts.push(or_dash(&i.state));
            parts.push(or_dash(&i.debtor_masked));
            if i.state == "answered" {
                parts.push(format!("{} assets", i.asset_count));
            }
            if !i.reason.is_empty() {
                parts.push(format!("({})", i.reason));
            }
        }
        None => parts.push("(event of a kind this hubctl does not know)".to_string()),
    }
    sanitize(&parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_json::tests::sample_order;
    use assethub_proto::v1::{OrderAction, OrderState, Sighting};

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "-");
        assert_eq!(utc_time(1_714_521_600_000), "2024-05-01T00:00:00Z");
        assert_eq!(utc_time(1_714_521_601_234), "2024-05-01T00:00:01Z");
        assert_eq!(
            utc_time(951_782_400_000 + 86_399_999),
            "2000-02-29T23:59:59Z"
        );
    }

    #[test]
    fn a_freeze_by_quantity_shows_units_not_money() {
        let shares = Order {
            kind_name: "securities".into(),
            unit: "shares".into(),
            quantity: 12_000,
            held_quantity: 12_000,
            amount_fen: 0,
            frozen_fen: 0,
            ..sample_order()
        };
        let text = order_block(&shares);
        assert!(text.contains("kind:            securities\n"), "{text}");
        assert!(text.contains("quantity:        12,000 shares\n"), "{text}");
        assert!(text.contains("held:            12,000 shares\n"), "{text}");
        assert!(!text.contains("frozen:"), "{text}");
    }

    #[test]
    fn order_block_lists_set_fields() {
        let text = order_block(&sample_order());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "order:           ord-1");
        assert!(text.contains("state:           awaiting_agency\n"));
        assert!(text.contains("amount:          12,345.67 CNY\n"));
        assert!(text.contains("frozen:          10,000.00 CNY\n"));
        assert!(text.contains("deducted:        0.05 CNY\n"));
        assert!(text.contains("officer:         李四 (court-ca/li-4)\n"));
        // Foreign currency: the amount in its currency and what it counts as, with the rate.
        let usd = Order {
            currency: "USD".into(),
            value_fen: 8_794_381,
            exchange_rate: "7.1234".into(),
            rate_date: "2026-11-30".into(),
            ..sample_order()
        };
        let text = order_block(&usd);
        assert!(text.contains("amount:          12,345.67 USD\n"), "{text}");
        assert!(
            text.contains("counts as:       87,943.81 CNY at 7.1234 CNY per USD (2026-11-30)\n")
        );
        // A deduction names the case's account it moved money into, and who approved it.
        let deduct = Order {
            action: OrderAction::Deduct as i32,
            case_account: "HB0116-ZX-2024-1234".into(),
            approver: "李庭长".into(),
            approver_id: "court-ca/li-7".into(),
            ..sample_order()
        };
        let text = order_block(&deduct);
        assert!(
            text.contains("into account:    HB0116-ZX-2024-1234\n"),
            "{text}"
        );
        assert!(
            text.contains("decided by:      李庭长 (court-ca/li-7)\n"),
            "{text}"
        );
        let text = order_block(&sample_order());
        assert!(text.contains("period:          2024-05-01 .. 2025-04-30\n"));
        assert!(text.contains("days left:       364 days\n"));
        assert!(text.contains("queue position:  2\n"));
        assert!(text.contains("created:         2024-05-01T00:00:00Z\n"));
        // A release order: no money, no period.
        let release = Order {
            order_id: "ord-2".into(),
            action: OrderAction::Release as i32,
            state: OrderState::Effective as i32,
            case_number: "c".into(),
            target_order_id: "ord-1".into(),
            ..Default::default()
        };
        let text = order_block(&release);
        assert!(text.contains("target order:  ord-1\n"));
        assert!(!text.contains("frozen"));
        assert!(!text.contains("period"));
        assert!(!text.contains("ruling"));
    }

    #[test]
    fn freeze_summary() {
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
            unavailable_sources: vec!["bank-slow".into(), "pay-zhifu".into()],
            excluded: vec![assethub_proto::v1::ExcludedAsset {
                asset_ref: "bank-gongxin:USD-1".into(),
                currency: "USD".into(),
                available_fen: 341_574_889,
                reason: "no rate".into(),
            }],
        };
        let text = freeze(&r);
        assert!(text.starts_with("freeze group grp-1: 1 order\n"));
        assert!(text.contains("SOURCE"));
        assert!(text.contains("bank-gongxin:6228480000000001"));
        assert!(text.contains("12,345.67 CNY"));
        assert!(text.contains("#2"));
        assert!(text.contains(concat!(
            "cap 50,000.00 CNY (claim 60,000.00)  =  case holds 12,000.00 + pending 1,000.00",
            " + queued 3,000.00 + short 34,000.00\n"
        )));
        assert!(text.contains("left out: bank-gongxin:USD-1 3,415,748.89 USD available: no rate\n"));
        assert!(text.contains("not planned (no balances in time): bank-slow, pay-zhifu\n"));
        assert!(text.contains("1 order still pending"));
    }

    #[test]
    fn orders_table_rows() {
        assert_eq!(orders_table(&[]), "no orders match\n");
        let text = orders_table(&[sample_order(), sample_order()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("ORDER"));
        assert!(lines[1].contains("awaiting_agency"));
        assert_eq!(lines[3], "2 orders");
    }

    #[test]
    fn event_lines() {
        let e = OrderEvent {
            cursor: 42,
            at_ms: 1_714_521_600_000,
            case_number: "(2024)鄂0116执1234号".into(),
            body: Some(Body::Order(sample_order())),
        };
        assert!(event_line(&e).starts_with(concat!(
            "#42 2024-05-01T00:00:00Z (2024)鄂0116执1234号 ",
            "ORDER ord-1 freeze awaiting_agency bank-gongxin:6228480000000001 ",
            "asked 12,345.67 CNY frozen 10,000.00 CNY deducted 0.05 CNY until 2025-04-30 queue #2 ",
            "on ord-0 (partly frozen)"
        )));
        let s = OrderEvent {
            cursor: 43,
            at_ms: 1_714_521_600_000,
            case_number: "c".into(),
            body: Some(Body::Sighting(Sighting {
                order_id: "ord-7".into(),
                plate: "鄂A12345".into(),
                place: "洪山区\n路口".into(),
                seen_at: "2024-05-02T08:15:00Z".into(),
            })),
        };
        assert_eq!(
            event_line(&s),
            "#43 2024-05-01T00:00:00Z c SIGHTING 鄂A12345 洪山区 路口 2024-05-02T08:15:00Z watch ord-7"
        );
        let i = OrderEvent {
            cursor: 44,
            at_ms: 1_714_521_600_000,
            case_number: "c".into(),
            body: Some(Body::Inquiry(assethub_proto::v1::InquiryEvent {
                inquiry_id: "inq-1".into(),
                source: "bank-xiecheng".into(),
                state: "answered".into(),
                debtor_masked: "110105********002X 张*".into(),
                asset_count: 2,
                reason: String::new(),
            })),
        };
        assert_eq!(
            event_line(&i),
            "#44 2024-05-01T00:00:00Z c INQUIRY inq-1 bank-xiecheng answered 110105********002X 张* 2 assets"
        );
    }
}
