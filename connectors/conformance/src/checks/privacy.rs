//! No personal data in errors: every error and message the connector gave back during the run
//! (and the refusal of an instruction naming someone who does not own the asset) must not
//! contain an identity number or a name from the fixture. Findings are reported masked, so the
//! kit's own report carries none either.

use crate::kit::Kit;
use crate::outcome::Outcome;
use assethub_connectors::domain::{mask_id, mask_name};
use assethub_connectors::HoldStatus;

pub async fn no_personal_data(kit: &mut Kit) -> Outcome {
    let probe = refused_instruction(kit).await;
    let words = kit.fixture.personal_data();
    let ids = [
        kit.fixture.known.id.as_str().to_string(),
        kit.fixture.unknown.id.as_str().to_string(),
    ];
    let mut leaks = Vec::new();
    for said in &kit.said {
        for word in &words {
            if said.text.contains(word.as_str()) {
                let shown = if ids.contains(word) {
                    mask_id(word)
                } else {
                    mask_name(word)
                };
                let leak = format!("{} in a message during {}", shown, said.during);
                if !leaks.contains(&leak) {
                    leaks.push(leak);
                }
            }
        }
    }
    if !leaks.is_empty() {
        return Outcome::Fail(leaks.join("\n"));
    }
    Outcome::Pass(format!(
        "{} message(s) read, none names the fixture's debtors{probe}",
        kit.said.len()
    ))
}

/// Sends an instruction about the kit's asset naming the unknown debtor, whose asset it is
/// not, so the agency's refusal joins the messages read. Says what happened, for the report.
async fn refused_instruction(kit: &mut Kit) -> String {
    let (Some(with), Some(asset)) = (kit.hold_with(), kit.asset.clone()) else {
        return String::new();
    };
    let case = kit.fixture.case.clone();
    let stranger = kit.fixture.unknown.clone();
    let action = kit.hold_action(with, kit.fixture.days, kit.fixture_size(with));
    let ins = kit.instruction("stranger", &case, &stranger, &asset, action);
    match kit.send("a refused instruction", &ins).await {
        Err(e) => format!(
            " (including the refusal of a stranger's hold: {})",
            e.class.as_str()
        ),
        Ok(answer) if answer.status == HoldStatus::Rejected => {
            " (including the refusal of a stranger's hold)".into()
        }
        Ok(answer) => {
            let hold = answer.hold.clone();
            kit.release("a refused instruction", &case, &asset, &hold)
                .await;
            format!(
                " (note: the agency took a hold naming someone who does not own the asset: {})",
                answer.status.as_str()
            )
        }
    }
}
