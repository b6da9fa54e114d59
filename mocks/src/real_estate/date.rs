//! Calendar dates as the registry records them (`20210315` on the wire), and the registry's
//! clock for feedback timestamps. Generated dates keep the day in 2..=28 so a term ending
//! "the day before the anniversary" is always a real date.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A random date in the `months` months starting with `year`-`month`, day 2..=28.
    pub fn random(rng: &mut ChaCha8Rng, year: u16, month: u8, months: u16) -> Self {
        let offset = rng.random_range(0..months.max(1));
        let index = year * 12 + u16::from(month - 1) + offset;
        Self {
            year: index / 12,
            month: (index % 12) as u8 + 1,
            day: rng.random_range(2..=28),
        }
    }

    /// The last day of a term of `years` years starting on this date.
    pub fn term_end(self, years: u16) -> Self {
        Self {
            year: self.year + years,
            month: self.month,
            day: self.day.saturating_sub(1).max(1),
        }
    }

    /// A date `months` months later (day kept; generated days never exceed 28).
    pub fn plus_months(self, months: u16) -> Self {
        let index = self.year * 12 + u16::from(self.month - 1) + months;
        Self {
            year: index / 12,
            month: (index % 12) as u8 + 1,
            day: self.day,
        }
    }

    /// `yyyyMMdd`, the registry's wire form.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// The registry's clock as `yyyyMMddHHmmss` (UTC+8, as Chinese government systems stamp).
pub fn now_compact() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 8 * 3600;
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let of_day = secs % 86_400;
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn terms_and_offsets_stay_real_dates() {
        let start = Date {
            year: 2023,
            month: 11,
            day: 2,
        };
        assert_eq!(start.term_end(3).compact(), "20261101");
        assert_eq!(start.plus_months(3).compact(), "20240202");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let date = Date::random(&mut rng, 2024, 6, 29);
            assert!((2..=28).contains(&date.day));
            assert!(
                date >= Date {
                    year: 2024,
                    month: 6,
                    day: 1
                }
            );
            assert!(
                date < Date {
                    year: 2026,
                    month: 11,
                    day: 1
                }
            );
        }
    }

    #[test]
    fn clock_has_fourteen_digits() {
        let now = now_compact();
        assert_eq!(now.len(), 14);
        assert!(now.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
