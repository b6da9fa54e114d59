//! The `--json` output shapes, built field by field from the proto messages (the generated
//! types are not `Serialize`). Borrowing view structs keep the field order stable.
//!
//! Money stays integer fen in fields ending `_fen`; areas stay hundredths of m² in
//! `area_centi_m2`; enums are lowercase snake_case names (see `names`).

use assethub_proto::v1::{
    asset::Detail, Asset, Encumbrance, FieldViolation, ItemError, QueryResponse, SourceInfo,
    SourceResult,
};
use serde::Serialize;

use crate::names;

/// `hubctl query --json`: the whole answer for one debtor.
#[derive(Debug, Serialize)]
pub struct QueryJson<'a> {
    pub case_number: &'a str,
    pub elapsed_ms: u32,
    pub sources: Vec<SourceJson<'a>>,
}

/// One source's answer.
#[derive(Debug, Serialize)]
pub struct SourceJson<'a> {
    pub source: &'a str,
    /// The registered kind name (`securities`), or the built-in enum's name.
    pub kind: String,
    pub status: &'static str,
    pub reason: &'a str,
    pub cached: bool,
    pub age_ms: u64,
    pub latency_ms: u32,
    pub attempts: u32,
    pub assets: Vec<AssetJson<'a>>,
    /// PENDING: the agency's ticket, when it expects to answer (Unix ms) and the hub's
    /// inquiry id; absent otherwise.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub ticket: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    pub expected_at_ms: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub inquiry_id: &'a str,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// One asset: `asset_ref`, `type`, then the type's fields.
#[derive(Debug, Serialize)]
pub struct AssetJson<'a> {
    pub asset_ref: &'a str,
    #[serde(flatten)]
    pub detail: DetailJson<'a>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DetailJson<'a> {
    Deposit {
        account_number: &'a str,
        deposit_type: &'static str,
        currency: &'a str,
        balance_fen: i64,
        frozen_fen: i64,
        status: &'static str,
        branch: &'a str,
    },
    Property {
        certificate_number: &'a str,
        address: &'a str,
        area_centi_m2: u64,
        ownership_share: &'a str,
        usage: &'a str,
        encumbrances: Vec<EncumbranceJson<'a>>,
    },
    Vehicle {
        plate: &'a str,
        vin: &'a str,
        brand: &'a str,
        model: &'a str,
        registration_status: &'a str,
        encumbrances: Vec<EncumbranceJson<'a>>,
    },
    PaymentBalance {
        account_id: &'a str,
        balance_type: &'static str,
        balance_fen: i64,
        frozen_fen: i64,
    },
    /// An asset of a kind this build has no table for, as the hub describes any asset.
    Generic {
        kind: &'a str,
        kind_label: &'a str,
        title: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        value_fen: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        quantity: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        frozen_quantity: Option<u64>,
        unit: &'a str,
        attributes: Vec<AttributeJson<'a>>,
    },
    /// An asset whose detail this build does not know (a newer hub).
    Unknown,
}

/// One attribute of a generic asset: its value as the API types it.
#[derive(Debug, Serialize)]
pub struct AttributeJson<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub value: serde_json::Value,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub unit: &'a str,
}

fn attribute(a: &assethub_proto::v1::Attribute) -> AttributeJson<'_> {
    use assethub_proto::v1::attribute::Value;
    let value = match &a.value {
        Some(Value::Text(t)) | Some(Value::Date(t)) => serde_json::json!(t),
        Some(Value::Integer(n)) | Some(Value::Centi(n)) | Some(Value::MoneyFen(n)) => {
            serde_json::json!(n)
        }
        Some(Value::Flag(b)) => serde_json::json!(b),
        None => serde_json::Value::Null,
    };
    AttributeJson {
        key: &a.key,
        label: &a.label,
        value,
        unit: &a.unit,
    }
}

#[derive(Debug, Serialize)]
pub struct EncumbranceJson<'a> {
    pub kind: &'static str,
    pub holder: &'a str,
    pub since: &'a str,
    pub until: &'a str,
    pub amount_fen: i64,
}

/// `hubctl sources --json`: one element of the array.
#[derive(Debug, Serialize)]
pub struct SourceInfoJson<'a> {
    pub id: &'a str,
    pub kind: String,
    pub connector_type: &'a str,
    pub capabilities: &'a [String],
    pub cache_ttl_secs: u64,
    pub max_concurrency: u32,
    pub in_flight: u32,
    pub breaker_state: &'a str,
    pub rate_limit_per_sec: u32,
    pub rate_limit_burst: u32,
    pub retry_budget: u32,
}

/// An error: from a batch item (`ItemError`) or the hub's RPC status.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorJson {
    pub code: String,
    pub message: String,
    pub violations: Vec<ViolationJson>,
    /// Why a precondition failed, as a stable code (CASE_NOT_REGISTERED, DEBTOR_NOT_A_PARTY,
    /// CASE_NOT_OPEN); absent otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ViolationJson {
    pub field: String,
    pub description: String,
}

/// `hubctl batch --json`: one line per item.
#[derive(Debug, Serialize)]
pub struct BatchLineJson<'a> {
    pub index: u32,
    pub case_number: &'a str,
    #[serde(flatten)]
    pub outcome: BatchOutcomeJson<'a>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchOutcomeJson<'a> {
    Response {
        elapsed_ms: u32,
        sources: Vec<SourceJson<'a>>,
    },
    Error {
        error: ErrorJson,
    },
}

/// `{"error": {...}}`: what `--json` prints on stdout when the command fails.
#[derive(Debug, Serialize)]
pub struct FailureJson {
    pub error: ErrorJson,
}

pub fn query(response: &QueryResponse) -> QueryJson<'_> {
    QueryJson {
        case_number: &response.case_number,
        elapsed_ms: response.elapsed_ms,
        sources: response.sources.iter().map(source).collect(),
    }
}

pub fn source(s: &SourceResult) -> SourceJson<'_> {
    SourceJson {
        source: &s.source,
        kind: names::kind_name(&s.kind_name, s.kind),
        status: names::source_status(s.status),
        reason: &s.reason,
        cached: s.cached,
        age_ms: s.age_ms,
        latency_ms: s.latency_ms,
        attempts: s.attempts,
        assets: s.assets.iter().map(asset).collect(),
        ticket: &s.ticket,
        expected_at_ms: s.expected_at_ms,
        inquiry_id: &s.inquiry_id,
    }
}

pub fn asset(a: &Asset) -> AssetJson<'_> {
    let detail = match &a.detail {
        Some(Detail::Deposit(d)) => DetailJson::Deposit {
            account_number: &d.account_number,
            deposit_type: names::deposit_type(d.deposit_type),
            currency: &d.currency,
            balance_fen: d.balance_fen,
            frozen_fen: d.frozen_fen,
            status: names::account_status(d.status),
            branch: &d.branch,
        },
        Some(Detail::Property(p)) => DetailJson::Property {
            certificate_number: &p.certificate_number,
            address: &p.address,
            area_centi_m2: p.area_centi_m2,
            ownership_share: &p.ownership_share,
            usage: &p.usage,
            encumbrances: p.encumbrances.iter().map(encumbrance).collect(),
        },
        Some(Detail::Vehicle(v)) => DetailJson::Vehicle {
            plate: &v.plate,
            vin: &v.vin,
            brand: &v.brand,
            model: &v.model,
            registration_status: &v.registration_status,
            encumbrances: v.encumbrances.iter().map(encumbrance).collect(),
        },
        Some(Detail::PaymentBalance(p)) => DetailJson::PaymentBalance {
            account_id: &p.account_id,
            balance_type: names::payment_balance_type(p.balance_type),
            balance_fen: p.balance_fen,
            frozen_fen: p.frozen_fen,
        },
        None => match &a.generic {
            Some(g) => DetailJson::Generic {
                kind: &g.kind_name,
                kind_label: &g.kind_label,
                title: &g.title,
                value_fen: g.value_fen,
                quantity: g.quantity,
                frozen_quantity: g.frozen_quantity,
                unit: &g.unit,
                attributes: g.attributes.iter().map(attribute).collect(),
            },
            None => DetailJson::Unknown,
        },
    };
    AssetJson {
        asset_ref: &a.asset_ref,
        detail,
    }
}

pub fn encumbrance(e: &Encumbrance) -> EncumbranceJson<'_> {
    EncumbranceJson {
        kind: names::encumbrance_kind(e.kind),
        holder: &e.holder,
        since: &e.since,
        until: &e.until,
        amount_fen: e.amount_fen,
    }
}

pub fn source_info(s: &SourceInfo) -> SourceInfoJson<'_> {
    SourceInfoJson {
        id: &s.id,
        kind: names::kind_name(&s.kind_name, s.kind),
        connector_type: &s.connector_type,
        capabilities: &s.capabilities,
        cache_ttl_secs: s.cache_ttl_secs,
        max_concurrency: s.max_concurrency,
        in_flight: s.in_flight,
        breaker_state: &s.breaker_state,
        rate_limit_per_sec: s.rate_limit_per_sec,
        rate_limit_burst: s.rate_limit_burst,
        retry_budget: s.retry_budget,
    }
}

pub fn item_error(e: &ItemError) -> ErrorJson {
    ErrorJson {
        code: e.code.clone(),
        message: e.message.clone(),
        violations: e.violations.iter().map(violation).collect(),
        reason: e.reason.clone(),
    }
}

fn violation(v: &FieldViolation) -> ViolationJson {
    ViolationJson {
        field: v.field.clone(),
        description: v.description.clone(),
    }
}

/// One `batch --json` line for an answered item.
pub fn batch_response<'a>(index: u32, response: &'a QueryResponse) -> BatchLineJson<'a> {
    BatchLineJson {
        index,
        case_number: &response.case_number,
        outcome: BatchOutcomeJson::Response {
            elapsed_ms: response.elapsed_ms,
            sources: response.sources.iter().map(source).collect(),
        },
    }
}

/// One `batch --json` line for a rejected item; `case_number` is the one from the file.
pub fn batch_error<'a>(index: u32, case_number: &'a str, error: ErrorJson) -> BatchLineJson<'a> {
    BatchLineJson {
        index,
        case_number,
        outcome: BatchOutcomeJson::Error { error },
    }
}

/// Serialises to one line of compact JSON.
pub fn to_line<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs (strings, integers, bools) cannot fail; keep a
    // well-formed fallback anyway rather than panicking.
    serde_json::to_string(value).unwrap_or_else(|e| {
        format!(
            "{{\"error\":{{\"code\":\"INTERNAL\",\"message\":{:?},\"violations\":[]}}}}",
            e.to_string()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_proto::v1::{
        AccountStatus, AssetKind, DepositAccount, DepositType, EncumbranceKind, PaymentBalance,
        PaymentBalanceType, RealEstateProperty, SourceStatus, Vehicle,
    };
    use serde_json::{json, Value};

    fn value<T: Serialize>(v: &T) -> Value {
        serde_json::from_str(&to_line(v)).expect("valid JSON")
    }

    fn mortgage() -> Encumbrance {
        Encumbrance {
            kind: EncumbranceKind::Mortgage as i32,
            holder: "某银行".into(),
            since: "2021-03-01".into(),
            until: String::new(),
            amount_fen: 120_000_000,
        }
    }

    #[test]
    fn deposit_shape() {
        let a = Asset {
            generic: Default::default(),
            asset_ref: "bank-gongxin:6222".into(),
            detail: Some(Detail::Deposit(DepositAccount {
                account_number: "6222".into(),
                deposit_type: DepositType::Demand as i32,
                currency: "CNY".into(),
                balance_fen: 1_234_567,
                frozen_fen: 100,
                status: AccountStatus::Frozen as i32,
                branch: "洪山支行".into(),
            })),
        };
        assert_eq!(
            value(&asset(&a)),
            json!({
                "asset_ref": "bank-gongxin:6222", "type": "deposit",
                "account_number": "6222", "deposit_type": "demand", "currency": "CNY",
                "balance_fen": 1_234_567, "frozen_fen": 100, "status": "frozen",
                "branch": "洪山支行"
            })
        );
        // asset_ref and type lead.
        assert!(to_line(&asset(&a))
            .starts_with(r#"{"asset_ref":"bank-gongxin:6222","type":"deposit","#));
    }

    #[test]
    fn property_shape() {
        let a = Asset {
            generic: Default::default(),
            asset_ref: "re:1".into(),
            detail: Some(Detail::Property(RealEstateProperty {
                certificate_number: "鄂(2020)武汉市不动产权第0001号".into(),
                address: "洪山区1号".into(),
                area_centi_m2: 8950,
                ownership_share: "1/2".into(),
                usage: "住宅".into(),
                encumbrances: vec![mortgage()],
            })),
        };
        assert_eq!(
            value(&asset(&a)),
            json!({
                "asset_ref": "re:1", "type": "property",
                "certificate_number": "鄂(2020)武汉市不动产权第0001号",
                "address": "洪山区1号", "area_centi_m2": 8950, "ownership_share": "1/2",
                "usage": "住宅",
                "encumbrances": [{"kind": "mortgage", "holder": "某银行", "since": "2021-03-01",
                                  "until": "", "amount_fen": 120_000_000}]
            })
        );
    }

    #[test]
    fn vehicle_shape() {
        let a = Asset {
            generic: Default::default(),
            asset_ref: "veh:1".into(),
            detail: Some(Detail::Vehicle(Vehicle {
                plate: "鄂A12345".into(),
                vin: "LSVAU2180N2183294".into(),
                brand: "大众".into(),
                model: "帕萨特".into(),
                registration_status: "查封".into(),
                encumbrances: vec![Encumbrance {
                    kind: EncumbranceKind::QueuedSeal as i32,
                    holder: "(2023)鄂01执5号".into(),
                    ..Default::default()
                }],
            })),
        };
        assert_eq!(
            value(&asset(&a)),
            json!({
                "asset_ref": "veh:1", "type": "vehicle", "plate": "鄂A12345",
                "vin": "LSVAU2180N2183294", "brand": "大众", "model": "帕萨特",
                "registration_status": "查封",
                "encumbrances": [{"kind": "queued_seal", "holder": "(2023)鄂01执5号",
                                  "since": "", "until": "", "amount_fen": 0}]
            })
        );
    }

    #[test]
    fn payment_and_unknown_shapes() {
        let a = Asset {
            generic: Default::default(),
            asset_ref: "pay:1".into(),
            detail: Some(Detail::PaymentBalance(PaymentBalance {
                account_id: "138****0000".into(),
                balance_type: PaymentBalanceType::Wallet as i32,
                balance_fen: 5,
                frozen_fen: 0,
            })),
        };
        assert_eq!(
            value(&asset(&a)),
            json!({"asset_ref": "pay:1", "type": "payment_balance", "account_id": "138****0000",
                   "balance_type": "wallet", "balance_fen": 5, "frozen_fen": 0})
        );
        let none = Asset {
            generic: Default::default(),
            asset_ref: "x:1".into(),
            detail: None,
        };
        assert_eq!(
            value(&asset(&none)),
            json!({"asset_ref": "x:1", "type": "unknown"})
        );
        let shares = Asset {
            generic: Some(assethub_proto::v1::GenericDetail {
                kind_name: "securities".into(),
                kind_label: "证券".into(),
                title: "600000 浦发银行".into(),
                attributes: vec![assethub_proto::v1::Attribute {
                    key: "quantity".into(),
                    label: "持有数量".into(),
                    value: Some(assethub_proto::v1::attribute::Value::Integer(50_000)),
                    unit: "shares".into(),
                }],
                value_fen: Some(43_500_000),
                quantity: Some(50_000),
                frozen_quantity: None,
                unit: "shares".into(),
            }),
            asset_ref: "csdc:A1-600000".into(),
            detail: None,
        };
        assert_eq!(
            value(&asset(&shares)),
            json!({"asset_ref": "csdc:A1-600000", "type": "generic", "kind": "securities",
                   "kind_label": "证券", "title": "600000 浦发银行", "value_fen": 43_500_000,
                   "quantity": 50_000, "unit": "shares",
                   "attributes": [{"key": "quantity", "label": "持有数量", "value": 50_000,
                                   "unit": "shares"}]})
        );
    }

    fn source_with(status: SourceStatus) -> SourceResult {
        SourceResult {
            kind_name: Default::default(),
            source: "bank-gongxin".into(),
            kind: AssetKind::Bank as i32,
            status: status as i32,
            reason: "r".into(),
            cached: true,
            age_ms: 1500,
            assets: vec![],
            latency_ms: 3,
            attempts: 0,
            ..Default::default()
        }
    }

    #[test]
    fn source_statuses_and_query_shape() {
        for (status, name) in [
            (SourceStatus::Ok, "ok"),
            (SourceStatus::NotFound, "not_found"),
            (SourceStatus::NameMismatch, "name_mismatch"),
            (SourceStatus::Error, "error"),
            (SourceStatus::TimedOut, "timed_out"),
        ] {
            let s = source_with(status);
            assert_eq!(value(&source(&s))["status"], json!(name));
        }
        let response = QueryResponse {
            case_number: "(2024)鄂0116执1234号".into(),
            elapsed_ms: 42,
            sources: vec![source_with(SourceStatus::Ok)],
        };
        assert_eq!(
            value(&query(&response)),
            json!({
                "case_number": "(2024)鄂0116执1234号", "elapsed_ms": 42,
                "sources": [{"source": "bank-gongxin", "kind": "bank", "status": "ok",
                             "reason": "r", "cached": true, "age_ms": 1500,
                             "latency_ms": 3, "attempts": 0, "assets": []}]
            })
        );
        // Flattened into a batch line after index and case_number.
        let line = to_line(&batch_response(7, &response));
        assert!(line.starts_with(
            r#"{"index":7,"case_number":"(2024)鄂0116执1234号","elapsed_ms":42,"sources":["#
        ));
    }

    #[test]
    fn batch_error_line_and_source_info() {
        let e = ItemError {
            code: "INVALID_ARGUMENT".into(),
            message: "bad id".into(),
            violations: vec![FieldViolation {
                field: "debtor.id_number".into(),
                description: "check character".into(),
            }],
            reason: String::new(),
        };
        assert_eq!(
            value(&batch_error(3, "(2024)鄂0116执1号", item_error(&e))),
            json!({"index": 3, "case_number": "(2024)鄂0116执1号",
                   "error": {"code": "INVALID_ARGUMENT", "message": "bad id",
                             "violations": [{"field": "debtor.id_number",
                                             "description": "check character"}]}})
        );
        let info = SourceInfo {
            kind_info: Default::default(),
            kind_name: Default::default(),
            id: "bank-gongxin".into(),
            kind: AssetKind::Bank as i32,
            connector_type: "bank".into(),
            capabilities: vec!["query".into()],
            cache_ttl_secs: 300,
            max_concurrency: 8,
            breaker_state: "closed".into(),
            in_flight: 0,
            rate_limit_per_sec: 50,
            rate_limit_burst: 5,
            retry_budget: 10,
        };
        assert_eq!(
            value(&source_info(&info)),
            json!({"id": "bank-gongxin", "kind": "bank", "connector_type": "bank",
                   "capabilities": ["query"], "cache_ttl_secs": 300, "max_concurrency": 8,
                   "in_flight": 0, "breaker_state": "closed", "rate_limit_per_sec": 50,
                   "rate_limit_burst": 5, "retry_budget": 10})
        );
    }
}
