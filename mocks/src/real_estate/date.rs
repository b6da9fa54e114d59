//! Dates as the registry records them (`20210315` on the wire), and the registry's clock for
//! feedback timestamps. The date itself is the mocks' shared [`Date`].

pub use crate::date::Date;
use assethub_connectors::domain::civil::civil_from_days;
use std::time::{SystemTime, UNIX_EPOCH};

impl Date {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_offsets_stay_real_dates() {
        let start = Date {
            year: 2023,
            month: 11,
            day: 2,
        };
        assert_eq!(start.term_end(3).compact(), "20261101");
        assert_eq!(start.plus_months(3).compact(), "20240202");
    }

    #[test]
    fn clock_has_fourteen_digits() {
        let now = now_compact();
        assert_eq!(now.len(), 14);
        assert!(now.bytes().all(|b| b.is_ascii_digit()));
    }
}
