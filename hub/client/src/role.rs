//! The roles a bearer token carries. The hub authorizes every method against them; clients
//! pick a credential by them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A court's case management system: registers cases, searches, reads its court's orders.
    CaseSystem,
    /// An enforcement judge: also places and acts on holds.
    Judge,
    /// Also approves other officers' orders (four-eyes).
    Supervisor,
    /// Reads and verifies the audit log.
    Auditor,
    /// Operates the hub: sources, health details.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::CaseSystem,
        Self::Judge,
        Self::Supervisor,
        Self::Auditor,
        Self::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseSystem => "case_system",
            Self::Judge => "judge",
            Self::Supervisor => "supervisor",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Roles that order control actions, so their tokens must name the officer.
    pub fn acts(self) -> bool {
        matches!(self, Self::Judge | Self::Supervisor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_spelled_as_tokens_and_files_carry_them() {
        let names = ["case_system", "judge", "supervisor", "auditor", "admin"];
        for (role, name) in Role::ALL.into_iter().zip(names) {
            assert_eq!(role.as_str(), name);
            assert_eq!(Role::parse(name), Some(role));
        }
        assert_eq!(Role::parse("Judge"), None);
        assert!(Role::Judge.acts() && Role::Supervisor.acts() && !Role::Auditor.acts());
    }
}
