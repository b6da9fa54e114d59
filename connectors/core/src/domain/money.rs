//! Money as integer fen (分). Agencies send yuan as decimal strings; they are converted here
//! exactly, digit by digit, never through floating point.

use std::fmt;

/// An amount in fen (1 yuan = 100 fen). Signed so differences can be expressed; balances
/// reported by agencies are never negative.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not a decimal amount in yuan")]
    Malformed(String),
    #[error("{0:?} has more precision than one fen")]
    SubFen(String),
    #[error("{0:?} is too large")]
    Overflow(String),
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Parses a yuan decimal string ("12345.67", "-0.5", "100") exactly into fen. Digits past
    /// the second decimal place must be zero: an agency claiming sub-fen precision is an error.
    pub fn from_yuan_str(text: &str) -> Result<Self, MoneyError> {
        let malformed = || MoneyError::Malformed(text.to_string());
        let s = text.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if digits.contains('.') && fraction.is_empty() {
            return Err(malformed());
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if fraction.len() > 2 && fraction[2..].bytes().any(|b| b != b'0') {
            return Err(MoneyError::SubFen(text.to_string()));
        }
        let overflow = || MoneyError::Overflow(text.to_string());
        // Accumulated wider than i64 so that i64::MIN fen (whose magnitude i64 cannot hold)
        // reads back; the result must fit i64.
        let mut fen: i128 = 0;
        for b in whole.bytes() {
            fen = fen
                .checked_mul(10)
                .and_then(|f| f.checked_add(i128::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let mut cents = fraction.bytes().chain(std::iter::repeat(b'0')).take(2);
        for _ in 0..2 {
            let digit = i128::from(cents.next().unwrap_or(b'0') - b'0');
            fen = fen
                .checked_mul(10)
                .and_then(|f| f.checked_add(digit))
                .ok_or_else(overflow)?;
        }
        let signed = if negative { -fen } else { fen };
        i64::try_from(signed).map(Fen).map_err(|_| overflow())
    }

    /// Formats as a yuan decimal string with two places ("12345.67").
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.to_yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn converts_exactly() {
        assert_eq!(Fen::from_yuan_str("12345.67"), Ok(Fen(1_234_567)));
        assert_eq!(Fen::from_yuan_str("0.1"), Ok(Fen(10)));
        assert_eq!(Fen::from_yuan_str("100"), Ok(Fen(10_000)));
        assert_eq!(Fen::from_yuan_str("-0.05"), Ok(Fen(-5)));
        assert_eq!(Fen::from_yuan_str("1.2300"), Ok(Fen(123)));
        // The classic float trap: 0.29 * 100 = 28.999999999999996.
        assert_eq!(Fen::from_yuan_str("0.29"), Ok(Fen(29)));
    }

    #[test]
    fn the_extremes_round_trip_and_one_more_overflows() {
        // Found by the `money` fuzz target: i64::MIN's magnitude does not fit an i64.
        for fen in [i64::MIN, i64::MAX] {
            assert_eq!(Fen::from_yuan_str(&Fen(fen).to_yuan_string()), Ok(Fen(fen)));
        }
        assert!(matches!(
            Fen::from_yuan_str("92233720368547758.08"),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn rejects_junk() {
        for bad in ["", ".5", "1.", "1,000.00", "1e3", "12.3a", "--1", "NaN"] {
            assert!(
                matches!(Fen::from_yuan_str(bad), Err(MoneyError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Fen::from_yuan_str("1.001"),
            Err(MoneyError::SubFen(_))
        ));
        assert!(matches!(
            Fen::from_yuan_str("99999999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
    }

    proptest! {
        #[test]
        fn round_trips_through_yuan_strings(fen in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(Fen::from_yuan_str(&Fen(fen).to_yuan_string()), Ok(Fen(fen)));
        }

        #[test]
        fn never_panics(input in "\\PC{0,30}") {
            let _ = Fen::from_yuan_str(&input);
        }
    }
}
