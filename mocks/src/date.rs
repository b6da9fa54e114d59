//! The calendar date the mock agencies record (registration, seal and mortgage dates), and its
//! generation from the seeded population. Generated dates keep the day in 2..=28 so a term
//! ending "the day before the anniversary" is always a real date. Each family formats dates
//! its own way on the wire (see `real_estate::date` and `vehicle::date`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn random_dates_stay_in_their_window() {
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
}
