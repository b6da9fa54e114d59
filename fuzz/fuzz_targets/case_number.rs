//! CaseNumber::parse on arbitrary text: never panics; the normalised form (ASCII parentheses)
//! re-parses to itself with the same parts; only enforcement types 执, 执恢, 执保 pass.
#![no_main]

use assethub_connectors::domain::CaseNumber;
use libfuzzer_sys::fuzz_target;

const PROVINCES: &str = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新港澳台兵";

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(case) = CaseNumber::parse(&input) else {
        return;
    };
    let s = case.as_str();
    assert_eq!(case.to_string(), s);
    assert_eq!(format!("{case:?}"), format!("CaseNumber({s})"));

    // Parts are consistent with the normalised text.
    assert!((1990..=9999).contains(&case.year()), "{s}");
    assert!(matches!(case.case_type(), "执" | "执恢" | "执保"), "{s}");
    assert!((1..=9_999_999).contains(&case.sequence()), "{s}");
    let mut court = case.court().chars();
    let province = court.next().expect("court code is not empty");
    assert!(PROVINCES.contains(province), "{s}");
    let court_digits = court.as_str();
    assert!(
        matches!(court_digits.len(), 0 | 2 | 4) && court_digits.bytes().all(|b| b.is_ascii_digit()),
        "{s}"
    );
    let expected = format!(
        "({}){}{}{}号",
        case.year(),
        case.court(),
        case.case_type(),
        case.sequence()
    );
    assert_eq!(s, expected);

    // The normalised form re-parses to itself, and so does the full-width spelling.
    let again = CaseNumber::parse(s).expect("normalised form re-parses");
    assert_eq!(again, case);
    assert_eq!(again.as_str(), s);
    let full_width = s.replacen('(', "（", 1).replacen(')', "）", 1);
    assert_eq!(CaseNumber::parse(&full_width).as_ref(), Ok(&case));

    // What was parsed is what was written, modulo blanks and the parenthesis style.
    let written = input.trim().replacen('（', "(", 1).replacen('）', ")", 1);
    assert_eq!(written, s, "{input:?}");
});
