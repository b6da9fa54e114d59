//! The inquiry store on each available backend (SQLite always, PostgreSQL when
//! `ASSETHUB_TEST_PG_URL` is set): rows and answers read back as written, a change applies
//! only over the state it was decided on, listings filter and bound, and a settlement
//! appends its event in the same transaction. Plus the pure helpers' tables.

use super::store::{self, Inquiry, InquiryFilter, InquiryState, StoredAnswer};
use super::*;
use crate::orders::ledger::tests::ledgers;
use crate::orders::ledger::EventBody;
use assethub_connectors::domain::{
    AccountStatus, Asset, AssetDetail, AssetRef, DepositAccount, DepositType, Fen,
};

fn row(id: &str, case: &str, court: &str, state: InquiryState, created: i64) -> Inquiry {
    Inquiry {
        inquiry_id: id.into(),
        source: "bank-later".into(),
        case_number: case.into(),
        court: court.into(),
        debtor_id: "11010519491231002X".into(),
        debtor_name: "张伟".into(),
        debtor_masked: "110105********002X 张*".into(),
        inquiry_key: format!("q-{id}"),
        ticket: String::new(),
        state,
        expected_at_ms: 0,
        expires_at_ms: created + 86_400_000,
        answer: None,
        reason: String::new(),
        attempts: 0,
        reasked: 0,
        created_at_ms: created,
        updated_at_ms: created,
    }
}

fn account() -> Asset {
    Asset {
        asset_ref: AssetRef::parse("bank-later:6222000011112222").unwrap(),
        detail: AssetDetail::Deposit(DepositAccount {
            account_number: "6222000011112222".into(),
            deposit_type: DepositType::Time,
            currency: "USD".into(),
            balance: Fen(960_000),
            frozen: Fen(1),
            status: AccountStatus::Frozen,
            branch: "武汉分行".into(),
        }),
    }
}

const CASE: &str = "(2024)鄂0116执1234号";
const OTHER: &str = "(2024)鄂01执77号";

#[tokio::test]
async fn rows_and_answers_read_back_as_written_on_every_backend() {
    for (backend, ledger, _keep) in ledgers().await {
        let pool = ledger.pool();
        let sending = row("inq-1", CASE, "鄂0116", InquiryState::Sending, 1_000);
        store::insert(pool, &sending).await.unwrap();
        assert_eq!(
            store::get(pool, "inq-1").await.unwrap(),
            Some(sending.clone()),
            "{backend}"
        );
        assert_eq!(store::get(pool, "inq-x").await.unwrap(), None, "{backend}");

        let mut answered = sending.clone();
        answered.state = InquiryState::Answered;
        answered.ticket = "T1".into();
        answered.answer = Some(StoredAnswer::Found(vec![account()]));
        answered.attempts = 3;
        answered.updated_at_ms = 5_000;
        let mut tx = ledger.begin().await.unwrap();
        // Decided on a state the row is not in: nothing written.
        assert!(!store::update(&mut tx, &answered, InquiryState::Pending)
            .await
            .unwrap());
        assert!(store::update(&mut tx, &answered, InquiryState::Sending)
            .await
            .unwrap());
        tx.commit().await.unwrap();
        let read = store::get(pool, "inq-1").await.unwrap().unwrap();
        assert_eq!(read, answered, "{backend}");
        assert_eq!(read.asset_count(), 1);
        assert_eq!(
            store::answered_since(pool, 5_000).await.unwrap().len(),
            1,
            "{backend}"
        );
        assert!(
            store::answered_since(pool, 5_001).await.unwrap().is_empty(),
            "{backend}"
        );
        assert!(store::open(pool).await.unwrap().is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn listings_filter_by_court_case_and_state_newest_first_and_bounded() {
    for (backend, ledger, _keep) in ledgers().await {
        let pool = ledger.pool();
        for (i, (case, court, state)) in [
            (CASE, "鄂0116", InquiryState::Pending),
            (CASE, "鄂0116", InquiryState::Expired),
            (OTHER, "鄂01", InquiryState::Pending),
            (CASE, "鄂0116", InquiryState::Sending),
        ]
        .into_iter()
        .enumerate()
        {
            let id = format!("inq-{i}");
            store::insert(pool, &row(&id, case, court, state, i as i64))
                .await
                .unwrap();
        }
        let ids = |rows: Vec<Inquiry>| rows.into_iter().map(|r| r.inquiry_id).collect::<Vec<_>>();
        let court = |states: Vec<InquiryState>, limit| InquiryFilter {
            court: Some("鄂0116".into()),
            case_number: None,
            states,
            limit,
        };
        assert_eq!(
            ids(store::list(pool, &court(vec![], 10)).await.unwrap()),
            ["inq-3", "inq-1", "inq-0"],
            "{backend}"
        );
        assert_eq!(
            ids(store::list(pool, &court(vec![], 2)).await.unwrap()),
            ["inq-3", "inq-1"],
            "{backend}"
        );
        assert_eq!(
            ids(store::list(
                pool,
                &court(vec![InquiryState::Pending, InquiryState::Sending], 10)
            )
            .await
            .unwrap()),
            ["inq-3", "inq-0"],
            "{backend}"
        );
        let other_case = InquiryFilter {
            court: Some("鄂01".into()),
            case_number: Some(OTHER.into()),
            states: vec![],
            limit: 10,
        };
        assert_eq!(
            ids(store::list(pool, &other_case).await.unwrap()),
            ["inq-2"],
            "{backend}"
        );
        assert_eq!(store::open(pool).await.unwrap().len(), 3, "{backend}");
    }
}

#[tokio::test]
async fn a_settlement_and_its_event_are_written_together() {
    for (backend, ledger, _keep) in ledgers().await {
        let registry = Arc::new(Registry::from_connectors(vec![]));
        let book = Inquiries::new(
            ledger.clone(),
            registry,
            AnswerCache::new(10),
            Arc::new(Clock::new()),
            FollowPolicy::default(),
        );
        let pending = row("inq-9", CASE, "鄂0116", InquiryState::Pending, 1);
        store::insert(ledger.pool(), &pending).await.unwrap();
        let mut expired = pending.clone();
        expired.state = InquiryState::Expired;
        expired.reason = "the agency never answered inquiry T9 before it expired".into();
        assert!(book
            .record(&expired, InquiryState::Pending, true)
            .await
            .unwrap());
        // The same change again finds the row moved on: no second event.
        assert!(!book
            .record(&expired, InquiryState::Pending, true)
            .await
            .unwrap());
        let events = ledger.events_after(0, Some(CASE), 10).await.unwrap();
        assert_eq!(events.len(), 1, "{backend}");
        match &events[0].body {
            EventBody::Inquiry(i) => {
                assert_eq!(
                    (i.inquiry_id.as_str(), i.state.as_str()),
                    ("inq-9", "expired")
                );
                assert_eq!(i.debtor_masked, "110105********002X 张*");
                assert!(i.reason.contains("never answered"));
            }
            other => panic!("{backend}: {other:?}"),
        }
        let settled = book.wait_settled("inq-9").await.unwrap();
        assert_eq!(settled.state, InquiryState::Expired);
        assert!(matches!(
            book.wait_settled("inq-none").await,
            Err(InquiryError::Unknown(_))
        ));
    }
}

#[test]
fn backoff_doubles_from_the_first_poll_up_to_the_longest_wait() {
    let policy = FollowPolicy::default();
    let secs: Vec<u64> = (0..8).map(|n| policy.backoff(n).as_secs()).collect();
    assert_eq!(secs, [30, 60, 120, 240, 480, 600, 600, 600]);
    assert_eq!(policy.backoff(u32::MAX).as_secs(), 600);
}

#[test]
fn states_have_stable_names() {
    for (state, name, open) in [
        (InquiryState::Sending, "sending", true),
        (InquiryState::Pending, "pending", true),
        (InquiryState::Answered, "answered", false),
        (InquiryState::Expired, "expired", false),
        (InquiryState::Failed, "failed", false),
    ] {
        assert_eq!(state.as_str(), name);
        assert_eq!(InquiryState::parse(name), Some(state));
        assert_eq!(state.is_open(), open);
    }
    assert_eq!(InquiryState::parse("PENDING"), None);
}
