//! civil::iso_date and CivilDate::parse on arbitrary text: never panic; accept exactly
//! `yyyyMMdd` / `yyyy-MM-dd` real dates from 1900; the ISO text, the compact form and the day
//! count all round-trip. The first 4 input bytes also drive a day-count round trip, and the
//! first 8 an instant whose Beijing date must be the UTC+8 date (China's offset since 1992).
#![no_main]

use assethub_connectors::domain::civil::{civil_from_days, days_from_civil, is_real_date, iso_date};
use assethub_connectors::domain::CivilDate;
use libfuzzer_sys::fuzz_target;

/// Day counts of 1900-01-01 and 9999-12-31.
const FIRST: i64 = -25_567;
const LAST: i64 = 2_932_896;

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = data.get(..4) {
        let n = i64::from(u32::from_le_bytes(bytes.try_into().unwrap_or_default()));
        let days = FIRST + n % (LAST - FIRST + 1);
        let (y, m, d) = civil_from_days(days);
        assert!(is_real_date(y, m, d), "{days} -> {y}-{m}-{d}");
        assert_eq!(days_from_civil(y, m, d), days);
        let date = CivilDate::from_days(days);
        assert_eq!(CivilDate::parse(&date.to_string()), Ok(date));
        assert_eq!(CivilDate::parse(&date.compact()), Ok(date));
        assert_eq!(date.plus_days(1).days_until(date), -1);
    }

    if let Some(bytes) = data.get(..8) {
        // Instants from 1992 (after China's last daylight saving time) to 2200.
        const FROM_MS: i64 = 694_224_000_000;
        const TO_MS: i64 = 7_258_118_400_000;
        let n = i64::from_le_bytes(bytes.try_into().unwrap_or_default()).rem_euclid(TO_MS - FROM_MS);
        let ms = FROM_MS + n;
        let utc_plus_8 = (ms + 8 * 3_600_000).div_euclid(86_400_000);
        assert_eq!(CivilDate::beijing_at(ms).days(), utc_plus_8, "{ms}");
    }

    let input = String::from_utf8_lossy(data);
    let iso = iso_date(&input);
    let date = CivilDate::parse(&input);
    assert_eq!(iso.is_ok(), date.is_ok(), "{input:?}");
    let (Ok(iso), Ok(date)) = (iso, date) else {
        return;
    };
    let trimmed = input.trim();
    match trimmed.len() {
        10 => assert_eq!(trimmed, iso),
        8 => assert_eq!(trimmed, iso.replace('-', "")),
        n => panic!("{input:?} of length {n} accepted"),
    }
    let b = iso.as_bytes();
    assert!(b.len() == 10 && b[4] == b'-' && b[7] == b'-', "{iso}");
    let number = |r: std::ops::Range<usize>| iso[r].parse::<u32>().expect("digits");
    let (y, m, d) = (number(0..4), number(5..7), number(8..10));
    assert!(y >= 1900 && is_real_date(y, m, d), "{iso}");
    assert_eq!(date.to_string(), iso);
    assert_eq!(date.compact(), iso.replace('-', ""));
    assert_eq!(days_from_civil(y, m, d), date.days());
    assert_eq!(iso_date(&iso).as_ref(), Ok(&iso));
    assert_eq!(CivilDate::parse(&date.compact()), Ok(date));
    assert_eq!(CivilDate::from_days(date.days()), date);
});
