//! The tamper-evident audit log (rule 7: every call is audited; rule 9: no plain identity
//! numbers). Lives in the order ledger's database (`Ledger::pool()`), migrations
//! `0002_audit.sql` and `0005_audit_lookup.sql`; its signed checkpoints live outside it.
//!
//! - `mod.rs` (this file): the entry and report types and the errors.
//! - `chain`: the canonical encoding, the entry hash and the keyed debtor reference.
//! - `bounded`: every text field cut to 256 bytes and cleared of control characters before
//!   it is hashed.
//! - `store`: [`AuditLog`], which appends entries (one transaction: entries + head);
//!   `sqlite_writer`: the writer thread of an embedded ledger.
//! - `walk`: walking the chain to verify it (all of it, or what follows a checkpoint).
//! - `list`: pages of entries for auditors, filtered, bounded by entries and bytes.
//! - `checkpoint` (in assethub-client, for auditors' tools): signed checkpoints (entries, head hash, time, key id), their encoding and
//!   the key; `checkpoint_file`: the JSON-lines file they are kept in; `checkpointer`: signing
//!   them (on demand and at an interval) and judging kept ones against the log.
//! - `service`: the tonic service `assethub.v1.Audit` (VerifyAudit, ListAudit,
//!   CheckpointAudit); `requests`: its input checks.
//! - `calls`: what the services and the executor record: each call, each agency instruction.
//! - `refusals`: refused calls counted per peer and window, written as one entry each.
//!
//! Each entry stores `prev_hash` and `hash = sha256(prev_hash || canonical(seq, entry))`; the
//! first entry's `prev_hash` is 64 zeros. The one-row `audit_head` holds the newest entry's
//! number and hash, so deleting the newest entries is detected as well as editing, deleting or
//! reordering any other. What the chain cannot show on its own — someone who recomputes every
//! hash after an edit, or deletes the newest entries and moves the head back — a checkpoint
//! signed before shows: the log no longer extends it.

mod bounded;
mod calls;
mod chain;
use assethub_client::checkpoint;
mod checkpoint_file;
mod checkpointer;
mod list;
mod refusals;
mod requests;
mod service;
mod sqlite_writer;
mod store;
mod walk;

pub use calls::{CallAudit, CallNote};

pub use bounded::FIELD_LIMIT;
pub use chain::{debtor_ref, entry_hash, GENESIS};
pub use checkpoint::{
    check_key_id, Checkpoint, CheckpointKey, SignatureProblem, CHECKPOINT_VERSION,
};
pub use checkpoint_file::CheckpointFile;
pub use checkpointer::{CheckpointError, Checkpointer, Judged, Judgement, Verdict};
pub use list::{ListPage, ListQuery, DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE_BYTES};
pub use refusals::{Aggregate, Refusal, RefusalWindows};
pub use requests::MAX_CHECKPOINTS;
pub use service::AuditService;
pub use store::AuditLog;

/// One audited act: a call to the hub, or an instruction the hub sent to an agency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEntry {
    /// Unix milliseconds; 0 when appending: now.
    pub at_ms: i64,
    /// The officer, or the calling system's subject.
    pub actor: String,
    /// The caller's court code, e.g. "鄂0116".
    pub court: String,
    /// The caller's role, e.g. "judge", "case_system".
    pub role: String,
    /// The gRPC method ("/assethub.v1.Orders/PlaceHold"), or "agency:<source>:<action>".
    pub method: String,
    pub case_number: String,
    /// [`AuditLog::debtor_ref`] of the debtor's identity number; never the number itself.
    pub debtor_ref: String,
    /// "allowed" or "denied: <reason>".
    pub decision: String,
    /// "OK", a gRPC code name ("INVALID_ARGUMENT"), an order id, an agency's answer.
    pub outcome: String,
    /// Anything else worth keeping (no personal data).
    pub detail: String,
}

/// A stored entry with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries found intact: all of them, or those before the first broken one.
    pub entries_checked: u64,
    /// The first broken entry and why; `None` when the whole log is intact.
    pub first_broken: Option<(u64, String)>,
    /// The newest entry's number as the head records it (0 for an empty log) ...
    pub head_seq: u64,
    /// ... and its hash (64 zeros for an empty log).
    pub head_hash: String,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// What a caller is told when its call's audit entry could not be written (the ledger's
/// database is gone): its answer is withheld.
pub const UNAUDITED: &str = "the audit log cannot be written (the ledger's database is unavailable): nothing is answered unaudited; try again";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit database: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored number or head is not what the schema allows (e.g. a negative seq).
    #[error("audit log: {0}")]
    Corrupt(String),
    /// The group commit this entry was part of failed (the cause, as text: every waiter of
    /// the group gets it).
    #[error("audit append: {0}")]
    Append(String),
}

#[cfg(test)]
mod checkpoint_tests;
#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod tests;
