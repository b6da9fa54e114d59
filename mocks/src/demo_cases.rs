//! The enforcement cases the demo registers and its walkthroughs use, and one case per ordinary
//! debtor of the synthetic population for the daily sweep (`mock-agencies --export-debtors`
//! writes them as an intake file `hubctl case import` registers and `hubctl batch` searches).
//! Data only: the hub registers them through its own case register.

use crate::population::{
    DebtorRecord, DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};

/// One case: number, debtors (identity number, name), claim in fen of yuan, receiving account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCase {
    pub case_number: String,
    pub debtors: Vec<(String, String)>,
    pub claim_fen: i64,
    pub account: String,
}

fn case(number: &str, debtors: &[(&str, &str)], claim_yuan: i64, account: &str) -> DemoCase {
    DemoCase {
        case_number: number.into(),
        debtors: debtors
            .iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect(),
        claim_fen: claim_yuan * 100,
        account: account.into(),
    }
}

/// The walkthroughs' cases (README): 张伟 and 福建某某贸易有限公司 at 鄂0116, 张伟 at 鄂01.
pub fn demo_cases() -> Vec<DemoCase> {
    let person = (DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let company = (DEMO_COMPANY_ID, DEMO_COMPANY_NAME);
    vec![
        case(
            "(2024)鄂0116执1234号",
            &[person, company],
            5_000_000,
            "HB0116-ZX-2024-1234",
        ),
        case(
            "(2024)鄂0116执1235号",
            &[person],
            4_600_000,
            "HB0116-ZX-2024-1235",
        ),
        case(
            "(2025)鄂01执88号",
            &[person],
            1_000_000,
            "HB01-ZX-2025-0088",
        ),
    ]
}

/// The case a sweep of the population files `debtor` under: the demo debtors' walkthrough case,
/// one case of 鄂0116 of its own for everyone else (claim scaled by position, never zero).
pub fn sweep_case(debtor: &DebtorRecord) -> DemoCase {
    if debtor.demo {
        return demo_cases().remove(0);
    }
    let sequence = 10_000 + debtor.index;
    DemoCase {
        case_number: format!("(2026)鄂0116执{sequence}号"),
        debtors: vec![(debtor.id_number.clone(), debtor.name.clone())],
        claim_fen: 1_000_000 * (1 + (debtor.index as i64 % 50)),
        account: format!("HB0116-ZX-2026-{sequence}"),
    }
}

/// The intake CSV of the first `count` debtors: `case_number,id_number,name,claim_yuan,account`,
/// which both `hubctl case import` and `hubctl batch` read.
pub fn intake_csv<'a>(debtors: impl Iterator<Item = &'a DebtorRecord>) -> String {
    let mut out = String::from("case_number,id_number,name,claim_yuan,account\n");
    for debtor in debtors {
        let case = sweep_case(debtor);
        let claim = format!("{}.{:02}", case.claim_fen / 100, case.claim_fen % 100);
        out.push_str(&format!(
            "{},{},{},{claim},{}\n",
            case.case_number,
            debtor.id_number,
            csv_field(&debtor.name),
            case.account
        ));
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::Population;

    #[test]
    fn the_demo_debtors_share_the_walkthrough_case_and_others_have_their_own() {
        let population = Population::generate(7, 5);
        let csv = intake_csv(population.debtors().iter());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "case_number,id_number,name,claim_yuan,account");
        assert!(lines[1].starts_with("(2024)鄂0116执1234号,11010519491231002X,张伟,5000000.00,"));
        assert!(lines[2].starts_with("(2024)鄂0116执1234号,91350100M000100Y43,"));
        assert!(lines[3].starts_with("(2026)鄂0116执10002号,"));
        assert_eq!(lines.len(), 6);
        let walkthrough = &demo_cases()[0];
        assert_eq!(sweep_case(&population.debtors()[0]), *walkthrough);
    }
}
