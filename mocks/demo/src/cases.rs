//! The walkthroughs' cases (`assethub_mocks::demo_cases`), registered in the hub's case book
//! as the courts' case systems would, so the README's searches and control commands work
//! against a fresh demo.

use assethub_core::domain::{CaseNumber, DebtorId};
use assethub_hub::auth::normalize_name;
use assethub_hub::cases::model::{CaseDebtor, NewCase};
use assethub_hub::cases::{CaseBook, CaseError};
use assethub_mocks::demo_cases::demo_cases;

/// Registers the walkthroughs' cases (as the courts' case systems would), so the README's
/// searches and control commands work against a fresh demo.
pub async fn register(book: &CaseBook) -> Result<(), Box<dyn std::error::Error>> {
    for demo in demo_cases() {
        let mut debtors = Vec::new();
        for (id, name) in &demo.debtors {
            debtors.push(CaseDebtor {
                id: DebtorId::parse(id)?.as_str().to_string(),
                name: normalize_name(name),
            });
        }
        debtors.sort();
        let new = NewCase {
            case: CaseNumber::parse(&demo.case_number)?,
            debtors,
            claim_fen: demo.claim_fen,
            account: demo.account.clone(),
        };
        match book.store().register(&new, "assethub-demo").await {
            Ok(_) => {}
            // Registered by an earlier demo run with other figures: leave it as it is.
            Err(CaseError::Differs(..)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    println!(
        "demo cases registered: {}",
        demo_cases()
            .iter()
            .map(|c| c.case_number.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
