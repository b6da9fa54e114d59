//! Bounds every text field of an audit entry before it is hashed and stored, so no caller can
//! make an entry long or binary: control characters (NUL, line breaks, ESC, ...) and
//! bidirectional overrides become U+FFFD, and a field longer than [`FIELD_LIMIT`] bytes is cut
//! on a character boundary and marked with how many bytes of the original were dropped
//! (`…[+12345 bytes]`). The result is never longer than [`FIELD_LIMIT`] bytes.
//!
//! Owns nothing else: what to record is `calls`' business, storing it `store`'s.

use super::AuditEntry;
use std::borrow::Cow;

/// Most bytes a stored text field takes, marker included.
pub const FIELD_LIMIT: usize = 256;

/// Room kept for the marker: "…" (3 bytes) + "[+" + up to 20 digits + " bytes]".
const MARKER_ROOM: usize = 3 + 2 + 20 + 7;

/// What replaces a control character or a bidirectional override.
const REPLACEMENT: char = '\u{FFFD}';

/// Bounds every text field of `entry` in place.
pub fn bound_entry(entry: &mut AuditEntry) {
    for field in [
        &mut entry.actor,
        &mut entry.court,
        &mut entry.role,
        &mut entry.method,
        &mut entry.case_number,
        &mut entry.debtor_ref,
        &mut entry.decision,
        &mut entry.outcome,
        &mut entry.detail,
    ] {
        if let Cow::Owned(bounded) = bound_text(field) {
            *field = bounded;
        }
    }
}

/// `text` with control characters replaced and cut to at most [`FIELD_LIMIT`] bytes; borrowed
/// when it needed neither.
pub fn bound_text(text: &str) -> Cow<'_, str> {
    if text.len() <= FIELD_LIMIT && !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let shown_len: usize = text.chars().map(|c| shown(c).len_utf8()).sum();
    let budget = if shown_len <= FIELD_LIMIT {
        FIELD_LIMIT
    } else {
        FIELD_LIMIT - MARKER_ROOM
    };
    let mut out = String::with_capacity(FIELD_LIMIT);
    let mut consumed = 0;
    for c in text.chars() {
        let c_shown = shown(c);
        if out.len() + c_shown.len_utf8() > budget {
            break;
        }
        out.push(c_shown);
        consumed += c.len_utf8();
    }
    if consumed < text.len() {
        out.push_str(&format!("…[+{} bytes]", text.len() - consumed));
    }
    Cow::Owned(out)
}

/// `c` as stored.
fn shown(c: char) -> char {
    if unsafe_char(c) {
        REPLACEMENT
    } else {
        c
    }
}

/// Characters that must not reach a terminal or a log line as they are.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_clean_text_is_kept_as_it_is() {
        assert!(matches!(
            bound_text("(2024)鄂0116执1234号"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(bound_text(""), Cow::Borrowed(_)));
        let exact = "a".repeat(FIELD_LIMIT);
        assert_eq!(bound_text(&exact), exact.as_str());
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(
            bound_text("a\0b\nc\r\x1b[31md\t"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}\u{FFFD}[31md\u{FFFD}"
        );
        assert_eq!(bound_text("x\u{202E}y\u{2066}z"), "x\u{FFFD}y\u{FFFD}z");
        assert_eq!(bound_text("\u{7f}"), "\u{FFFD}");
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary_and_marked() {
        let long = "执".repeat(10_000); // 30,000 bytes
        let bounded = bound_text(&long);
        assert!(bounded.len() <= FIELD_LIMIT, "{}", bounded.len());
        let (kept, marker) = bounded.split_once('…').expect("marked");
        assert!(kept.chars().all(|c| c == '执'));
        assert_eq!(marker, format!("[+{} bytes]", long.len() - kept.len()));

        let ascii = "x".repeat(1_000_000);
        let bounded = bound_text(&ascii);
        assert!(bounded.len() <= FIELD_LIMIT);
        assert!(bounded.ends_with(&format!(
            "…[+{} bytes]",
            1_000_000 - (FIELD_LIMIT - MARKER_ROOM)
        )));
    }

    #[test]
    fn a_short_text_that_grows_by_replacement_still_fits() {
        // 255 NULs become 255 three-byte replacement characters: cut and marked.
        let nuls = "\0".repeat(255);
        let bounded = bound_text(&nuls);
        assert!(bounded.len() <= FIELD_LIMIT, "{}", bounded.len());
        assert!(bounded.starts_with('\u{FFFD}') && bounded.contains("…[+"));
        assert!(!bounded.contains('\0'));
    }

    #[test]
    fn every_field_of_an_entry_is_bounded() {
        let huge = format!("{}\u{1b}", "y".repeat(100_000));
        let mut entry = AuditEntry {
            at_ms: 7,
            actor: huge.clone(),
            court: huge.clone(),
            role: huge.clone(),
            method: huge.clone(),
            case_number: huge.clone(),
            debtor_ref: huge.clone(),
            decision: huge.clone(),
            outcome: huge.clone(),
            detail: huge,
        };
        bound_entry(&mut entry);
        for field in [
            &entry.actor,
            &entry.court,
            &entry.role,
            &entry.method,
            &entry.case_number,
            &entry.debtor_ref,
            &entry.decision,
            &entry.outcome,
            &entry.detail,
        ] {
            assert!(
                field.len() <= FIELD_LIMIT && field.contains("…[+"),
                "{field}"
            );
            assert!(!field.chars().any(|c| c.is_control()));
        }
        assert_eq!(entry.at_ms, 7);
    }
}
