//! The ledger's contract, run against SQLite (always) and PostgreSQL (when
//! `ASSETHUB_TEST_PG_URL` names a server, e.g. `postgres://postgres@127.0.0.1/postgres`; each
//! test makes its own database, `assethub_test_*`). `.ci/run` sets it when PostgreSQL is up
//! and clears earlier test databases first.

use super::*;
use crate::orders::model::Action;

/// A ledger on each available backend, with what keeps it alive (the audit tests use it too).
pub(crate) async fn ledgers() -> Vec<(&'static str, Ledger, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Ledger::open(&format!("sqlite://{}/ledger.db", dir.path().display()))
        .await
        .unwrap();
    let mut out = vec![("sqlite", sqlite, Some(dir))];
    if let Ok(base) = std::env::var("ASSETHUB_TEST_PG_URL") {
        out.push(("postgres", postgres(&base).await, None));
    }
    out
}

async fn postgres(base: &str) -> Ledger {
    sqlx::any::install_default_drivers();
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .connect(base)
        .await
        .unwrap();
    let name = format!("assethub_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let (root, _) = base.rsplit_once('/').unwrap();
    Ledger::open(&format!("{root}/{name}")).await.unwrap()
}

/// A freeze order of `amount` fen in `case` (a fixture other modules' tests use too).
pub(crate) fn order(id: &str, case: &str, amount: i64) -> Order {
    Order {
        order_id: id.into(),
        action: Action::Freeze,
        state: State::Requested,
        case_number: case.into(),
        court: "鄂0116".into(),
        ruling: "r".into(),
        officer: "o".into(),
        source: "bank-a".into(),
        asset_local: format!("acct-{id}"),
        debtor_id: "11010519491231002X".into(),
        debtor_name: "张伟".into(),
        debtor_masked: "110105********002X".into(),
        amount_fen: amount,
        frozen_fen: 0,
        deducted_fen: 0,
        reserved_fen: 0,
        start_day: 20_000,
        end_day: 20_365,
        queue_position: 0,
        agency_ref: String::new(),
        target_order_id: String::new(),
        group_id: String::new(),
        case_account: String::new(),
        detail: String::new(),
        client_key: format!("key-{id}"),
        attempts: 0,
        created_at_ms: 1,
        updated_at_ms: 1,
        version: 0,
    }
}

fn request(key: &str, cap: Option<i64>) -> NewRequest {
    NewRequest {
        court: "鄂0116".into(),
        client_key: key.into(),
        request_hash: format!("hash-{key}"),
        result_id: key.into(),
        cap_fen: cap,
    }
}

#[tokio::test]
async fn orders_and_their_events_are_recorded_together() {
    for (backend, ledger, _keep) in ledgers().await {
        let o = order("o1", "case-1", 500);
        ledger
            .create(&request("k1", Some(1_000)), std::slice::from_ref(&o))
            .await
            .unwrap();
        let stored = ledger.get("o1").await.unwrap().unwrap();
        assert_eq!(stored.debtor_name, "张伟", "{backend}");
        assert_eq!(stored.reserved_fen, 500, "{backend}");
        let mut next = stored.clone();
        next.state = State::Partial;
        next.frozen_fen = 300;
        ledger.update(&[(stored.clone(), next)]).await.unwrap();
        // The reservation shrinks to what the agency froze.
        assert_eq!(
            ledger.case_reservation("case-1").await.unwrap(),
            (1_000, 300)
        );
        assert_eq!(ledger.case_held("case-1").await.unwrap(), 300);
        // A stale version is a conflict, and changes nothing.
        let mut stale = stored.clone();
        stale.state = State::Rejected;
        assert!(matches!(
            ledger.update(&[(stored, stale)]).await,
            Err(LedgerError::Conflict(_))
        ));
        let events = ledger.events_after(0, None, 10).await.unwrap();
        assert_eq!(events.len(), 2, "{backend}");
        assert_eq!(events[0].seq + 1, events[1].seq);
        match &events[1].body {
            EventBody::Order(o) => {
                assert_eq!(o.state, State::Partial);
                assert!(o.debtor_id.is_empty(), "events carry no identity number");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ledger
                .events_after(events[0].seq, Some("case-1"), 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(ledger
            .events_after(0, Some("case-2"), 10)
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn a_client_key_belongs_to_one_request() {
    for (backend, ledger, _keep) in ledgers().await {
        ledger
            .create(&request("k", None), &[order("a", "c", 1)])
            .await
            .unwrap();
        let again = ledger
            .create(&request("k", None), &[order("b", "c", 1)])
            .await;
        assert!(matches!(again, Err(LedgerError::KeyTaken)), "{backend}");
        assert!(ledger.get("b").await.unwrap().is_none());
        let stored = ledger.find_request("鄂0116", "k").await.unwrap().unwrap();
        assert_eq!(stored.result_id, "k");
    }
}

#[tokio::test]
async fn concurrent_reservations_never_exceed_the_cap() {
    for (backend, ledger, _keep) in ledgers().await {
        let mut tasks = Vec::new();
        for n in 0..12 {
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                let o = order(&format!("o{n}"), "capped", 300);
                ledger
                    .create(&request(&format!("k{n}"), Some(1_000)), &[o])
                    .await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => ok += 1,
                Err(LedgerError::OverCap) => {}
                Err(e) => panic!("{backend}: {e}"),
            }
        }
        assert_eq!(ok, 3, "{backend}: 3 × 300 fit under 1,000");
        assert_eq!(
            ledger.case_reservation("capped").await.unwrap(),
            (1_000, 900)
        );
        let events = ledger.events_after(0, None, 100).await.unwrap();
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=3).collect::<Vec<u64>>(),
            "{backend}: gap-free numbering"
        );
    }
}

#[tokio::test]
async fn sightings_and_their_cursor_move_together() {
    for (backend, ledger, _keep) in ledgers().await {
        let watch = order("w", "c", 0);
        ledger
            .create(&request("kw", None), std::slice::from_ref(&watch))
            .await
            .unwrap();
        assert_eq!(ledger.sightings_cursor("vehicle").await.unwrap(), "");
        let seen = SightingPayload {
            order_id: "w".into(),
            plate: "鄂A12345".into(),
            place: "停车场".into(),
            seen_at: "2026-11-23T10:00:00+08:00".into(),
        };
        ledger
            .record_sightings("vehicle", "7", &[(watch.clone(), seen.clone())])
            .await
            .unwrap();
        ledger.record_sightings("vehicle", "8", &[]).await.unwrap();
        assert_eq!(
            ledger.sightings_cursor("vehicle").await.unwrap(),
            "8",
            "{backend}"
        );
        let last = ledger.events_after(1, None, 10).await.unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].body, EventBody::Sighting(seen));
    }
}

#[tokio::test]
async fn listing_filters_by_case_state_and_expiry() {
    for (backend, ledger, _keep) in ledgers().await {
        let mut soon = order("soon", "c1", 1);
        soon.state = State::Effective;
        soon.end_day = 20_010;
        let later = order("later", "c1", 1);
        let other = order("other", "c2", 1);
        ledger
            .create(&request("k", None), &[soon, later, other])
            .await
            .unwrap();
        let by_case = OrderFilter {
            case_number: Some("c1".into()),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(ledger.list(&by_case).await.unwrap().len(), 2, "{backend}");
        let effective = OrderFilter {
            states: vec![State::Effective],
            limit: 10,
            ..Default::default()
        };
        assert_eq!(ledger.list(&effective).await.unwrap()[0].order_id, "soon");
        let expiring = OrderFilter {
            ending_by_day: Some(20_030),
            limit: 10,
            ..Default::default()
        };
        let found = ledger.list(&expiring).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].order_id, "soon");
    }
}
