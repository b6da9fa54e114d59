//! The hold register every mock agency keeps (冻结/查封/布控登记簿): per-asset holds from several
//! courts, their queue (轮候), expiry at the end date, deductions, and idempotency keys. Each
//! family's API translates its own wire format into these calls; the rules live here once.
//!
//! Rules, as agencies apply them:
//! - A freeze takes what is available (balance − deducted − held by effective freezes) up to
//!   the amount asked, and says when that is less. With nothing available while other holds
//!   exist, it is queued. A seal on an asset another seal holds is queued. Watches never queue.
//! - Queued holds take effect in order, automatically, when earlier holds are released or
//!   expire; a queued freeze then takes what has become available.
//! - A hold expires after its end date (the agency's clock, see [`Knobs::today`]).
//! - A deduction moves at most what the hold has frozen; a hold with nothing left is
//!   `Deducted`. Renewal works only on holds in force or queued, before expiry.
//! - An idempotency key seen before returns the hold's current answer and never acts twice;
//!   the same key for a different instruction is refused.
//!
//! State is in memory: it lives as long as the agency, so it survives hub restarts; kept in a
//! file as well when asked ([`kept`]), so that it survives the agency's restarts too.

use crate::knobs::Knobs;
use assethub_connectors::domain::{CivilDate, Fen};
use assethub_connectors::HoldStatus;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod export;
mod kept;

pub use export::{HoldRow, KeyedHold, RegisterExport, RegisterView};
pub use kept::Decision;

/// What a hold does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    Freeze,
    Seal,
    Watch,
}

/// One hold as the agency records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: String,
    pub asset: String,
    pub kind: HoldKind,
    /// Court code of the holder (the court in the case number).
    pub court: String,
    pub case: String,
    pub ruling: String,
    /// Asked amount (freezes).
    pub requested: Fen,
    /// Frozen now (freezes in force).
    pub held: Fen,
    pub since: CivilDate,
    pub until: CivilDate,
    pub status: HoldStatus,
    /// Set when the agency decided less than asked, or why it refused.
    pub message: String,
}

/// A new hold to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub kind: HoldKind,
    pub asset: String,
    pub court: String,
    pub case: String,
    pub ruling: String,
    /// Amount asked (freezes); zero otherwise.
    pub amount: Fen,
    pub until: CivilDate,
    /// The asset's balance as the agency's books show it, before deductions (freezes).
    pub balance: Fen,
    /// Money frozen by holds outside this register (old paper orders) that never lift.
    pub frozen_elsewhere: Fen,
    /// Seals by other courts recorded outside this register (one in force, the rest queued),
    /// which never lift: a new seal queues behind them.
    pub seals_elsewhere: u32,
}

/// The register's answer to one instruction: the hold's id, status and amounts now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub hold: String,
    pub status: HoldStatus,
    pub held: Fen,
    /// Moved by this instruction (deductions).
    pub deducted: Fen,
    pub until: CivilDate,
    pub message: String,
}

/// Why an instruction was refused outright (no hold created or changed). Agencies answer it in
/// their own error format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The idempotency key was used before for a different instruction.
    KeyReused,
    NoSuchHold,
    /// The hold is not in a state that allows this (e.g. renewing an expired hold).
    WrongState(String),
    /// Deduction larger than the money frozen under the hold, or not positive.
    BadAmount(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KeyReused => f.write_str("idempotency key already used for another instruction"),
            Self::NoSuchHold => f.write_str("no such hold"),
            Self::WrongState(why) | Self::BadAmount(why) => f.write_str(why),
        }
    }
}

/// What an idempotency key was used for, to recognise a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyUse {
    fingerprint: String,
    hold: String,
    deducted: Fen,
}

#[derive(Debug, Default)]
struct Register {
    holds: Vec<Hold>,
    by_id: HashMap<String, usize>,
    by_asset: HashMap<String, Vec<usize>>,
    keys: HashMap<String, KeyUse>,
    /// Per hold id: the key of the instruction that placed it.
    placements: HashMap<String, String>,
    /// Per asset: money moved to courts so far.
    deducted: HashMap<String, Fen>,
    /// Per asset: what the agency's other records say (for promotions and queue positions).
    books: HashMap<String, Outside>,
    /// Per pending hold: the decision the agency has taken, applied when its delay has passed.
    decisions: HashMap<String, Decision>,
    /// Where the register is kept, when it is ([`kept`]).
    file: Option<PathBuf>,
}

/// An asset's state outside the register: book balance, old freezes and old seals.
#[derive(Debug, Clone, Copy, Default)]
struct Outside {
    balance: Fen,
    frozen: Fen,
    seals: u32,
}

impl Outside {
    fn of(p: &Placement) -> Self {
        Self {
            balance: p.balance,
            frozen: p.frozen_elsewhere,
            seals: p.seals_elsewhere,
        }
    }
}

/// The register of one agency. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct HoldBook {
    prefix: String,
    knobs: Arc<Knobs>,
    register: Arc<Mutex<Register>>,
}

impl HoldBook {
    /// A register whose hold ids start with `prefix` (e.g. `GX-F`), on the agency's clock.
    pub fn new(prefix: &str, knobs: Arc<Knobs>) -> Self {
        Self {
            prefix: prefix.to_string(),
            knobs,
            register: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Register> {
        // A panic while holding the lock cannot leave the register half-updated in a way
        // that matters to a mock; keep serving.
        self.register.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Places a freeze, seal or watch under idempotency key `key`. `fingerprint` identifies
    /// the instruction (what a replay must match), e.g. its canonical request body.
    pub fn place(&self, key: &str, fingerprint: &str, p: Placement) -> Result<Answer, Refusal> {
        let today = self.knobs.today();
        let mut reg = self.lock();
        if let Some(answer) = replay(&reg, key, fingerprint)? {
            return Ok(answer);
        }
        reg.books.insert(p.asset.clone(), Outside::of(&p));
        settle(&mut reg, &p.asset, today);
        let id = format!("{}{:06}", self.prefix, reg.holds.len() + 1);
        let mut hold = Hold {
            id: id.clone(),
            asset: p.asset.clone(),
            kind: p.kind,
            court: p.court,
            case: p.case,
            ruling: p.ruling,
            requested: p.amount,
            held: Fen(0),
            since: today,
            until: p.until,
            status: HoldStatus::Queued { position: 0 },
            message: String::new(),
        };
        let others = active(&reg, &p.asset, p.kind);
        match p.kind {
            HoldKind::Watch => hold.status = HoldStatus::Effective,
            HoldKind::Seal if others.is_empty() && p.seals_elsewhere == 0 => {
                hold.status = HoldStatus::Effective
            }
            HoldKind::Seal => {}
            HoldKind::Freeze => {
                let available = available(&reg, &p.asset);
                if available.0 > 0 || (others.is_empty() && p.frozen_elsewhere.0 == 0) {
                    take(&mut hold, available);
                }
            }
        }
        let index = reg.holds.len();
        reg.holds.push(hold);
        reg.by_id.insert(id.clone(), index);
        reg.by_asset.entry(p.asset.clone()).or_default().push(index);
        reg.keys.insert(
            key.to_string(),
            KeyUse {
                fingerprint: fingerprint.to_string(),
                hold: id.clone(),
                deducted: Fen(0),
            },
        );
        reg.placements.insert(id.clone(), key.to_string());
        number_queue(&mut reg, &p.asset);
        kept::keep(&reg);
        Ok(answer_of(&reg, &id, Fen(0)))
    }

    /// Releases hold `hold`; the next queued holds on the asset may take effect.
    pub fn release(&self, key: &str, fingerprint: &str, hold: &str) -> Result<Answer, Refusal> {
        self.change(key, fingerprint, hold, |h, _| match h.status {
            HoldStatus::Effective | HoldStatus::Queued { .. } | HoldStatus::Pending => {
                h.status = HoldStatus::Released;
                h.held = Fen(0);
                Ok(Fen(0))
            }
            other => Err(Refusal::WrongState(format!(
                "hold is {other:?}, not in force"
            ))),
        })
    }

    /// Moves `amount` of the money frozen under `hold` to the court.
    pub fn deduct(
        &self,
        key: &str,
        fingerprint: &str,
        hold: &str,
        amount: Fen,
    ) -> Result<Answer, Refusal> {
        self.change(key, fingerprint, hold, |h, _| {
            if h.kind != HoldKind::Freeze || h.status != HoldStatus::Effective {
                return Err(Refusal::WrongState(
                    "only a freeze in force can be deducted".into(),
                ));
            }
            if amount.0 <= 0 || amount.0 > h.held.0 {
                return Err(Refusal::BadAmount(format!(
                    "deduction of {} yuan exceeds the {} yuan frozen",
                    amount.to_yuan_string(),
                    h.held.to_yuan_string()
                )));
            }
            h.held = Fen(h.held.0 - amount.0);
            if h.held.0 == 0 {
                h.status = HoldStatus::Deducted;
            }
            Ok(amount)
        })
    }

    /// Extends hold `hold` to `until`; only before it expires.
    pub fn renew(
        &self,
        key: &str,
        fingerprint: &str,
        hold: &str,
        until: CivilDate,
    ) -> Result<Answer, Refusal> {
        self.change(key, fingerprint, hold, |h, today| match h.status {
            HoldStatus::Effective | HoldStatus::Queued { .. } if h.until >= today => {
                if until <= h.until {
                    return Err(Refusal::WrongState(format!(
                        "renewal must end after the current end date {}",
                        h.until
                    )));
                }
                h.until = until;
                Ok(Fen(0))
            }
            other => Err(Refusal::WrongState(format!(
                "hold is {other:?} (ends {}), it can no longer be renewed",
                h.until
            ))),
        })
    }

    /// Applies `act` to hold `hold` under key `key`, then settles the asset.
    fn change(
        &self,
        key: &str,
        fingerprint: &str,
        hold: &str,
        act: impl FnOnce(&mut Hold, CivilDate) -> Result<Fen, Refusal>,
    ) -> Result<Answer, Refusal> {
        let today = self.knobs.today();
        let mut reg = self.lock();
        if let Some(answer) = replay(&reg, key, fingerprint)? {
            return Ok(answer);
        }
        let index = *reg.by_id.get(hold).ok_or(Refusal::NoSuchHold)?;
        let asset = reg.holds[index].asset.clone();
        settle(&mut reg, &asset, today);
        let deducted = act(&mut reg.holds[index], today)?;
        *reg.deducted.entry(asset.clone()).or_default() =
            Fen(reg.deducted.get(&asset).map_or(0, |f| f.0) + deducted.0);
        reg.keys.insert(
            key.to_string(),
            KeyUse {
                fingerprint: fingerprint.to_string(),
                hold: hold.to_string(),
                deducted,
            },
        );
        settle(&mut reg, &asset, today);
        kept::keep(&reg);
        Ok(answer_of(&reg, hold, deducted))
    }

    /// The current answer to the instruction sent with `key`, or `None` if never received.
    pub fn by_key(&self, key: &str) -> Option<Answer> {
        let today = self.knobs.today();
        let mut reg = self.lock();
        let used = reg.keys.get(key)?.clone();
        let asset = reg.holds[reg.by_id[&used.hold]].asset.clone();
        settle(&mut reg, &asset, today);
        Some(answer_of(&reg, &used.hold, used.deducted))
    }

    /// The holds on `asset` as they stand today, oldest first (for inquiry answers).
    pub fn holds_on(&self, asset: &str) -> Vec<Hold> {
        let today = self.knobs.today();
        let mut reg = self.lock();
        settle(&mut reg, asset, today);
        reg.by_asset
            .get(asset)
            .map(|ix| ix.iter().map(|&i| reg.holds[i].clone()).collect())
            .unwrap_or_default()
    }

    /// Money frozen now on `asset` by holds in this register.
    pub fn frozen_on(&self, asset: &str) -> Fen {
        Fen(self
            .holds_on(asset)
            .iter()
            .filter(|h| h.status == HoldStatus::Effective)
            .map(|h| h.held.0)
            .sum())
    }

    /// Money moved from `asset` to courts so far.
    pub fn deducted_from(&self, asset: &str) -> Fen {
        self.lock().deducted.get(asset).copied().unwrap_or(Fen(0))
    }

    /// Every hold of `kind` in force today (e.g. watches, for sightings).
    pub fn in_force(&self, kind: HoldKind) -> Vec<Hold> {
        let today = self.knobs.today();
        let mut reg = self.lock();
        let assets: Vec<String> = reg.by_asset.keys().cloned().collect();
        for asset in &assets {
            settle(&mut reg, asset, today);
        }
        reg.holds
            .iter()
            .filter(|h| h.kind == kind && h.status == HoldStatus::Effective)
            .cloned()
            .collect()
    }

    /// Decides a pending hold (a bank's asynchronous freeze): `accept` applies the usual
    /// rules as of now, otherwise it is rejected with `message`.
    pub fn decide(&self, hold: &str, accept: bool, message: &str) {
        let today = self.knobs.today();
        let mut reg = self.lock();
        let decision = Decision {
            accept,
            message: message.to_string(),
        };
        decide(&mut reg, hold, &decision, today);
        kept::keep(&reg);
    }

    /// Takes `decision` on pending hold `hold` now and applies it after `delay` (a bank
    /// deciding a freeze later). A kept register remembers the decision, so an agency
    /// restarted before the delay ends applies it when it starts.
    pub fn decide_later(&self, hold: &str, decision: Decision, delay: Duration) {
        {
            let mut reg = self.lock();
            reg.decisions.insert(hold.to_string(), decision.clone());
            kept::keep(&reg);
        }
        let book = self.clone();
        let hold = hold.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            book.decide(&hold, decision.accept, &decision.message);
        });
    }

    /// Places a freeze that the agency decides later: recorded as `Pending`, taking effect
    /// (or queueing) only when [`decide`](Self::decide) is called.
    pub fn place_pending(
        &self,
        key: &str,
        fingerprint: &str,
        p: Placement,
    ) -> Result<Answer, Refusal> {
        let today = self.knobs.today();
        let mut reg = self.lock();
        if let Some(answer) = replay(&reg, key, fingerprint)? {
            return Ok(answer);
        }
        reg.books.insert(p.asset.clone(), Outside::of(&p));
        let id = format!("{}{:06}", self.prefix, reg.holds.len() + 1);
        let index = reg.holds.len();
        reg.holds.push(Hold {
            id: id.clone(),
            asset: p.asset.clone(),
            kind: p.kind,
            court: p.court,
            case: p.case,
            ruling: p.ruling,
            requested: p.amount,
            held: Fen(0),
            since: today,
            until: p.until,
            status: HoldStatus::Pending,
            message: String::new(),
        });
        reg.by_id.insert(id.clone(), index);
        reg.by_asset.entry(p.asset).or_default().push(index);
        reg.keys.insert(
            key.to_string(),
            KeyUse {
                fingerprint: fingerprint.to_string(),
                hold: id.clone(),
                deducted: Fen(0),
            },
        );
        reg.placements.insert(id.clone(), key.to_string());
        kept::keep(&reg);
        Ok(answer_of(&reg, &id, Fen(0)))
    }
}

/// Applies `decision` to pending hold `hold` (nothing when it is no longer pending).
fn decide(reg: &mut Register, hold: &str, decision: &Decision, today: CivilDate) {
    reg.decisions.remove(hold);
    let Some(&index) = reg.by_id.get(hold) else {
        return;
    };
    if reg.holds[index].status != HoldStatus::Pending {
        return;
    }
    let asset = reg.holds[index].asset.clone();
    if decision.accept {
        reg.holds[index].status = HoldStatus::Queued { position: 0 };
        settle(reg, &asset, today);
    } else {
        reg.holds[index].status = HoldStatus::Rejected;
        reg.holds[index].message = decision.message.clone();
    }
}

fn replay(reg: &Register, key: &str, fingerprint: &str) -> Result<Option<Answer>, Refusal> {
    match reg.keys.get(key) {
        None => Ok(None),
        Some(used) if used.fingerprint == fingerprint => {
            Ok(Some(answer_of(reg, &used.hold, used.deducted)))
        }
        Some(_) => Err(Refusal::KeyReused),
    }
}

fn answer_of(reg: &Register, hold: &str, deducted: Fen) -> Answer {
    let h = &reg.holds[reg.by_id[hold]];
    Answer {
        hold: h.id.clone(),
        status: h.status,
        held: h.held,
        deducted,
        until: h.until,
        message: h.message.clone(),
    }
}

/// Indexes of holds of `kind` on `asset` in force or queued (not pending, not ended).
fn active(reg: &Register, asset: &str, kind: HoldKind) -> Vec<usize> {
    reg.by_asset
        .get(asset)
        .map(|ix| {
            ix.iter()
                .copied()
                .filter(|&i| {
                    let h = &reg.holds[i];
                    h.kind == kind
                        && matches!(h.status, HoldStatus::Effective | HoldStatus::Queued { .. })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Money on `asset` not yet frozen or moved.
fn available(reg: &Register, asset: &str) -> Fen {
    let outside = reg.books.get(asset).copied().unwrap_or_default();
    let (balance, elsewhere) = (outside.balance, outside.frozen);
    let deducted = reg.deducted.get(asset).map_or(0, |f| f.0);
    let held: i64 = active(reg, asset, HoldKind::Freeze)
        .iter()
        .map(|&i| reg.holds[i].held.0)
        .sum();
    Fen((balance.0 - elsewhere.0 - deducted - held).max(0))
}

/// Makes a freeze take up to `available`, noting when that is less than asked.
fn take(hold: &mut Hold, available: Fen) {
    hold.held = Fen(hold.requested.0.min(available.0));
    hold.status = HoldStatus::Effective;
    if hold.held.0 < hold.requested.0 {
        hold.message = format!(
            "only {} yuan available of {} yuan asked; froze {} yuan",
            available.to_yuan_string(),
            hold.requested.to_yuan_string(),
            hold.held.to_yuan_string()
        );
    }
}

/// Expires holds past their end date, then lets queued holds take effect in order.
fn settle(reg: &mut Register, asset: &str, today: CivilDate) {
    let Some(indexes) = reg.by_asset.get(asset).cloned() else {
        return;
    };
    for &i in &indexes {
        let h = &mut reg.holds[i];
        if matches!(h.status, HoldStatus::Effective | HoldStatus::Queued { .. }) && h.until < today
        {
            h.status = HoldStatus::Expired;
            h.held = Fen(0);
        }
    }
    for kind in [HoldKind::Seal, HoldKind::Freeze] {
        loop {
            let queue: Vec<usize> = active(reg, asset, kind)
                .into_iter()
                .filter(|&i| matches!(reg.holds[i].status, HoldStatus::Queued { .. }))
                .collect();
            let Some(&next) = queue.first() else { break };
            let in_force = active(reg, asset, kind).len() - queue.len();
            match kind {
                HoldKind::Seal if in_force == 0 && outside(reg, asset).seals == 0 => {
                    reg.holds[next].status = HoldStatus::Effective
                }
                HoldKind::Freeze => {
                    let room = available(reg, asset);
                    if room.0 == 0 && (in_force > 0 || has_outside_freeze(reg, asset)) {
                        break;
                    }
                    take(&mut reg.holds[next], room);
                }
                _ => break,
            }
        }
    }
    number_queue(reg, asset);
}

fn outside(reg: &Register, asset: &str) -> Outside {
    reg.books.get(asset).copied().unwrap_or_default()
}

fn has_outside_freeze(reg: &Register, asset: &str) -> bool {
    outside(reg, asset).frozen.0 > 0
}

/// Renumbers queue positions, oldest first, after the queued seals recorded elsewhere.
fn number_queue(reg: &mut Register, asset: &str) {
    let outside_queued = outside(reg, asset).seals.saturating_sub(1);
    for kind in [HoldKind::Seal, HoldKind::Freeze] {
        let ahead = if kind == HoldKind::Seal {
            outside_queued
        } else {
            0
        };
        let queued: Vec<usize> = active(reg, asset, kind)
            .into_iter()
            .filter(|&i| matches!(reg.holds[i].status, HoldStatus::Queued { .. }))
            .collect();
        for (n, i) in queued.into_iter().enumerate() {
            reg.holds[i].status = HoldStatus::Queued {
                position: ahead + n as u32 + 1,
            };
        }
    }
}

#[cfg(test)]
mod tests;
