//! Roles and what each may call: the permission matrix, in one table. Court scoping (a caller
//! acts only on its own court's cases and orders) is checked where the case or order is known.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A court's case management system: searches, reads its court's orders and events.
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

/// Every RPC the hub serves, as the permission matrix names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Query,
    StreamQuery,
    BatchQuery,
    ListSources,
    FreezeFunds,
    PlaceHold,
    ActOnHold,
    DecideApproval,
    GetOrder,
    ListOrders,
    WatchEvents,
    VerifyAudit,
    ListAudit,
    CheckpointAudit,
}

impl Method {
    pub const ALL: [Method; 14] = [
        Self::Query,
        Self::StreamQuery,
        Self::BatchQuery,
        Self::ListSources,
        Self::FreezeFunds,
        Self::PlaceHold,
        Self::ActOnHold,
        Self::DecideApproval,
        Self::GetOrder,
        Self::ListOrders,
        Self::WatchEvents,
        Self::VerifyAudit,
        Self::ListAudit,
        Self::CheckpointAudit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::StreamQuery => "StreamQuery",
            Self::BatchQuery => "BatchQuery",
            Self::ListSources => "ListSources",
            Self::FreezeFunds => "FreezeFunds",
            Self::PlaceHold => "PlaceHold",
            Self::ActOnHold => "ActOnHold",
            Self::DecideApproval => "DecideApproval",
            Self::GetOrder => "GetOrder",
            Self::ListOrders => "ListOrders",
            Self::WatchEvents => "WatchEvents",
            Self::VerifyAudit => "VerifyAudit",
            Self::ListAudit => "ListAudit",
            Self::CheckpointAudit => "CheckpointAudit",
        }
    }

    /// Whether the method acts on a court's cases or orders (and so is court-scoped).
    pub fn court_scoped(self) -> bool {
        !matches!(
            self,
            Self::ListSources | Self::VerifyAudit | Self::ListAudit | Self::CheckpointAudit
        )
    }
}

/// The permission matrix.
pub fn allows(role: Role, method: Method) -> bool {
    use Method::*;
    let search = matches!(method, Query | StreamQuery | BatchQuery);
    let read_orders = matches!(method, GetOrder | ListOrders | WatchEvents);
    let control = matches!(method, FreezeFunds | PlaceHold | ActOnHold);
    match role {
        Role::CaseSystem => search || read_orders,
        Role::Judge => search || read_orders || control,
        Role::Supervisor => search || read_orders || control || method == DecideApproval,
        Role::Auditor => matches!(method, VerifyAudit | ListAudit | CheckpointAudit),
        Role::Admin => matches!(method, ListSources),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_follows_the_roles() {
        assert!(allows(Role::CaseSystem, Method::BatchQuery));
        assert!(allows(Role::CaseSystem, Method::WatchEvents));
        assert!(!allows(Role::CaseSystem, Method::FreezeFunds));
        assert!(allows(Role::Judge, Method::ActOnHold));
        assert!(!allows(Role::Judge, Method::DecideApproval));
        assert!(allows(Role::Supervisor, Method::DecideApproval));
        assert!(!allows(Role::Judge, Method::VerifyAudit));
        assert!(allows(Role::Auditor, Method::VerifyAudit));
        assert!(!allows(Role::Auditor, Method::Query));
        assert!(allows(Role::Admin, Method::ListSources));
        assert!(!allows(Role::Admin, Method::PlaceHold));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
