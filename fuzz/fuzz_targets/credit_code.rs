//! CreditCode::parse (GB 32100) on arbitrary text: never panics; an accepted code is 18
//! characters of the GB 32100 alphabet with a digits-only region, the right mod-31 check
//! character, re-parses to itself, and its Display/Debug never show it.
#![no_main]

use assethub_connectors::domain::{mask_id, CreditCode};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(code) = CreditCode::parse(&input) else {
        return;
    };
    let s = code.as_str();
    assert_eq!(s.len(), 18, "{s:?}");
    assert_eq!(s, input.trim().to_ascii_uppercase());
    let values: Vec<u32> = s
        .chars()
        .map(|c| ALPHABET.find(c).unwrap_or_else(|| panic!("{c:?} outside the alphabet")) as u32)
        .collect();
    assert!(s[2..8].bytes().all(|b| b.is_ascii_digit()), "region {s:?}");
    // The weights are 3^i mod 31; the 18 values weigh to 0 mod 31 with the check at weight 1.
    for (i, w) in WEIGHTS.iter().enumerate() {
        assert_eq!(*w, 3u32.pow(i as u32) % 31);
    }
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    assert_eq!((sum + values[17]) % 31, 0, "{s:?}");

    assert_eq!(CreditCode::parse(s).as_ref(), Ok(&code));
    // Lower case is accepted and normalised.
    assert_eq!(CreditCode::parse(&s.to_ascii_lowercase()).as_ref(), Ok(&code));

    let shown = code.to_string();
    let debug = format!("{code:?}");
    assert_eq!(shown, mask_id(s));
    for text in [&shown, &debug] {
        assert!(!text.contains(s), "{text:?} leaks {s:?}");
        assert!(!text.contains(&s[6..14]), "{text:?} shows the masked middle");
    }
});
