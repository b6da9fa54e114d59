//! Court seals (查封) as the registry and the vehicle administration record them, and the chain
//! of seals one asset carries: a seal in effect, then up to two queued seals (轮候查封) behind
//! it. Each family builds the seals' courts and case numbers, and writes them on the wire, its
//! own way.

use crate::date::Date;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    /// 查封: in effect.
    Seal,
    /// 轮候查封: queued behind an earlier seal.
    Queued,
}

/// A seal registered by a court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    pub kind: SealKind,
    /// 查封机关, e.g. `武汉市江汉区人民法院`.
    pub court: String,
    /// 查封文号: the court's case number.
    pub case_number: String,
    pub since: Date,
    /// None for a queued seal: its term starts when it takes effect.
    pub until: Option<Date>,
}

/// Seals of `seals` still standing on `today` (in force, or queued): a new seal queues behind
/// them. An expired seal no longer counts.
pub fn standing(seals: &[Seal], today: assethub_connectors::domain::CivilDate) -> u32 {
    seals
        .iter()
        .filter(|s| match s.until {
            None => true,
            Some(until) => {
                let end = assethub_connectors::domain::civil::days_from_civil(
                    u32::from(until.year),
                    u32::from(until.month),
                    u32::from(until.day),
                );
                end >= today.days()
            }
        })
        .count() as u32
}

impl SealKind {
    /// The end of a seal of this kind starting `since` with a term of `years` years; none for
    /// a queued seal.
    pub fn until(self, since: Date, years: u16) -> Option<Date> {
        match self {
            Self::Seal => Some(since.term_end(years)),
            Self::Queued => None,
        }
    }
}

/// A seal in effect from `first`, then, with chance 0.4 each, up to two queued seals 1 to 4
/// months apart; `make` builds each seal from its kind and start.
pub fn chain(
    rng: &mut ChaCha8Rng,
    first: Date,
    mut make: impl FnMut(&mut ChaCha8Rng, SealKind, Date) -> Seal,
) -> Vec<Seal> {
    let mut out = vec![make(rng, SealKind::Seal, first)];
    let mut since = first;
    while out.len() < 3 && rng.random_bool(0.4) {
        since = since.plus_months(rng.random_range(1..=4));
        out.push(make(rng, SealKind::Queued, since));
    }
    out
}
