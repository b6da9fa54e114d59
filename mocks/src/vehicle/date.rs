//! Calendar dates as the administration records them (`2019-05-01` on the wire), and its
//! clock for signature timestamps. Generated dates keep the day in 2..=28 so a term ending
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

    /// `yyyy-MM-dd`, the administration's wire form.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Milliseconds since the Unix epoch, the unit of signature timestamps.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_offsets_stay_real_dates() {
        let start = Date {
            year: 2024,
            month: 12,
            day: 2,
        };
        assert_eq!(start.term_end(2).iso(), "2026-12-01");
        assert_eq!(start.plus_months(2).iso(), "2025-02-02");
        assert!(now_millis() > 1_700_000_000_000);
    }
}
