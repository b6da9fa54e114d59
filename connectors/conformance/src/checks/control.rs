//! Control checks: the status of a key the agency never saw, an idempotent resend, queue
//! promotion when the hold ahead is lifted at the counter, and expiry when the agency's
//! calendar moves. Each check leaves the asset as it found it where the connector can release.

use crate::admin::AdminError;
use crate::kit::{unsupported, HoldWith, Kit};
use crate::outcome::Outcome;
use assethub_connectors::{Capability, ControlAnswer, HoldStatus};
use std::time::Duration;

/// What a control check needs: a way to hold and an asset to hold.
fn ready(kit: &Kit) -> Result<(HoldWith, String), Outcome> {
    let Some(with) = kit.hold_with() else {
        return Err(Outcome::Skip(
            "the connector declares no freeze, seal or watch".into(),
        ));
    };
    match &kit.asset {
        Some(asset) => Ok((with, asset.clone())),
        None => Err(Outcome::Skip(
            "no asset to hold (the known debtor's query found none; set control.asset)".into(),
        )),
    }
}

fn describe(answer: &ControlAnswer) -> String {
    let position = match answer.status {
        HoldStatus::Queued { position } => format!(" (position {position})"),
        _ => String::new(),
    };
    format!("{} {}{position}", answer.hold, answer.status.as_str())
}

pub async fn unknown_key(kit: &mut Kit) -> Outcome {
    let declares = [Capability::Freeze, Capability::Seal, Capability::Watch]
        .iter()
        .any(|c| kit.supports(*c));
    if !declares {
        return Outcome::Skip("the connector declares no control action".into());
    }
    let key = kit.key("never-sent");
    let case = kit.fixture.case.clone();
    match kit.status("unknown-key", &case, &key).await {
        Ok(None) => Outcome::Pass("None".into()),
        Ok(Some(answer)) => Outcome::Fail(format!(
            "expected None for a key never sent, got {}",
            describe(&answer)
        )),
        Err(e) if unsupported(&e) => Outcome::Fail(format!(
            "the connector declares control but not control_status: {e}"
        )),
        Err(e) => Outcome::Fail(format!("expected None, control_status failed: {e}")),
    }
}

pub async fn idempotent_resend(kit: &mut Kit) -> Outcome {
    let (with, asset) = match ready(kit) {
        Ok(ready) => ready,
        Err(skip) => return skip,
    };
    let case = kit.fixture.case.clone();
    let debtor = kit.fixture.known.clone();
    let action = kit.hold_action(with, kit.fixture.days, kit.fixture_size(with));
    let ins = kit.instruction("resend", &case, &debtor, &asset, action);
    let first = match kit.place("idempotent-resend", &ins).await {
        Ok(answer) => answer,
        Err(why) => return Outcome::Fail(why),
    };
    // The hub's resend after a lost answer: the very same instruction, same key.
    let again = match kit.send("idempotent-resend", &ins).await {
        Ok(answer) => answer,
        Err(e) => return Outcome::Fail(format!("the resend with the same key failed: {e}")),
    };
    let mut problems = Vec::new();
    if again.hold != first.hold {
        problems.push(format!(
            "the resend answered hold {}, the first send {}",
            again.hold, first.hold
        ));
    }
    match kit.admin.holds().await {
        Ok(register) => {
            let placed = register
                .holds
                .iter()
                .filter(|h| h.placed_by == ins.key)
                .count();
            let keyed = register.keyed.iter().filter(|k| k.key == ins.key).count();
            if placed != 1 || keyed != 1 {
                problems.push(format!(
                    "the register shows {placed} hold(s) placed and {keyed} entr(ies) under the key, expected 1 and 1"
                ));
            }
            if let Some(at) = register.keyed(&ins.key) {
                kit.agency_asset = Some(at.asset.clone());
                let on_asset = register
                    .live_on(&at.asset)
                    .filter(|h| h.case == case.as_str())
                    .count();
                if on_asset > 1 {
                    problems.push(format!(
                        "the register shows {on_asset} live holds of the case on the asset"
                    ));
                }
            }
        }
        Err(AdminError::Missing(_)) => {}
        Err(e) => problems.push(format!("could not read the register: {e}")),
    }
    kit.release("idempotent-resend", &case, &asset, &first.hold)
        .await;
    if problems.is_empty() {
        Outcome::Pass(format!(
            "one hold ({}) for the key, sent twice",
            describe(&first)
        ))
    } else {
        Outcome::Fail(problems.join("; "))
    }
}

pub async fn queue_promotion(kit: &mut Kit) -> Outcome {
    let (with, asset) = match ready(kit) {
        Ok(ready) => ready,
        Err(skip) => return skip,
    };
    if with == HoldWith::Watch {
        return Outcome::Skip("watches never queue".into());
    }
    let asset = kit.fixture.queue_asset.clone().unwrap_or(asset);
    // The register names the asset by the agency's own id.
    let agency_asset = match &kit.fixture.queue_asset {
        Some(queue) => queue.clone(),
        None => kit.agency_asset.clone().unwrap_or_else(|| asset.clone()),
    };
    let register = match kit.admin.holds().await {
        Ok(register) => register,
        Err(AdminError::Missing(what)) => {
            return Outcome::Skip(format!("the agency does not serve {what}"))
        }
        Err(e) => return Outcome::Fail(format!("could not read the register: {e}")),
    };
    let ours = kit.fixture.case.clone();
    let debtor = kit.fixture.known.clone();
    // The hold ahead: another court's, in force; the kit places one when there is none.
    let existing = register
        .live_on(&agency_asset)
        .find(|h| h.status == "effective" && h.court != ours.court())
        .map(|h| h.id.clone());
    let ahead = match existing {
        Some(id) => id,
        None => {
            let other = kit.fixture.other_court_case.clone();
            // Ask for more than the asset holds, so nothing is left for the kit's own hold.
            let size = kit
                .asset_size
                .map(|s| s.saturating_mul(2))
                .unwrap_or(0)
                .max(kit.fixture_size(with))
                .max(1_000_000_000_000);
            let action = kit.hold_action(with, kit.fixture.days, size);
            let ins = kit.instruction("ahead", &other, &debtor, &asset, action);
            match kit.place("queue-promotion", &ins).await {
                Ok(a) if a.status == HoldStatus::Effective => a.hold,
                Ok(a) => {
                    return Outcome::Fail(format!(
                        "the other court's hold on an asset nobody holds in the register is {} (expected effective; name another control.queue_asset if the agency holds it outside its register)",
                        describe(&a)
                    ))
                }
                Err(why) => return Outcome::Fail(format!("the other court's hold: {why}")),
            }
        }
    };
    let action = kit.hold_action(with, kit.fixture.days, kit.fixture_size(with));
    let ins = kit.instruction("queued", &ours, &debtor, &asset, action);
    let queued = match kit.place("queue-promotion", &ins).await {
        Ok(a) => a,
        Err(why) => return Outcome::Fail(why),
    };
    if !matches!(queued.status, HoldStatus::Queued { position } if position >= 1) {
        return Outcome::Fail(format!(
            "behind hold {ahead} of another court the kit's hold is {}, expected queued (position ≥ 1)",
            describe(&queued)
        ));
    }
    if let Err(e) = kit.admin.lift(&ahead).await {
        return Outcome::Fail(format!("could not lift {ahead} at the counter: {e}"));
    }
    // The agency promotes on its own schedule: give it a little time.
    let mut last = None;
    for _ in 0..50 {
        match kit.status("queue-promotion", &ours, &ins.key).await {
            Ok(Some(a)) if a.status == HoldStatus::Effective => {
                kit.release("queue-promotion", &ours, &asset, &a.hold).await;
                return Outcome::Pass(format!(
                    "{} then, {ahead} lifted, {}",
                    describe(&queued),
                    describe(&a)
                ));
            }
            Ok(answer) => last = answer,
            Err(e) => return Outcome::Fail(format!("control_status failed: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Outcome::Fail(format!(
        "{ahead} lifted, the kit's hold stays {}",
        last.map_or("unknown to the agency".into(), |a| describe(&a))
    ))
}

pub async fn expiry(kit: &mut Kit) -> Outcome {
    let (with, asset) = match ready(kit) {
        Ok(ready) => ready,
        Err(skip) => return skip,
    };
    // Can the agency's calendar move at all? Ask before placing anything.
    match kit.admin.set_clock_offset_days(0).await {
        Ok(()) => {}
        Err(AdminError::Missing(what)) => {
            return Outcome::Skip(format!(
                "the agency's clock cannot be moved ({what} missing)"
            ))
        }
        Err(e) => return Outcome::Fail(format!("could not set the agency's clock: {e}")),
    }
    let case = kit.fixture.case.clone();
    let debtor = kit.fixture.known.clone();
    let action = kit.hold_action(with, 1, kit.fixture_size(with));
    let ins = kit.instruction("expiry", &case, &debtor, &asset, action);
    let placed = match kit.place("expiry", &ins).await {
        Ok(a) => a,
        Err(why) => return Outcome::Fail(why),
    };
    if placed.status != HoldStatus::Effective {
        kit.release("expiry", &case, &asset, &placed.hold).await;
        return Outcome::Fail(format!(
            "a hold ending tomorrow is {}, expected effective",
            describe(&placed)
        ));
    }
    if let Err(e) = kit.admin.set_clock_offset_days(3).await {
        return Outcome::Fail(format!("could not move the agency's clock: {e}"));
    }
    let later = kit.status("expiry", &case, &ins.key).await;
    let restored = kit.admin.set_clock_offset_days(0).await;
    let outcome = match later {
        Ok(Some(a)) if a.status == HoldStatus::Expired => Outcome::Pass(format!(
            "a hold ending tomorrow is {} three days later",
            describe(&a)
        )),
        Ok(Some(a)) => Outcome::Fail(format!(
            "three days after its end the hold is {}, expected expired",
            describe(&a)
        )),
        Ok(None) => Outcome::Fail("the agency forgot the key once the hold ended".into()),
        Err(e) => Outcome::Fail(format!("control_status failed: {e}")),
    };
    match restored {
        Ok(()) => outcome,
        Err(e) => Outcome::Fail(format!("could not move the agency's clock back: {e}")),
    }
}
