//! A register kept in a file, so that a demo's agencies remember their holds across restarts
//! as the hub's ledger does (a real agency's register outlives any hub). Off unless asked for
//! (`assethub-demo`, `mock-agencies --keep-registers DIR`); tests and load runs keep nothing.
//!
//! The whole register is written after every change an instruction or a clerk makes, to a
//! temporary file renamed over the old one: a crash leaves the register before or after the
//! change, never half of it. That is one small JSON file per agency for a demo's hundreds of
//! holds. The file is private (0600): it names accounts, cases and courts.
//!
//! A bank decides some freezes later; the decision it has taken is kept with the hold, and a
//! register read back applies the decisions whose time passed while the agency was down.

use super::{HoldKind, KeyUse, Outside, Register};
use assethub_connectors::domain::{CivilDate, Fen};
use assethub_connectors::HoldStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file format's version; a file of another version is refused, not guessed at.
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    format: u32,
    holds: Vec<KeptHold>,
    /// Idempotency key → what it was used for.
    keys: BTreeMap<String, KeptKey>,
    /// Hold id → key of the instruction that placed it.
    placements: BTreeMap<String, String>,
    /// Asset → fen moved to courts.
    deducted: BTreeMap<String, i64>,
    /// Asset → its books outside the register.
    books: BTreeMap<String, KeptBooks>,
    /// Pending hold id → the decision taken for it.
    decisions: BTreeMap<String, Decision>,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeptHold {
    id: String,
    asset: String,
    kind: HoldKind,
    court: String,
    case: String,
    ruling: String,
    requested_fen: i64,
    held_fen: i64,
    /// Days since 1970-01-01.
    since: i64,
    until: i64,
    /// See [`super::export::words`].
    status: String,
    queue_position: u32,
    message: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeptKey {
    fingerprint: String,
    hold: String,
    deducted_fen: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeptBooks {
    balance_fen: i64,
    frozen_fen: i64,
    seals: u32,
}

/// A decision an agency has taken on a pending hold, applied when its delay has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub accept: bool,
    /// Why, when refused.
    pub message: String,
}

/// Writes `reg` to its file, if it has one. A failure is logged: the agency keeps serving from
/// memory, as a real one would while its disk is being fixed.
pub(super) fn keep(reg: &Register) {
    let Some(path) = &reg.file else { return };
    if let Err(e) = write(path, reg) {
        tracing::error!(file = %path.display(), error = %e, "cannot keep the hold register");
    }
}

/// Reads the register kept at `path`; an empty register when there is no file yet.
pub(super) fn read(path: &Path) -> std::io::Result<Register> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Register::default()),
        Err(e) => return Err(e),
    };
    narrow(path)?;
    let kept: Kept = serde_json::from_slice(&text).map_err(|e| invalid(path, &e.to_string()))?;
    if kept.format != FORMAT {
        let why = format!("format {} (this agency reads {FORMAT})", kept.format);
        return Err(invalid(path, &why));
    }
    restore(kept).map_err(|why| invalid(path, &why))
}

fn invalid(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("hold register {}: {why}", path.display()),
    )
}

fn write(path: &Path, reg: &Register) -> std::io::Result<()> {
    let json = serde_json::to_vec(&snapshot(reg)).map_err(std::io::Error::other)?;
    let mut tmp = PathBuf::from(path);
    tmp.set_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    // A temporary file left by an older run keeps its mode when reopened.
    narrow(&tmp)?;
    file.write_all(&json)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// A register file left readable by others (by an older version, or by hand) is narrowed to
/// 0600, with a warning: registers name accounts and cases.
fn narrow(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(file = %path.display(), mode = format!("{mode:o}"), "narrowing the hold register to mode 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn snapshot(reg: &Register) -> Kept {
    Kept {
        format: FORMAT,
        holds: reg
            .holds
            .iter()
            .map(|h| {
                let (status, queue_position) = super::export::words(h.status);
                KeptHold {
                    id: h.id.clone(),
                    asset: h.asset.clone(),
                    kind: h.kind,
                    court: h.court.clone(),
                    case: h.case.clone(),
                    ruling: h.ruling.clone(),
                    requested_fen: h.requested.0,
                    held_fen: h.held.0,
                    since: h.since.days(),
                    until: h.until.days(),
                    status: status.to_string(),
                    queue_position,
                    message: h.message.clone(),
                }
            })
            .collect(),
        keys: reg
            .keys
            .iter()
            .map(|(key, used)| {
                let kept = KeptKey {
                    fingerprint: used.fingerprint.clone(),
                    hold: used.hold.clone(),
                    deducted_fen: used.deducted.0,
                };
                (key.clone(), kept)
            })
            .collect(),
        placements: reg.placements.clone().into_iter().collect(),
        deducted: reg.deducted.iter().map(|(a, f)| (a.clone(), f.0)).collect(),
        books: reg
            .books
            .iter()
            .map(|(asset, o)| {
                let books = KeptBooks {
                    balance_fen: o.balance.0,
                    frozen_fen: o.frozen.0,
                    seals: o.seals,
                };
                (asset.clone(), books)
            })
            .collect(),
        decisions: reg.decisions.clone().into_iter().collect(),
    }
}

fn restore(kept: Kept) -> Result<Register, String> {
    let mut reg = Register::default();
    for h in kept.holds {
        let status = status_of(&h.status, h.queue_position)
            .ok_or_else(|| format!("hold {} has an unknown status {:?}", h.id, h.status))?;
        let index = reg.holds.len();
        if reg.by_id.insert(h.id.clone(), index).is_some() {
            return Err(format!("hold {} appears twice", h.id));
        }
        reg.by_asset.entry(h.asset.clone()).or_default().push(index);
        reg.holds.push(super::Hold {
            id: h.id,
            asset: h.asset,
            kind: h.kind,
            court: h.court,
            case: h.case,
            ruling: h.ruling,
            requested: Fen(h.requested_fen),
            held: Fen(h.held_fen),
            since: CivilDate::from_days(h.since),
            until: CivilDate::from_days(h.until),
            status,
            message: h.message,
        });
    }
    for (key, used) in kept.keys {
        if !reg.by_id.contains_key(&used.hold) {
            return Err(format!("key {key} names no hold {}", used.hold));
        }
        let used = KeyUse {
            fingerprint: used.fingerprint,
            hold: used.hold,
            deducted: Fen(used.deducted_fen),
        };
        reg.keys.insert(key, used);
    }
    reg.placements = kept.placements.into_iter().collect();
    reg.deducted = kept
        .deducted
        .into_iter()
        .map(|(asset, fen)| (asset, Fen(fen)))
        .collect();
    reg.books = kept
        .books
        .into_iter()
        .map(|(asset, b)| {
            let outside = Outside {
                balance: Fen(b.balance_fen),
                frozen: Fen(b.frozen_fen),
                seals: b.seals,
            };
            (asset, outside)
        })
        .collect();
    reg.decisions = kept.decisions.into_iter().collect();
    Ok(reg)
}

/// The inverse of [`super::export::words`].
fn status_of(word: &str, position: u32) -> Option<HoldStatus> {
    Some(match word {
        "pending" => HoldStatus::Pending,
        "effective" => HoldStatus::Effective,
        "queued" => HoldStatus::Queued { position },
        "rejected" => HoldStatus::Rejected,
        "released" => HoldStatus::Released,
        "deducted" => HoldStatus::Deducted,
        "expired" => HoldStatus::Expired,
        _ => return None,
    })
}
