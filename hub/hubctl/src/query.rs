//! `hubctl query`: search one debtor, then print one line per source with its assets in
//! aligned columns under it and the CNY fund total, or (`--json`) one JSON object.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::{
    asset::Detail, Asset, Debtor, Encumbrance, QueryRequest, QueryResponse, SourceResult,
};

use crate::client::{bounded, request, Hub};
use crate::error::CliError;
use crate::json;
use crate::names;
use crate::render::{area, duration_ms, plural, sanitize, yuan, Align, Table};
use crate::tally::Tally;

/// What the operator asked for.
pub struct QueryInput {
    pub case_number: String,
    pub id_number: String,
    pub name: String,
    pub kinds: Vec<i32>,
    /// Kinds by registered name (`--kind securities`), beside the built-in `kinds`.
    pub kind_names: Vec<String>,
    pub fresh: bool,
    pub deadline_ms: u32,
}

pub async fn run(
    hub: &mut Hub,
    timeout: Option<Duration>,
    input: QueryInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = QueryRequest {
        kind_names: input.kind_names.clone(),
        case_number: input.case_number.clone(),
        debtor: Some(Debtor {
            id_number: input.id_number.clone(),
            name: input.name.clone(),
        }),
        kinds: input.kinds.clone(),
        fresh: input.fresh,
        deadline_ms: input.deadline_ms,
    };
    let call = hub.client.query(request(message, timeout));
    let response = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if as_json {
        writeln!(out, "{}", json::to_line(&json::query(&response)))?;
    } else {
        write!(out, "{}", render(&response, &input.id_number, &input.name))?;
    }
    Ok(())
}

/// The readable answer. The debtor is shown as typed: one debtor, the operator's own input.
pub fn render(response: &QueryResponse, id_number: &str, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "case {}  debtor {} {}  {} in {}",
        sanitize(&response.case_number),
        sanitize(id_number),
        sanitize(name),
        plural(response.sources.len(), "source", "sources"),
        duration_ms(u64::from(response.elapsed_ms)),
    );
    if response.sources.is_empty() {
        out.push_str("no source was asked\n");
        return out;
    }
    out.push('\n');
    let mut heads = Table::new(&[
        ("SOURCE", Align::Left),
        ("KIND", Align::Left),
        ("STATUS", Align::Left),
        ("ANSWER", Align::Left),
        ("LATENCY", Align::Right),
        ("ATTEMPTS", Align::Right),
        ("REASON", Align::Left),
    ]);
    for s in &response.sources {
        heads.push(vec![
            s.source.clone(),
            names::kind_name(&s.kind_name, s.kind),
            names::source_status(s.status).to_string(),
            answer_age(s),
            duration_ms(u64::from(s.latency_ms)),
            s.attempts.to_string(),
            s.reason.clone(),
        ]);
    }
    let lines = heads.lines();
    let _ = writeln!(out, "{}", lines[0]);
    for (s, line) in response.sources.iter().zip(&lines[1..]) {
        let _ = writeln!(out, "{line}");
        let is_ok = names::source_status(s.status) == "ok";
        if is_ok && s.assets.is_empty() {
            out.push_str("    (no assets)\n");
        }
        for asset_line in asset_lines(&s.assets) {
            let _ = writeln!(out, "    {asset_line}");
        }
    }
    out.push('\n');
    out.push_str(&totals(&Tally::of(response)));
    out
}

/// "fresh", "cached, 4m05s old", or "-" when the source gave no answer.
fn answer_age(s: &SourceResult) -> String {
    if s.cached {
        format!("cached, {} old", duration_ms(s.age_ms))
    } else if matches!(
        names::source_status(s.status),
        "ok" | "not_found" | "name_mismatch"
    ) {
        "fresh".to_string()
    } else {
        "-".to_string()
    }
}

/// The assets of one source, one table per asset type, in the order types first appear.
pub fn asset_lines(assets: &[Asset]) -> Vec<String> {
    let mut deposits = Table::new(&[
        ("ACCOUNT", Align::Left),
        ("TYPE", Align::Left),
        ("CURRENCY", Align::Left),
        ("BALANCE", Align::Right),
        ("FROZEN", Align::Right),
        ("STATUS", Align::Left),
        ("REF", Align::Left),
    ]);
    let mut properties = Table::new(&[
        ("CERTIFICATE", Align::Left),
        ("ADDRESS", Align::Left),
        ("AREA", Align::Right),
        ("SHARE", Align::Left),
        ("USAGE", Align::Left),
        ("ENCUMBRANCES", Align::Left),
        ("REF", Align::Left),
    ]);
    let mut vehicles = Table::new(&[
        ("PLATE", Align::Left),
        ("VIN", Align::Left),
        ("BRAND/MODEL", Align::Left),
        ("STATUS", Align::Left),
        ("ENCUMBRANCES", Align::Left),
        ("REF", Align::Left),
    ]);
    let mut payments = Table::new(&[
        ("ACCOUNT", Align::Left),
        ("TYPE", Align::Left),
        ("BALANCE", Align::Right),
        ("FROZEN", Align::Right),
        ("REF", Align::Left),
    ]);
    let mut unknown = Table::new(&[
        ("KIND", Align::Left),
        ("ASSET", Align::Left),
        ("VALUE", Align::Right),
        ("DETAILS", Align::Left),
        ("REF", Align::Left),
    ]);
    // Table order = order of first appearance: 0 deposits, 1 properties, 2 vehicles, 3 payments,
    // 4 kinds this hubctl does not know (shown from their generic detail).
    let mut order: Vec<usize> = Vec::new();
    for a in assets {
        let slot = match &a.detail {
            Some(Detail::Deposit(d)) => {
                deposits.push(vec![
                    d.account_number.clone(),
                    names::deposit_type(d.deposit_type).to_string(),
                    d.currency.clone(),
                    yuan(i128::from(d.balance_fen)),
                    yuan(i128::from(d.frozen_fen)),
                    names::account_status(d.status).to_string(),
                    a.asset_ref.clone(),
                ]);
                0
            }
            Some(Detail::Property(p)) => {
                properties.push(vec![
                    p.certificate_number.clone(),
                    p.address.clone(),
                    area(p.area_centi_m2),
                    p.ownership_share.clone(),
                    p.usage.clone(),
                    encumbrances(&p.encumbrances),
                    a.asset_ref.clone(),
                ]);
                1
            }
            Some(Detail::Vehicle(v)) => {
                let brand_model = format!("{} {}", v.brand, v.model).trim().to_string();
                vehicles.push(vec![
                    v.plate.clone(),
                    v.vin.clone(),
                    brand_model,
                    v.registration_status.clone(),
                    encumbrances(&v.encumbrances),
                    a.asset_ref.clone(),
                ]);
                2
            }
            Some(Detail::PaymentBalance(p)) => {
                payments.push(vec![
                    p.account_id.clone(),
                    names::payment_balance_type(p.balance_type).to_string(),
                    yuan(i128::from(p.balance_fen)),
                    yuan(i128::from(p.frozen_fen)),
                    a.asset_ref.clone(),
                ]);
                3
            }
            None => {
                unknown.push(generic_row(a));
                4
            }
        };
        if !order.contains(&slot) {
            order.push(slot);
        }
    }
    let tables = [deposits, properties, vehicles, payments, unknown];
    order
        .into_iter()
        .filter_map(|slot| tables.get(slot))
        .filter(|t| !t.is_empty())
        .flat_map(|t| t.lines())
        .collect()
}

/// An asset of a kind this hubctl does not know, from its generic detail: kind label, title,
/// value in yuan, then every attribute with its unit.
fn generic_row(a: &Asset) -> Vec<String> {
    let Some(g) = &a.generic else {
        let note = "asset of a type this hubctl does not know".to_string();
        return vec![
            "-".into(),
            note,
            "-".into(),
            String::new(),
            a.asset_ref.clone(),
        ];
    };
    let kind = match (g.kind_label.is_empty(), g.kind_name.is_empty()) {
        (false, _) => g.kind_label.clone(),
        (true, false) => g.kind_name.clone(),
        (true, true) => "-".to_string(),
    };
    let value = g
        .value_fen
        .map_or_else(|| "-".to_string(), |fen| yuan(i128::from(fen)));
    let details: Vec<String> = g.attributes.iter().map(attribute).collect();
    vec![
        kind,
        g.title.clone(),
        value,
        details.join("; "),
        a.asset_ref.clone(),
    ]
}

/// `持有数量 50,000 shares`, `市值 435,000.00`, `到期日 2027-01-01`.
fn attribute(a: &assethub_proto::v1::Attribute) -> String {
    use assethub_proto::v1::attribute::Value;
    let value = match &a.value {
        Some(Value::Text(t)) | Some(Value::Date(t)) => t.clone(),
        Some(Value::Integer(n)) => {
            let grouped = crate::render::group_digits(u128::from(n.unsigned_abs()));
            if *n < 0 {
                format!("-{grouped}")
            } else {
                grouped
            }
        }
        Some(Value::Centi(n)) | Some(Value::MoneyFen(n)) => yuan(i128::from(*n)),
        Some(Value::Flag(b)) => if *b { "yes" } else { "no" }.to_string(),
        None => "-".to_string(),
    };
    let unit = if a.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", a.unit)
    };
    format!("{} {value}{unit}", a.label)
}

/// Encumbrances in one cell: `mortgage 某银行 1,200,000.00 2021-03-01..2031-03-01; seal ...`.
pub fn encumbrances(list: &[Encumbrance]) -> String {
    if list.is_empty() {
        return "-".to_string();
    }
    list.iter()
        .map(|e| {
            let mut parts = vec![names::encumbrance_kind(e.kind).to_string()];
            if !e.holder.is_empty() {
                parts.push(e.holder.clone());
            }
            if e.amount_fen != 0 {
                parts.push(yuan(i128::from(e.amount_fen)));
            }
            if !e.since.is_empty() || !e.until.is_empty() {
                parts.push(format!("{}..{}", e.since, e.until));
            }
            parts.join(" ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The closing lines: sources by status and the CNY fund total.
pub fn totals(t: &Tally) -> String {
    let mut out = String::new();
    let counts: Vec<String> = [
        (t.ok, "ok"),
        (t.not_found, "not found"),
        (t.name_mismatch, "name mismatch"),
        (t.error, "error"),
        (t.timed_out, "timed out"),
        (t.pending, "pending (answer later)"),
        (t.expired, "expired"),
        (t.other, "unknown status"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, label)| format!("{n} {label}"))
    .collect();
    let _ = writeln!(
        out,
        "sources: {}; {}",
        counts.join(", "),
        plural(t.assets, "asset", "assets")
    );
    let _ = writeln!(
        out,
        "funds (CNY): {} in {}, of which frozen {}",
        yuan(t.cny_balance_fen),
        plural(t.cny_funds, "account/balance", "accounts/balances"),
        yuan(t.cny_frozen_fen),
    );
    if !t.other_currencies.is_empty() {
        let others: Vec<String> = t
            .other_currencies
            .iter()
            .map(|(currency, fen)| format!("{} {}", sanitize(currency), yuan(*fen)))
            .collect();
        let _ = writeln!(
            out,
            "not in the total (other currencies): {}",
            others.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_proto::v1::{
        AccountStatus, AssetKind, DepositAccount, DepositType, EncumbranceKind, PaymentBalance,
        PaymentBalanceType, RealEstateProperty, SourceStatus, Vehicle,
    };

    fn sample() -> QueryResponse {
        QueryResponse {
            case_number: "(2024)鄂0116执1234号".into(),
            elapsed_ms: 1234,
            sources: vec![
                SourceResult {
                    source: "bank-gongxin".into(),
                    kind: AssetKind::Bank as i32,
                    status: SourceStatus::Ok as i32,
                    latency_ms: 120,
                    attempts: 1,
                    assets: vec![
                        Asset {
                            generic: Default::default(),
                            asset_ref: "bank-gongxin:6222001".into(),
                            detail: Some(Detail::Deposit(DepositAccount {
                                account_number: "6222001".into(),
                                deposit_type: DepositType::Demand as i32,
                                currency: "CNY".into(),
                                balance_fen: 1_234_567,
                                frozen_fen: 0,
                                status: AccountStatus::Normal as i32,
                                branch: String::new(),
                            })),
                        },
                        Asset {
                            generic: Default::default(),
                            asset_ref: "bank-gongxin:6222002".into(),
                            detail: Some(Detail::Deposit(DepositAccount {
                                account_number: "6222002".into(),
                                deposit_type: DepositType::Time as i32,
                                currency: "USD".into(),
                                balance_fen: 100_000,
                                frozen_fen: 0,
                                status: AccountStatus::Normal as i32,
                                branch: String::new(),
                            })),
                        },
                    ],
                    ..Default::default()
                },
                SourceResult {
                    source: "re-wuhan".into(),
                    kind: AssetKind::RealEstate as i32,
                    status: SourceStatus::Ok as i32,
                    cached: true,
                    age_ms: 245_000,
                    assets: vec![Asset {
                        generic: Default::default(),
                        asset_ref: "re-wuhan:1".into(),
                        detail: Some(Detail::Property(RealEstateProperty {
                            certificate_number: "鄂(2020)武汉市不动产权第0001号".into(),
                            address: "洪山区珞喻路1号".into(),
                            area_centi_m2: 8950,
                            ownership_share: "100%".into(),
                            usage: "住宅".into(),
                            encumbrances: vec![Encumbrance {
                                kind: EncumbranceKind::Mortgage as i32,
                                holder: "某银行".into(),
                                since: "2021-03-01".into(),
                                until: "2031-03-01".into(),
                                amount_fen: 120_000_000,
                            }],
                        })),
                    }],
                    ..Default::default()
                },
                SourceResult {
                    source: "vehicle-hubei".into(),
                    kind: AssetKind::Vehicle as i32,
                    status: SourceStatus::Ok as i32,
                    assets: vec![Asset {
                        generic: Default::default(),
                        asset_ref: "vehicle-hubei:LSV".into(),
                        detail: Some(Detail::Vehicle(Vehicle {
                            plate: "鄂A12345".into(),
                            vin: "LSVAU2180N2183294".into(),
                            brand: "大众".into(),
                            model: "帕萨特".into(),
                            registration_status: "正常".into(),
                            encumbrances: vec![],
                        })),
                    }],
                    ..Default::default()
                },
                SourceResult {
                    source: "pay-zhifu".into(),
                    kind: AssetKind::Payment as i32,
                    status: SourceStatus::Ok as i32,
                    assets: vec![Asset {
                        generic: Default::default(),
                        asset_ref: "pay-zhifu:w".into(),
                        detail: Some(Detail::PaymentBalance(PaymentBalance {
                            account_id: "138****0000".into(),
                            balance_type: PaymentBalanceType::Fund as i32,
                            balance_fen: 33,
                            frozen_fen: 33,
                        })),
                    }],
                    ..Default::default()
                },
                SourceResult {
                    source: "bank-slow".into(),
                    kind: AssetKind::Bank as i32,
                    status: SourceStatus::TimedOut as i32,
                    reason: "no answer in 3s".into(),
                    latency_ms: 3000,
                    attempts: 2,
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn an_asset_of_an_unknown_kind_is_shown_from_its_generic_detail() {
        use assethub_proto::v1::{attribute::Value, Attribute, GenericDetail};
        let attribute = |key: &str, label: &str, value: Value, unit: &str| Attribute {
            key: key.into(),
            label: label.into(),
            value: Some(value),
            unit: unit.into(),
        };
        let position = Asset {
            asset_ref: "csdc:A123456789-600000".into(),
            detail: None,
            generic: Some(GenericDetail {
                kind_name: "securities".into(),
                kind_label: "证券".into(),
                title: "600000 浦发银行".into(),
                attributes: vec![
                    attribute("quantity", "持有数量", Value::Integer(50_000), "shares"),
                    attribute("market_value", "市值", Value::MoneyFen(43_500_000), ""),
                ],
                value_fen: Some(43_500_000),
                quantity: Some(50_000),
                frozen_quantity: Some(0),
                unit: "shares".into(),
            }),
        };
        let lines = asset_lines(&[position]);
        assert_eq!(lines.len(), 2, "{lines:?}");
        for words in [
            "证券",
            "600000 浦发银行",
            "435,000.00",
            "持有数量 50,000 shares; 市值 435,000.00",
            "csdc:A123456789-600000",
        ] {
            assert!(lines[1].contains(words), "{words}: {}", lines[1]);
        }
    }

    #[test]
    fn readable_query_output() {
        let text = render(&sample(), "11010519491231002X", "张三");
        assert!(text.starts_with(
            "case (2024)鄂0116执1234号  debtor 11010519491231002X 张三  5 sources in 1.2s\n"
        ));
        assert!(text.contains("cached, 4m05s old"));
        assert!(text.contains("12,345.67"));
        assert!(text.contains("89.50 m²"));
        assert!(text.contains("mortgage 某银行 1,200,000.00 2021-03-01..2031-03-01"));
        assert!(text.contains("大众 帕萨特"));
        assert!(text.contains("timed_out"));
        assert!(text.contains("no answer in 3s"));
        assert!(text.contains("sources: 4 ok, 1 timed out; 5 assets"));
        assert!(
            text.contains("funds (CNY): 12,346.00 in 2 accounts/balances, of which frozen 0.33")
        );
        assert!(text.contains("not in the total (other currencies): USD 1,000.00"));
    }

    #[test]
    fn deposit_columns_align() {
        let sample = sample();
        let lines = asset_lines(&sample.sources[0].assets);
        assert_eq!(lines.len(), 3);
        let col = |l: &str| l.find("demand").or_else(|| l.find("time"));
        assert_eq!(col(&lines[1]), col(&lines[2]));
        // Right-aligned balances end in the same column.
        let end = |l: &str, amount: &str| l.find(amount).map(|i| i + amount.len());
        assert_eq!(end(&lines[1], "12,345.67"), end(&lines[2], "1,000.00"));
    }

    #[test]
    fn encumbrance_cell() {
        assert_eq!(encumbrances(&[]), "-");
        let e = Encumbrance {
            kind: EncumbranceKind::Seal as i32,
            holder: "(2023)鄂01执5号".into(),
            since: "2023-05-01".into(),
            until: String::new(),
            amount_fen: 0,
        };
        assert_eq!(
            encumbrances(&[e.clone(), e]),
            "seal (2023)鄂01执5号 2023-05-01..; seal (2023)鄂01执5号 2023-05-01.."
        );
    }
}
