//! The ledger's contract, run against SQLite (always) and PostgreSQL (when
//! `ASSETHUB_TEST_PG_URL` names a server, e.g. `postgres://postgres@127.0.0.1/postgres`; each
//! test makes its own database, `assethub_test_*`). `.ci/run` sets it when PostgreSQL is up
//! and clears earlier test databases first.

use super::*;
use crate::cases::model::CaseState;
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
        currency: crate::orders::model::CNY.into(),
        rate_micro: crate::orders::model::UNIT_RATE,
        rate_date: String::new(),
        officer_id: "test/judge-1".into(),
        approver_id: String::new(),
        approver: String::new(),
        kind: "bank".into(),
        quantity: 0,
        held_quantity: 0,
        unit: "fen".into(),
    }
}

/// Registers `case` with `claim` fen directly in the table (the case register's own tests
/// cover registration; these cover what the ledger does with a registered case).
pub(crate) async fn register(ledger: &Ledger, case: &str, claim: i64) {
    sqlx::query(
        "INSERT INTO cases (case_number, court, state, claim_fen, account, reserved_fen, version, created_at_ms, updated_at_ms, updated_by) VALUES ($1, '鄂0116', 'open', $2, 'ACCT-1', 0, 1, 0, 0, 'test')",
    )
    .bind(case)
    .bind(claim)
    .execute(ledger.pool())
    .await
    .unwrap();
}

async fn set_state(ledger: &Ledger, case: &str, state: &str) {
    sqlx::query("UPDATE cases SET state = $1 WHERE case_number = $2")
        .bind(state)
        .bind(case)
        .execute(ledger.pool())
        .await
        .unwrap();
}

async fn reserved(ledger: &Ledger, case: &str) -> i64 {
    ledger.case_figures(case).await.unwrap().reserved_fen
}

pub(crate) fn request(key: &str) -> NewRequest {
    NewRequest {
        court: "鄂0116".into(),
        client_key: key.into(),
        request_hash: format!("hash-{key}"),
        result_id: key.into(),
        purpose: Purpose::Act,
        approval_above: None,
    }
}

#[tokio::test]
async fn a_freeze_by_quantity_keeps_its_kind_unit_and_units_held() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "case-q", 1_000).await;
        let asked = Order {
            kind: "securities".into(),
            unit: "shares".into(),
            quantity: 12_000,
            ..order("oq", "case-q", 0)
        };
        ledger
            .create(&request("kq"), std::slice::from_ref(&asked))
            .await
            .unwrap();
        let stored = ledger.get("oq").await.unwrap().unwrap();
        assert_eq!(
            (stored.kind.as_str(), stored.unit.as_str(), stored.quantity),
            ("securities", "shares", 12_000),
            "{backend}"
        );
        let mut next = stored.clone();
        next.state = State::Effective;
        next.held_quantity = 12_000;
        ledger.update(&[(stored, next)]).await.unwrap();
        let held = ledger.get("oq").await.unwrap().unwrap();
        assert_eq!(held.held_quantity, 12_000, "{backend}");
        // Units hold no fen: nothing counts against the claim.
        assert_eq!(reserved(&ledger, "case-q").await, 0, "{backend}");
    }
}

#[tokio::test]
async fn orders_and_their_events_are_recorded_together() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "case-1", 1_000).await;
        let o = order("o1", "case-1", 500);
        ledger
            .create(&request("k1"), std::slice::from_ref(&o))
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
        let figures = ledger.case_figures("case-1").await.unwrap();
        assert_eq!((figures.claim_fen, figures.reserved_fen), (1_000, 300));
        assert_eq!(figures.held_fen(), 300);
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
        register(&ledger, "c", 1_000).await;
        ledger
            .create(&request("k"), &[order("a", "c", 1)])
            .await
            .unwrap();
        let again = ledger.create(&request("k"), &[order("b", "c", 1)]).await;
        assert!(matches!(again, Err(LedgerError::KeyTaken)), "{backend}");
        assert!(ledger.get("b").await.unwrap().is_none());
        let stored = ledger.find_request("鄂0116", "k").await.unwrap().unwrap();
        assert_eq!(stored.result_id, "k");
    }
}

#[tokio::test]
async fn concurrent_reservations_never_exceed_the_cap() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "capped", 1_000).await;
        let mut tasks = Vec::new();
        for n in 0..12 {
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                let o = order(&format!("o{n}"), "capped", 300);
                ledger.create(&request(&format!("k{n}")), &[o]).await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(LedgerError::OverCap { .. }) => {}
                Err(e) => panic!("{backend}: {e}"),
            }
        }
        assert_eq!(ok, 3, "{backend}: 3 × 300 fit under 1,000");
        assert_eq!(reserved(&ledger, "capped").await, 900);
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
        register(&ledger, "c", 1_000).await;
        let watch = Order {
            action: Action::Watch,
            ..order("w", "c", 0)
        };
        ledger
            .create(&request("kw"), std::slice::from_ref(&watch))
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
        register(&ledger, "c1", 1_000).await;
        register(&ledger, "c2", 1_000).await;
        let mut soon = order("soon", "c1", 1);
        soon.state = State::Effective;
        soon.end_day = 20_010;
        let later = order("later", "c1", 1);
        let other = order("other", "c2", 1);
        ledger
            .create(&request("k"), &[soon, later, other])
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

#[tokio::test]
async fn only_a_registered_case_in_the_right_state_takes_orders() {
    for (backend, ledger, _keep) in ledgers().await {
        let refused = ledger
            .create(&request("k0"), &[order("x", "invented", 1)])
            .await;
        assert!(
            matches!(refused, Err(LedgerError::Case(Refusal::NotRegistered(_)))),
            "{backend}: {refused:?}"
        );
        assert!(ledger.get("x").await.unwrap().is_none(), "nothing recorded");
        assert!(ledger.find_request("鄂0116", "k0").await.unwrap().is_none());
        register(&ledger, "c", 1_000).await;
        set_state(&ledger, "c", "suspended").await;
        let refused = ledger.create(&request("k1"), &[order("a", "c", 1)]).await;
        assert!(
            matches!(
                refused,
                Err(LedgerError::Case(Refusal::NotOpen {
                    state: CaseState::Suspended,
                    ..
                }))
            ),
            "{backend}"
        );
        // A release is still recorded on a closed case: holds must be lifted when it ends.
        set_state(&ledger, "c", "closed").await;
        let release = Order {
            action: Action::Release,
            target_order_id: "a".into(),
            ..order("r", "c", 0)
        };
        let mut released = request("k2");
        released.purpose = Purpose::Release;
        ledger.create(&released, &[release]).await.unwrap();
        assert_eq!(reserved(&ledger, "c").await, 0, "{backend}");
    }
}

#[tokio::test]
async fn four_eyes_counts_the_case_total_so_splitting_does_not_avoid_it() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "c", 100_000_000).await;
        let mut waiting = Vec::new();
        // Three freezes of 99,999.99 yuan against a 100,000.00 threshold.
        for n in 0..3 {
            let mut req = request(&format!("k{n}"));
            req.approval_above = Some(10_000_000);
            let recorded = ledger
                .create(&req, &[order(&format!("o{n}"), "c", 9_999_999)])
                .await
                .unwrap();
            waiting.push(recorded[0].state);
        }
        assert_eq!(
            waiting,
            vec![
                State::Requested,
                State::AwaitingApproval,
                State::AwaitingApproval
            ],
            "{backend}: the second takes the case over the threshold"
        );
        // A deduction on a case holding more than the threshold waits too, however small.
        let placed = ledger.get("o0").await.unwrap().unwrap();
        let mut frozen = placed.clone();
        frozen.state = State::Effective;
        frozen.frozen_fen = 9_999_999;
        ledger.update(&[(placed, frozen)]).await.unwrap();
        let deduct = Order {
            action: Action::Deduct,
            target_order_id: "o0".into(),
            ..order("d", "c", 100)
        };
        let mut req = request("kd");
        req.approval_above = Some(10_000_000);
        let recorded = ledger.create(&req, &[deduct]).await.unwrap();
        assert_eq!(recorded[0].state, State::AwaitingApproval, "{backend}");
        // Stored as decided, with the reservation counted.
        assert_eq!(
            ledger.get("o2").await.unwrap().unwrap().state,
            State::AwaitingApproval
        );
        assert_eq!(reserved(&ledger, "c").await, 3 * 9_999_999);
    }
}

#[tokio::test]
async fn a_case_holds_one_asset_once_whatever_the_path() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "c", 1_000_000).await;
        // Concurrent freezes of one account by one case, with different client keys.
        let mut tasks = Vec::new();
        for n in 0..8 {
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                let o = Order {
                    asset_local: "acct-shared".into(),
                    ..order(&format!("o{n}"), "c", 100)
                };
                ledger.create(&request(&format!("k{n}")), &[o]).await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(LedgerError::AlreadyHeld { .. }) => {}
                Err(e) => panic!("{backend}: {e}"),
            }
        }
        assert_eq!(won, 1, "{backend}");
        assert_eq!(
            reserved(&ledger, "c").await,
            100,
            "{backend}: losers reserve nothing"
        );
        // Once that hold ends, the asset may be held again.
        let live = ledger.live_holds_of_case("c").await.unwrap();
        let mut released = live[0].clone();
        released.state = State::Released;
        ledger.update(&[(live[0].clone(), released)]).await.unwrap();
        let again = Order {
            asset_local: "acct-shared".into(),
            ..order("again", "c", 100)
        };
        ledger.create(&request("k-again"), &[again]).await.unwrap();
        // A seal and a watch of one car are two kinds of hold.
        let seal = Order {
            action: Action::Seal,
            asset_local: "car".into(),
            ..order("s", "c", 0)
        };
        let watch = Order {
            action: Action::Watch,
            asset_local: "car".into(),
            ..order("w", "c", 0)
        };
        ledger.create(&request("ks"), &[seal]).await.unwrap();
        ledger.create(&request("kw"), &[watch]).await.unwrap();
    }
}

#[tokio::test]
async fn deductions_never_exceed_a_reduced_claim() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "c", 10_000).await;
        let mut hold = order("h", "c", 10_000);
        hold.state = State::Effective;
        hold.frozen_fen = 4_000;
        hold.deducted_fen = 6_000;
        ledger.create(&request("kh"), &[hold]).await.unwrap();
        // The claim is reduced after a partial recovery paid outside the hub.
        sqlx::query("UPDATE cases SET claim_fen = 7000 WHERE case_number = 'c'")
            .execute(ledger.pool())
            .await
            .unwrap();
        let deduct = |id: &str, amount| Order {
            action: Action::Deduct,
            target_order_id: "h".into(),
            ..order(id, "c", amount)
        };
        let over = ledger.create(&request("k1"), &[deduct("d1", 1_001)]).await;
        assert!(
            matches!(over, Err(LedgerError::OverCap { .. })),
            "{backend}: {over:?}"
        );
        ledger
            .create(&request("k2"), &[deduct("d2", 1_000)])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn reconciliation_never_overwrites_an_action_under_way() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "c", 1_000_000).await;
        let mut hold = order("h", "c", 10_000);
        hold.state = State::Effective;
        hold.frozen_fen = 10_000;
        let recorded = ledger.create(&request("kh"), &[hold]).await.unwrap();
        let before = ledger.get("h").await.unwrap().unwrap();
        assert_eq!(before.order_id, recorded[0].order_id);
        // A deduction sent and not answered yet.
        let deduct = Order {
            action: Action::Deduct,
            state: State::AwaitingAgency,
            target_order_id: "h".into(),
            ..order("d", "c", 2_000)
        };
        ledger.create(&request("kd"), &[deduct]).await.unwrap();
        let mut view = before.clone();
        view.frozen_fen = 8_000;
        assert!(
            !ledger.reconcile(&before, &view).await.unwrap(),
            "{backend}"
        );
        assert_eq!(ledger.get("h").await.unwrap().unwrap().frozen_fen, 10_000);
        // Answered: the hold is quiet again and the agency's view is taken.
        let pending = ledger.get("d").await.unwrap().unwrap();
        let mut done = pending.clone();
        done.state = State::Effective;
        ledger.update(&[(pending, done)]).await.unwrap();
        assert!(ledger.reconcile(&before, &view).await.unwrap(), "{backend}");
        // A view read before a change is refused (the hold's version moved).
        assert!(
            !ledger.reconcile(&before, &view).await.unwrap(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn deductions_under_way_count_against_the_claim_and_the_hold() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "c", 10_000).await;
        let mut hold = order("h", "c", 10_000);
        hold.state = State::Effective;
        hold.frozen_fen = 10_000;
        ledger.create(&request("kh"), &[hold]).await.unwrap();
        let deduct = |id: &str, amount| Order {
            action: Action::Deduct,
            target_order_id: "h".into(),
            ..order(id, "c", amount)
        };
        // 6,000 asked and not answered yet...
        ledger
            .create(&request("k1"), &[deduct("d1", 6_000)])
            .await
            .unwrap();
        // ...so 5,000 more would take the case's deductions over its 10,000 claim.
        let over = ledger.create(&request("k2"), &[deduct("d2", 5_000)]).await;
        assert!(
            matches!(over, Err(LedgerError::OverCap { .. })),
            "{backend}: {over:?}"
        );
        // With a larger claim it is the hold that runs short: 6,000 + 5,000 > 10,000 frozen.
        sqlx::query("UPDATE cases SET claim_fen = 100000 WHERE case_number = 'c'")
            .execute(ledger.pool())
            .await
            .unwrap();
        let over = ledger.create(&request("k3"), &[deduct("d3", 5_000)]).await;
        assert!(
            matches!(
                over,
                Err(LedgerError::OverFrozen {
                    frozen_fen: 10_000,
                    pending_fen: 6_000
                })
            ),
            "{backend}: {over:?}"
        );
        ledger
            .create(&request("k4"), &[deduct("d4", 4_000)])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_approval_is_checked_against_the_claim_as_it_stands_then() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "c", 100_000).await;
        let mut req = request("k1");
        req.approval_above = Some(1_000);
        let waiting = ledger
            .create(&req, &[order("f", "c", 50_000)])
            .await
            .unwrap();
        assert_eq!(waiting[0].state, State::AwaitingApproval);
        // The claim is reduced while the freeze waits for a supervisor.
        sqlx::query("UPDATE cases SET claim_fen = 10000 WHERE case_number = 'c'")
            .execute(ledger.pool())
            .await
            .unwrap();
        let before = ledger.get("f").await.unwrap().unwrap();
        let mut approved = before.clone();
        approved.state = State::Requested;
        let refused = ledger.approve(&before, &approved).await;
        assert!(
            matches!(refused, Err(LedgerError::OverCap { .. })),
            "{backend}: {refused:?}"
        );
        assert_eq!(
            ledger.get("f").await.unwrap().unwrap().state,
            State::AwaitingApproval
        );
        // Back within the claim, the approval goes.
        sqlx::query("UPDATE cases SET claim_fen = 100000 WHERE case_number = 'c'")
            .execute(ledger.pool())
            .await
            .unwrap();
        ledger.approve(&before, &approved).await.unwrap();
    }
}

#[tokio::test]
async fn event_pages_are_bounded_by_bytes_and_always_move_on() {
    for (backend, ledger, _keep) in ledgers().await {
        register(&ledger, "case-1", 1_000_000).await;
        for i in 0..5 {
            let mut o = order(&format!("big{i}"), "case-1", 100);
            // Each event carries ~10 kB of detail: two fit in 25 kB, three do not.
            o.detail = "x".repeat(10_000);
            ledger
                .create(&request(&format!("kb{i}")), std::slice::from_ref(&o))
                .await
                .unwrap();
        }
        let page = ledger.events_page(0, None, 500, 25_000).await.unwrap();
        assert_eq!(page.len(), 2, "{backend}");
        let next = ledger
            .events_page(page[1].seq, Some("case-1"), 500, 25_000)
            .await
            .unwrap();
        assert_eq!(next.len(), 2, "{backend}");
        assert_eq!(next[0].seq, page[1].seq + 1);
        let one = ledger.events_page(0, None, 500, 1).await.unwrap();
        assert_eq!(one.len(), 1, "a page holds the next event however large");
        let all = ledger.events_page(0, None, 500, u64::MAX).await.unwrap();
        assert_eq!(all.len(), 5, "{backend}");
        let few = ledger.events_page(0, None, 3, u64::MAX).await.unwrap();
        assert_eq!(few.len(), 3, "{backend}");
        let last = all.last().unwrap().seq;
        assert!(ledger
            .events_page(last, None, 500, 25_000)
            .await
            .unwrap()
            .is_empty());
        assert!(ledger
            .events_page(0, Some("case-2"), 500, 25_000)
            .await
            .unwrap()
            .is_empty());
    }
}

/// Many writers appending events at once (several hubs on PostgreSQL): every transaction
/// commits on its first try — none numbers the same event as another and fails on the unique
/// key — and the numbers come out one after another, each once, in commit order.
#[tokio::test]
async fn concurrent_writers_number_events_without_collisions_or_gaps() {
    for (backend, ledger, _keep) in ledgers().await {
        let before = *ledger.subscribe().borrow();
        let writers: Vec<_> = (0..24)
            .map(|n| {
                let ledger = ledger.clone();
                tokio::spawn(async move {
                    let mut tx = ledger.begin().await?;
                    let payload = InquiryPayload {
                        inquiry_id: format!("inq-{n}"),
                        source: "bank-a".into(),
                        state: "pending".into(),
                        debtor_masked: "110105********002X".into(),
                        asset_count: 0,
                        reason: String::new(),
                    };
                    let seq = append_inquiry(&mut tx, "(2024)鄂0116执1234号", &payload).await?;
                    tx.commit().await?;
                    Ok::<u64, LedgerError>(seq)
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for writer in writers {
            numbers.push(
                writer
                    .await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{backend}: {e}")),
            );
        }
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            (before + 1..=before + 24).collect::<Vec<u64>>(),
            "{backend}"
        );
        let page = ledger
            .events_page(before, None, 100, 1 << 20)
            .await
            .unwrap();
        let read: Vec<u64> = page.iter().map(|e| e.seq).collect();
        assert_eq!(read, numbers, "{backend}: the feed reads them in order");
    }
}

/// Leases among hubs sharing a PostgreSQL ledger: one holder at a time, renewed by it, taken
/// over by another only once given up or run out (on the database's clock).
#[tokio::test]
async fn one_hub_at_a_time_holds_a_lease_until_it_is_given_up_or_runs_out() {
    use crate::db::Leases;
    for (backend, ledger, _keep) in ledgers().await {
        if backend != "postgres" {
            continue;
        }
        let a = Leases::new(ledger.pool().clone(), "hub-a".into());
        let b = Leases::new(ledger.pool().clone(), "hub-b".into());
        let long = Duration::from_secs(30);
        assert!(a.claim("order:1", long).await.unwrap());
        assert!(!b.claim("order:1", long).await.unwrap(), "held by a");
        assert!(a.claim("order:1", long).await.unwrap(), "a renews");
        assert!(
            b.claim("order:2", long).await.unwrap(),
            "another lease is free"
        );
        a.release("order:1").await.unwrap();
        b.release("order:1").await.unwrap(); // not b's: changes nothing
        assert!(b.claim("order:1", long).await.unwrap(), "given up by a");
        assert!(!a.claim("order:1", long).await.unwrap());
        assert!(a
            .claim("follow-up", Duration::from_millis(200))
            .await
            .unwrap());
        assert!(!b.claim("follow-up", long).await.unwrap());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            b.claim("follow-up", long).await.unwrap(),
            "a's lease ran out"
        );
        assert!(!a.claim("follow-up", long).await.unwrap());
    }
}
