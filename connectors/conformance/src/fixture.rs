//! The fixture file (TOML): who the agency knows and does not know, what to freeze, the case
//! the kit acts in and another court's case (for queueing), and the key that signs the kit's
//! instructions. Parsed once into domain types; the kit's checks never read TOML.

use assethub_connectors::domain::{CaseNumber, Debtor, DebtorId, Fen};
use assethub_connectors::signature::InstructionSigner;
use serde::Deserialize;

/// The fixture as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    /// The case the kit's instructions are made in; its court holds the kit's holds.
    #[serde(default = "default_case")]
    pub case: String,
    /// A case of another court: the hold the kit's own queues behind.
    #[serde(default = "default_other_case")]
    pub other_court_case: String,
    #[serde(default = "default_officer")]
    pub officer: String,
    pub known: KnownDebtor,
    pub unknown: Person,
    #[serde(default)]
    pub control: ControlFixture,
    pub signing: Signing,
}

/// A debtor the agency knows, and a name it does not know them by.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDebtor {
    pub id: String,
    pub name: String,
    pub wrong_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    pub name: String,
}

/// What to hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlFixture {
    /// Agency-local asset id to freeze or seal; empty: the first suitable asset the known
    /// debtor's query returns.
    pub asset: String,
    /// Money to freeze (fen), for kinds that hold money.
    pub amount_fen: i64,
    /// Units to freeze, for kinds counted in units (shares).
    pub quantity: u64,
    /// Period of the kit's holds, in days from today.
    pub days: i64,
    /// Asset to queue on; empty: the same as `asset`. When another court already holds it in
    /// the register, the kit lifts that hold; otherwise it places one itself under
    /// `other_court_case` first.
    pub queue_asset: String,
}

impl Default for ControlFixture {
    fn default() -> Self {
        Self {
            asset: String::new(),
            amount_fen: 10_000,
            quantity: 100,
            days: 30,
            queue_asset: String::new(),
        }
    }
}

/// The key the kit signs instructions with: one the agency trusts (for the mock agencies, the
/// demo hub's key in `mocks/src/demo_keys.rs`). The kit carries no key of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    pub key_id: String,
    /// Base64 32-byte Ed25519 seed.
    pub seed: String,
}

fn default_case() -> String {
    "(2024)鄂0116执1234号".into()
}

fn default_other_case() -> String {
    "(2024)鄂01执77号".into()
}

fn default_officer() -> String {
    "王法官".into()
}

/// The fixture, checked and in domain types.
#[derive(Clone)]
pub struct Fixture {
    pub case: CaseNumber,
    pub other_court_case: CaseNumber,
    pub officer: String,
    pub known: Debtor,
    pub wrong_name: Debtor,
    pub unknown: Debtor,
    pub asset: Option<String>,
    pub queue_asset: Option<String>,
    pub amount: Fen,
    pub quantity: u64,
    pub days: i64,
    pub signer: InstructionSigner,
}

impl Fixture {
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: FixtureFile = toml::from_str(text).map_err(|e| format!("fixture: {e}"))?;
        file.check()
    }

    /// The personal data the kit must never find in an error: every id number and name in
    /// the fixture.
    pub fn personal_data(&self) -> Vec<String> {
        let mut words = vec![
            self.known.id.as_str().to_string(),
            self.known.name.clone(),
            self.wrong_name.name.clone(),
            self.unknown.id.as_str().to_string(),
            self.unknown.name.clone(),
        ];
        words.retain(|w| !w.trim().is_empty());
        words
    }
}

impl FixtureFile {
    fn check(self) -> Result<Fixture, String> {
        let case = |text: &str, what: &str| {
            CaseNumber::parse_recorded(text).map_err(|e| format!("fixture {what} {text:?}: {e}"))
        };
        let debtor = |id: &str, name: &str, what: &str| -> Result<Debtor, String> {
            let id = DebtorId::parse_recorded(id).map_err(|e| format!("fixture {what}.id: {e}"))?;
            if name.trim().is_empty() {
                return Err(format!("fixture {what}.name is empty"));
            }
            Ok(Debtor {
                id,
                name: name.to_string(),
            })
        };
        let known = debtor(&self.known.id, &self.known.name, "known")?;
        let wrong_name = debtor(&self.known.id, &self.known.wrong_name, "known.wrong_name")?;
        if wrong_name.name == known.name {
            return Err("fixture known.wrong_name is the known name".into());
        }
        let unknown = debtor(&self.unknown.id, &self.unknown.name, "unknown")?;
        if unknown.id == known.id {
            return Err("fixture unknown.id is the known id".into());
        }
        let case_number = case(&self.case, "case")?;
        let other = case(&self.other_court_case, "other_court_case")?;
        if case_number.court() == other.court() {
            return Err("fixture other_court_case must be of another court than case".into());
        }
        let c = &self.control;
        if c.amount_fen <= 0 || c.days <= 0 || c.quantity == 0 {
            return Err("fixture control: amount_fen, quantity and days must be positive".into());
        }
        let signer = InstructionSigner::from_seed(&self.signing.key_id, &self.signing.seed)
            .map_err(|e| format!("fixture signing.seed: {e}"))?;
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Ok(Fixture {
            case: case_number,
            other_court_case: other,
            officer: self.officer,
            known,
            wrong_name,
            unknown,
            asset: some(&c.asset),
            queue_asset: some(&c.queue_asset),
            amount: Fen(c.amount_fen),
            quantity: c.quantity,
            days: c.days,
            signer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Fixture;

    const GOOD: &str = r#"
[known]
id = "11010519491231002X"
name = "张伟"
wrong_name = "张三"
[unknown]
id = "110101198001010010"
name = "赵无名"
[signing]
key_id = "test-1"
seed = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
"#;

    #[test]
    fn a_minimal_fixture_takes_the_defaults() {
        let fixture = Fixture::parse(GOOD).expect("reads");
        assert_eq!(fixture.case.as_str(), "(2024)鄂0116执1234号");
        assert_eq!(fixture.other_court_case.court(), "鄂01");
        assert_eq!(fixture.amount.0, 10_000);
        assert_eq!((fixture.quantity, fixture.days), (100, 30));
        assert_eq!(fixture.asset, None);
        assert_eq!(fixture.signer.key_id(), "test-1");
        assert_eq!(
            fixture.personal_data(),
            [
                "11010519491231002X",
                "张伟",
                "张三",
                "110101198001010010",
                "赵无名"
            ]
        );
    }

    #[test]
    fn a_fixture_that_cannot_test_anything_is_refused() {
        let cases = [
            (GOOD.replace("张三", "张伟"), "wrong_name is the known name"),
            (
                GOOD.replace("110101198001010010", "11010519491231002X"),
                "unknown.id is the known id",
            ),
            (
                GOOD.replace("110101198001010010", "110101198001010011"),
                "unknown.id",
            ),
            (
                format!("other_court_case = \"(2024)鄂0116执9号\"\n{GOOD}"),
                "another court",
            ),
            (format!("{GOOD}[control]\namount_fen = 0\n"), "positive"),
            (format!("{GOOD}[control]\ncolour = 1\n"), "unknown field"),
            (GOOD.replace("AQEBAQEB", "AQEB"), "signing.seed"),
            (
                GOOD[..GOOD.find("[signing]").unwrap()].to_string(),
                "signing",
            ),
        ];
        for (text, why) in cases {
            match Fixture::parse(&text) {
                Ok(_) => panic!("accepted a fixture where {why}"),
                Err(e) => assert!(e.contains(why), "{e:?} does not say {why:?}"),
            }
        }
    }
}
