//! Validation at the edge: turns API requests into domain values or into field violations
//! that become `INVALID_ARGUMENT` with a `google.rpc.BadRequest` detail. Error descriptions
//! never echo the identity number or name that was sent.

use crate::bounds::{self, Bound};
use assethub_connectors::domain::{AssetKind, CaseNumber, CivilDate, Debtor, DebtorId};
use assethub_proto::v1 as pb;
use std::time::Duration;

/// One offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// The validated parts of a query.
#[derive(Debug, Clone)]
pub struct ValidQuery {
    pub case: CaseNumber,
    pub debtor: Debtor,
    pub kinds: Vec<AssetKind>,
}

/// Whether `value` is within `bound`; if not, a violation naming `field` says why.
pub fn bounded(bound: &Bound, value: &str, field: &str, violations: &mut Vec<Violation>) -> bool {
    match bound.check(value) {
        Ok(()) => true,
        Err(why) => {
            violations.push(Violation::new(field, why));
            false
        }
    }
}

/// A case number named `field` written on `today` (in Beijing, by the hub's clock): bounded,
/// then parsed.
pub fn case_number(
    text: &str,
    field: &str,
    today: CivilDate,
    violations: &mut Vec<Violation>,
) -> Option<CaseNumber> {
    if !bounded(&bounds::CASE_NUMBER, text, field, violations) {
        return None;
    }
    CaseNumber::parse_on(text, today)
        .map_err(|e| violations.push(Violation::new(field, e.to_string())))
        .ok()
}

/// A query's case, debtor and kinds, judged on `today` (in Beijing, by the hub's clock): the
/// case number's year and a person's birth date may not be later.
pub fn query(
    case_number: &str,
    debtor: Option<&pb::Debtor>,
    kinds: &[i32],
    kind_names: &[String],
    today: CivilDate,
) -> Result<ValidQuery, Vec<Violation>> {
    let mut violations = Vec::new();
    let case = self::case_number(case_number, "case_number", today, &mut violations);
    let debtor = match debtor {
        None => {
            violations.push(Violation::new("debtor", "is required"));
            None
        }
        Some(d) => self::debtor(d, "debtor", today, &mut violations),
    };
    let kinds = asset_kinds(kinds, kind_names, &mut violations);
    match (case, debtor) {
        (Some(case), Some(debtor)) if violations.is_empty() => Ok(ValidQuery {
            case,
            debtor,
            kinds,
        }),
        _ => Err(violations),
    }
}

/// A debtor (identity number or credit code, and name) named `field` in a request; the name
/// comes back normalised (NFC, whitespace). Violations name `<field>.id_number` and
/// `<field>.name` and never echo what was sent. A person born after `today` (in Beijing) is
/// refused.
pub fn debtor(
    d: &pb::Debtor,
    field: &str,
    today: CivilDate,
    violations: &mut Vec<Violation>,
) -> Option<Debtor> {
    let id_field = format!("{field}.id_number");
    let id = bounded(&bounds::ID_NUMBER, &d.id_number, &id_field, violations)
        .then(|| {
            DebtorId::parse_on(&d.id_number, today)
                .map_err(|e| {
                    violations.push(Violation::new(
                        &id_field,
                        format!(
                            "not a valid resident identity number or unified social credit code: {e}"
                        ),
                    ))
                })
                .ok()
        })
        .flatten();
    let name_field = format!("{field}.name");
    let name_ok = bounded(&bounds::DEBTOR_NAME, &d.name, &name_field, violations);
    let name = if name_ok {
        crate::identity::normalize_name(&d.name)
    } else {
        String::new()
    };
    let name_ok = name_ok && {
        if name.is_empty() {
            violations.push(Violation::new(name_field, "is required"));
        }
        !name.is_empty()
    };
    id.filter(|_| name_ok).map(|id| Debtor { id, name })
}

/// A repeated enum filter (`states` of a listing): at most [`bounds::MAX_ENUM_ENTRIES`] values,
/// each one `parse` knows (`<field>[i]`: `unknown` otherwise).
pub fn enum_filter<T>(
    raw: &[i32],
    field: &str,
    unknown: &str,
    parse: impl Fn(i32) -> Option<T>,
    violations: &mut Vec<Violation>,
) -> Vec<T> {
    if raw.len() > bounds::MAX_ENUM_ENTRIES {
        violations.push(Violation::new(
            field,
            format!("at most {} entries", bounds::MAX_ENUM_ENTRIES),
        ));
    }
    let mut out = Vec::new();
    for (i, value) in raw.iter().enumerate().take(bounds::MAX_ENUM_ENTRIES) {
        match parse(*value) {
            Some(parsed) => out.push(parsed),
            None => violations.push(Violation::new(format!("{field}[{i}]"), unknown)),
        }
    }
    out
}

/// The kinds a search is restricted to: the built-in enum values of `kinds` and the registered
/// names of `kind_names` (`kind_names[i]`: an unknown name is refused, never registered).
pub fn asset_kinds(
    kinds: &[i32],
    kind_names: &[String],
    violations: &mut Vec<Violation>,
) -> Vec<AssetKind> {
    let mut out = Vec::new();
    if kinds.len() > bounds::MAX_ENUM_ENTRIES {
        violations.push(Violation::new(
            "kinds",
            format!(
                "{} entries; at most {}",
                kinds.len(),
                bounds::MAX_ENUM_ENTRIES
            ),
        ));
        return out;
    }
    for (i, raw) in kinds.iter().enumerate() {
        let kind = match AssetKind::from_wire_number(*raw) {
            Some(kind) => kind,
            None => {
                violations.push(Violation::new(
                    format!("kinds[{i}]"),
                    "unknown or unspecified asset kind",
                ));
                continue;
            }
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if kind_names.len() > bounds::MAX_ENUM_ENTRIES {
        violations.push(Violation::new(
            "kind_names",
            format!(
                "{} entries; at most {}",
                kind_names.len(),
                bounds::MAX_ENUM_ENTRIES
            ),
        ));
        return out;
    }
    for (i, name) in kind_names.iter().enumerate() {
        match name.parse::<AssetKind>() {
            Ok(kind) if !out.contains(&kind) => out.push(kind),
            Ok(_) => {}
            Err(message) => violations.push(Violation::new(format!("kind_names[{i}]"), message)),
        }
    }
    out
}

/// Deadline limits from the server configuration.
#[derive(Debug, Clone, Copy)]
pub struct DeadlinePolicy {
    pub default: Duration,
    pub max: Duration,
}

/// The deadline of a call: the smaller of the gRPC deadline (`grpc-timeout`) and the
/// request's own `deadline_ms`, the server default when neither is set; above the maximum is
/// an error. The gRPC deadline is the moment the caller stops listening, so the hub aims a
/// little earlier (a tenth of it, at most 200 ms) to get its partial answer there in time.
pub fn deadline(
    grpc_timeout: Option<Duration>,
    requested_ms: u32,
    field: &str,
    policy: DeadlinePolicy,
) -> Result<Duration, Violation> {
    let requested = (requested_ms > 0).then(|| Duration::from_millis(u64::from(requested_ms)));
    if let Some(r) = requested.filter(|r| *r > policy.max) {
        return Err(Violation::new(
            field,
            format!(
                "{} ms exceeds the maximum of {} ms",
                r.as_millis(),
                policy.max.as_millis()
            ),
        ));
    }
    let grpc_timeout = grpc_timeout.map(|g| g - (g / 10).min(Duration::from_millis(200)));
    let chosen = match (grpc_timeout, requested) {
        (Some(g), Some(r)) => g.min(r),
        (Some(g), None) => g.min(policy.max),
        (None, Some(r)) => r,
        (None, None) => policy.default,
    };
    Ok(chosen)
}

/// Parses the `grpc-timeout` header (`<digits><unit>`, unit one of H M S m u n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enum_filter_keeps_known_values_and_names_unknown_ones_and_too_many() {
        let parse = |v: i32| (1..=3).contains(&v).then_some(v * 10);
        let mut violations = Vec::new();
        let kept = enum_filter(
            &[1, 0, 3, 7],
            "states",
            "unknown state",
            parse,
            &mut violations,
        );
        assert_eq!(kept, vec![10, 30]);
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["states[1]", "states[3]"]);

        let mut violations = Vec::new();
        let kept = enum_filter(&[1; 17], "states", "unknown state", parse, &mut violations);
        assert_eq!(kept.len(), 16, "only the first 16 are read");
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "states");
    }

    fn today() -> CivilDate {
        CivilDate::parse("2026-12-02").unwrap()
    }

    fn debtor(id: &str, name: &str) -> pb::Debtor {
        pb::Debtor {
            id_number: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn accepts_a_good_query() {
        let q = query(
            "(2024)鄂0116执1234号",
            Some(&debtor("11010519491231002X", "张伟")),
            &[1, 4, 1],
            &["payment".to_string(), "vehicle".to_string()],
            today(),
        )
        .unwrap();
        assert_eq!(
            q.kinds,
            vec![AssetKind::BANK, AssetKind::PAYMENT, AssetKind::VEHICLE]
        );
        assert_eq!(q.case.court(), "鄂0116");
    }

    #[test]
    fn names_every_bad_field_without_echoing_personal_data() {
        let errs = query(
            "(2024)鄂0116民初1号",
            Some(&debtor("110105194912310021", " ")),
            &[0, 9],
            &["never_registered_kind_x".to_string()],
            today(),
        )
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "case_number",
                "debtor.id_number",
                "debtor.name",
                "kinds[0]",
                "kinds[1]",
                "kind_names[0]"
            ]
        );
        assert!(errs
            .iter()
            .all(|v| !v.description.contains("110105194912310021")));
        let errs = query("(2024)鄂0116执1号", None, &[], &[], today()).unwrap_err();
        assert_eq!(errs[0].field, "debtor");
    }

    #[tokio::test(start_paused = true)]
    async fn years_and_birth_dates_are_judged_on_today_in_beijing() {
        // 2026-12-31T16:30:00Z (Unix ms computed with Python) is 2027-01-01 00:30 in Beijing.
        let clock = crate::clock::Clock::starting_at(1_798_734_600_000);
        // Born on 2027-01-01 (check character computed with a Python reference).
        let born_today = debtor("110105202701010016", "张伟");
        let valid = query(
            "(2027)鄂0116执1号",
            Some(&born_today),
            &[],
            &[],
            clock.today(),
        )
        .unwrap();
        assert_eq!(valid.case.year(), 2027);
        // On the UTC date (still 2026-12-31) both were refused.
        let utc_date = CivilDate::parse("2026-12-31").unwrap();
        let errs = query("(2027)鄂0116执1号", Some(&born_today), &[], &[], utc_date).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["case_number", "debtor.id_number"]);
        assert!(errs[1].description.contains("future"), "{errs:?}");
    }

    #[test]
    fn a_hundred_thousand_kinds_are_one_violation() {
        let errs = query(
            "(2024)鄂0116执1234号",
            Some(&debtor("11010519491231002X", "张伟")),
            &[99; 100_000],
            &[],
            today(),
        )
        .unwrap_err();
        assert_eq!(
            errs,
            [Violation::new("kinds", "100000 entries; at most 16")]
        );
        assert!(query(
            "(2024)鄂0116执1234号",
            Some(&debtor("11010519491231002X", "张伟")),
            &[1; 16],
            &[],
            today(),
        )
        .is_ok());
    }

    #[test]
    fn oversized_values_are_refused_before_parsing_and_never_echoed() {
        let huge_case = format!("(2024)鄂0116{}1号", "执".repeat(1 << 20));
        let errs = query(
            &huge_case,
            Some(&debtor(&"1".repeat(1 << 20), "张伟")),
            &[],
            &[],
            today(),
        )
        .unwrap_err();
        assert_eq!(
            errs,
            [
                Violation::new("case_number", "is longer than 40 characters"),
                Violation::new("debtor.id_number", "is longer than 18 characters"),
            ]
        );
        let errs = query(
            "(2024)鄂0116执1234号",
            Some(&debtor("11010519491231002X", "张伟\u{1b}[2J")),
            &[],
            &[],
            today(),
        )
        .unwrap_err();
        assert_eq!(errs[0].field, "debtor.name");
    }

    #[test]
    fn deadlines() {
        let policy = DeadlinePolicy {
            default: Duration::from_secs(5),
            max: Duration::from_secs(60),
        };
        assert_eq!(deadline(None, 0, "d", policy), Ok(Duration::from_secs(5)));
        // The hub aims a tenth (at most 200 ms) before the caller's gRPC deadline.
        assert_eq!(
            deadline(Some(Duration::from_secs(2)), 3000, "d", policy),
            Ok(Duration::from_millis(1800))
        );
        assert_eq!(
            deadline(Some(Duration::from_millis(500)), 0, "d", policy),
            Ok(Duration::from_millis(450))
        );
        assert_eq!(
            deadline(Some(Duration::from_secs(2)), 1000, "d", policy),
            Ok(Duration::from_secs(1))
        );
        assert_eq!(
            deadline(Some(Duration::from_secs(600)), 0, "d", policy),
            Ok(Duration::from_secs(60))
        );
        assert!(deadline(None, 61_000, "d", policy).is_err());
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse_grpc_timeout("x"), None);
        assert_eq!(parse_grpc_timeout("12Q"), None);
    }
}
