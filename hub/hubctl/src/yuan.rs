//! Amounts typed by the operator: yuan as a plain decimal ("12345.67", "100", "0.5") converted
//! exactly to integer fen. No floating point anywhere; no signs, no thousands separators, no
//! exponents, at most two decimals, strictly positive.

use assethub_core::domain::{Fen, MoneyError};

/// Parses `--amount`: yuan → fen, exactly. Used as a clap value parser, so a bad amount is a
/// usage error (exit 2) before anything is sent.
pub fn parse_amount(text: &str) -> Result<i64, String> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if text.contains(',') {
        return Err(format!(
            "{text:?}: write the amount without thousands separators, e.g. 1000.50"
        ));
    }
    if text.starts_with('-') {
        return Err(format!("{text:?}: the amount must be positive"));
    }
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(format!(
            "{text:?} is not an amount in yuan (digits, optionally '.' and one or two decimals)"
        ));
    }
    if fraction.is_some_and(|f| f.len() > 2) {
        return Err(format!(
            "{text:?} has more than two decimals; the smallest unit is one fen (0.01)"
        ));
    }
    // The shape is now exactly what `Fen` reads without loss; it does the exact conversion and
    // the overflow check.
    let fen = Fen::from_yuan_str(text).map_err(|e| match e {
        MoneyError::Overflow(_) => format!("{text:?} is too large an amount"),
        other => other.to_string(),
    })?;
    if fen.0 <= 0 {
        return Err(format!("{text:?}: the amount must be greater than zero"));
    }
    Ok(fen.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_to_fen_is_exact() {
        assert_eq!(parse_amount("12345.67"), Ok(1_234_567));
        assert_eq!(parse_amount("0.29"), Ok(29));
        assert_eq!(parse_amount("0.01"), Ok(1));
        assert_eq!(parse_amount("0.5"), Ok(50));
        assert_eq!(parse_amount("100"), Ok(10_000));
        assert_eq!(parse_amount("007.10"), Ok(710));
        // Beyond f64's exact integers: still exact.
        assert_eq!(parse_amount("90071992547409.93"), Ok(9_007_199_254_740_993));
        assert_eq!(
            parse_amount("92233720368547758.07"),
            Ok(i64::MAX),
            "the largest amount that fits"
        );
    }

    #[test]
    fn three_decimals_are_rejected() {
        for bad in ["1.001", "1.000", "0.123", "12345.678"] {
            let err = parse_amount(bad).expect_err(bad);
            assert!(err.contains("more than two decimals"), "{bad}: {err}");
        }
    }

    #[test]
    fn negatives_and_zero_are_rejected() {
        for bad in ["-1", "-0.01", "0", "0.0", "0.00", "000"] {
            let err = parse_amount(bad).expect_err(bad);
            assert!(
                err.contains("positive") || err.contains("greater than zero"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "",
            ".",
            ".5",
            "1.",
            "+1",
            " 1",
            "1 ",
            "1,000.50",
            "1e3",
            "NaN",
            "inf",
            "12.3a",
            "¥100",
            "1.2.3",
            "0x10",
            "１００",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(parse_amount("1,000.5")
            .expect_err("commas")
            .contains("thousands separators"));
    }

    #[test]
    fn huge_amounts_are_rejected() {
        for bad in [
            "92233720368547758.08",
            "99999999999999999999",
            "100000000000000000000000000000.00",
        ] {
            let err = parse_amount(bad).expect_err(bad);
            assert!(err.contains("too large"), "{bad}: {err}");
        }
    }
}
