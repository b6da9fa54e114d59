//! Independent oracles shared by the `*_response` targets (included with `#[path]`; not a
//! target itself): an exact yuan reading, the canonical ISO date check, a fixed call context
//! and the checks every decoded `ControlAnswer` / error must pass.
#![allow(dead_code)]

use assethub_connectors::domain::{civil::iso_date, CaseNumber, CivilDate, Fen};
use assethub_connectors::{CallContext, ConnectorError, ControlAnswer, ErrorClass, HoldStatus};
use serde_json::Value;

/// The request id and idempotency key the seeds echo.
pub const REQUEST_ID: &str = "req-fuzz-0001";
pub const KEY: &str = "key-fuzz-0001";
pub const SOURCE: &str = "fuzz-src";

pub fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse("(2024)鄂0116执1234号").expect("case number"),
        request_id: REQUEST_ID.to_string(),
    }
}

/// Exact reading of `[+-]digits[.digits]` (surrounding blanks ignored) in fen, `None` unless
/// it is a yuan amount representable in i64 without sub-fen digits.
pub fn yuan(text: &str) -> Option<i64> {
    let s = text.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) if !f.is_empty() => (w, f),
        Some(_) => return None,
        None => (digits, ""),
    };
    let is_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) {
        return None;
    }
    if fraction.bytes().skip(2).any(|b| b != b'0') {
        return None;
    }
    let mut fen: i128 = 0;
    for b in whole
        .bytes()
        .chain(fraction.bytes().chain(std::iter::repeat(b'0')).take(2))
    {
        fen = fen.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    i64::try_from(if negative { -fen } else { fen }).ok()
}

/// A non-negative exact yuan amount read by the oracle equals what the connector decoded.
pub fn assert_amount(decoded: Fen, raw: Option<&Value>, what: &str) {
    let text = raw
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: decoded {decoded:?} from no string"));
    assert_eq!(yuan(text), Some(decoded.0), "{what}: {text:?}");
    assert!(
        decoded >= Fen::ZERO,
        "{what}: negative {decoded:?} accepted"
    );
}

/// An ISO date as the connector hands it on: canonical, real, ≥ 1900.
pub fn assert_iso(date: &str) {
    assert_eq!(
        iso_date(date).as_deref(),
        Ok(date),
        "{date:?} is not a canonical ISO date"
    );
    assert_eq!(
        CivilDate::parse(date).map(|d| d.to_string()).as_deref(),
        Ok(date)
    );
}

/// Invariants of every decoded control answer.
pub fn assert_control(answer: &ControlAnswer) {
    assert!(!answer.hold.trim().is_empty(), "empty hold {answer:?}");
    assert!(
        answer.held >= Fen::ZERO && answer.deducted >= Fen::ZERO,
        "{answer:?}"
    );
    if let HoldStatus::Queued { position } = answer.status {
        assert!(position >= 1, "{answer:?}");
    }
    if let Some(until) = answer.until {
        assert_eq!(
            CivilDate::parse(&until.to_string()),
            Ok(until),
            "{answer:?}"
        );
    }
}

/// An agency answer's error is one of the classes a body (not a transport) can produce.
pub fn assert_class(error: &ConnectorError, allowed: &[ErrorClass]) {
    assert!(
        allowed.contains(&error.class),
        "unexpected class {:?}: {}",
        error.class,
        error.message
    );
    assert!(error.retry_after.is_none(), "{error:?}");
}

/// The body as a JSON value for the oracles: strictly, else with invalid UTF-8 replaced (the
/// connector skips fields it does not know without checking their bytes). `None` when even
/// that fails (e.g. a lone surrogate escape in an ignored field): then only the domain
/// invariants are checked.
pub fn json(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data)
        .ok()
        .or_else(|| serde_json::from_str(&String::from_utf8_lossy(data)).ok())
}

/// Whether the connector failed to decode the JSON itself (rather than judged its content).
pub fn undecodable(error: &ConnectorError) -> bool {
    error.class == ErrorClass::Malformed && error.message.starts_with("invalid JSON from agency")
}
