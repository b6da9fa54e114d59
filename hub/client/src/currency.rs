//! Currencies as a client shows them: how many decimal places a currency's minor unit has, so
//! an amount in minor units (fen for CNY) is written in major units.

/// Decimal places of a currency's minor unit (ISO 4217): 2 unless listed.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "PYG" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_follow_iso_4217() {
        for (currency, digits) in [
            ("CNY", 2),
            ("USD", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("KWD", 3),
            ("BHD", 3),
        ] {
            assert_eq!(minor_digits(currency), digits, "{currency}");
        }
    }
}
