//! What a registered enforcement case is: its state, its debtors, its claim and account, and
//! the rules that decide whether a search or a control act may name it (DOMAIN rule 7). Pure
//! data and rules; no I/O.

use crate::identity::normalize_name;
use assethub_connectors::domain::{mask_id, CaseNumber, Debtor, DebtorId};

/// Longest case account accepted.
pub const MAX_ACCOUNT_CHARS: usize = crate::bounds::ACCOUNT.max_chars;
/// Most debtors one case may have.
pub const MAX_DEBTORS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// 执行中: searches and control acts allowed.
    Open,
    /// 中止执行: no searches nor new holds; holds may be released or renewed.
    Suspended,
    /// 终结 / 结案: holds may only be released.
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 3] = [Self::Open, Self::Suspended, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a case in this state may be named for `purpose`; the refusal names `case`.
    pub fn allows(self, purpose: Purpose, case: &str) -> Result<(), Refusal> {
        let ok = matches!(
            (self, purpose),
            (Self::Open, _) | (_, Purpose::Release) | (Self::Suspended, Purpose::Renew)
        );
        if ok {
            Ok(())
        } else {
            Err(Refusal::NotOpen {
                case: case.to_string(),
                state: self,
                purpose,
            })
        }
    }
}

/// One debtor (被执行人) of a case: the identity number as parsed (upper case) and the name
/// normalised ([`normalize_name`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseDebtor {
    pub id: String,
    pub name: String,
}

impl CaseDebtor {
    pub fn of(debtor: &Debtor) -> Self {
        Self {
            id: debtor.id.as_str().to_string(),
            name: normalize_name(&debtor.name),
        }
    }

    pub fn masked(&self) -> String {
        mask_id(&self.id)
    }
}

/// A registered case as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub case_number: String,
    pub court: String,
    pub state: CaseState,
    pub claim_fen: i64,
    pub account: String,
    /// Frozen + deducted + asked and not decided + queued, in fen of yuan.
    pub reserved_fen: i64,
    pub version: i64,
    pub debtors: Vec<CaseDebtor>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub updated_by: String,
}

/// What a search or control act wants to do with a case, which decides the states it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Search the debtor's assets.
    Search,
    /// Freeze, seal, watch, deduct: only while the case is open.
    Act,
    /// Renew a hold: open or suspended (holds must not lapse during a suspension).
    Renew,
    /// Release a hold: in any state (holds must be lifted when a case ends).
    Release,
}

/// Why a case may not be named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotRegistered(String),
    NotOpen {
        case: String,
        state: CaseState,
        purpose: Purpose,
    },
    NotAParty {
        case: String,
        name_differs: bool,
    },
}

impl Refusal {
    /// The stable reason code (google.rpc.ErrorInfo `reason`, `ItemError.reason`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotRegistered(_) => "CASE_NOT_REGISTERED",
            Self::NotOpen { .. } => "CASE_NOT_OPEN",
            Self::NotAParty { .. } => "DEBTOR_NOT_A_PARTY",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotRegistered(case) => write!(
                f,
                "case {case} is not registered: the court's case system registers a case before it can be searched or acted on"
            ),
            Self::NotOpen { case, state, purpose } => {
                let allowed = match state {
                    CaseState::Suspended => "its holds may only be released or renewed",
                    _ => "its holds may only be released",
                };
                let what = match purpose {
                    Purpose::Search => "searched",
                    _ => "acted on",
                };
                write!(f, "case {case} is {} and cannot be {what}: {allowed}", state.as_str())
            }
            Self::NotAParty {
                case,
                name_differs: true,
            } => write!(
                f,
                "the debtor's name does not match the name registered on case {case}"
            ),
            Self::NotAParty { case, .. } => {
                write!(f, "the debtor is not a party to case {case}")
            }
        }
    }
}

impl CaseRecord {
    /// Whether the case's state allows `purpose`.
    pub fn allows(&self, purpose: Purpose) -> Result<(), Refusal> {
        self.state.allows(purpose, &self.case_number)
    }

    /// Whether `debtor` (number and name) is one of the case's debtors.
    pub fn party(&self, id: &DebtorId, name: &str) -> Result<(), Refusal> {
        match self.debtors.iter().find(|d| d.id == id.as_str()) {
            // Names arrive normalised from validation; normalise only what does not match.
            Some(d) if d.name == name || d.name == normalize_name(name) => Ok(()),
            found => Err(Refusal::NotAParty {
                case: self.case_number.clone(),
                name_differs: found.is_some(),
            }),
        }
    }
}

/// A validated registration: what a case system says a case is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub case: CaseNumber,
    /// Sorted by identity number, no number twice.
    pub debtors: Vec<CaseDebtor>,
    pub claim_fen: i64,
    pub account: String,
}

impl NewCase {
    /// Whether `record` says the same as this registration (so registering again is a no-op).
    pub fn same_as(&self, record: &CaseRecord) -> bool {
        let mut registered = record.debtors.clone();
        registered.sort();
        record.case_number == self.case.as_str()
            && record.claim_fen == self.claim_fen
            && record.account == self.account
            && registered == self.debtors
    }
}

/// A validated change to a registered case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseChange {
    pub case_number: String,
    /// 0: whatever is current.
    pub expected_version: i64,
    pub claim_fen: Option<i64>,
    pub add_debtors: Vec<CaseDebtor>,
    pub account: Option<String>,
    pub state: Option<CaseState>,
    pub reason: String,
}

/// Whether `account` may be a case account: 1-64 of A-Z a-z 0-9 and '-', as agencies take
/// account numbers (no spaces, no control characters, nothing to interpret).
pub fn valid_account(account: &str) -> Result<(), String> {
    if account.is_empty() {
        return Err(format!("must be 1 to {MAX_ACCOUNT_CHARS} characters"));
    }
    crate::bounds::ACCOUNT.check(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: CaseState) -> CaseRecord {
        CaseRecord {
            case_number: "(2024)鄂0116执1234号".into(),
            court: "鄂0116".into(),
            state,
            claim_fen: 100,
            account: "ACCT-1".into(),
            reserved_fen: 0,
            version: 1,
            debtors: vec![CaseDebtor {
                id: "11010519491231002X".into(),
                name: "张伟".into(),
            }],
            created_at_ms: 0,
            updated_at_ms: 0,
            updated_by: String::new(),
        }
    }

    #[test]
    fn states_allow_what_the_law_allows() {
        // (state, purpose, allowed), written out.
        let table = [
            (CaseState::Open, Purpose::Search, true),
            (CaseState::Open, Purpose::Act, true),
            (CaseState::Open, Purpose::Renew, true),
            (CaseState::Open, Purpose::Release, true),
            (CaseState::Suspended, Purpose::Search, false),
            (CaseState::Suspended, Purpose::Act, false),
            (CaseState::Suspended, Purpose::Renew, true),
            (CaseState::Suspended, Purpose::Release, true),
            (CaseState::Closed, Purpose::Search, false),
            (CaseState::Closed, Purpose::Act, false),
            (CaseState::Closed, Purpose::Renew, false),
            (CaseState::Closed, Purpose::Release, true),
        ];
        for (state, purpose, allowed) in table {
            assert_eq!(
                record(state).allows(purpose).is_ok(),
                allowed,
                "{state:?} {purpose:?}"
            );
        }
        let refusal = record(CaseState::Closed).allows(Purpose::Act).unwrap_err();
        assert_eq!(refusal.code(), "CASE_NOT_OPEN");
    }

    #[test]
    fn a_party_is_matched_by_number_and_normalised_name() {
        let case = record(CaseState::Open);
        let id = DebtorId::parse("11010519491231002X").unwrap();
        assert!(case.party(&id, " 张伟 ").is_ok());
        let wrong_name = case.party(&id, "张三").unwrap_err();
        assert_eq!(wrong_name.code(), "DEBTOR_NOT_A_PARTY");
        assert!(wrong_name.to_string().contains("name does not match"));
        let other = DebtorId::parse("91350100M000100Y43").unwrap();
        assert!(!case
            .party(&other, "张伟")
            .unwrap_err()
            .to_string()
            .contains("9135"));
    }

    #[test]
    fn accounts_are_plain() {
        assert!(valid_account("JUDICIAL-CASE-0116-1234").is_ok());
        for bad in ["", "a b", "a\nb", "../x", "账户", &"A".repeat(65)] {
            assert!(valid_account(bad).is_err(), "{bad:?}");
        }
    }
}
