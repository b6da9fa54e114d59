//! How `hubctl audit list` shows entries: a table whose columns have bounded widths (a long
//! cell is cut and marked, so it cannot pad every other line), with the decision and detail
//! last and unpadded; or, with `--json`, an array of the entries as the hub sent them.

use assethub_proto::v1::AuditRecord;
use serde::Serialize;

use crate::order_render::utc_time;
use crate::render::{display_width, plural, sanitize, Align, Table};

/// Hex characters of an entry hash shown in the table.
const SHORT_HASH: usize = 12;

/// One entry of `audit list --json`.
#[derive(Debug, Serialize)]
pub struct RecordJson<'a> {
    pub seq: u64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub court: &'a str,
    pub role: &'a str,
    pub method: &'a str,
    pub case_number: &'a str,
    pub debtor_ref: &'a str,
    pub decision: &'a str,
    pub outcome: &'a str,
    pub detail: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

pub fn record_json(r: &AuditRecord) -> RecordJson<'_> {
    RecordJson {
        seq: r.seq,
        at_ms: r.at_ms,
        actor: &r.actor,
        court: &r.court,
        role: &r.role,
        method: &r.method,
        case_number: &r.case_number,
        debtor_ref: &r.debtor_ref,
        decision: &r.decision,
        outcome: &r.outcome,
        detail: &r.detail,
        prev_hash: &r.prev_hash,
        hash: &r.hash,
    }
}

/// `text` made terminal-safe and cut to `columns` terminal columns (marked with "…"), or "-"
/// when empty: a long cell cannot widen its column for every line.
fn fit(text: &str, columns: usize) -> String {
    if text.is_empty() {
        return "-".to_string();
    }
    let text = sanitize(text);
    if display_width(&text) <= columns {
        return text;
    }
    let mut out = String::new();
    for c in text.chars() {
        if display_width(&out) + display_width(c.encode_utf8(&mut [0; 4])) + 1 > columns {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Columns of bounded width (cells longer are cut), then the decision and detail as free text,
/// last and unpadded.
pub fn table(entries: &[AuditRecord]) -> String {
    if entries.is_empty() {
        return "no audit entries\n".to_string();
    }
    let mut table = Table::new(&[
        ("SEQ", Align::Right),
        ("TIME", Align::Left),
        ("ACTOR", Align::Left),
        ("COURT", Align::Left),
        ("ROLE", Align::Left),
        ("METHOD", Align::Left),
        ("CASE", Align::Left),
        ("DEBTOR", Align::Left),
        ("OUTCOME", Align::Left),
        ("HASH", Align::Left),
        ("DECISION / DETAIL", Align::Left),
    ]);
    for e in entries {
        let mut free = sanitize(&e.decision);
        if !e.detail.is_empty() {
            free.push_str(" / ");
            free.push_str(&sanitize(&e.detail));
        }
        table.push(vec![
            e.seq.to_string(),
            utc_time(e.at_ms),
            fit(&e.actor, 24),
            fit(&e.court, 8),
            fit(&e.role, 11),
            fit(&e.method, 32),
            fit(&e.case_number, 26),
            fit(&e.debtor_ref, 32),
            fit(&e.outcome, 24),
            e.hash.chars().take(SHORT_HASH).collect(),
            free,
        ]);
    }
    let mut out = table.lines().join("\n");
    out.push('\n');
    out.push_str(&plural(entries.len(), "entry", "entries"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn record(seq: u64) -> AuditRecord {
        AuditRecord {
            seq,
            at_ms: 1_714_521_600_000,
            actor: "李四".into(),
            court: "鄂0116".into(),
            role: "judge".into(),
            method: "/assethub.v1.Orders/PlaceHold".into(),
            case_number: "(2024)鄂0116执1234号".into(),
            debtor_ref: "0123456789abcdef0123456789abcdef".into(),
            decision: "allowed".into(),
            outcome: "ord-1".into(),
            detail: String::new(),
            prev_hash: "0".repeat(64),
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn list_output() {
        assert_eq!(table(&[]), "no audit entries\n");
        let text = table(&[record(1), record(2)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("SEQ"));
        assert!(lines[1].contains("2024-05-01T00:00:00Z") && lines[1].contains("abababababab"));
        assert!(lines[1].ends_with("allowed"));
        assert_eq!(lines[3], "2 entries");
        let records = [record(7)];
        let list: Vec<RecordJson<'_>> = records.iter().map(record_json).collect();
        let line = json::to_line(&list);
        assert!(line.starts_with(r#"[{"seq":7,"at_ms":1714521600000,"actor":"李四""#));
    }

    #[test]
    fn a_huge_cell_does_not_pad_every_line() {
        let mut huge = record(2);
        huge.method = "M".repeat(5_000);
        huge.actor = "王".repeat(3_000);
        huge.outcome = "o\x1b[2J".repeat(1_000);
        huge.detail = "d".repeat(10_000);
        let text = table(&[record(1), huge, record(3)]);
        let lines: Vec<&str> = text.lines().collect();
        let short = display_width(lines[1]);
        assert!(short < 220, "{short}: {}", lines[1]);
        assert_eq!(
            display_width(lines[3]),
            short,
            "other rows keep their width"
        );
        assert!(display_width(lines[0]) <= short + 20, "{}", lines[0]);
        // The long free text is last, whole, and pads nothing.
        assert!(lines[2].ends_with(&"d".repeat(10_000)));
        assert!(lines[2].contains("MMM…") && lines[2].contains("王…"));
        assert!(!text.contains('\x1b'));
    }
}
