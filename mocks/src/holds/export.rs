//! The register as data, for whoever checks it from outside (the crash-safety invariant
//! checker, `GET /__admin/holds`): every hold and every keyed instruction, as of the agency's
//! today (expiries and queue promotions applied first); plain serde types so the same rows
//! travel in process and as JSON. The view also lets a clerk lift a hold at the counter and
//! the agency's start-up keep the register in a file.

use super::{settle, HoldBook, HoldKind, Register};
use assethub_connectors::domain::CivilDate;
use assethub_connectors::HoldStatus;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One hold as the register shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRow {
    /// The agency's hold id (e.g. `365DJ000001`).
    pub id: String,
    pub asset: String,
    pub kind: HoldKind,
    pub court: String,
    pub case: String,
    pub ruling: String,
    /// `pending`, `effective`, `queued`, `rejected`, `released`, `deducted` or `expired`.
    pub status: String,
    /// 1 is next in line; 0 unless queued.
    pub queue_position: u32,
    /// Asked (freezes).
    pub requested_fen: i64,
    /// Frozen now.
    pub held_fen: i64,
    /// Moved to courts from this hold so far (by its deduction instructions).
    pub deducted_fen: i64,
    /// ISO dates.
    pub since: String,
    pub until: String,
    /// Idempotency key of the instruction that placed the hold; empty when none did.
    pub placed_by: String,
}

/// One keyed instruction (placement, release, deduction, renewal) and the hold it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedHold {
    /// The instruction's idempotency key.
    pub key: String,
    /// `place`, `change` (release, deduction, renewal: the key names an existing hold).
    pub instruction: String,
    pub hold: String,
    pub asset: String,
    pub kind: HoldKind,
    pub court: String,
    pub case: String,
    /// The hold's status now (see [`HoldRow::status`]).
    pub status: String,
    pub queue_position: u32,
    /// Frozen now under the hold.
    pub held_fen: i64,
    /// Moved by this instruction (deductions); 0 otherwise.
    pub deducted_fen: i64,
    /// The hold's end date now (ISO).
    pub until: String,
}

/// Everything in one register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterExport {
    /// Every hold, in the order placed.
    pub holds: Vec<HoldRow>,
    /// Every keyed instruction, by key.
    pub keyed: Vec<KeyedHold>,
}

/// A handle on a register that reads it without holding the agency's knobs (so the knobs can
/// keep one without a reference cycle). The caller supplies today.
#[derive(Debug, Clone)]
pub struct RegisterView {
    register: Arc<Mutex<Register>>,
}

impl RegisterView {
    /// The register as of `today`.
    pub fn export(&self, today: CivilDate) -> RegisterExport {
        let mut reg = self.register.lock().unwrap_or_else(|p| p.into_inner());
        export(&mut reg, today)
    }

    /// Lifts hold `id` at the counter, as a clerk does without any instruction of the court's
    /// (agencies drift: the hub must find out by reconciling). Holds queued behind it move up.
    /// False when there is no such hold in force or queued.
    pub fn lift_at_counter(&self, id: &str, today: CivilDate) -> bool {
        let mut reg = self.register.lock().unwrap_or_else(|p| p.into_inner());
        let Some(&index) = reg.by_id.get(id) else {
            return false;
        };
        let hold = &mut reg.holds[index];
        if !matches!(
            hold.status,
            HoldStatus::Effective | HoldStatus::Queued { .. }
        ) {
            return false;
        }
        hold.status = HoldStatus::Released;
        hold.held = assethub_connectors::domain::Fen(0);
        let asset = hold.asset.clone();
        settle(&mut reg, &asset, today);
        super::kept::keep(&reg);
        true
    }

    /// From now on keeps the register in `file`, starting from what the file holds (nothing
    /// when there is no file yet); decisions whose delay passed while the agency was down are
    /// applied as of `today`.
    pub fn keep_in(&self, file: &std::path::Path, today: CivilDate) -> std::io::Result<()> {
        let mut restored = super::kept::read(file)?;
        restored.file = Some(file.to_path_buf());
        let overdue: Vec<_> = restored.decisions.clone().into_iter().collect();
        for (hold, decision) in &overdue {
            super::decide(&mut restored, hold, decision, today);
        }
        let mut reg = self.register.lock().unwrap_or_else(|p| p.into_inner());
        *reg = restored;
        super::kept::keep(&reg);
        Ok(())
    }
}

impl HoldBook {
    /// A read-only handle on this register (see [`RegisterView`]).
    pub fn view(&self) -> RegisterView {
        RegisterView {
            register: self.register.clone(),
        }
    }

    /// Every keyed instruction with its hold as of today, by key.
    pub fn keyed(&self) -> Vec<KeyedHold> {
        self.export().keyed
    }

    /// Every hold as of today, keyed or not, in the order placed.
    pub fn all_holds(&self) -> Vec<HoldRow> {
        self.export().holds
    }

    /// Holds and keyed instructions as of today.
    pub fn export(&self) -> RegisterExport {
        self.view().export(self.knobs.today())
    }
}

fn export(reg: &mut Register, today: CivilDate) -> RegisterExport {
    let mut assets: Vec<String> = reg.by_asset.keys().cloned().collect();
    assets.sort();
    for asset in &assets {
        settle(reg, asset, today);
    }
    let mut placed_by: HashMap<&str, &str> = HashMap::new();
    let mut deducted: HashMap<&str, i64> = HashMap::new();
    let mut keys: Vec<(&String, &super::KeyUse)> = reg.keys.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    let mut keyed = Vec::with_capacity(keys.len());
    for (key, used) in keys {
        let Some(&index) = reg.by_id.get(&used.hold) else {
            continue;
        };
        let h = &reg.holds[index];
        // A placement's key is the one recorded first for its hold: the hold did not exist
        // before it. Later keys on the same hold are changes.
        let places = is_placement(reg, key, &used.hold);
        if places {
            placed_by.insert(h.id.as_str(), key.as_str());
        }
        *deducted.entry(h.id.as_str()).or_default() += used.deducted.0;
        let (status, queue_position) = words(h.status);
        keyed.push(KeyedHold {
            key: key.clone(),
            instruction: if places { "place" } else { "change" }.into(),
            hold: h.id.clone(),
            asset: h.asset.clone(),
            kind: h.kind,
            court: h.court.clone(),
            case: h.case.clone(),
            status: status.into(),
            queue_position,
            held_fen: h.held.0,
            deducted_fen: used.deducted.0,
            until: h.until.to_string(),
        });
    }
    let holds = reg
        .holds
        .iter()
        .map(|h| {
            let (status, queue_position) = words(h.status);
            HoldRow {
                id: h.id.clone(),
                asset: h.asset.clone(),
                kind: h.kind,
                court: h.court.clone(),
                case: h.case.clone(),
                ruling: h.ruling.clone(),
                status: status.into(),
                queue_position,
                requested_fen: h.requested.0,
                held_fen: h.held.0,
                deducted_fen: deducted.get(h.id.as_str()).copied().unwrap_or(0),
                since: h.since.to_string(),
                until: h.until.to_string(),
                placed_by: placed_by
                    .get(h.id.as_str())
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    RegisterExport { holds, keyed }
}

/// Whether `key` is the instruction that created `hold`.
fn is_placement(reg: &Register, key: &str, hold: &str) -> bool {
    reg.placements.get(hold).is_some_and(|k| k == key)
}

/// The status as a word, and the queue position (0 unless queued).
pub fn words(status: HoldStatus) -> (&'static str, u32) {
    match status {
        HoldStatus::Pending => ("pending", 0),
        HoldStatus::Effective => ("effective", 0),
        HoldStatus::Queued { position } => ("queued", position),
        HoldStatus::Rejected => ("rejected", 0),
        HoldStatus::Released => ("released", 0),
        HoldStatus::Deducted => ("deducted", 0),
        HoldStatus::Expired => ("expired", 0),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Fen, Placement};
    use super::*;
    use crate::knobs::Knobs;

    fn freeze(asset: &str, amount: i64, balance: i64) -> Placement {
        Placement {
            kind: HoldKind::Freeze,
            asset: asset.into(),
            court: "鄂0116".into(),
            case: "(2024)鄂0116执1号".into(),
            ruling: "(2024)鄂0116执1号之一".into(),
            amount: Fen(amount),
            until: CivilDate::today().plus_days(30),
            balance: Fen(balance),
            frozen_elsewhere: Fen(0),
            seals_elsewhere: 0,
        }
    }

    #[test]
    fn every_key_and_every_hold_is_listed_with_its_state_today() {
        let knobs = Arc::new(Knobs::default());
        let book = HoldBook::new("T-", knobs.clone());
        let a = book
            .place("k-a", "fa", freeze("acct-1", 1_000, 1_500))
            .unwrap();
        let b = book
            .place("k-b", "fb", freeze("acct-1", 800, 1_500))
            .unwrap();
        book.deduct("k-d", "fd", &a.hold, Fen(300)).unwrap();
        book.release("k-r", "fr", &a.hold).unwrap();
        let pending = book
            .place_pending("k-p", "fp", freeze("acct-2", 100, 100))
            .unwrap();

        let keyed = book.keyed();
        let keys: Vec<&str> = keyed.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["k-a", "k-b", "k-d", "k-p", "k-r"]);
        let by = |key: &str| keyed.iter().find(|k| k.key == key).unwrap().clone();
        assert_eq!(by("k-a").instruction, "place");
        assert_eq!(by("k-a").status, "released");
        assert_eq!(by("k-d").instruction, "change");
        assert_eq!(by("k-d").hold, a.hold);
        assert_eq!(by("k-d").deducted_fen, 300);
        // b took the rest (500 of 800) when placed; a's release does not grow it.
        assert_eq!(by("k-b").status, "effective");
        assert_eq!(by("k-b").held_fen, 500);
        assert_eq!(by("k-p").status, "pending");

        let holds = book.all_holds();
        assert_eq!(holds.len(), 3);
        let row = |id: &str| holds.iter().find(|h| h.id == id).unwrap().clone();
        assert_eq!(row(&a.hold).placed_by, "k-a");
        assert_eq!(row(&a.hold).deducted_fen, 300);
        assert_eq!(row(&a.hold).held_fen, 0);
        assert_eq!(row(&b.hold).requested_fen, 800);
        assert_eq!(row(&pending.hold).kind, HoldKind::Freeze);
    }

    #[test]
    fn expiry_and_queue_promotion_show_as_of_the_agency_s_today() {
        let knobs = Arc::new(Knobs::default());
        let book = HoldBook::new("T-", knobs.clone());
        let mut seal = freeze("flat-1", 0, 0);
        seal.kind = HoldKind::Seal;
        book.place("s1", "f1", seal.clone()).unwrap();
        let mut later = seal.clone();
        later.court = "鄂0102".into();
        later.until = CivilDate::today().plus_days(90);
        book.place("s2", "f2", later).unwrap();
        let queued = book.keyed();
        assert_eq!(
            (queued[1].status.as_str(), queued[1].queue_position),
            ("queued", 1)
        );

        knobs.set_clock_offset_days(31);
        let export = book.export();
        let status: Vec<&str> = export.holds.iter().map(|h| h.status.as_str()).collect();
        assert_eq!(status, ["expired", "effective"]);
        let json = serde_json::to_string(&export).unwrap();
        let back: RegisterExport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, export);
    }
}
