//! The legal limits a control order must respect (DOMAIN rules 1 and 2): maximum hold periods
//! per asset kind from the kinds table (`[control.kinds]`), renewals only before expiry and
//! never ending later than today + one period (renewals do not stack), and which actions each
//! kind of asset takes — all read from the kinds' specs, never from a list of kinds.

use super::model::Action;
use assethub_connectors::domain::{AssetKind, CivilDate, HoldUnit, KindSpec, Kinds};
use assethub_connectors::Capability;

/// The rules of every kind the hub knows (built in, configured, described by connectors).
#[derive(Debug, Clone, Default)]
pub struct HoldPolicy {
    pub kinds: Kinds,
}

impl HoldPolicy {
    pub fn new(kinds: Kinds) -> Self {
        Self { kinds }
    }

    /// The spec of `kind`; a kind nobody described takes the strictest rules (no actions).
    pub fn spec(&self, kind: AssetKind) -> Option<&KindSpec> {
        self.kinds.get(kind)
    }

    /// The longest period, in days, a hold on `kind` may have (the shortest legal period for
    /// a kind without a spec, which the registry never lets a source have).
    pub fn max_days(&self, kind: AssetKind) -> u32 {
        self.spec(kind).map_or(365, |spec| spec.max_days)
    }

    /// Whether `action` applies to assets of `kind` (its spec allows it).
    pub fn fits(&self, action: Action, kind: AssetKind) -> bool {
        self.spec(kind)
            .is_some_and(|spec| spec.allows(capability(action)))
    }

    /// The unit a freeze of `kind` counts in (fen when unknown).
    pub fn unit(&self, kind: AssetKind) -> HoldUnit {
        self.spec(kind)
            .map_or(HoldUnit::Fen, |spec| spec.unit.clone())
    }

    /// The kinds whose assets are money frozen in fen: what a one-click freeze searches.
    pub fn fund_kinds(&self) -> Vec<AssetKind> {
        self.kinds
            .iter()
            .filter(|s| s.holds_money && s.unit == HoldUnit::Fen && s.allows(Capability::Freeze))
            .map(|s| s.kind)
            .collect()
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

/// The capability an agency needs to carry out `action`.
pub fn capability(action: Action) -> Capability {
    match action {
        Action::Freeze => Capability::Freeze,
        Action::Seal => Capability::Seal,
        Action::Watch => Capability::Watch,
        Action::Release => Capability::Release,
        Action::Deduct => Capability::Deduct,
        Action::Renew => Capability::Renew,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HoldPolicy {
        HoldPolicy::default()
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
        let p = policy();
        assert!(p.fits(Action::Freeze, AssetKind::PAYMENT));
        assert!(!p.fits(Action::Freeze, AssetKind::VEHICLE));
        assert!(p.fits(Action::Watch, AssetKind::VEHICLE));
        assert!(!p.fits(Action::Watch, AssetKind::REAL_ESTATE));
        assert!(!p.fits(Action::Seal, AssetKind::BANK));
        assert_eq!(p.fund_kinds(), vec![AssetKind::BANK, AssetKind::PAYMENT]);
    }

    #[test]
    fn a_configured_kind_brings_its_own_rules() {
        use assethub_connectors::domain::LegalClass;
        let ship = AssetKind::register("ship_policy_test").unwrap();
        let mut kinds = Kinds::default();
        let mut spec = KindSpec::new(ship, "船舶", LegalClass::Movable, &[Capability::Seal]);
        spec.max_days = 500;
        kinds.insert(spec);
        let p = HoldPolicy::new(kinds);
        assert_eq!(p.period(ship, 0), Ok(500));
        assert!(p.period(ship, 501).is_err());
        assert!(p.fits(Action::Seal, ship));
        assert!(!p.fits(Action::Renew, ship));
        let unknown = AssetKind::register("never_described_kind").unwrap();
        assert!(!p.fits(Action::Release, unknown));
    }
}
