//! The permission matrix: which role may call which method, in one table. Court scoping (a
//! caller acts only on its own court's cases and orders) is checked where the case or order is
//! known. Roles and methods themselves live in [`crate::identity`].

use crate::identity::{Method, Role};

/// Whether `role` may call `method`.
pub fn allows(role: Role, method: Method) -> bool {
    use Method::*;
    let search = matches!(method, Query | StreamQuery | BatchQuery);
    let read_orders = matches!(method, GetOrder | ListOrders | WatchEvents | GetNotice);
    let read_cases = matches!(method, GetCase | ListCases);
    let write_cases = matches!(method, RegisterCase | UpdateCase);
    let control = matches!(method, FreezeFunds | PlaceHold | ActOnHold);
    match role {
        Role::CaseSystem => search || read_orders || read_cases || write_cases,
        Role::Judge => search || read_orders || read_cases || control,
        Role::Supervisor => {
            search || read_orders || read_cases || control || method == DecideApproval
        }
        Role::Auditor => matches!(method, VerifyAudit | ListAudit | CheckpointAudit),
        Role::Admin => matches!(method, ListSources | RevokeToken),
    }
}
