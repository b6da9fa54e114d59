//! What a sweep and its items are, as the store keeps them: states, counts, and the compact
//! per-source summary an item's result is (JSON in the ledger, a few dozen bytes a source).

use crate::identity::Caller;
use serde::{Deserialize, Serialize};

/// A sweep's life: `receiving` its items, `running`, `awaiting` (every item asked, some
/// agencies answer later), then `finished` or `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepState {
    Receiving,
    Running,
    Awaiting,
    Finished,
    Cancelled,
}

impl SweepState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receiving => "receiving",
            Self::Running => "running",
            Self::Awaiting => "awaiting",
            Self::Finished => "finished",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        [
            Self::Receiving,
            Self::Running,
            Self::Awaiting,
            Self::Finished,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }
}

/// An item's life: `waiting` → `asking` (recorded before any agency is asked) → `done` |
/// `awaiting` (some source answers later) | `failed` (some source failed; asked again while
/// rounds are left) | `refused` (not admitted: case not registered or open, not a party).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Waiting,
    Asking,
    Done,
    Awaiting,
    Failed,
    Refused,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Asking => "asking",
            Self::Done => "done",
            Self::Awaiting => "awaiting",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        [
            Self::Waiting,
            Self::Asking,
            Self::Done,
            Self::Awaiting,
            Self::Failed,
            Self::Refused,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }
}

/// A sweep as submitted, before its items.
#[derive(Debug, Clone)]
pub struct NewSweep {
    pub id: String,
    pub court: String,
    pub client_key: String,
    pub caller: Caller,
    /// Registered kind names; empty: every kind.
    pub kinds: Vec<String>,
    pub fresh: bool,
    pub item_deadline_ms: i64,
    pub started_at_ms: i64,
}

/// One validated item as submitted (the debtor's number normalised).
#[derive(Debug, Clone)]
pub struct NewItem {
    pub case_number: String,
    pub debtor_id: String,
    pub debtor_name: String,
}

#[derive(Debug, Clone)]
pub struct SweepRow {
    pub id: String,
    pub court: String,
    pub client_key: String,
    /// Who submitted it: every item is asked and audited on their behalf.
    pub caller: Caller,
    pub state: SweepState,
    pub kinds: Vec<String>,
    pub fresh: bool,
    pub item_deadline_ms: i64,
    pub total: u64,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
}

impl SweepRow {
    /// The request id every agency call for item `index` carries, whatever the round or the
    /// run of the hub: an agency sees one inquiry serial per debtor of a sweep.
    pub fn request_id(&self, index: u64) -> String {
        request_id(&self.id, index)
    }
}

pub fn request_id(sweep: &str, index: u64) -> String {
    format!("swp-{sweep}-{index}")
}

#[derive(Debug, Clone)]
pub struct ItemRow {
    pub index: u64,
    pub case_number: String,
    pub debtor_id: String,
    pub debtor_name: String,
    pub state: ItemState,
    pub attempts: u32,
    /// JSON array of [`SourceSummary`] ('' before the first answer).
    pub summary: String,
    pub error_code: String,
    pub error_message: String,
    /// When to look at it again (Unix ms; 0: never). Written, not read back.
    pub next_at_ms: i64,
}

/// Items per state (waiting includes asking).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub waiting: u64,
    pub done: u64,
    pub awaiting: u64,
    pub failed: u64,
    pub refused: u64,
}

impl Counts {
    pub fn settled(&self) -> u64 {
        self.done + self.awaiting + self.failed + self.refused
    }
}

/// One source's answer for one item, compactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    #[serde(rename = "s")]
    pub source: String,
    #[serde(rename = "k")]
    pub kind: String,
    /// ok, not_found, name_mismatch, pending, error, timed_out.
    #[serde(rename = "st")]
    pub status: String,
    #[serde(rename = "n", default)]
    pub assets: u32,
    /// Stated values in yuan, in fen (deposits in other currencies not added).
    #[serde(rename = "f", default)]
    pub total_fen: i64,
    #[serde(rename = "t", default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
    #[serde(rename = "r", default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Statuses that are an agency's final answer.
pub fn answered(status: &str) -> bool {
    matches!(status, "ok" | "not_found" | "name_mismatch")
}

/// Statuses worth asking again in a later round (the agency failed or was too slow).
pub fn failed(status: &str) -> bool {
    matches!(status, "error" | "timed_out")
}

/// The state an item's sources put it in: `failed` if any source failed, else `awaiting` if any
/// has not answered yet (pending, or a status this hub does not know), else `done`.
pub fn item_state(sources: &[SourceSummary]) -> ItemState {
    if sources.iter().any(|s| failed(&s.status)) {
        ItemState::Failed
    } else if sources.iter().any(|s| !answered(&s.status)) {
        ItemState::Awaiting
    } else {
        ItemState::Done
    }
}

pub fn parse_summary(text: &str) -> Vec<SourceSummary> {
    if text.is_empty() {
        return Vec::new();
    }
    serde_json::from_str(text).unwrap_or_default()
}

pub fn summary_text(sources: &[SourceSummary]) -> String {
    serde_json::to_string(sources).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(status: &str) -> SourceSummary {
        SourceSummary {
            source: "bank-a".into(),
            kind: "bank".into(),
            status: status.into(),
            assets: 0,
            total_fen: 0,
            ticket: String::new(),
            reason: String::new(),
        }
    }

    #[test]
    fn an_item_is_done_only_when_every_source_answered() {
        use ItemState::*;
        let table: [(&[&str], ItemState); 6] = [
            (&["ok", "not_found", "name_mismatch"], Done),
            (&["ok", "pending"], Awaiting),
            (&["ok", "expired_or_new_word"], Awaiting),
            (&["pending", "error"], Failed),
            (&["timed_out"], Failed),
            (&[], Done),
        ];
        for (statuses, want) in table {
            let sources: Vec<_> = statuses.iter().map(|s| source(s)).collect();
            assert_eq!(item_state(&sources), want, "{statuses:?}");
        }
    }

    #[test]
    fn a_summary_is_compact_and_reads_back() {
        let mut s = source("ok");
        s.assets = 2;
        s.total_fen = 12_345;
        let text = summary_text(&[s.clone()]);
        assert_eq!(
            text,
            r#"[{"s":"bank-a","k":"bank","st":"ok","n":2,"f":12345}]"#
        );
        assert_eq!(parse_summary(&text), vec![s]);
        assert!(parse_summary("").is_empty());
    }

    #[test]
    fn states_read_back_and_request_ids_are_stable() {
        for s in ["receiving", "running", "awaiting", "finished", "cancelled"] {
            assert_eq!(SweepState::parse(s).map(SweepState::as_str), Some(s));
        }
        for s in ["waiting", "asking", "done", "awaiting", "failed", "refused"] {
            assert_eq!(ItemState::parse(s).map(ItemState::as_str), Some(s));
        }
        assert_eq!(request_id("ab12", 7), "swp-ab12-7");
    }
}
