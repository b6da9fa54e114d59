//! Personal data stays out of logs: every log line of a run (hub, connectors and mock agencies,
//! at debug level) is captured and searched for the full identity numbers and names queried.

use assethub_mocks::population::{
    DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_proto::v1 as pb;
use assethub_tests::{query, World, CASE};
use futures::StreamExt;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_identity_number_or_name_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let mut world = World::start().await;
    world.agency("bank-gongxin").knobs.fail_next(1);
    world
        .agency("pay-xinfu")
        .knobs
        .throttle_next(1, std::time::Duration::from_secs(1));
    for (id, name) in [
        (DEMO_PERSON_ID, DEMO_PERSON_NAME),
        (DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
    ] {
        world.client.query(query(id, name)).await.unwrap();
        let mut stream = world
            .client
            .stream_query(query(id, name))
            .await
            .unwrap()
            .into_inner();
        while stream.next().await.is_some() {}
    }
    // Not the name the case registered: refused, and the refusal names neither.
    let refused = world
        .client
        .query(query(DEMO_PERSON_ID, "王五"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    let invalid = world
        .client
        .query(query("110105194912310021", DEMO_PERSON_NAME))
        .await;
    assert!(invalid.is_err());
    let batch = pb::BatchQueryRequest {
        kind_names: Default::default(),
        items: vec![pb::BatchItem {
            case_number: CASE.into(),
            debtor: Some(pb::Debtor {
                id_number: DEMO_PERSON_ID.into(),
                name: DEMO_PERSON_NAME.into(),
            }),
        }],
        kinds: vec![],
        fresh: true,
        item_deadline_ms: 0,
    };
    let mut stream = world.client.batch_query(batch).await.unwrap().into_inner();
    while stream.next().await.is_some() {}
    // The control path too: a one-click freeze (with a bank's late answer) and a seal.
    let instruction = |key: &str| {
        Some(pb::Instruction {
            case_number: CASE.into(),
            ruling: format!("{CASE}之一"),
            officer: String::new(),
            idempotency_key: key.into(),
        })
    };
    let debtor = Some(pb::Debtor {
        id_number: DEMO_PERSON_ID.into(),
        name: DEMO_PERSON_NAME.into(),
    });
    world
        .orders
        .freeze_funds(pb::FreezeFundsRequest {
            instruction: instruction("logs-freeze"),
            debtor: debtor.clone(),
            cap_fen: 5_000_000,
            days: 0,
        })
        .await
        .unwrap();
    let _ = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction("logs-seal"),
            action: pb::OrderAction::Seal as i32,
            asset_ref: "registry-wuhan:not-theirs".into(),
            debtor,
            amount_fen: 0,
            days: 0,
            currency: String::new(),
        })
        .await;

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("110105********002X"),
        "the masked form is logged:\n{logs}"
    );
    for secret in [
        DEMO_PERSON_ID,
        DEMO_COMPANY_ID,
        DEMO_COMPANY_NAME,
        "110105194912310021",
    ] {
        let leaks: Vec<_> = logs.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "{secret} leaked in:\n{}",
            leaks.join("\n")
        );
    }
    // Two-character names are too short to search for on their own; look for them as values.
    for pattern in [
        format!("={DEMO_PERSON_NAME}"),
        format!("\"{DEMO_PERSON_NAME}\""),
        "王五".to_string(),
    ] {
        let leaks: Vec<_> = logs.lines().filter(|l| l.contains(&pattern)).collect();
        assert!(
            leaks.is_empty(),
            "{pattern} leaked in:\n{}",
            leaks.join("\n")
        );
    }
}
