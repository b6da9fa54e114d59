//! Counting one debtor's answer: sources by status, assets, and the CNY fund total (deposits
//! in CNY plus payment-platform balances), summed exactly in integer fen.

use std::collections::BTreeMap;

use assethub_proto::v1::{asset::Detail, QueryResponse, SourceResult, SourceStatus};

/// What one query found, in numbers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub ok: usize,
    pub not_found: usize,
    pub name_mismatch: usize,
    pub error: usize,
    pub timed_out: usize,
    /// Agencies that answer later (the answer arrives in the event feed and the cache).
    pub pending: usize,
    pub expired: usize,
    /// Sources whose status this build does not know.
    pub other: usize,
    pub assets: usize,
    /// Deposit accounts in CNY and payment balances counted into the totals.
    pub cny_funds: usize,
    pub cny_balance_fen: i128,
    pub cny_frozen_fen: i128,
    /// Balances of deposits in other currencies (code as sent, upper-cased), not in the total.
    pub other_currencies: BTreeMap<String, i128>,
}

impl Tally {
    pub fn of(response: &QueryResponse) -> Self {
        let mut tally = Tally::default();
        for source in &response.sources {
            tally.add_source(source);
        }
        tally
    }

    pub fn add_source(&mut self, source: &SourceResult) {
        match SourceStatus::try_from(source.status) {
            Ok(SourceStatus::Ok) => self.ok += 1,
            Ok(SourceStatus::NotFound) => self.not_found += 1,
            Ok(SourceStatus::NameMismatch) => self.name_mismatch += 1,
            Ok(SourceStatus::Error) => self.error += 1,
            Ok(SourceStatus::TimedOut) => self.timed_out += 1,
            Ok(SourceStatus::Pending) => self.pending += 1,
            Ok(SourceStatus::Expired) => self.expired += 1,
            Ok(SourceStatus::Unspecified) | Err(_) => self.other += 1,
        }
        self.assets += source.assets.len();
        for asset in &source.assets {
            match &asset.detail {
                Some(Detail::Deposit(d)) => {
                    let currency = d.currency.trim().to_ascii_uppercase();
                    if currency == "CNY" {
                        self.cny_funds += 1;
                        self.cny_balance_fen += i128::from(d.balance_fen);
                        self.cny_frozen_fen += i128::from(d.frozen_fen);
                    } else {
                        let key = if currency.is_empty() {
                            "(no currency)".to_string()
                        } else {
                            currency
                        };
                        *self.other_currencies.entry(key).or_default() += i128::from(d.balance_fen);
                    }
                }
                // Payment platforms hold renminbi only.
                Some(Detail::PaymentBalance(p)) => {
                    self.cny_funds += 1;
                    self.cny_balance_fen += i128::from(p.balance_fen);
                    self.cny_frozen_fen += i128::from(p.frozen_fen);
                }
                Some(Detail::Property(_)) | Some(Detail::Vehicle(_)) | None => {}
            }
        }
    }

    /// Adds another tally into this one (batch totals).
    pub fn merge(&mut self, other: &Tally) {
        self.ok += other.ok;
        self.not_found += other.not_found;
        self.name_mismatch += other.name_mismatch;
        self.error += other.error;
        self.timed_out += other.timed_out;
        self.other += other.other;
        self.assets += other.assets;
        self.cny_funds += other.cny_funds;
        self.cny_balance_fen += other.cny_balance_fen;
        self.cny_frozen_fen += other.cny_frozen_fen;
        for (currency, fen) in &other.other_currencies {
            *self.other_currencies.entry(currency.clone()).or_default() += fen;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_proto::v1::{Asset, DepositAccount, PaymentBalance, Vehicle};

    fn deposit(currency: &str, balance: i64, frozen: i64) -> Asset {
        Asset {
            generic: Default::default(),
            asset_ref: "b:1".into(),
            detail: Some(Detail::Deposit(DepositAccount {
                currency: currency.into(),
                balance_fen: balance,
                frozen_fen: frozen,
                ..Default::default()
            })),
        }
    }

    #[test]
    fn counts_statuses_and_sums_cny_only() {
        let response = QueryResponse {
            case_number: "c".into(),
            elapsed_ms: 1,
            sources: vec![
                SourceResult {
                    status: SourceStatus::Ok as i32,
                    assets: vec![
                        deposit("CNY", 100_001, 500),
                        deposit("usd", 700, 0),
                        deposit(" cny ", 99, 0),
                    ],
                    ..Default::default()
                },
                SourceResult {
                    status: SourceStatus::Ok as i32,
                    assets: vec![
                        Asset {
                            generic: Default::default(),
                            asset_ref: "p:1".into(),
                            detail: Some(Detail::PaymentBalance(PaymentBalance {
                                balance_fen: i64::MAX,
                                frozen_fen: 1,
                                ..Default::default()
                            })),
                        },
                        Asset {
                            generic: Default::default(),
                            asset_ref: "v:1".into(),
                            detail: Some(Detail::Vehicle(Vehicle::default())),
                        },
                    ],
                    ..Default::default()
                },
                SourceResult {
                    status: SourceStatus::NotFound as i32,
                    ..Default::default()
                },
                SourceResult {
                    status: SourceStatus::NameMismatch as i32,
                    ..Default::default()
                },
                SourceResult {
                    status: SourceStatus::Error as i32,
                    ..Default::default()
                },
                SourceResult {
                    status: SourceStatus::TimedOut as i32,
                    ..Default::default()
                },
                SourceResult {
                    status: 42,
                    ..Default::default()
                },
            ],
        };
        let t = Tally::of(&response);
        assert_eq!(
            (
                t.ok,
                t.not_found,
                t.name_mismatch,
                t.error,
                t.timed_out,
                t.other
            ),
            (2, 1, 1, 1, 1, 1)
        );
        assert_eq!(t.assets, 5);
        assert_eq!(t.cny_funds, 3);
        // No overflow even past i64::MAX.
        assert_eq!(t.cny_balance_fen, 100_001 + 99 + i128::from(i64::MAX));
        assert_eq!(t.cny_frozen_fen, 501);
        assert_eq!(t.other_currencies.get("USD"), Some(&700));

        let mut sum = Tally::default();
        sum.merge(&t);
        sum.merge(&t);
        assert_eq!(sum.ok, 4);
        assert_eq!(sum.cny_frozen_fen, 1002);
        assert_eq!(sum.other_currencies.get("USD"), Some(&1400));
    }
}
