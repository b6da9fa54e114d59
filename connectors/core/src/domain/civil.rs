//! Civil (proleptic Gregorian) dates: whether a year-month-day is a real date, days since the
//! Unix epoch to a date, the exact reading of an agency's wire date (`yyyyMMdd` or
//! `yyyy-MM-dd`) as an ISO date, and which date it is in Beijing at an instant. Shared by the
//! identifier parsers, the connectors' converters, the hub's clock and the mock agencies.
//!
//! Every legal date (hold periods, expiry, `days_left`, birth dates, case-number years) is a
//! civil date in Beijing (`Asia/Shanghai`), where courts and agencies live, never the UTC date:
//! between 00:00 and 08:00 Beijing time the two differ. The zone's rules come from the IANA
//! time zone database bundled into the binary by `jiff`, so the answer does not depend on the
//! machine's own zoneinfo or its `TZ`.

use std::sync::OnceLock;
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

/// The IANA zone of the courts and agencies.
pub const BEIJING_ZONE: &str = "Asia/Shanghai";

/// `Asia/Shanghai` from the bundled database (looked up once).
pub fn beijing() -> &'static jiff::tz::TimeZone {
    static ZONE: OnceLock<jiff::tz::TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| {
        jiff::tz::TimeZoneDatabase::bundled()
            .get(BEIJING_ZONE)
            .expect("the bundled time zone database has Asia/Shanghai")
    })
}

/// Milliseconds since the Unix epoch by the system clock (0 before the epoch).
pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The instant `unix_ms` (milliseconds since the Unix epoch) in Beijing: its date, time and
/// offset. Instants outside jiff's range (beyond ±9999 years) are clamped to it.
pub fn beijing_time_at(unix_ms: i64) -> jiff::ZonedDateTime {
    let instant = jiff::Timestamp::from_millisecond(unix_ms).unwrap_or(if unix_ms < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    instant.to_zoned_datetime(beijing().clone())
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

/// A calendar day (in Beijing), stored as days since the Unix epoch: the unit of hold periods,
/// start and end dates of control orders. Shown and parsed as ISO `yyyy-MM-dd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(i64);

impl CivilDate {
    pub fn from_days(days: i64) -> Self {
        Self(days)
    }

    pub fn days(self) -> i64 {
        self.0
    }

    /// Today in Beijing by the system clock.
    pub fn today() -> Self {
        Self::beijing_at(now_unix_ms())
    }

    /// The date in Beijing at the instant `unix_ms` (milliseconds since the Unix epoch).
    pub fn beijing_at(unix_ms: i64) -> Self {
        let date = beijing_time_at(unix_ms).date();
        Self(days_from_civil(
            u32::try_from(date.year()).unwrap_or(0),
            u32::try_from(date.month()).unwrap_or(1),
            u32::try_from(date.day()).unwrap_or(1),
        ))
    }

    /// The year, month and day.
    pub fn ymd(self) -> (u32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The year.
    pub fn year(self) -> u32 {
        self.ymd().0
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
        assert!(CivilDate::today().year() >= 2024);
        for days in [0, 59, 60, 19_723, 20_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let day = CivilDate::parse("2024-02-28").unwrap();
        assert_eq!(day.plus_days(1).to_string(), "2024-02-29");
        assert_eq!(day.plus_days(2).compact(), "20240301");
        assert_eq!(day.days_until(CivilDate::parse("20250228").unwrap()), 366);
    }

    /// Instants (Unix ms, computed independently with Python's `datetime` in UTC) and the
    /// Beijing date at each: the UTC date would differ for all but the last two.
    #[test]
    fn the_date_is_the_date_in_beijing() {
        let table = [
            // 2026-12-31T16:00:00Z = 2027-01-01 00:00 CST: the new year in Beijing.
            (1_798_732_800_000, "2027-01-01", "00:00:00"),
            // 2026-12-31T15:59:59Z = 2026-12-31 23:59:59 CST.
            (1_798_732_799_000, "2026-12-31", "23:59:59"),
            // 2026-12-31T16:30:00Z = 2027-01-01 00:30 CST.
            (1_798_734_600_000, "2027-01-01", "00:30:00"),
            // 2026-06-30T16:00:00Z = 2026-07-01 00:00 CST.
            (1_782_835_200_000, "2026-07-01", "00:00:00"),
            // 2026-06-30T15:59:59Z = 2026-06-30 23:59:59 CST.
            (1_782_835_199_000, "2026-06-30", "23:59:59"),
            // 2026-06-30T23:59:59Z and 2026-07-01T00:00:00Z: 07:59:59 and 08:00 CST, same day.
            (1_782_863_999_000, "2026-07-01", "07:59:59"),
            (1_782_864_000_000, "2026-07-01", "08:00:00"),
        ];
        for (ms, date, time) in table {
            assert_eq!(CivilDate::beijing_at(ms).to_string(), date, "{ms}");
            let zoned = beijing_time_at(ms);
            assert_eq!(zoned.time().to_string(), time, "{ms}");
            assert_eq!(zoned.offset().to_string(), "+08", "{ms}");
        }
        assert_eq!(CivilDate::beijing_at(1_798_734_600_000).year(), 2027);
        // Out-of-range instants are clamped, never a panic.
        let _ = CivilDate::beijing_at(i64::MAX);
        let _ = CivilDate::beijing_at(i64::MIN);
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
