//! The kit's invariant checker: what the kit sent (and what the connector answered) against
//! the agency's hold register (`GET /__admin/holds`, [`crate::register`]). The tests crate
//! checks the hub's ledger against the same export format; this one needs no ledger, only the
//! kit's record of its own instructions:
//!
//! - every instruction the connector reported as taken is in the register under its key, once,
//!   on the hold the connector named (`place` for freezes, seals and watches; `change` for
//!   releases), with the status the connector reports for the key now;
//! - a freeze's money (or units, where the register states them) held matches the
//!   connector's answer;
//! - an instruction the connector reported as refused left nothing live under its key;
//! - no hold appeared during the run that the kit did not place: none without a key, none
//!   under a key the kit never sent (a connector inventing or rewriting keys), and no key
//!   placed two holds.

use crate::admin::AdminError;
use crate::kit::Kit;
use crate::outcome::Outcome;
use crate::register::{is_live, RegisterExport};
use assethub_connectors::{ControlAction, ControlAnswer, HoldStatus};
use std::collections::HashSet;

/// What the kit knows of one instruction when it checks: its key, what it did, the answer it
/// got when sent, and the connector's status of the key now.
#[derive(Debug, Clone)]
pub struct Expected {
    pub key: String,
    pub places: bool,
    /// The hold a release names (changes only).
    pub target: String,
    /// The connector's answer to the send (`Err`: the class and message).
    pub answer: Result<ControlAnswer, String>,
    /// The connector's `control_status` of the key at check time.
    pub now: Option<ControlAnswer>,
}

/// Every disagreement between `expected` and `after`; `before` is the register when the run
/// started (holds already there are none of the kit's business).
pub fn mismatches(
    expected: &[Expected],
    before: &RegisterExport,
    after: &RegisterExport,
) -> Vec<String> {
    let mut found = Vec::new();
    for e in expected {
        check_one(e, after, &mut found);
    }
    let sent: HashSet<&str> = expected.iter().map(|e| e.key.as_str()).collect();
    let old: HashSet<&str> = before.holds.iter().map(|h| h.id.as_str()).collect();
    for hold in after.holds.iter().filter(|h| !old.contains(h.id.as_str())) {
        if hold.placed_by.is_empty() {
            found.push(format!("hold {} appeared without any key", hold.id));
        } else if !sent.contains(hold.placed_by.as_str()) {
            found.push(format!(
                "hold {} ({}) was placed under key {} that the kit never sent",
                hold.id, hold.status, hold.placed_by
            ));
        }
    }
    for key in &sent {
        let placed = after.holds.iter().filter(|h| h.placed_by == *key).count();
        if placed > 1 {
            found.push(format!("key {key} placed {placed} holds"));
        }
    }
    found
}

fn check_one(e: &Expected, after: &RegisterExport, found: &mut Vec<String>) {
    let at = after.keyed(&e.key);
    let answer = match &e.answer {
        Ok(answer) => answer,
        Err(why) => {
            if let Some(k) = at.filter(|k| is_live(&k.status)) {
                found.push(format!(
                    "the connector reported {} as failed ({why}) but the agency holds {} {} under it",
                    e.key, k.hold, k.status
                ));
            }
            return;
        }
    };
    if answer.status == HoldStatus::Rejected {
        if let Some(k) = at.filter(|k| is_live(&k.status)) {
            found.push(format!(
                "the connector reported {} as rejected but the agency holds {} {} under it",
                e.key, k.hold, k.status
            ));
        }
        return;
    }
    let Some(k) = at else {
        found.push(format!(
            "the connector reported {} as {} ({}) but the agency has no instruction under that key",
            e.key,
            answer.status.as_str(),
            answer.hold
        ));
        return;
    };
    let want = if e.places { "place" } else { "change" };
    if k.instruction != want {
        found.push(format!(
            "key {} is a {} instruction at the agency, expected {want}",
            e.key, k.instruction
        ));
    }
    let hold = if e.places { &answer.hold } else { &e.target };
    if &k.hold != hold {
        found.push(format!(
            "key {}: the connector names hold {hold}, the agency's is {}",
            e.key, k.hold
        ));
    }
    if let Some(now) = &e.now {
        if now.status.as_str() != k.status {
            found.push(format!(
                "key {}: the connector says {} now, the register {}",
                e.key,
                now.status.as_str(),
                k.status
            ));
        } else if e.places && now.held.0 != 0 && now.held.0 != k.held_fen {
            found.push(format!(
                "key {}: the connector says {} fen held, the register {}",
                e.key, now.held.0, k.held_fen
            ));
        } else if e.places && now.held_quantity != 0 && now.held_quantity != k.held_quantity {
            found.push(format!(
                "key {}: the connector says {} units held, the register {}",
                e.key, now.held_quantity, k.held_quantity
            ));
        }
    }
}

/// The check as the suite runs it: asks the connector for every key's status now, reads the
/// register and compares.
pub async fn check_register(kit: &mut Kit) -> Outcome {
    let Some(before) = kit.before.clone() else {
        return Outcome::Skip("the agency serves no hold register (/__admin/holds)".into());
    };
    if kit.sent.is_empty() {
        return Outcome::Skip("the kit sent no instruction".into());
    }
    let mut expected = Vec::new();
    for sent in kit.sent.clone() {
        let ins = &sent.instruction;
        if expected.iter().any(|e: &Expected| e.key == ins.key) {
            continue; // a resend: the same key, checked once
        }
        let now = match kit.status("register-invariants", &ins.case, &ins.key).await {
            Ok(now) => now,
            Err(e) => return Outcome::Fail(format!("control_status of {} failed: {e}", ins.key)),
        };
        let target = match &ins.action {
            ControlAction::Release { hold }
            | ControlAction::Renew { hold, .. }
            | ControlAction::Deduct { hold, .. } => hold.clone(),
            _ => String::new(),
        };
        expected.push(Expected {
            key: ins.key.clone(),
            places: sent.places(),
            target,
            answer: sent.answer.clone().map_err(|e| e.to_string()),
            now,
        });
    }
    let after = match kit.admin.holds().await {
        Ok(after) => after,
        Err(AdminError::Missing(what)) => {
            return Outcome::Skip(format!("the agency does not serve {what}"))
        }
        Err(e) => return Outcome::Fail(format!("could not read the register: {e}")),
    };
    let found = mismatches(&expected, &before, &after);
    if found.is_empty() {
        Outcome::Pass(format!(
            "{} instruction(s) sent, {} hold(s) in the register, all accounted for",
            expected.len(),
            after.holds.len()
        ))
    } else {
        Outcome::Fail(found.join("\n"))
    }
}
