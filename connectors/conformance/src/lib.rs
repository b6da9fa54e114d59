//! The conformance kit (`assethub-conformance`): a suite of checks an integrator runs against
//! ONE connector — built in process from a connector type and its settings, or remote
//! (`type = "remote"`) — and the agency behind it, driven through the agency's documented
//! admin endpoints. See the crate's README for usage and the hold-register export format.
//!
//! - [`fixture`]: the fixture file (debtors, asset, amounts, cases, signing key);
//! - [`target`]: the connector file and building the connector;
//! - [`admin`]: the agency's admin API (faults, hold register, lift, calendar);
//! - [`register`]: the hold-register export format (the contract third-party mocks serve);
//! - [`kit`]: one run's state and recorded calls; [`checks`]: the suite;
//! - [`invariants`]: what the kit sent against the register; [`outcome`]: the report.
//!
//! It must not depend on the hub or on the mocks: it is what a third party runs against its
//! own connector and agency.

pub mod admin;
pub mod checks;
pub mod fixture;
pub mod invariants;
pub mod kit;
pub mod outcome;
pub mod register;
pub mod target;

pub use admin::Admin;
pub use fixture::Fixture;
pub use kit::Kit;
pub use outcome::{Outcome, Report};
pub use target::Target;

use assethub_connectors::Connector;
use std::sync::Arc;

/// Runs the suite against `connector`, whose agency's admin API is at `admin_url`.
pub async fn run(connector: Arc<dyn Connector>, admin_url: &str, fixture: Fixture) -> Report {
    let mut kit = Kit::new(connector, Admin::new(admin_url), fixture);
    checks::run(&mut kit).await
}
