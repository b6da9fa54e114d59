//! Dates as the registry records them (`20210315` on the wire), and the registry's clock for
//! feedback timestamps. The date itself is the mocks' shared [`Date`].

pub use crate::date::Date;
use assethub_connectors::domain::civil::{beijing_time_at, now_unix_ms};

impl Date {
    /// `yyyyMMdd`, the registry's wire form.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// The registry's clock as `yyyyMMddHHmmss` in Beijing time, as Chinese government systems
/// stamp.
pub fn now_compact() -> String {
    compact_at(now_unix_ms())
}

/// The instant `unix_ms` as the registry stamps it.
fn compact_at(unix_ms: i64) -> String {
    beijing_time_at(unix_ms)
        .strftime("%Y%m%d%H%M%S")
        .to_string()
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
    fn clock_has_fourteen_digits_of_beijing_time() {
        let now = now_compact();
        assert_eq!(now.len(), 14);
        assert!(now.bytes().all(|b| b.is_ascii_digit()));
        // 2026-12-31T16:30:00Z (Unix ms computed with Python) is 00:30 on 1 January in Beijing.
        assert_eq!(compact_at(1_798_734_600_000), "20270101003000");
    }
}
