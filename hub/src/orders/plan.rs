//! Cap planning for a one-click freeze (DOMAIN rule 2, no excess control): given what the case
//! may still hold and each account's fresh balance, how much to freeze where. Pure; the total
//! planned never exceeds what remains of the cap.
//!
//! Accounts with money available come first, largest first (fewest orders, least spread over
//! the debtor's accounts). Whatever is still missing is then queued on accounts other courts
//! hold in full, largest balance first: those holds take effect when the earlier ones lift.

use assethub_connectors::domain::AssetRef;

/// A fund asset the plan may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub asset: AssetRef,
    pub balance_fen: i64,
    /// Already frozen by any court.
    pub frozen_fen: i64,
}

impl Candidate {
    pub fn available_fen(&self) -> i64 {
        (self.balance_fen - self.frozen_fen).max(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub asset: AssetRef,
    pub amount_fen: i64,
    /// Expected to queue behind other courts' holds.
    pub queued: bool,
}

/// Plans freezes totalling at most `remaining_fen`.
pub fn plan(remaining_fen: i64, candidates: &[Candidate]) -> Vec<Planned> {
    let mut left = remaining_fen.max(0);
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| {
        b.available_fen()
            .cmp(&a.available_fen())
            .then_with(|| a.asset.to_string().cmp(&b.asset.to_string()))
    });
    let mut planned = Vec::new();
    for c in &sorted {
        let amount = c.available_fen().min(left);
        if amount > 0 {
            planned.push(Planned {
                asset: c.asset.clone(),
                amount_fen: amount,
                queued: false,
            });
            left -= amount;
        }
    }
    let mut held_by_others: Vec<&&Candidate> = sorted
        .iter()
        .filter(|c| c.available_fen() == 0 && c.frozen_fen > 0)
        .collect();
    held_by_others.sort_by_key(|c| std::cmp::Reverse(c.balance_fen));
    for c in held_by_others {
        let amount = c.balance_fen.min(left);
        if amount > 0 {
            planned.push(Planned {
                asset: c.asset.clone(),
                amount_fen: amount,
                queued: true,
            });
            left -= amount;
        }
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_connectors::domain::SourceId;
    use proptest::prelude::*;

    fn account(n: usize, balance: i64, frozen: i64) -> Candidate {
        Candidate {
            asset: AssetRef::new(&SourceId::new("bank-a").unwrap(), format!("acct-{n}")),
            balance_fen: balance,
            frozen_fen: frozen,
        }
    }

    #[test]
    fn freezes_up_to_the_cap_largest_first() {
        let plan = plan(
            150_000,
            &[
                account(1, 50_000, 0),
                account(2, 120_000, 0),
                account(3, 9_000, 0),
            ],
        );
        let amounts: Vec<i64> = plan.iter().map(|p| p.amount_fen).collect();
        assert_eq!(amounts, vec![120_000, 30_000]);
    }

    #[test]
    fn short_balances_are_all_taken_then_held_accounts_are_queued() {
        let plan = plan(
            100_000,
            &[account(1, 30_000, 10_000), account(2, 80_000, 80_000)],
        );
        assert_eq!(plan.len(), 2);
        assert_eq!((plan[0].amount_fen, plan[0].queued), (20_000, false));
        assert_eq!((plan[1].amount_fen, plan[1].queued), (80_000, true));
    }

    #[test]
    fn nothing_remains_nothing_is_planned() {
        assert!(plan(0, &[account(1, 50_000, 0)]).is_empty());
        assert!(plan(-5, &[account(1, 50_000, 0)]).is_empty());
    }

    proptest! {
        #[test]
        fn never_exceeds_the_cap_nor_an_account(
            remaining in -10i64..2_000_000,
            accounts in prop::collection::vec((0i64..1_000_000, 0i64..1_000_000), 0..12),
        ) {
            let candidates: Vec<Candidate> = accounts
                .iter()
                .enumerate()
                .map(|(n, &(balance, frozen))| account(n, balance, frozen.min(balance)))
                .collect();
            let planned = plan(remaining, &candidates);
            let total: i64 = planned.iter().map(|p| p.amount_fen).sum();
            prop_assert!(total <= remaining.max(0));
            let free: i64 = candidates.iter().map(Candidate::available_fen).sum();
            // Every fen available is used before anything is queued.
            prop_assert_eq!(
                planned.iter().filter(|p| !p.queued).map(|p| p.amount_fen).sum::<i64>(),
                free.min(remaining.max(0))
            );
            for p in &planned {
                let c = candidates.iter().find(|c| c.asset == p.asset).unwrap();
                prop_assert!(p.amount_fen > 0);
                let limit = if p.queued { c.balance_fen } else { c.available_fen() };
                prop_assert!(p.amount_fen <= limit);
            }
            let mut seen: Vec<String> = planned.iter().map(|p| p.asset.to_string()).collect();
            seen.sort();
            seen.dedup();
            prop_assert_eq!(seen.len(), planned.len());
        }
    }
}
