//! The kit fails deliberately broken connectors on exactly the right checks. Each connector
//! wraps the real payment connector and breaks one promise; the test checks the kit's verdict
//! against what the wrapper counted itself doing and what the mock agency holds (read in
//! process, not through the kit), so the oracle is independent of the kit's code.

mod common;

use assethub_conformance::{run, Fixture, Report, Target};
use assethub_connectors::domain::{AssetKind, Debtor, SourceId};
use assethub_connectors::{
    CallContext, Capability, Connector, ConnectorError, ControlAnswer, ControlInstruction,
    ErrorClass, QueryAnswer,
};
use assethub_mocks::demo_keys;
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Leaks the debtor's identity number into query errors, and sends a resend under a new key
/// (as a connector deriving its wire key from the attempt would), so the agency holds twice.
struct Leaky {
    inner: Arc<dyn Connector>,
    seen: Mutex<HashSet<String>>,
    leaked: AtomicUsize,
    rekeyed: AtomicUsize,
}

/// Reports every agency error as a server error.
struct Misclassifies {
    inner: Arc<dyn Connector>,
}

#[async_trait]
impl Connector for Leaky {
    fn id(&self) -> &SourceId {
        self.inner.id()
    }
    fn kind(&self) -> AssetKind {
        self.inner.kind()
    }
    fn connector_type(&self) -> &'static str {
        "leaky"
    }
    fn capabilities(&self) -> &[Capability] {
        self.inner.capabilities()
    }
    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        self.inner.query(ctx, debtor).await.map_err(|mut e| {
            self.leaked.fetch_add(1, Ordering::Relaxed);
            e.message = format!("{} (debtor {})", e.message, debtor.id.as_str());
            e
        })
    }
    async fn control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let first = self.seen.lock().unwrap().insert(instruction.key.clone());
        if first {
            return self.inner.control(ctx, instruction).await;
        }
        self.rekeyed.fetch_add(1, Ordering::Relaxed);
        let mut again = instruction.clone();
        again.key = format!("{}-again", instruction.key);
        // Signed anew, as the hub would sign an instruction with that key.
        let signed_at = instruction.signature.as_ref().map_or(0, |s| s.signed_at);
        again.signature = Some(demo_keys::instruction_signer().sign(&again, signed_at));
        self.inner.control(ctx, &again).await
    }
    async fn control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        self.inner.control_status(ctx, key).await
    }
}

#[async_trait]
impl Connector for Misclassifies {
    fn id(&self) -> &SourceId {
        self.inner.id()
    }
    fn kind(&self) -> AssetKind {
        self.inner.kind()
    }
    fn connector_type(&self) -> &'static str {
        "misclassifies"
    }
    fn capabilities(&self) -> &[Capability] {
        self.inner.capabilities()
    }
    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        self.inner
            .query(ctx, debtor)
            .await
            .map_err(|e| ConnectorError::new(ErrorClass::Server, e.message))
    }
    async fn control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        self.inner.control(ctx, instruction).await
    }
    async fn control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        self.inner.control_status(ctx, key).await
    }
}

async fn payment_connector(file: &str) -> Arc<dyn Connector> {
    Target::parse(file)
        .expect("the connector file reads")
        .build()
        .await
        .expect("the payment connector builds")
}

fn fixture() -> Fixture {
    Fixture::parse(&common::fixture("payment")).expect("the fixture reads")
}

fn failed(report: &Report) -> Vec<&'static str> {
    report.failed()
}

#[tokio::test]
async fn a_connector_leaking_id_numbers_and_rekeying_resends_fails_those_checks() {
    let (agency, file) = common::agency("payment").await;
    let leaky = Arc::new(Leaky {
        inner: payment_connector(&file).await,
        seen: Mutex::default(),
        leaked: AtomicUsize::new(0),
        rekeyed: AtomicUsize::new(0),
    });
    let report = run(leaky.clone(), &agency.base_url(), fixture()).await;
    println!("{}", report.table());

    // What the broken connector did, by its own count and in the agency's register.
    assert!(leaky.leaked.load(Ordering::Relaxed) > 0);
    assert_eq!(leaky.rekeyed.load(Ordering::Relaxed), 1, "one resend");
    let register = agency.knobs.register().expect("the mock keeps a register");
    let again: Vec<_> = register
        .holds
        .iter()
        .filter(|h| h.placed_by.ends_with("-again"))
        .collect();
    assert_eq!(again.len(), 1, "the resend placed a second hold");
    let original = again[0].placed_by.trim_end_matches("-again");
    assert!(register.holds.iter().any(|h| h.placed_by == original));

    assert!(!report.passed());
    assert_eq!(
        failed(&report),
        [
            "idempotent-resend",
            "no-personal-data",
            "register-invariants"
        ],
        "{}",
        report.table()
    );
    // The kit's own report names no one: the leak is shown masked.
    let table = report.table();
    assert!(!table.contains(assethub_mocks::population::DEMO_PERSON_ID));
    assert!(!table.contains(common::NOBODY_ID));
}

#[tokio::test]
async fn a_connector_calling_every_error_a_server_error_fails_classification() {
    let (agency, file) = common::agency("payment").await;
    let connector = Arc::new(Misclassifies {
        inner: payment_connector(&file).await,
    });
    let report = run(connector, &agency.base_url(), fixture()).await;
    println!("{}", report.table());
    // 500 and 503 are server errors anyway; the others are not.
    assert_eq!(
        failed(&report),
        [
            "error-400",
            "error-429",
            "error-malformed",
            "error-truncated"
        ],
        "{}",
        report.table()
    );
}
