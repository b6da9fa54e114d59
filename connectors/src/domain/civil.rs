//! Civil (proleptic Gregorian) dates without a date library: whether a year-month-day is a real
//! date, days since the Unix epoch to a date, today's date in UTC, and the exact reading of an
//! agency's wire date (`yyyyMMdd` or `yyyy-MM-dd`) as an ISO date. Shared by the identifier
//! parsers, the connectors' converters and the mock agencies.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whether `year`-`month`-`day` exists in the Gregorian calendar.
pub fn is_real_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// Today's civil date in UTC as (year, month, day).
pub fn today_utc() -> (u32, u32, u32) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm); meant for dates from 1970 on.
pub fn civil_from_days(days: i64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u32;
    (year, month, day)
}

/// An agency's date (`yyyyMMdd` or `yyyy-MM-dd`, surrounding blanks ignored) as an ISO date
/// `yyyy-MM-dd`. Years before 1900 and impossible dates are refused.
pub fn iso_date(text: &str) -> Result<String, String> {
    let s = text.trim();
    let digits: String = match s.len() {
        8 => s.to_string(),
        10 if s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' => s.replace('-', ""),
        _ => return Err(format!("{s:?} is not a date")),
    };
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a date"));
    }
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(4..6), number(6..8));
    if year < 1900 || !is_real_date(year, month, day) {
        return Err(format!("{s:?} is not a real date"));
    }
    Ok(format!("{year:04}-{month:02}-{day:02}"))
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm, inverse of [`civil_from_days`]).
pub fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A calendar day (UTC), stored as days since the Unix epoch: the unit of hold periods, start
/// and end dates of control orders. Shown and parsed as ISO `yyyy-MM-dd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(i64);

impl CivilDate {
    pub fn from_days(days: i64) -> Self {
        Self(days)
    }

    pub fn days(self) -> i64 {
        self.0
    }

    /// Today in UTC by the system clock.
    pub fn today() -> Self {
        let (y, m, d) = today_utc();
        Self(days_from_civil(y, m, d))
    }

    pub fn plus_days(self, days: i64) -> Self {
        Self(self.0 + days)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: CivilDate) -> i64 {
        later.0 - self.0
    }

    /// Parses `yyyy-MM-dd` or `yyyyMMdd` (see [`iso_date`]).
    pub fn parse(text: &str) -> Result<Self, String> {
        let iso = iso_date(text)?;
        let number = |range: std::ops::Range<usize>| iso[range].parse::<u32>().unwrap_or(0);
        Ok(Self(days_from_civil(
            number(0..4),
            number(5..7),
            number(8..10),
        )))
    }

    /// `yyyyMMdd`, the compact form several agencies use.
    pub fn compact(self) -> String {
        let (y, m, d) = civil_from_days(self.0);
        format!("{y:04}{m:02}{d:02}")
    }
}

impl std::fmt::Display for CivilDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert!(is_real_date(2024, 2, 29));
        assert!(!is_real_date(2023, 2, 29));
        assert!(!is_real_date(2024, 13, 1));
        assert!(today_utc().0 >= 2024);
        for days in [0, 59, 60, 19_723, 20_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let day = CivilDate::parse("2024-02-28").unwrap();
        assert_eq!(day.plus_days(1).to_string(), "2024-02-29");
        assert_eq!(day.plus_days(2).compact(), "20240301");
        assert_eq!(day.days_until(CivilDate::parse("20250228").unwrap()), 366);
    }

    #[test]
    fn wire_dates() {
        assert_eq!(iso_date(" 20210315 ").as_deref(), Ok("2021-03-15"));
        assert_eq!(iso_date("2021-03-15").as_deref(), Ok("2021-03-15"));
        assert!(iso_date("20210230").is_err());
        assert!(iso_date("18991231").is_err());
        assert!(iso_date("2021/03/15").is_err());
        assert!(iso_date("２０２１0315").is_err());
    }
}
