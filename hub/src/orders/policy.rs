//! The legal limits a control order must respect (DOMAIN rules 1 and 2): maximum hold periods
//! per asset kind from the configured policy table, renewals only before expiry and for at
//! most one period, and which actions each kind of asset takes.

use super::model::Action;
use crate::config::MaxDays;
use assethub_connectors::domain::{AssetKind, CivilDate};

#[derive(Debug, Clone)]
pub struct HoldPolicy {
    pub max_days: MaxDays,
}

impl HoldPolicy {
    /// The longest period, in days, a hold on `kind` may have.
    pub fn max_days(&self, kind: AssetKind) -> u32 {
        match kind {
            AssetKind::Bank | AssetKind::Payment => self.max_days.funds,
            AssetKind::Vehicle => self.max_days.vehicles,
            AssetKind::RealEstate => self.max_days.real_estate,
        }
    }

    /// The period to use: `requested` (0: the maximum), refused when longer than the law allows.
    pub fn period(&self, kind: AssetKind, requested: u32) -> Result<u32, String> {
        let max = self.max_days(kind);
        match requested {
            0 => Ok(max),
            days if days <= max => Ok(days),
            days => Err(format!(
                "{days} days is longer than the legal maximum of {max} days for {kind} assets"
            )),
        }
    }

    /// The new end date of a hold ending `end` renewed on `today` by `days` (0: the maximum).
    pub fn renewal(
        &self,
        kind: AssetKind,
        end: CivilDate,
        today: CivilDate,
        days: u32,
    ) -> Result<CivilDate, String> {
        if end < today {
            return Err(format!(
                "the hold ended on {end}; a renewal must be made before expiry"
            ));
        }
        let days = self.period(kind, days)?;
        Ok(end.plus_days(i64::from(days)))
    }
}

/// Whether `action` applies to assets of `kind`.
pub fn fits(action: Action, kind: AssetKind) -> bool {
    let funds = matches!(kind, AssetKind::Bank | AssetKind::Payment);
    match action {
        Action::Freeze | Action::Deduct => funds,
        Action::Seal => !funds,
        Action::Watch => kind == AssetKind::Vehicle,
        Action::Release | Action::Renew => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HoldPolicy {
        HoldPolicy {
            max_days: MaxDays::default(),
        }
    }

    #[test]
    fn periods_follow_the_policy_table() {
        let p = policy();
        assert_eq!(p.period(AssetKind::Bank, 0), Ok(365));
        assert_eq!(p.period(AssetKind::Vehicle, 0), Ok(730));
        assert_eq!(p.period(AssetKind::RealEstate, 1095), Ok(1095));
        assert!(p.period(AssetKind::Payment, 366).is_err());
    }

    #[test]
    fn renewal_only_before_expiry_and_for_one_period_at_most() {
        let p = policy();
        let today = CivilDate::from_days(20_000);
        let end = today.plus_days(10);
        assert_eq!(
            p.renewal(AssetKind::Bank, end, today, 0),
            Ok(end.plus_days(365))
        );
        assert!(p.renewal(AssetKind::Bank, end, today, 400).is_err());
        assert_eq!(
            p.renewal(AssetKind::Bank, today, today, 30),
            Ok(today.plus_days(30))
        );
        assert!(p
            .renewal(AssetKind::Bank, today.plus_days(-1), today, 30)
            .is_err());
    }

    #[test]
    fn actions_fit_their_assets() {
        assert!(fits(Action::Freeze, AssetKind::Payment));
        assert!(!fits(Action::Freeze, AssetKind::Vehicle));
        assert!(fits(Action::Watch, AssetKind::Vehicle));
        assert!(!fits(Action::Watch, AssetKind::RealEstate));
        assert!(!fits(Action::Seal, AssetKind::Bank));
    }
}
