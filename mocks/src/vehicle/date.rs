//! Dates as the administration records them (`2019-05-01` on the wire), and its clock for
//! signature timestamps. The date itself is the mocks' shared [`Date`].

pub use crate::date::Date;
use std::time::{SystemTime, UNIX_EPOCH};

impl Date {
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
