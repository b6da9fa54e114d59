//! Enforcement case numbers (案号), e.g. `(2024)鄂0116执1234号`: parsed, validated and
//! normalised to ASCII parentheses. Only enforcement case types may search and control assets.

use super::CivilDate;
use std::fmt;

/// Province-level abbreviations used in court codes, plus 兵 (Xinjiang Production and
/// Construction Corps courts).
const PROVINCE_ABBREVIATIONS: &str =
    "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新港澳台兵";
/// Case types that may search and control assets: first enforcement, resumed, preservation.
const ENFORCEMENT_TYPES: [&str; 3] = ["执恢", "执保", "执"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNumberError {
    #[error("must look like (2024)鄂0116执1234号")]
    Shape,
    #[error("year {0} is out of range")]
    Year(u32),
    #[error("court code must be a province abbreviation followed by 0, 2 or 4 digits")]
    Court,
    #[error("case type {0:?} may not search or control assets (only 执, 执恢, 执保)")]
    CaseType(String),
    #[error("sequence number must be 1 to 7 digits without a leading zero")]
    Sequence,
}

/// Whether `code` is a court code as case numbers carry it: a province abbreviation followed by
/// 0, 2 or 4 ASCII digits (`鄂`, `鄂01`, `鄂0116`).
pub fn is_court_code(code: &str) -> bool {
    let mut chars = code.chars();
    let Some(province) = chars.next() else {
        return false;
    };
    let digits = chars.as_str();
    PROVINCE_ABBREVIATIONS.contains(province)
        && [0, 2, 4].contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A validated enforcement case number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CaseNumber {
    normalised: String,
    year: u32,
    court: String,
    case_type: &'static str,
    sequence: u32,
}

impl CaseNumber {
    /// Parses a case number written now: its year runs from 1990 to this year in Beijing by
    /// the system clock (on 1 January a case of the new year exists from 00:00 Beijing time).
    pub fn parse(input: &str) -> Result<Self, CaseNumberError> {
        Self::parse_on(input, CivilDate::today())
    }

    /// Parses a case number written on `today` (a date in Beijing, e.g. the hub's clock): its
    /// year runs from 1990 to `today`'s year.
    pub fn parse_on(input: &str, today: CivilDate) -> Result<Self, CaseNumberError> {
        Self::parse_until(input, today.year())
    }

    /// Reads back a case number the hub recorded when it admitted it: the same rules, except
    /// that its year is not compared with today again (it was when it was admitted), so no
    /// record becomes unreadable because a clock is behind the one that admitted it.
    pub fn parse_recorded(input: &str) -> Result<Self, CaseNumberError> {
        Self::parse_until(input, 9999)
    }

    fn parse_until(input: &str, latest_year: u32) -> Result<Self, CaseNumberError> {
        let s = input.trim();
        let rest = s
            .strip_prefix('(')
            .or_else(|| s.strip_prefix('（'))
            .ok_or(CaseNumberError::Shape)?;
        let close = rest.find([')', '）']).ok_or(CaseNumberError::Shape)?;
        let year_text = &rest[..close];
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CaseNumberError::Shape);
        }
        let year: u32 = year_text.parse().map_err(|_| CaseNumberError::Shape)?;
        if !(1990..=latest_year).contains(&year) {
            return Err(CaseNumberError::Year(year));
        }
        let rest = &rest[close..];
        let rest = rest
            .strip_prefix(')')
            .or_else(|| rest.strip_prefix('）'))
            .ok_or(CaseNumberError::Shape)?;
        let body = rest.strip_suffix('号').ok_or(CaseNumberError::Shape)?;

        let mut chars = body.chars();
        let province = chars.next().ok_or(CaseNumberError::Court)?;
        if !PROVINCE_ABBREVIATIONS.contains(province) {
            return Err(CaseNumberError::Court);
        }
        let after_province = chars.as_str();
        let digits = after_province
            .bytes()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if ![0, 2, 4].contains(&digits) {
            return Err(CaseNumberError::Court);
        }
        let court = format!("{province}{}", &after_province[..digits]);
        let after_court = &after_province[digits..];

        let type_len = after_court
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit())
            .map(|(i, _)| i)
            .ok_or(CaseNumberError::Sequence)?;
        let type_text = &after_court[..type_len];
        let case_type = ENFORCEMENT_TYPES
            .iter()
            .find(|t| **t == type_text)
            .ok_or_else(|| CaseNumberError::CaseType(type_text.to_string()))?;
        let sequence_text = &after_court[type_len..];
        if sequence_text.is_empty()
            || sequence_text.len() > 7
            || sequence_text.starts_with('0')
            || !sequence_text.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CaseNumberError::Sequence);
        }
        let sequence = sequence_text
            .parse()
            .map_err(|_| CaseNumberError::Sequence)?;
        Ok(Self {
            normalised: format!("({year}){court}{case_type}{sequence}号"),
            year,
            court,
            case_type,
            sequence,
        })
    }

    /// The court that owns the case, e.g. `鄂0116`.
    pub fn court(&self) -> &str {
        &self.court
    }

    pub fn year(&self) -> u32 {
        self.year
    }

    /// 执, 执恢 or 执保.
    pub fn case_type(&self) -> &str {
        self.case_type
    }

    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// Normalised form with ASCII parentheses.
    pub fn as_str(&self) -> &str {
        &self.normalised
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalised)
    }
}

impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseNumber({})", self.normalised)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn court_codes() {
        for good in ["鄂", "鄂01", "鄂0116", "兵09"] {
            assert!(is_court_code(good), "{good}");
        }
        for bad in [
            "",
            "E0116",
            "鄂0116 ",
            "鄂０１１６",
            "鄂011",
            "鄂01160",
            "鄂0116\u{200b}",
        ] {
            assert!(!is_court_code(bad), "{bad:?}");
        }
    }

    #[test]
    fn parses_and_normalises() {
        let case = CaseNumber::parse("（2024）鄂0116执1234号").unwrap();
        assert_eq!(case.as_str(), "(2024)鄂0116执1234号");
        assert_eq!(case.court(), "鄂0116");
        assert_eq!(case.case_type(), "执");
        assert_eq!(case.sequence(), 1234);
        assert_eq!(CaseNumber::parse("(2023)京执恢12号").unwrap().court(), "京");
        assert_eq!(
            CaseNumber::parse("(2023)粤03执保7号").unwrap().case_type(),
            "执保"
        );
    }

    #[test]
    fn rejects_what_is_not_an_enforcement_case() {
        use CaseNumberError::*;
        let cases = [
            ("2024鄂0116执1234号", Shape),
            ("(2024)鄂0116执1234", Shape),
            ("(1980)鄂0116执1234号", Year(1980)),
            ("(2024)X0116执1234号", Court),
            ("(2024)鄂011执1234号", Court),
            ("(2024)鄂0116民初1234号", CaseType("民初".into())),
            ("(2024)鄂0116执异12号", CaseType("执异".into())),
            ("(2024)鄂0116执0123号", Sequence),
            ("(2024)鄂0116执号", Sequence),
        ];
        for (input, expected) in cases {
            assert_eq!(CaseNumber::parse(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn the_year_may_be_this_year_in_beijing() {
        // 2026-12-31T16:30:00Z is 2027-01-01 00:30 in Beijing (Unix ms computed with Python).
        let new_year_in_beijing = CivilDate::beijing_at(1_798_734_600_000);
        assert_eq!(new_year_in_beijing.to_string(), "2027-01-01");
        let case = "(2027)鄂0116执1号";
        assert!(CaseNumber::parse_on(case, new_year_in_beijing).is_ok());
        // A second before midnight in Beijing (2026-12-31T15:59:59Z) it is still 2026.
        let eve = CivilDate::beijing_at(1_798_732_799_000);
        assert_eq!(
            CaseNumber::parse_on(case, eve),
            Err(CaseNumberError::Year(2027))
        );
        assert!(CaseNumber::parse_on("(2026)鄂0116执1号", eve).is_ok());
        // A recorded case number is read back whatever the clock says.
        assert!(CaseNumber::parse_recorded(case).is_ok());
        assert_eq!(
            CaseNumber::parse_recorded("(1989)鄂0116执1号"),
            Err(CaseNumberError::Year(1989))
        );
    }

    proptest! {
        #[test]
        fn never_panics(input in "\\PC{0,30}") {
            let _ = CaseNumber::parse(&input);
        }
    }
}
