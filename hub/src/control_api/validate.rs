//! Validation of control requests at the edge: the instruction (case, ruling, officer, key),
//! the debtor, amounts, periods and references, each failure naming its field.

use crate::bounds::{self, Bound};
use crate::orders::{Action, Authority};
use crate::validate::{self, bounded, Violation};
use assethub_connectors::domain::{AssetRef, CivilDate, Debtor, Fen};
use assethub_proto::v1 as pb;

/// Largest amount accepted in one request: 10^13 fen (one hundred billion yuan).
pub const MAX_FEN: i64 = 10_000_000_000_000;
/// Longest period accepted at the edge; the legal policy is checked later, with its reason.
const MAX_DAYS: u32 = 36_500;

/// The instruction and the debtor it acts against (which is required), judged on `today`.
pub fn authority_and_debtor(
    instruction: Option<&pb::Instruction>,
    debtor: Option<&pb::Debtor>,
    today: CivilDate,
    violations: &mut Vec<Violation>,
) -> (Option<Authority>, Option<Debtor>) {
    if debtor.is_none() {
        violations.push(Violation::new("debtor", "is required"));
    }
    authority(instruction, debtor, today, violations)
}

/// The instruction (and the debtor, if given), judged on `today` (in Beijing, by the hub's
/// clock): case-number years and birth dates may not be later.
pub fn authority(
    instruction: Option<&pb::Instruction>,
    debtor: Option<&pb::Debtor>,
    today: CivilDate,
    violations: &mut Vec<Violation>,
) -> (Option<Authority>, Option<Debtor>) {
    let Some(i) = instruction else {
        violations.push(Violation::new("instruction", "is required"));
        return (None, None);
    };
    let (case, debtor) = match debtor {
        Some(_) => match validate::query(&i.case_number, debtor, &[], &[], today) {
            Ok(valid) => (Some(valid.case), Some(valid.debtor)),
            Err(found) => {
                for mut v in found {
                    if v.field == "case_number" {
                        v.field = "instruction.case_number".into();
                    }
                    violations.push(v);
                }
                (None, None)
            }
        },
        None => (
            validate::case_number(&i.case_number, "instruction.case_number", today, violations),
            None,
        ),
    };
    let ruling = text(&i.ruling, "instruction.ruling", &bounds::RULING, violations).and_then(|r| {
        match (ruling_case(&r, today), &case) {
            (Ok(of), Some(case)) if of.as_str() != case.as_str() => {
                violations.push(Violation::new(
                    "instruction.ruling",
                    format!("is a ruling of case {of}, not of {case}"),
                ));
                None
            }
            (Err(why), _) => {
                violations.push(Violation::new("instruction.ruling", why));
                None
            }
            _ => Some(r),
        }
    });
    let officer = text(
        &i.officer,
        "instruction.officer",
        &bounds::OFFICER,
        violations,
    );
    let key_field = "instruction.idempotency_key";
    let key_ok = bounded(
        &bounds::IDEMPOTENCY_KEY,
        &i.idempotency_key,
        key_field,
        violations,
    ) && required(&i.idempotency_key, key_field, violations);
    let authority = match (case, ruling, officer) {
        (Some(case), Some(ruling), Some(officer)) if key_ok => Some(Authority {
            case,
            ruling,
            officer: crate::identity::normalize_name(&officer),
            // The caller's identity is set by the service from the token.
            officer_id: String::new(),
            key: i.idempotency_key.clone(),
        }),
        _ => None,
    };
    (authority, debtor)
}

/// The case a ruling number (裁定书文号) belongs to: a ruling is its case number, optionally
/// followed by `之` and a Chinese ordinal (`(2024)鄂0116执1234号之一`).
fn ruling_case(
    ruling: &str,
    today: CivilDate,
) -> Result<assethub_connectors::domain::CaseNumber, String> {
    let bad = || format!("{ruling:?} is not a ruling number: <case number>[之<ordinal>]");
    let end = ruling.find('号').ok_or_else(bad)? + '号'.len_utf8();
    let (case, suffix) = ruling.split_at(end);
    let ordinal_ok = suffix.is_empty()
        || suffix.strip_prefix('之').is_some_and(|n| {
            !n.is_empty()
                && n.chars().count() <= 4
                && n.chars().all(|c| "一二三四五六七八九十百".contains(c))
        });
    if !ordinal_ok {
        return Err(bad());
    }
    assethub_connectors::domain::CaseNumber::parse_on(case, today).map_err(|_| bad())
}

/// A required text within `bound`, without surrounding spaces.
fn text(
    value: &str,
    field: &str,
    bound: &Bound,
    violations: &mut Vec<Violation>,
) -> Option<String> {
    let value = value.trim();
    (bounded(bound, value, field, violations) && required(value, field, violations))
        .then(|| value.to_string())
}

fn required(value: &str, field: &str, violations: &mut Vec<Violation>) -> bool {
    if value.is_empty() {
        violations.push(Violation::new(field, "is required"));
    }
    !value.is_empty()
}

pub fn amount(fen: i64, field: &str, violations: &mut Vec<Violation>) -> Fen {
    if fen <= 0 || fen > MAX_FEN {
        violations.push(Violation::new(
            field,
            format!(
                "must be a positive number of fen (1 yuan = 100 fen) up to {MAX_FEN} ({} yuan)",
                Fen(MAX_FEN).to_yuan_string()
            ),
        ));
    }
    Fen(fen)
}

/// The units of a freeze by quantity: for freezes only, at most
/// [`MAX_QUANTITY`](crate::orders::desk::MAX_QUANTITY) (whether the asset's kind counts in units
/// is the desk's to judge, with the source).
pub fn quantity(
    quantity: u64,
    action: Option<crate::orders::model::Action>,
    violations: &mut Vec<Violation>,
) -> u64 {
    use crate::orders::desk::MAX_QUANTITY;
    if quantity == 0 {
        return 0;
    }
    if action.is_some_and(|a| a != crate::orders::model::Action::Freeze) {
        violations.push(Violation::new("quantity", "applies to freezes only"));
    } else if quantity > MAX_QUANTITY {
        violations.push(Violation::new(
            "quantity",
            format!("must be at most {MAX_QUANTITY} units"),
        ));
    }
    quantity
}

pub fn days(days: u32, field: &str, violations: &mut Vec<Violation>) -> u32 {
    if days > MAX_DAYS {
        violations.push(Violation::new(
            field,
            format!("must be at most {MAX_DAYS} (0 means the legal maximum)"),
        ));
    }
    days
}

/// An ISO 4217 code (three capital letters), or empty.
pub fn currency(text: &str, field: &str, violations: &mut Vec<Violation>) -> String {
    if !text.is_empty() && (text.len() != 3 || !text.bytes().all(|b| b.is_ascii_uppercase())) {
        violations.push(Violation::new(
            field,
            "must be an ISO 4217 code such as CNY or USD",
        ));
    }
    text.to_string()
}

/// An asset ref as a search reported it: bounded (length, characters, no `..`), then parsed.
pub fn asset_ref(text: &str, violations: &mut Vec<Violation>) -> Option<AssetRef> {
    if !bounded(&bounds::ASSET_REF, text, "asset_ref", violations) {
        return None;
    }
    AssetRef::parse(text)
        .map_err(|e| violations.push(Violation::new("asset_ref", e)))
        .ok()
}

pub fn action(raw: i32, allowed: &[Action], violations: &mut Vec<Violation>) -> Option<Action> {
    let action = super::convert::action_from(raw).filter(|a| allowed.contains(a));
    if action.is_none() {
        let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
        violations.push(Violation::new(
            "action",
            format!("must be one of {}", names.join(", ")),
        ));
    }
    action
}

pub fn order_id(id: &str, field: &str, violations: &mut Vec<Violation>) {
    if bounded(&bounds::ORDER_ID, id, field, violations) && id.is_empty() {
        violations.push(Violation::new(field, "is not an order id"));
    }
}

#[cfg(test)]
mod tests {
    use super::ruling_case;

    #[test]
    fn rulings_belong_to_their_case() {
        let today = assethub_connectors::domain::CivilDate::parse("2026-12-02").unwrap();
        let of = |r: &str| ruling_case(r, today).map(|c| c.as_str().to_string());
        assert_eq!(
            of("(2024)鄂0116执1234号之一").as_deref(),
            Ok("(2024)鄂0116执1234号")
        );
        assert_eq!(
            of("（2024）鄂0116执1234号").as_deref(),
            Ok("(2024)鄂0116执1234号")
        );
        assert!(of("(2024)鄂0116执1234号之").is_err());
        assert!(of("(2024)鄂0116执1234号之a").is_err());
        assert!(of("裁定书").is_err());
        assert!(of("(2024)鄂0116民初1号之一").is_err());
    }
}
