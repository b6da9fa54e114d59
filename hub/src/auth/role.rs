//! The permission matrix: which role may call which method, in one table. Court scoping (a
//! caller acts only on its own court's cases and orders) is checked where the case or order is
//! known. Roles and methods themselves live in [`crate::identity`].

use crate::identity::{Method, Role};

/// Whether `role` may call `method`.
pub fn allows(role: Role, method: Method) -> bool {
    use Method::*;
    // A sweep is a batch kept by the hub: whoever may batch may sweep.
    let search = matches!(
        method,
        Query
            | StreamQuery
            | BatchQuery
            | SubmitSweep
            | GetSweep
            | ListSweepResults
            | CancelSweep
            | ListInquiries
    );
    let read_orders = matches!(method, GetOrder | ListOrders | WatchEvents | GetNotice);
    let read_cases = matches!(method, GetCase | ListCases);
    let write_cases = matches!(method, RegisterCase | UpdateCase);
    // Recording an off-line agency's written answer is the act of the officers who act.
    let control = matches!(method, FreezeFunds | PlaceHold | ActOnHold | RecordAnswer);
    match role {
        Role::CaseSystem => search || read_orders || read_cases || write_cases,
        Role::Judge => search || read_orders || read_cases || control,
        // The command centre's figures are the court's leadership's (supervisors).
        Role::Supervisor => {
            search
                || read_orders
                || read_cases
                || control
                || matches!(method, DecideApproval | CourtFigures)
        }
        Role::Auditor => matches!(method, VerifyAudit | ListAudit | CheckpointAudit),
        Role::Admin => matches!(method, ListSources | RevokeToken),
    }
}
