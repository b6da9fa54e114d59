//! Money in other currencies (DOMAIN: claims and caps are yuan). A foreign-currency holding
//! counts toward a case's claim only at an exchange rate the court configured, with the rate's
//! date (`[control.exchange_rates.<ISO code>]`); without one it is left out of planning and a
//! freeze on it is refused. Rates are exact decimals, never floating point: what one million
//! minor units are worth in fen of yuan (`rate_micro`), so a value is one integer product.

use super::model::{CNY, UNIT_RATE};
use crate::config::RateConfig;
use assethub_connectors::domain::CivilDate;
use std::collections::BTreeMap;

/// The rate an order is placed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: String,
    /// Fen of yuan per 1,000,000 minor units.
    pub rate_micro: i64,
    /// As configured, for display ("7.1234"); empty for yuan.
    pub text: String,
    pub date: String,
}

impl Rate {
    pub fn cny() -> Self {
        Self {
            currency: CNY.into(),
            rate_micro: UNIT_RATE,
            text: String::new(),
            date: String::new(),
        }
    }
}

pub use assethub_client::currency::minor_digits;

/// The court's exchange rates, checked at start.
#[derive(Debug, Clone, Default)]
pub struct ExchangeRates {
    rates: BTreeMap<String, Rate>,
}

impl ExchangeRates {
    pub fn from_config(config: &BTreeMap<String, RateConfig>) -> Result<Self, String> {
        let mut rates = BTreeMap::new();
        for (code, rate) in config {
            let invalid = |why: &str| format!("control.exchange_rates.{code}: {why}");
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) || code == CNY {
                return Err(invalid("keys are ISO 4217 codes other than CNY"));
            }
            CivilDate::parse(&rate.date).map_err(|e| invalid(&format!("date: {e}")))?;
            let micro_yuan = parse_micro(&rate.cny_per_unit).ok_or_else(|| {
                invalid("cny_per_unit must be a positive decimal, at most 6 places")
            })?;
            // Fen per minor unit × 10^6 = micro-yuan per unit × 100 / 10^digits.
            let scaled = i128::from(micro_yuan) * 100;
            let divisor = 10i128.pow(minor_digits(code));
            if scaled % divisor != 0 {
                return Err(invalid(
                    "too many decimal places for this currency's minor unit",
                ));
            }
            let rate_micro = i64::try_from(scaled / divisor).map_err(|_| invalid("too large"))?;
            rates.insert(
                code.clone(),
                Rate {
                    currency: code.clone(),
                    rate_micro,
                    text: rate.cny_per_unit.trim().to_string(),
                    date: rate.date.clone(),
                },
            );
        }
        Ok(Self { rates })
    }

    /// The rate for `currency`, or why a holding in it cannot count toward a claim.
    pub fn rate(&self, currency: &str) -> Result<Rate, String> {
        if currency == CNY {
            return Ok(Rate::cny());
        }
        self.rates.get(currency).cloned().ok_or_else(|| {
            format!(
                "{currency} holdings count toward a claim in yuan only at a configured exchange rate ([control.exchange_rates.{currency}]); none is configured"
            )
        })
    }
}

/// Yuan per unit of `currency` for display ("7.1234"), from a stored `rate_micro`; empty for
/// yuan itself.
pub fn rate_text(currency: &str, rate_micro: i64) -> String {
    if currency == CNY {
        return String::new();
    }
    let micro_yuan = i128::from(rate_micro) * 10i128.pow(minor_digits(currency)) / 100;
    let text = format!("{}.{:06}", micro_yuan / 1_000_000, micro_yuan % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "7.1234" → 7_123_400 (millionths), positive only.
fn parse_micro(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || fraction.len() > 6
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let padded = format!("{fraction:0<6}");
    let value = whole.parse::<i64>().ok()?.checked_mul(1_000_000)? + padded.parse::<i64>().ok()?;
    (value > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(pairs: &[(&str, &str)]) -> Result<ExchangeRates, String> {
        let config = pairs
            .iter()
            .map(|(code, rate)| {
                (
                    code.to_string(),
                    RateConfig {
                        cny_per_unit: rate.to_string(),
                        date: "2026-11-30".into(),
                    },
                )
            })
            .collect();
        ExchangeRates::from_config(&config)
    }

    #[test]
    fn rates_are_exact_per_minor_unit() {
        let r = rates(&[("USD", "7.1234"), ("JPY", "0.048"), ("KWD", "23.1")]).unwrap();
        // One US cent is 7.1234 fen; one yen is 4.8 fen; one fils is 2.31 fen.
        assert_eq!(r.rate("USD").unwrap().rate_micro, 7_123_400);
        assert_eq!(r.rate("JPY").unwrap().rate_micro, 4_800_000);
        assert_eq!(r.rate("KWD").unwrap().rate_micro, 2_310_000);
        assert_eq!(r.rate("CNY").unwrap(), Rate::cny());
        assert_eq!(rate_text("USD", 7_123_400), "7.1234");
        assert_eq!(rate_text("JPY", 4_800_000), "0.048");
        assert_eq!(rate_text("USD", 7_000_000), "7");
        assert_eq!(rate_text("CNY", UNIT_RATE), "");
        assert!(r.rate("EUR").unwrap_err().contains("exchange_rates.EUR"));
    }

    #[test]
    fn bad_rates_are_refused_at_start() {
        for bad in ["", "0", "-7", "7.", "7.1234567", "7,1", "1e3"] {
            assert!(rates(&[("USD", bad)]).is_err(), "{bad:?}");
        }
        assert!(rates(&[("usd", "7")]).is_err());
        assert!(rates(&[("CNY", "1")]).is_err());
        // A rate finer than the minor unit allows: 3-digit currency, 6 places.
        assert!(rates(&[("KWD", "23.123456")]).is_err());
    }
}
