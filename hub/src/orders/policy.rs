//! The legal limits a control order must respect (DOMAIN rules 1 and 2): maximum hold periods
//! per asset kind from the configured policy table, renewals only before expiry and never
//! ending later than today + one period (renewals do not stack), and which actions each kind
//! of asset takes.

use super::model::Action;
use crate::config::MaxDays;
use assethub_connectors::domain::{AssetKind, CivilDate, LegalClass};

#[derive(Debug, Clone)]
pub struct HoldPolicy {
    pub max_days: MaxDays,
}

impl HoldPolicy {
    /// The longest period, in days, a hold on `kind` may have.
    pub fn max_days(&self, kind: AssetKind) -> u32 {
        match kind {
            AssetKind::BANK | AssetKind::PAYMENT => self.max_days.funds,
            AssetKind::VEHICLE => self.max_days.vehicles,
            AssetKind::REAL_ESTATE => self.max_days.real_estate,
            _ => LegalClass::OtherRights.default_max_days(),
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

    /// The new end date of a hold ending `end` renewed on `today`: `days` after its end (0: as
    /// late as the law allows). A renewal is made before expiry, is itself at most one period,
    /// and never ends later than `today` + one period, however often the hold is renewed.
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
        let max = self.max_days(kind);
        let latest = today.plus_days(i64::from(max));
        let until = match days {
            0 => latest,
            days if days > max => {
                return Err(format!(
                    "{days} days is longer than the legal maximum of {max} days for {kind} assets"
                ))
            }
            days => end.plus_days(i64::from(days)),
        };
        if until > latest {
            return Err(format!(
                "renewed by {days} days the hold would end on {until}, later than today + {max} days ({latest}); renew by at most {} days",
                end.days_until(latest).max(0)
            ));
        }
        if until <= end {
            return Err(format!(
                "the hold already ends on {end}, as late as the law allows today (today + {max} days)"
            ));
        }
        Ok(until)
    }
}

/// Whether `action` applies to assets of `kind`.
pub fn fits(action: Action, kind: AssetKind) -> bool {
    let funds = matches!(kind, AssetKind::BANK | AssetKind::PAYMENT);
    match action {
        Action::Freeze | Action::Deduct => funds,
        Action::Seal => !funds,
        Action::Watch => kind == AssetKind::VEHICLE,
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
        assert_eq!(p.period(AssetKind::BANK, 0), Ok(365));
        assert_eq!(p.period(AssetKind::VEHICLE, 0), Ok(730));
        assert_eq!(p.period(AssetKind::REAL_ESTATE, 1095), Ok(1095));
        assert!(p.period(AssetKind::PAYMENT, 366).is_err());
    }

    #[test]
    fn renewal_only_before_expiry_and_never_past_today_plus_one_period() {
        let p = policy();
        let today = CivilDate::from_days(20_000);
        let end = today.plus_days(10);
        // (end in days from today, days asked, new end in days from today or refused), written out.
        let table: [(i64, u32, Option<i64>); 9] = [
            (10, 0, Some(365)),
            (10, 30, Some(40)),
            (10, 355, Some(365)),
            (10, 356, None),
            (10, 400, None),
            (0, 30, Some(30)),
            (-1, 30, None),
            // A funds freeze placed today for a year cannot be renewed today...
            (365, 0, None),
            // ...nor pushed further by repeated renewals.
            (365, 1, None),
        ];
        for (end_in, days, want) in table {
            let got = p.renewal(AssetKind::BANK, today.plus_days(end_in), today, days);
            assert_eq!(
                got.ok(),
                want.map(|d| today.plus_days(d)),
                "{end_in} {days}"
            );
        }
        // Three renewals on the day of placing stay within one year.
        let mut until = end;
        for _ in 0..3 {
            if let Ok(next) = p.renewal(AssetKind::BANK, until, today, 0) {
                until = next;
            }
        }
        assert_eq!(until, today.plus_days(365));
    }

    #[test]
    fn actions_fit_their_assets() {
        assert!(fits(Action::Freeze, AssetKind::PAYMENT));
        assert!(!fits(Action::Freeze, AssetKind::VEHICLE));
        assert!(fits(Action::Watch, AssetKind::VEHICLE));
        assert!(!fits(Action::Watch, AssetKind::REAL_ESTATE));
        assert!(!fits(Action::Seal, AssetKind::BANK));
    }
}
