//! Debtor identifiers: identity numbers of natural persons and unified social credit codes of
//! legal persons and other organisations, validated exactly, plus masking for logs.
//!
//! What is accepted, and why (each rule is a standard's; nothing is guessed):
//!
//! - **Citizen identity numbers** (GB 11643-1999): six-digit address code whose first two digits
//!   are a province-level region of GB/T 2260 (the 31 mainland ones, and 71 Taiwan as GB/T 2260
//!   lists it), birth date `yyyyMMdd` from 1900 and not after today in Beijing, three-digit
//!   sequence, ISO 7064 MOD 11-2 check character (`0`-`9` or `X`).
//! - **Residence permits of Hong Kong, Macao and Taiwan residents** (港澳台居民居住证, 2018): the
//!   same 18-character number with the address code exactly `810000`, `820000` or `830000`; any
//!   other code starting 81, 82 or 83 is refused (GB/T 2260 has no subdivisions there, and 83 is
//!   used by these permits only).
//! - **Foreign permanent residence ID cards, 2023 format** (外国人永久居留身份证): 18 characters, `9`,
//!   the two-digit province of the mainland authority that issued it, a three-digit nationality
//!   code (GB/T 2659 numeric: not `000`, and not `156`, China, since holders are foreigners), the
//!   birth date, a three-digit sequence and the GB 11643 check character. The older 15-character
//!   cards are not accepted (a debtor id has 18 characters).
//! - **Unified social credit codes** (GB 32100-2015): 18 characters of the GB 32100 alphabet
//!   (digits and capitals without I, O, S, V, Z); character 1 a registration authority code the
//!   standard assigns (`1`-`9`, `A`, `N`, `Y`); character 2 an organisation category, a digit
//!   `1`-`9` (every category in the standard's table is one; the table per authority keeps being
//!   extended, so it is not enforced); characters 3-8 the registering region, digits; characters
//!   9-17 the organisation code of GB 11714-1997, whose own check character (character 17,
//!   `0`-`9` or `X`) must be right; character 18 the mod-31 check character.
//!
//! A person's number is all digits but for a final `X`, and a credit code may be too. An
//! all-digit input that is a valid identity number is read as one (persons win the rare tie,
//! e.g. `953371198711131588`); otherwise it is read as a credit code if it is a valid one. With
//! the organisation code's check character verified as well, an identity number with a wrong
//! check character passes as a credit code about once in 360 (once in 31 without it): such a
//! string is a valid credit code by every rule of the standards, so nothing can tell it apart.
//!
//! `Display` and `Debug` of these types print the *masked* form (`110105********002X`), so an
//! identifier dropped into a log line never leaks; use `as_str()` for the wire.

use super::civil::{is_real_date, CivilDate};
use std::fmt;

/// Why an identity number or credit code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("character {position} is not allowed here")]
    BadCharacter { position: usize },
    #[error("region code is not a province, 810000, 820000 or 830000, nor a permanent residence card's province and nationality")]
    Region,
    #[error("birth date is not a real date")]
    BirthDate,
    #[error("birth date is in the future")]
    FutureBirthDate,
    #[error("check character is wrong (expected {expected})")]
    CheckCharacter { expected: char },
    #[error("character 1 is not a registration authority code (1-9, A, N or Y)")]
    RegistrationAuthority,
    #[error("character 2 is not an organisation category (a digit 1-9)")]
    Category,
    #[error(
        "the organisation code's check character (character 17) is wrong (expected {expected})"
    )]
    OrganisationCheck { expected: char },
}

/// Identity number of a natural person: a citizen's, a Hong Kong, Macao or Taiwan resident's
/// residence permit or a foreigner's permanent residence card (see the module documentation),
/// e.g. `11010519491231002X`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId(String);

const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// First two digits of the 31 mainland province-level regions (GB/T 2260).
const MAINLAND: [u32; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];
/// Taiwan as GB/T 2260 lists it.
const TAIWAN_PROVINCE: u32 = 71;
/// Address codes of the residence permits of Hong Kong, Macao and Taiwan residents.
const PERMIT_REGIONS: [u32; 3] = [810_000, 820_000, 830_000];
/// GB/T 2659 numeric code of China: no foreigner's nationality.
const CHINA: u32 = 156;

impl ResidentId {
    /// Parses and validates as of today in Beijing (by the system clock); a trailing lowercase
    /// `x` is accepted and normalised.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        Self::parse_on(input, CivilDate::today())
    }

    /// Parses and validates on `today` (a date in Beijing): the birth date may be `today`.
    pub fn parse_on(input: &str, today: CivilDate) -> Result<Self, IdError> {
        Self::parse_born_by(input, Some(today))
    }

    /// Parses and validates, without comparing the birth date with a date: `latest_birth`
    /// `None` is for numbers the hub recorded after admitting them.
    fn parse_born_by(input: &str, latest_birth: Option<CivilDate>) -> Result<Self, IdError> {
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
        let number =
            |range: std::ops::Range<usize>| digits[range].iter().fold(0u32, |acc, d| acc * 10 + d);
        if !Self::known_region(number(0..6)) {
            return Err(IdError::Region);
        }
        let (year, month, day) = (number(6..10), number(10..12), number(12..14));
        if year < 1900 || !is_real_date(year, month, day) {
            return Err(IdError::BirthDate);
        }
        if latest_birth.is_some_and(|latest| (year, month, day) > latest.ymd()) {
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

    /// Whether the first six digits are those of a number some authority issues: a citizen's
    /// address code in a province, a residence permit's, or a permanent residence card's `9`,
    /// issuing province and nationality.
    fn known_region(first6: u32) -> bool {
        let province = first6 / 10_000;
        match province {
            81..=83 => PERMIT_REGIONS.contains(&first6),
            90..=99 => {
                let issuer = first6 / 1000 % 100;
                let nationality = first6 % 1000;
                MAINLAND.contains(&issuer) && nationality != 0 && nationality != CHINA
            }
            _ => MAINLAND.contains(&province) || province == TAIWAN_PROVINCE,
        }
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

/// Unified social credit code of a legal person or other organisation (GB 32100, see the module
/// documentation), e.g. `91350100M000100Y43`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// GB 32100 alphabet: digits and capitals without I, O, S, V, Z; a character's value is its index.
const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Registration authority codes GB 32100 assigns: 1 机构编制, 2 外交, 3 司法行政, 4 文化,
/// 5 民政, 6 旅游, 7 宗教, 8 工会, 9 市场监管 (工商), A 中央军委改革和编制办公室, N 农业, Y 其他.
const REGISTRATION_AUTHORITIES: &str = "123456789ANY";
/// GB 11714 weights of the organisation code's eight body characters.
const ORGANISATION_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

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
        let code: Vec<char> = normalised.chars().collect();
        if !REGISTRATION_AUTHORITIES.contains(code[0]) {
            return Err(IdError::RegistrationAuthority);
        }
        if !matches!(code[1], '1'..='9') {
            return Err(IdError::Category);
        }
        let body: [char; 8] = std::array::from_fn(|i| code[8 + i]);
        let expected = Self::organisation_check_character(&body);
        if code[16] != expected {
            return Err(IdError::OrganisationCheck { expected });
        }
        let expected = Self::check_character(&values);
        if code[17] != expected {
            return Err(IdError::CheckCharacter { expected });
        }
        Ok(Self(normalised))
    }

    /// GB 11714 check character of an organisation code's eight body characters (digits, or
    /// capitals worth 10 for A to 35 for Z): 11 minus the weighted sum mod 11, `X` for 10 and
    /// `0` for 11.
    pub fn organisation_check_character(body: &[char; 8]) -> char {
        let sum: u32 = body
            .iter()
            .zip(ORGANISATION_WEIGHTS)
            .map(|(c, w)| c.to_digit(36).unwrap_or(0) * w)
            .sum();
        match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from_digit(n, 10).unwrap_or('0'),
        }
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
    /// Parses either form as of today in Beijing (by the system clock). A person's number is
    /// all digits (with a possible final X), so an input with other letters is read as a credit
    /// code; an all-digit input that is no valid identity number is tried as a credit code
    /// before its identity-number error is given.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        Self::parse_on(input, CivilDate::today())
    }

    /// Parses either form on `today` (a date in Beijing, e.g. the hub's clock).
    pub fn parse_on(input: &str, today: CivilDate) -> Result<Self, IdError> {
        Self::parse_born_by(input, Some(today))
    }

    /// Reads back an identifier the hub recorded when it admitted it: the same rules, except
    /// that a person's birth date is not compared with today again, so no record becomes
    /// unreadable because a clock is behind the one that admitted it.
    pub fn parse_recorded(input: &str) -> Result<Self, IdError> {
        Self::parse_born_by(input, None)
    }

    fn parse_born_by(input: &str, latest_birth: Option<CivilDate>) -> Result<Self, IdError> {
        let trimmed = input.trim();
        let looks_resident = trimmed
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 17 && matches!(c, 'x' | 'X')));
        if looks_resident {
            // Credit codes may be all digits too (e.g. 913501000001000017): a number that is
            // not a valid identity number may still be a valid credit code.
            ResidentId::parse_born_by(trimmed, latest_birth)
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
#[path = "ids_tests.rs"]
mod tests;
