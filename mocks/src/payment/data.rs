//! What a payment platform holds for each debtor of the population, derived from the debtor's
//! own random stream for this platform instance (`Population::rng_for`), so it is stable across
//! restarts and differs between the two platforms.
//!
//! Persons mostly keep a small wallet balance (余额 / 零钱) and, the richer the larger, a
//! money-market fund balance (余额宝-like); companies keep a merchant settlement balance and
//! sometimes a fund. Debtors of wealth `None` hold nothing; demo debtors always hold something.
//! Now and then another court already froze part of a balance.

use crate::population::{DebtorKind, DebtorRecord, Population, Wealth};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A platform product a balance is kept in, with its wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// A person's wallet balance.
    Balance,
    /// A money-market fund balance.
    Fund,
    /// A merchant's settlement balance.
    Merchant,
}

impl Product {
    pub fn code(self) -> &'static str {
        match self {
            Self::Balance => "BALANCE",
            Self::Fund => "FUND",
            Self::Merchant => "MERCHANT",
        }
    }

    /// Suffix of the platform account id for this product.
    fn account_suffix(self) -> &'static str {
        match self {
            Self::Balance => "0156",
            Self::Fund => "0301",
            Self::Merchant => "0001",
        }
    }
}

/// One balance the platform keeps for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub product: Product,
    /// Platform account id: the user id plus a product suffix.
    pub account_id: String,
    pub amount_fen: i64,
    /// Part of `amount_fen` already frozen by another court.
    pub frozen_fen: i64,
}

/// A debtor's platform account: user id and balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// 16 digits starting with 2088.
    pub user_id: String,
    pub holdings: Vec<Holding>,
}

/// Probability and fen range of one product for one wealth level.
struct Spread {
    chance: f64,
    min_fen: i64,
    max_fen: i64,
}

const fn spread(chance: f64, min_yuan: i64, max_yuan: i64) -> Spread {
    Spread {
        chance,
        min_fen: min_yuan * 100,
        max_fen: max_yuan * 100,
    }
}

/// (first product, its spread, second product, its spread) by debtor kind and wealth.
fn spreads(kind: DebtorKind, wealth: Wealth) -> [(Product, Spread); 2] {
    use Product::*;
    match (kind, wealth) {
        (_, Wealth::None) => [(Balance, spread(0.0, 0, 0)), (Fund, spread(0.0, 0, 0))],
        (DebtorKind::Person, Wealth::Modest) => [
            (Balance, spread(0.85, 0, 2_000)),
            (Fund, spread(0.4, 10, 10_000)),
        ],
        (DebtorKind::Person, Wealth::Comfortable) => [
            (Balance, spread(0.9, 0, 20_000)),
            (Fund, spread(0.75, 1_000, 200_000)),
        ],
        (DebtorKind::Person, Wealth::Rich) => [
            (Balance, spread(0.95, 100, 50_000)),
            (Fund, spread(0.95, 50_000, 3_000_000)),
        ],
        (DebtorKind::Company, Wealth::Modest) => [
            (Merchant, spread(0.8, 0, 50_000)),
            (Fund, spread(0.1, 1_000, 100_000)),
        ],
        (DebtorKind::Company, Wealth::Comfortable) => [
            (Merchant, spread(0.9, 1_000, 1_000_000)),
            (Fund, spread(0.3, 10_000, 500_000)),
        ],
        (DebtorKind::Company, Wealth::Rich) => [
            (Merchant, spread(1.0, 100_000, 20_000_000)),
            (Fund, spread(0.6, 100_000, 5_000_000)),
        ],
    }
}

/// What platform instance `agency` holds for `debtor`.
pub fn account_for(agency: &str, population: &Population, debtor: &DebtorRecord) -> Account {
    let mut rng = population.rng_for(agency, debtor);
    let user_id = format!("2088{:012}", rng.random_range(0..1_000_000_000_000u64));
    let mut holdings = Vec::new();
    for (product, spread) in spreads(debtor.kind, debtor.wealth) {
        // Draw for every product, held or not, so each keeps its own place in the stream.
        let held = rng.random_bool(spread.chance);
        let amount_fen = draw(&mut rng, &spread);
        let frozen_fen = frozen_part(&mut rng, amount_fen);
        if held {
            holdings.push(Holding {
                product,
                account_id: format!("{user_id}{}", product.account_suffix()),
                amount_fen,
                frozen_fen,
            });
        }
    }
    if debtor.demo && debtor.wealth != Wealth::None && holdings.is_empty() {
        let [(product, spread), _] = spreads(debtor.kind, debtor.wealth);
        let amount_fen = draw(&mut rng, &spread).max(100);
        holdings.push(Holding {
            product,
            account_id: format!("{user_id}{}", product.account_suffix()),
            amount_fen,
            frozen_fen: 0,
        });
    }
    Account { user_id, holdings }
}

fn draw(rng: &mut ChaCha8Rng, spread: &Spread) -> i64 {
    if spread.max_fen <= spread.min_fen {
        return spread.min_fen;
    }
    rng.random_range(spread.min_fen..=spread.max_fen)
}

/// One balance in twelve is partly frozen by another court already.
fn frozen_part(rng: &mut ChaCha8Rng, amount_fen: i64) -> i64 {
    let frozen = rng.random_bool(1.0 / 12.0);
    let share = rng.random_range(1..=100);
    if frozen {
        amount_fen / 100 * share
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{DEMO_COMPANY_ID, DEMO_PERSON_ID};

    #[test]
    fn is_stable_and_differs_between_platforms() {
        let population = Population::generate(11, 300);
        for debtor in population.debtors() {
            let a = account_for("pay-a", &population, debtor);
            assert_eq!(a, account_for("pay-a", &population, debtor));
            assert_eq!(a.user_id.len(), 16);
            for h in &a.holdings {
                assert!(h.amount_fen >= 0 && (0..=h.amount_fen).contains(&h.frozen_fen));
                assert!(h.account_id.starts_with(&a.user_id));
            }
            if debtor.wealth == Wealth::None {
                assert!(a.holdings.is_empty());
            }
            if debtor.kind == DebtorKind::Company {
                assert!(a.holdings.iter().all(|h| h.product != Product::Balance));
            }
        }
        let person = population.get(DEMO_PERSON_ID).unwrap();
        assert_ne!(
            account_for("pay-a", &population, person),
            account_for("pay-b", &population, person)
        );
    }

    #[test]
    fn demo_debtors_hold_something_everywhere() {
        let population = Population::generate(3, 10);
        for id in [DEMO_PERSON_ID, DEMO_COMPANY_ID] {
            let debtor = population.get(id).unwrap();
            for agency in ["pay-xinfu", "pay-weiqian", "x", "y", "z"] {
                assert!(!account_for(agency, &population, debtor).holdings.is_empty());
            }
        }
    }

    #[test]
    fn most_people_with_something_keep_a_wallet() {
        let population = Population::generate(5, 2_000);
        let people: Vec<_> = population
            .debtors()
            .iter()
            .filter(|d| d.kind == DebtorKind::Person && d.wealth != Wealth::None)
            .collect();
        let with_wallet = people
            .iter()
            .filter(|d| {
                account_for("pay-a", &population, d)
                    .holdings
                    .iter()
                    .any(|h| h.product == Product::Balance)
            })
            .count();
        assert!(with_wallet * 10 > people.len() * 8, "{with_wallet}");
    }
}
