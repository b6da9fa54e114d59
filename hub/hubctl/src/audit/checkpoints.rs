//! The checkpoint half of `hubctl audit`: reading kept checkpoints from JSON-lines files
//! (`verify --checkpoint FILE`), printing a checkpoint (`checkpoint`: text, or the JSON line
//! to keep, in the shape of the hub's checkpoint file), and printing each checkpoint's verdict.

use std::path::PathBuf;

use assethub_client::checkpoint::{Checkpoint, MAX_CHECKPOINTS};
use assethub_proto::v1::{
    CheckpointAuditResponse, CheckpointReport, CheckpointVerdict, VerifyAuditResponse,
};
use serde::Serialize;

use crate::error::CliError;
use crate::order_render::utc_time;
use crate::render::{plural, sanitize};

/// A kept checkpoint and where it was read ("mine.jsonl:3").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub label: String,
    pub checkpoint: Checkpoint,
}

/// Every checkpoint of `paths`, in order (blank lines skipped). A line that is not a
/// checkpoint, or a file without any, is bad input.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<Kept>, CliError> {
    let mut kept = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Input(format!("cannot read {name}: {e}")))?;
        let before = kept.len();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let label = format!("{name}:{}", n + 1);
            let checkpoint = Checkpoint::from_json_line(line)
                .map_err(|e| CliError::Input(format!("{label}: not a checkpoint: {e}")))?;
            kept.push(Kept { label, checkpoint });
        }
        if kept.len() == before {
            return Err(CliError::Input(format!("{name} holds no checkpoint")));
        }
    }
    if kept.len() > MAX_CHECKPOINTS {
        return Err(CliError::Input(format!(
            "{} checkpoints: the hub checks at most {MAX_CHECKPOINTS} per call; pass fewer files",
            kept.len()
        )));
    }
    Ok(kept)
}

/// `audit checkpoint --json`: the checkpoint's JSON line, as the hub's file keeps it.
pub fn json_line(response: &CheckpointAuditResponse) -> Result<String, CliError> {
    let checkpoint = response
        .checkpoint
        .clone()
        .ok_or_else(|| CliError::Incomplete("the hub answered without a checkpoint".into()))?;
    Ok(Checkpoint::from(checkpoint).to_json_line())
}

/// `audit checkpoint`: the checkpoint for people.
pub fn text(response: &CheckpointAuditResponse) -> String {
    let Some(c) = &response.checkpoint else {
        return "the hub answered without a checkpoint\n".to_string();
    };
    let when = if response.signed_now {
        "signed now"
    } else {
        "the newest"
    };
    format!(
        "checkpoint:  {} ({when}), signed {}\n\
         head hash:   {}\n\
         key:         {}\n\
         public key:  {}\n\
         signature:   {}\n\
         keep it:     hubctl --json audit checkpoint >> checkpoints.jsonl\n",
        plural(c.entries as usize, "entry", "entries"),
        utc_time(c.at_ms),
        sanitize(&c.head_hash),
        sanitize(&c.key_id),
        sanitize(&response.public_key),
        sanitize(&c.signature),
    )
}

pub fn is_ok(report: &CheckpointReport) -> bool {
    report.verdict == CheckpointVerdict::Ok as i32
}

fn verdict_name(report: &CheckpointReport) -> &'static str {
    match CheckpointVerdict::try_from(report.verdict) {
        Ok(CheckpointVerdict::Ok) => "ok",
        Ok(CheckpointVerdict::BadSignature) => "bad_signature",
        Ok(CheckpointVerdict::Truncated) => "truncated",
        Ok(CheckpointVerdict::Rewritten) => "rewritten",
        _ => "unknown",
    }
}

/// Where a reported checkpoint came from: the label of the kept one sent at its place, or
/// the hub's file.
fn source<'a>(report: &CheckpointReport, index: usize, labels: &[&'a str]) -> &'a str {
    if report.from_hub_file {
        "hub file"
    } else {
        labels.get(index).copied().unwrap_or("request")
    }
}

/// One checkpoint's verdict in `audit verify --json`.
#[derive(Debug, Serialize)]
pub struct CheckpointReportJson<'a> {
    /// "ok", "bad_signature", "truncated" or "rewritten".
    pub verdict: &'static str,
    /// `null` when ok.
    pub reason: Option<&'a str>,
    /// "FILE:LINE" of a kept checkpoint, or "hub file".
    pub source: &'a str,
    /// The checkpoint, as its JSON line.
    pub checkpoint: Option<Checkpoint>,
}

pub fn reports_json<'a>(
    r: &'a VerifyAuditResponse,
    labels: &[&'a str],
) -> Vec<CheckpointReportJson<'a>> {
    r.checkpoints
        .iter()
        .enumerate()
        .map(|(i, c)| CheckpointReportJson {
            verdict: verdict_name(c),
            reason: (!is_ok(c)).then_some(c.reason.as_str()),
            source: source(c, i, labels),
            checkpoint: c.checkpoint.clone().map(Checkpoint::from),
        })
        .collect()
}

/// One line per checkpoint: verdict, entries, when signed, where from, and why not ok.
pub fn reports_text(r: &VerifyAuditResponse, labels: &[&str]) -> String {
    let mut text = String::new();
    for (i, c) in r.checkpoints.iter().enumerate() {
        let (entries, at) = c
            .checkpoint
            .as_ref()
            .map_or((0, 0), |c| (c.entries, c.at_ms));
        let verdict = if is_ok(c) {
            "ok".to_string()
        } else {
            verdict_name(c).to_uppercase().replace('_', " ")
        };
        text.push_str(&format!(
            "checkpoint {verdict}: {} signed {} ({})",
            plural(entries as usize, "entry", "entries"),
            utc_time(at),
            sanitize(source(c, i, labels)),
        ));
        if !is_ok(c) {
            text.push_str(&format!(": {}", sanitize(&c.reason)));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_client::checkpoint::CheckpointKey;
    use assethub_proto::v1 as pb;

    const HEAD: &str = "84cefd75bf1f608119a4d2b1d87278fa1941fffdb9191a15e32511ef47fd4209";

    fn signed(entries: u64) -> Checkpoint {
        CheckpointKey::from_seed(
            "audit-demo-1",
            "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=",
        )
        .unwrap()
        .sign(entries, HEAD, 1_714_521_600_000)
    }

    #[test]
    fn kept_checkpoints_are_read_line_by_line_with_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("mine.jsonl");
        let text = format!(
            "{}\n\n{}\n",
            signed(3).to_json_line(),
            signed(9).to_json_line()
        );
        std::fs::write(&mine, text).unwrap();
        let kept = read_files(std::slice::from_ref(&mine)).unwrap();
        let labels: Vec<String> = kept.iter().map(|k| k.label.clone()).collect();
        let name = mine.display();
        assert_eq!(labels, [format!("{name}:1"), format!("{name}:3")]);
        assert_eq!(kept[1].checkpoint, signed(9));

        let broken = dir.path().join("broken.jsonl");
        std::fs::write(
            &broken,
            format!("{}\n{{\"v\":1}}\n", signed(3).to_json_line()),
        )
        .unwrap();
        let CliError::Input(message) = read_files(&[broken]).unwrap_err() else {
            panic!("bad input expected")
        };
        assert!(
            message.contains("broken.jsonl:2: not a checkpoint"),
            "{message}"
        );
        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, "\n").unwrap();
        assert!(
            matches!(read_files(&[empty]), Err(CliError::Input(m)) if m.contains("no checkpoint"))
        );
        assert!(matches!(
            read_files(&[dir.path().join("none")]),
            Err(CliError::Input(_))
        ));
    }

    #[test]
    fn a_checkpoint_prints_as_its_json_line_or_for_people() {
        let response = CheckpointAuditResponse {
            checkpoint: Some(signed(12).into()),
            public_key: CheckpointKey::from_seed(
                "audit-demo-1",
                "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=",
            )
            .unwrap()
            .public_key(),
            signed_now: true,
        };
        let line = json_line(&response).unwrap();
        assert_eq!(line, signed(12).to_json_line());
        assert!(line.starts_with(r#"{"v":1,"key_id":"audit-demo-1","entries":12,"#));
        let text = text(&response);
        assert!(
            text.starts_with("checkpoint:  12 entries (signed now), signed 2024-05-01T00:00:00Z\n")
        );
        assert!(text.contains(&response.public_key));
    }

    #[test]
    fn verdicts_are_named_with_their_source() {
        let report =
            |entries, verdict: pb::CheckpointVerdict, reason: &str, own| pb::CheckpointReport {
                checkpoint: Some(signed(entries).into()),
                verdict: verdict as i32,
                reason: reason.into(),
                from_hub_file: own,
            };
        let response = VerifyAuditResponse {
            entries_checked: 12,
            intact: false,
            first_broken_seq: 0,
            reason: "checkpoint of 14 entries: truncated".into(),
            head_hash: HEAD.into(),
            checkpoints: vec![
                report(10, pb::CheckpointVerdict::Ok, "", false),
                report(
                    14,
                    pb::CheckpointVerdict::Truncated,
                    "the head records only 12",
                    false,
                ),
                report(
                    14,
                    pb::CheckpointVerdict::Truncated,
                    "the head records only 12",
                    true,
                ),
            ],
            warnings: Vec::new(),
        };
        let text = crate::audit::verify_text(&response, &["mine.jsonl:1", "mine.jsonl:2"]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "BROKEN: 2 of 3 checkpoints failed (the chain alone verifies: 12 entries)"
        );
        assert_eq!(
            lines[2],
            "checkpoint ok: 10 entries signed 2024-05-01T00:00:00Z (mine.jsonl:1)"
        );
        assert_eq!(
            lines[3],
            "checkpoint TRUNCATED: 14 entries signed 2024-05-01T00:00:00Z (mine.jsonl:2): the head records only 12"
        );
        assert!(lines[4].contains("(hub file)"));
        let line = crate::json::to_line(&crate::audit::verify_json(
            &response,
            &["mine.jsonl:1", "mine.jsonl:2"],
        ));
        assert!(line.contains(r#""first_broken_seq":null"#), "{line}");
        assert!(line.contains(r#"{"verdict":"truncated","reason":"the head records only 12","source":"mine.jsonl:2","checkpoint":{"v":1,"key_id":"audit-demo-1","entries":14,"#), "{line}");
        assert!(line.contains(r#""source":"hub file""#));
    }
}
