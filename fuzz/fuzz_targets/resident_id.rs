//! ResidentId::parse (GB 11643) on arbitrary text: never panics; an accepted number is exactly 18
//! ASCII characters with an accepted address code (a province; 810000, 820000, 830000; or a
//! permanent residence card's 9, mainland province and nationality other than 000 and 156), a
//! real birth date and the right check character, re-parses to itself, is what the input said
//! (trimmed, final x upper-cased), and its Display/Debug never show it.
#![no_main]

use assethub_connectors::domain::{mask_id, DebtorId, ResidentId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(id) = ResidentId::parse(&input) else {
        return;
    };
    let s = id.as_str();
    assert_eq!(s.len(), 18, "{s:?}");
    assert!(s[..17].bytes().all(|b| b.is_ascii_digit()), "{s:?}");
    assert!(matches!(s.as_bytes()[17], b'0'..=b'9' | b'X'), "{s:?}");
    // Normalisation only trims and upper-cases the final x.
    assert_eq!(s, input.trim().to_ascii_uppercase());

    // Independent check of the ISO 7064 MOD 11-2 rule: sum of d_i * 2^(17-i) plus the check
    // value (X = 10) is 1 mod 11.
    let mut sum: u64 = 0;
    for (i, b) in s.bytes().take(17).enumerate() {
        sum += u64::from(b - b'0') * ((1u64 << (17 - i)) % 11);
    }
    let check = match s.as_bytes()[17] {
        b'X' => 10,
        b => u64::from(b - b'0'),
    };
    assert_eq!((sum + check) % 11, 1, "{s:?}");

    // Address code, by the decisions in ids.rs.
    let mainland = |p: &str| {
        [
            "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
            "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
            "63", "64", "65",
        ]
        .contains(&p)
    };
    let address_ok = match &s[..1] {
        "9" => mainland(&s[1..3]) && !["000", "156"].contains(&&s[3..6]),
        "8" => ["810000", "820000", "830000"].contains(&&s[..6]),
        _ => mainland(&s[..2]) || &s[..2] == "71",
    };
    assert!(address_ok, "{s:?} address");

    // Birth date: real, not before 1900.
    let birth = &s[6..14];
    let iso = assethub_connectors::domain::civil::iso_date(birth);
    assert!(iso.is_ok(), "{s:?} birth {birth}");

    // Round trips.
    assert_eq!(ResidentId::parse(s).as_ref(), Ok(&id));
    assert_eq!(
        DebtorId::parse(s),
        Ok(DebtorId::Resident(id.clone())),
        "DebtorId disagrees on {s:?}"
    );

    // Masked forms never carry the number (nor the birth date).
    let shown = id.to_string();
    let debug = format!("{id:?}");
    assert_eq!(shown, mask_id(s));
    assert_eq!(&shown[..6], &s[..6]);
    assert_eq!(&shown[6..14], "********");
    assert_eq!(&shown[14..], &s[14..]);
    for text in [&shown, &debug] {
        assert!(!text.contains(s), "{text:?} leaks {s:?}");
        assert!(!text.contains(birth), "{text:?} leaks the birth date");
    }
});
