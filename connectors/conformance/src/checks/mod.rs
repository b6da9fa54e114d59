//! The suite: every check in the order it runs, each answering PASS, FAIL with the reason, or
//! SKIP when the connector (or its agency) lacks what the check needs. Query checks come first
//! (the known debtor's query picks the asset the control checks hold), faults next (with the
//! agency's rules cleared after each), then control, personal data and the register.

use crate::kit::Kit;
use crate::outcome::Report;

mod control;
mod faults;
mod privacy;
mod query;

/// Every check's name, in the order run (what `--help` and the README list).
pub const CHECKS: [&str; 15] = [
    "known-debtor",
    "not-found",
    "name-mismatch",
    "error-400",
    "error-500",
    "error-503",
    "error-429",
    "error-malformed",
    "error-truncated",
    "unknown-key",
    "idempotent-resend",
    "queue-promotion",
    "expiry",
    "no-personal-data",
    "register-invariants",
];

/// Runs the whole suite against the kit's connector and agency.
pub async fn run(kit: &mut Kit) -> Report {
    let mut report = Report {
        source: kit.connector.id().to_string(),
        connector_type: kit.connector.connector_type().to_string(),
        results: Vec::new(),
    };
    kit.before = kit.admin.holds().await.ok();
    report.push("known-debtor", query::known_debtor(kit).await);
    report.push("not-found", query::not_found(kit).await);
    report.push("name-mismatch", query::name_mismatch(kit).await);
    for (name, fault) in faults::FAULTS {
        report.push(name, faults::classify(kit, fault).await);
    }
    report.push("unknown-key", control::unknown_key(kit).await);
    report.push("idempotent-resend", control::idempotent_resend(kit).await);
    report.push("queue-promotion", control::queue_promotion(kit).await);
    report.push("expiry", control::expiry(kit).await);
    report.push("no-personal-data", privacy::no_personal_data(kit).await);
    report.push(
        "register-invariants",
        crate::invariants::check_register(kit).await,
    );
    report
}
