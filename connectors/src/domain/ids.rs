//! Debtor identifiers: resident identity numbers (GB 11643-1999) and unified social credit
//! codes (GB 32100-2015), validated exactly, plus masking for logs.
//!
//! `Display` and `Debug` of these types print the *masked* form (`110105********002X`), so an
//! identifier dropped into a log line never leaks; use `as_str()` for the wire.

use super::civil::{is_real_date, today_utc};
use std::fmt;

/// Why an identity number or credit code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("character {position} is not allowed here")]
    BadCharacter { position: usize },
    #[error("region code is not a known province")]
    Region,
    #[error("birth date is not a real date")]
    BirthDate,
    #[error("birth date is in the future")]
    FutureBirthDate,
    #[error("check character is wrong (expected {expected})")]
    CheckCharacter { expected: char },
}

/// Resident identity number of a natural person, e.g. `11010519491231002X`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId(String);

const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// First two digits of every province-level region (GB/T 2260), incl. HK, Macao, Taiwan.
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

impl ResidentId {
    /// Parses and validates; a trailing lowercase `x` is accepted and normalised.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let chars: Vec<char> = input.trim().chars().collect();
        if chars.len() != 18 {
            return Err(IdError::Length(chars.len()));
        }
        let mut digits = [0u32; 17];
        for (i, c) in chars[..17].iter().enumerate() {
            digits[i] = c
                .to_digit(10)
                .ok_or(IdError::BadCharacter { position: i + 1 })?;
        }
        let last = chars[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdError::BadCharacter { position: 18 });
        }
        if !PROVINCES.contains(&(digits[0] * 10 + digits[1])) {
            return Err(IdError::Region);
        }
        let number =
            |range: std::ops::Range<usize>| digits[range].iter().fold(0u32, |acc, d| acc * 10 + d);
        let (year, month, day) = (number(6..10), number(10..12), number(12..14));
        if year < 1900 || !is_real_date(year, month, day) {
            return Err(IdError::BirthDate);
        }
        if (year, month, day) > today_utc() {
            return Err(IdError::FutureBirthDate);
        }
        let expected = Self::check_character(&digits);
        if last != expected {
            return Err(IdError::CheckCharacter { expected });
        }
        let mut normalised: String = chars[..17].iter().collect();
        normalised.push(last);
        Ok(Self(normalised))
    }

    /// ISO 7064 MOD 11-2 check character for the first 17 digits.
    pub fn check_character(first17: &[u32; 17]) -> char {
        let sum: u32 = first17
            .iter()
            .zip(RESIDENT_WEIGHTS)
            .map(|(d, w)| d * w)
            .sum();
        RESIDENT_CHECK[(sum % 11) as usize]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unified social credit code of a legal person, e.g. `91350100M000100Y43`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// GB 32100 alphabet: digits and capitals without I, O, S, V, Z; a character's value is its index.
const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl CreditCode {
    /// Parses and validates; lowercase letters are accepted and normalised.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let chars: Vec<char> = input.trim().chars().collect();
        if chars.len() != 18 {
            return Err(IdError::Length(chars.len()));
        }
        let mut values = [0u32; 17];
        let mut normalised = String::with_capacity(18);
        for (i, c) in chars.iter().enumerate() {
            let c = c.to_ascii_uppercase();
            let value = credit_value(c).ok_or(IdError::BadCharacter { position: i + 1 })?;
            // Positions 3-8 are the region code: digits only.
            if (2..8).contains(&i) && !c.is_ascii_digit() {
                return Err(IdError::BadCharacter { position: i + 1 });
            }
            if i < 17 {
                values[i] = value;
            }
            normalised.push(c);
        }
        let expected = Self::check_character(&values);
        if !normalised.ends_with(expected) {
            return Err(IdError::CheckCharacter { expected });
        }
        Ok(Self(normalised))
    }

    /// Mod-31 check character for the first 17 character values.
    pub fn check_character(first17: &[u32; 17]) -> char {
        let sum: u32 = first17.iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        CREDIT_ALPHABET.as_bytes()[check as usize] as char
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Value of a GB 32100 character (its index in the alphabet), if it is one.
pub(crate) fn credit_value(c: char) -> Option<u32> {
    CREDIT_ALPHABET.find(c).map(|i| i as u32)
}

/// A debtor's identifier: a person's identity number or a company's credit code.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DebtorId {
    Resident(ResidentId),
    Company(CreditCode),
}

impl DebtorId {
    /// Parses either form. A person's number is all digits (with a possible final X), so an
    /// input with other letters is read as a credit code; an all-digit input that is no valid
    /// identity number is tried as a credit code before its identity-number error is given.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let trimmed = input.trim();
        let looks_resident = trimmed
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 17 && matches!(c, 'x' | 'X')));
        if looks_resident {
            // Credit codes may be all digits too (e.g. 913501000001000017): a number that is
            // not a valid identity number may still be a valid credit code.
            ResidentId::parse(trimmed)
                .map(Self::Resident)
                .or_else(|resident_error| {
                    CreditCode::parse(trimmed)
                        .map(Self::Company)
                        .map_err(|_| resident_error)
                })
        } else {
            CreditCode::parse(trimmed).map(Self::Company)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Resident(id) => id.as_str(),
            Self::Company(code) => code.as_str(),
        }
    }
}

/// Who is searched: an identifier and the name the agencies must match with it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Debtor {
    pub id: DebtorId,
    pub name: String,
}

impl fmt::Debug for Debtor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Debtor({} {})", self.id, mask_name(&self.name))
    }
}

/// Masks an identifier for logs: first 6 and last 4 characters kept (`110105********002X`).
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 10;
    let mut out: String = chars[..6].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// Masks a name for logs: the first character kept, the rest starred (`张*`).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

macro_rules! masked_display {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&mask_id(self.as_str()))
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), mask_id(self.as_str()))
            }
        }
    )*};
}
masked_display!(ResidentId, CreditCode, DebtorId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_all_digit_credit_code_is_a_company() {
        // Found by the `debtor_id` fuzz target: all digits does not mean a person.
        assert!(matches!(
            DebtorId::parse("913501000001000017"),
            Ok(DebtorId::Company(_))
        ));
        assert!(matches!(
            DebtorId::parse("11010519491231002X"),
            Ok(DebtorId::Resident(_))
        ));
        assert!(DebtorId::parse("110105194912310021").is_err());
    }

    #[test]
    fn accepts_the_standard_examples() {
        assert!(ResidentId::parse("11010519491231002X").is_ok());
        assert!(ResidentId::parse("11010519491231002x").is_ok());
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
    }

    #[test]
    fn rejects_wrong_check_characters_and_dates() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(IdError::CheckCharacter { expected: 'X' })
        );
        assert_eq!(
            ResidentId::parse("11010519490231002X").unwrap_err(),
            IdError::BirthDate
        );
        assert!(matches!(
            ResidentId::parse("110105299901010011"),
            Err(IdError::FutureBirthDate | IdError::CheckCharacter { .. })
        ));
        assert_eq!(
            ResidentId::parse("99010519491231002X").unwrap_err(),
            IdError::Region
        );
        assert!(matches!(
            CreditCode::parse("91350100M000100Y44"),
            Err(IdError::CheckCharacter { expected: '3' })
        ));
        assert_eq!(
            CreditCode::parse("91350100M000100I43").unwrap_err(),
            IdError::BadCharacter { position: 16 }
        );
        assert_eq!(DebtorId::parse("123").unwrap_err(), IdError::Length(3));
    }

    #[test]
    fn masks_for_logs() {
        let id = DebtorId::parse("11010519491231002X").unwrap();
        assert_eq!(id.to_string(), "110105********002X");
        assert_eq!(format!("{id:?}"), "DebtorId(110105********002X)");
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("福建某某贸易有限公司"), "福*********");
    }

    proptest! {
        #[test]
        fn any_17_digits_with_their_check_character_is_valid(
            province in proptest::sample::select(PROVINCES.to_vec()),
            rest in proptest::collection::vec(0u32..10, 4),
            year in 1900u32..2020, month in 1u32..13, day in 1u32..29, seq in 0u32..1000,
        ) {
            let body = format!("{province:02}{}{year:04}{month:02}{day:02}{seq:03}",
                rest.iter().map(|d| d.to_string()).collect::<String>());
            let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let check = ResidentId::check_character(&digits.clone().try_into().unwrap());
            let id = format!("{body}{check}");
            prop_assert!(ResidentId::parse(&id).is_ok());
            // Any other check character is rejected.
            for other in RESIDENT_CHECK.iter().filter(|c| **c != check) {
                let bad = format!("{body}{other}");
                let rejected = matches!(
                    ResidentId::parse(&bad),
                    Err(IdError::CheckCharacter { .. })
                );
                prop_assert!(rejected);
            }
        }

        #[test]
        fn credit_codes_with_their_check_character_are_valid(
            head in proptest::collection::vec(0usize..31, 2),
            region in 0u32..1_000_000,
            org in proptest::collection::vec(0usize..31, 9),
        ) {
            let alphabet: Vec<char> = CREDIT_ALPHABET.chars().collect();
            let body: String = head.iter().map(|i| alphabet[*i])
                .chain(format!("{region:06}").chars())
                .chain(org.iter().map(|i| alphabet[*i]))
                .collect();
            let values: Vec<u32> = body.chars().map(|c| credit_value(c).unwrap()).collect();
            let check = CreditCode::check_character(&values.try_into().unwrap());
            let code = format!("{body}{check}");
            prop_assert!(CreditCode::parse(&code).is_ok());
        }

        #[test]
        fn parsing_never_panics(input in "\\PC{0,24}") {
            let _ = DebtorId::parse(&input);
        }
    }
}
