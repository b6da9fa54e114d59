//! CreditCode::parse (GB 32100) on arbitrary text: never panics; an accepted code is 18
//! characters of the GB 32100 alphabet with a registration authority code (1-9, A, N, Y), a
//! category digit 1-9, a digits-only region, an organisation code (characters 9-17) with its
//! GB 11714 check character, the right mod-31 check character, re-parses to itself, and its
//! Display/Debug never show it. Conversely every 18-character input meeting those rules (after
//! trimming and upper-casing) is accepted.
#![no_main]

use assethub_connectors::domain::{mask_id, CreditCode};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// GB 11714: C9 = 11 - (sum of value * weight mod 11) over the eight body characters
/// (0-9, A=10 .. Z=35); 10 is written X and 11 is written 0.
fn organisation_check(body: &str) -> char {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| w * if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 })
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from(b'0' + n as u8),
    }
}

/// Whether `s` meets every rule, judged independently of the parser.
fn valid(s: &str) -> bool {
    if s.len() != 18 || !s.chars().all(|c| ALPHABET.contains(c)) {
        return false;
    }
    let values: Vec<u32> = s.chars().filter_map(|c| ALPHABET.find(c)).map(|i| i as u32).collect();
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    "123456789ANY".contains(&s[..1])
        && matches!(s.as_bytes()[1], b'1'..=b'9')
        && s[2..8].bytes().all(|b| b.is_ascii_digit())
        && organisation_check(&s[8..16]) == char::from(s.as_bytes()[16])
        && (sum + values[17]) % 31 == 0
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let wanted = input.trim().to_ascii_uppercase();
    let parsed = CreditCode::parse(&input);
    assert_eq!(parsed.is_ok(), valid(&wanted), "{input:?}");
    let Ok(code) = parsed else {
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
