//! Fen::from_yuan_str on arbitrary text: never panics; agrees with an independent i128 reading
//! (exact, no sub-fen digits, overflow only past i64); to_yuan_string round-trips. The first 8
//! input bytes also drive Fen(n) -> to_yuan_string -> from_yuan_str for arbitrary n.
#![no_main]

use assethub_connectors::domain::{Fen, MoneyError};
use libfuzzer_sys::fuzz_target;

/// Reference reading: `[+-]digits[.digits]`, at most two significant decimals, in i128.
/// `None` for malformed text, `Some(Err(()))` for sub-fen precision, `Some(Ok(fen))` otherwise
/// (fen saturates at i128 bounds: the caller only compares it with the i64 range).
fn reference(text: &str) -> Option<Result<i128, ()>> {
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
        return Some(Err(()));
    }
    let mut fen: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes().chain(std::iter::repeat(b'0')).take(2)) {
        fen = fen.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    Some(Ok(if negative { -fen } else { fen }))
}

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = data.get(..8) {
        let n = i64::from_le_bytes(bytes.try_into().unwrap_or_default());
        let text = Fen(n).to_yuan_string();
        assert_eq!(Fen::from_yuan_str(&text), Ok(Fen(n)), "{text}");
    }

    let input = String::from_utf8_lossy(data);
    let parsed = Fen::from_yuan_str(&input);
    match (reference(&input), &parsed) {
        (None, Err(MoneyError::Malformed(t))) => assert_eq!(t, &*input),
        (Some(Err(())), Err(MoneyError::SubFen(t))) => assert_eq!(t, &*input),
        (Some(Ok(fen)), Ok(Fen(got))) => assert_eq!(fen, i128::from(*got), "{input:?}"),
        (Some(Ok(fen)), Err(MoneyError::Overflow(t))) => {
            assert_eq!(t, &*input);
            assert!(fen.abs() > i128::from(i64::MAX), "{input:?} overflowed at {fen}");
        }
        (expected, got) => panic!("{input:?}: reference {expected:?}, parser {got:?}"),
    }
    if let Ok(fen) = parsed {
        let text = fen.to_yuan_string();
        assert_eq!(Fen::from_yuan_str(&text), Ok(fen), "{text}");
        assert_eq!(fen.to_string(), format!("¥{text}"));
        // Canonical form: two decimals, no leading zeros, no "-0.00".
        let unsigned = text.strip_prefix('-').unwrap_or(&text);
        let (whole, cents) = unsigned.split_once('.').expect("a decimal point");
        assert_eq!(cents.len(), 2);
        assert!(whole == "0" || !whole.starts_with('0'), "{text}");
        assert!(text != "-0.00");
    }
});
