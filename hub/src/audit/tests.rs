//! The audit log's contract, on SQLite (always) and PostgreSQL (when `ASSETHUB_TEST_PG_URL`
//! names a server, e.g. `postgres://postgres@127.0.0.1/postgres`; each test makes its own
//! database, `assethub_test_*`). Tampering is done directly in the database, as an intruder
//! with SQL access would.

use super::*;
use sqlx::AnyPool;

const KEY: &[u8] = b"test audit key";
const ID: &str = "11010519491231002X";

/// An audit log on each available backend (the ledger's, so every migration ran), its pool
/// for tampering, and what keeps it alive.
pub(super) async fn logs() -> Vec<(&'static str, AuditLog, AnyPool, Option<tempfile::TempDir>)> {
    crate::orders::ledger::tests::ledgers()
        .await
        .into_iter()
        .map(|(backend, ledger, keep)| {
            let pool = ledger.pool().clone();
            let log = AuditLog::open(ledger.pool().clone(), ledger.sqlite_file(), KEY)
                .expect("audit writer");
            (backend, log, pool, keep)
        })
        .collect()
}

pub(super) fn entry(log: &AuditLog, n: usize) -> AuditEntry {
    AuditEntry {
        at_ms: 1_714_521_600_000 + n as i64,
        actor: "李四".into(),
        court: "鄂0116".into(),
        role: "judge".into(),
        method: if n.is_multiple_of(2) {
            "/assethub.v1.Orders/PlaceHold".into()
        } else {
            "agency:bank-gongxin:freeze".into()
        },
        case_number: "(2024)鄂0116执1234号".into(),
        debtor_ref: log.debtor_ref(ID),
        decision: "allowed".into(),
        outcome: format!("ord-{n}"),
        detail: String::new(),
    }
}

/// A log of `n` entries, numbered 1..=n.
pub(super) async fn filled(log: &AuditLog, n: usize) {
    for i in 1..=n {
        assert_eq!(log.append(entry(log, i)).await.unwrap(), i as u64);
    }
}

pub(super) async fn exec(pool: &AnyPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

/// The first broken entry, its reason, and the entries checked before it.
async fn broken(log: &AuditLog) -> (u64, String, u64) {
    let report = log.verify().await.unwrap();
    let (seq, reason) = report.first_broken.expect("the log should be broken");
    (seq, reason, report.entries_checked)
}

#[tokio::test]
async fn an_intact_chain_verifies_and_lists_in_order() {
    for (backend, log, _pool, _keep) in logs().await {
        let empty = log.verify().await.unwrap();
        assert!(empty.intact(), "{backend}: {empty:?}");
        assert_eq!(
            (empty.entries_checked, empty.head_hash.as_str()),
            (0, GENESIS)
        );

        filled(&log, 10).await;
        let report = log.verify().await.unwrap();
        assert!(report.intact(), "{backend}: {report:?}");
        assert_eq!(report.entries_checked, 10, "{backend}");

        let all = log.list(0, 0).await.unwrap();
        assert_eq!(all.len(), 10, "{backend}");
        assert_eq!(all[0].prev_hash, GENESIS);
        for pair in all.windows(2) {
            assert_eq!(pair[0].seq + 1, pair[1].seq);
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        assert_eq!(report.head_hash, all[9].hash);
        assert_eq!(all[2].entry, entry(&log, 3), "{backend}: stored as given");
        let page = log.list(3, 2).await.unwrap();
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![4, 5]);
        assert!(log.list(10, 5).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 10).await;
        exec(
            &pool,
            "UPDATE audit_log SET decision = 'denied: x' WHERE seq = 5",
        )
        .await;
        let (seq, reason, checked) = broken(&log).await;
        assert_eq!((seq, checked), (5, 4), "{backend}: {reason}");
        assert!(reason.contains("edited"), "{backend}: {reason}");
    }
}

#[tokio::test]
async fn an_edit_with_its_hash_recomputed_breaks_the_next_link() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 10).await;
        let mut forged = log.list(4, 1).await.unwrap().remove(0);
        forged.entry.outcome = "ord-forged".into();
        let hash = chain::entry_hash(&forged.prev_hash, 5, &forged.entry);
        sqlx::query("UPDATE audit_log SET outcome = $1, hash = $2 WHERE seq = 5")
            .bind(&forged.entry.outcome)
            .bind(&hash)
            .execute(&pool)
            .await
            .unwrap();
        let (seq, reason, _) = broken(&log).await;
        assert_eq!(seq, 6, "{backend}: {reason}");
        assert!(reason.contains("prev_hash"), "{backend}: {reason}");
    }
}

#[tokio::test]
async fn a_deleted_entry_is_named_by_the_next_one() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 10).await;
        exec(&pool, "DELETE FROM audit_log WHERE seq = 5").await;
        let (seq, reason, checked) = broken(&log).await;
        assert_eq!((seq, checked), (6, 4), "{backend}: {reason}");
        assert!(reason.contains("gap"), "{backend}: {reason}");

        // Deleting the first entry is caught too.
        exec(&pool, "DELETE FROM audit_log WHERE seq = 1").await;
        let (seq, reason, _) = broken(&log).await;
        assert_eq!(seq, 2, "{backend}: {reason}");
    }
}

#[tokio::test]
async fn a_deletion_renumbered_to_hide_the_gap_is_caught() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 10).await;
        exec(&pool, "DELETE FROM audit_log WHERE seq = 5").await;
        for seq in 6..=10 {
            exec(
                &pool,
                &format!("UPDATE audit_log SET seq = {} WHERE seq = {seq}", seq - 1),
            )
            .await;
        }
        exec(&pool, "UPDATE audit_head SET last_seq = 9 WHERE id = 1").await;
        let (seq, reason, _) = broken(&log).await;
        assert_eq!(seq, 5, "{backend}: {reason}");
        assert!(reason.contains("prev_hash"), "{backend}: {reason}");
    }
}

#[tokio::test]
async fn reordered_entries_are_caught() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 10).await;
        // Swap #4 and #7.
        exec(&pool, "UPDATE audit_log SET seq = -4 WHERE seq = 4").await;
        exec(&pool, "UPDATE audit_log SET seq = 4 WHERE seq = 7").await;
        exec(&pool, "UPDATE audit_log SET seq = 7 WHERE seq = -4").await;
        let (seq, reason, checked) = broken(&log).await;
        assert_eq!((seq, checked), (4, 3), "{backend}: {reason}");
        assert!(reason.contains("reordered"), "{backend}: {reason}");

        // Neighbours swapped too.
        exec(&pool, "UPDATE audit_log SET seq = -4 WHERE seq = 4").await;
        exec(&pool, "UPDATE audit_log SET seq = 4 WHERE seq = 7").await;
        exec(&pool, "UPDATE audit_log SET seq = 7 WHERE seq = -4").await;
        assert!(log.verify().await.unwrap().intact(), "{backend}: restored");
        exec(&pool, "UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
        exec(&pool, "UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
        exec(&pool, "UPDATE audit_log SET seq = 3 WHERE seq = -2").await;
        let (seq, reason, _) = broken(&log).await;
        assert_eq!(seq, 2, "{backend}: {reason}");
    }
}

#[tokio::test]
async fn deleting_the_newest_entries_is_caught_by_the_head() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 10).await;
        exec(&pool, "DELETE FROM audit_log WHERE seq >= 9").await;
        let (seq, reason, checked) = broken(&log).await;
        assert_eq!((seq, checked), (9, 8), "{backend}: {reason}");
        assert!(reason.contains("head"), "{backend}: {reason}");

        // Appending afterwards does not paper over the hole.
        assert_eq!(log.append(entry(&log, 11)).await.unwrap(), 11);
        let (seq, reason, _) = broken(&log).await;
        assert_eq!(seq, 11, "{backend}: {reason}");
        assert!(reason.contains("gap"), "{backend}: {reason}");
    }
}

#[tokio::test]
async fn a_replaced_newest_entry_is_caught_by_the_head() {
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 3).await;
        // The newest entry rewritten with a consistent hash: only the head tells.
        let mut forged = log.list(2, 1).await.unwrap().remove(0);
        forged.entry.decision = "denied: forged".into();
        let hash = chain::entry_hash(&forged.prev_hash, 3, &forged.entry);
        sqlx::query("UPDATE audit_log SET decision = $1, hash = $2 WHERE seq = 3")
            .bind(&forged.entry.decision)
            .bind(&hash)
            .execute(&pool)
            .await
            .unwrap();
        let (seq, reason, _) = broken(&log).await;
        assert_eq!(seq, 3, "{backend}: {reason}");
        assert!(reason.contains("head"), "{backend}: {reason}");
    }
}

#[tokio::test]
async fn long_or_binary_fields_are_stored_bounded_and_still_chained() {
    for (backend, log, _pool, _keep) in logs().await {
        let mut long = entry(&log, 1);
        long.detail = format!("{}\0\n\u{1b}[2J", "细".repeat(100_000));
        long.outcome = "x".repeat(5_000);
        long.actor = "李四\r\nforged line".into();
        log.append(long).await.unwrap();
        log.append(entry(&log, 2)).await.unwrap();
        let stored = log.list(0, 1).await.unwrap().remove(0).entry;
        assert!(
            stored.detail.len() <= FIELD_LIMIT,
            "{backend}: {}",
            stored.detail.len()
        );
        assert!(stored.detail.ends_with(" bytes]") && stored.detail.contains("…[+"));
        assert!(stored.outcome.len() <= FIELD_LIMIT && stored.outcome.contains("…[+"));
        assert_eq!(stored.actor, "李四\u{FFFD}\u{FFFD}forged line");
        assert!(
            log.verify().await.unwrap().intact(),
            "{backend}: hashed as stored"
        );
    }
}

#[tokio::test]
async fn the_debtor_ref_is_keyed_and_stable() {
    for (backend, log, pool, _keep) in logs().await {
        let r = log.debtor_ref(ID);
        assert_eq!(r.len(), 32, "{backend}");
        assert!(r.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!r.contains(ID) && !r.contains("11010519491231"));
        assert_eq!(r, log.debtor_ref(ID), "stable");
        assert_eq!(r, log.debtor_ref(" 11010519491231002x "), "normalised");
        assert_eq!(r, AuditLog::new(pool.clone(), KEY).debtor_ref(ID));
        assert_ne!(r, AuditLog::new(pool.clone(), b"other key").debtor_ref(ID));
        assert_ne!(r, log.debtor_ref("91350100M000100Y43"));
        assert_eq!(log.debtor_ref(""), "");

        log.append(entry(&log, 1)).await.unwrap();
        let stored = log.list(0, 1).await.unwrap().remove(0);
        assert_eq!(stored.entry.debtor_ref, r);
        assert!(!format!("{stored:?}").contains(ID), "{backend}");
    }
}

#[tokio::test]
async fn concurrent_appends_keep_the_chain_intact() {
    for (backend, log, pool, _keep) in logs().await {
        // Half the callers append through a second log on the same database, as a second
        // hub would: two group writers taking turns on the head.
        let other = AuditLog::new(pool.clone(), KEY);
        let tasks: Vec<_> = (0..20)
            .map(|t| {
                let log = if t % 2 == 0 {
                    log.clone()
                } else {
                    other.clone()
                };
                tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..5 {
                        seqs.push(log.append(entry(&log, t * 10 + i)).await.unwrap());
                    }
                    seqs
                })
            })
            .collect();
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.extend(task.await.unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=100).collect::<Vec<u64>>(), "{backend}");
        let report = log.verify().await.unwrap();
        assert!(report.intact(), "{backend}: {report:?}");
        assert_eq!(report.entries_checked, 100, "{backend}");
    }
}

#[tokio::test]
async fn the_service_reports_and_lists() {
    use assethub_proto::v1 as pb;
    use pb::audit_server::Audit;
    for (backend, log, pool, _keep) in logs().await {
        filled(&log, 3).await;
        let dir = tempfile::tempdir().unwrap();
        let service = service(&log, dir.path());
        let ok = service
            .verify_audit(as_auditor(pb::VerifyAuditRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(ok.intact, "{backend}");
        assert_eq!((ok.entries_checked, ok.first_broken_seq), (3, 0));
        assert!(ok.reason.is_empty());
        let listed = service
            .list_audit(as_auditor(pb::ListAuditRequest {
                after_seq: 1,
                limit: 10,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            listed.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(listed.entries[1].hash, ok.head_hash);
        assert_eq!(listed.entries[0].outcome, "ord-2");

        exec(
            &pool,
            "UPDATE audit_log SET actor = 'someone' WHERE seq = 2",
        )
        .await;
        let bad = service
            .verify_audit(as_auditor(pb::VerifyAuditRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(!bad.intact);
        assert_eq!((bad.first_broken_seq, bad.entries_checked), (2, 1));

        pool.close().await;
        let down = service
            .verify_audit(as_auditor(pb::VerifyAuditRequest::default()))
            .await
            .expect_err("closed pool");
        assert_eq!(down.code(), tonic::Code::Unavailable, "{backend}");
    }
}

/// The service over `log`, its checkpoint file in `dir`.
pub(super) fn service(log: &AuditLog, dir: &std::path::Path) -> AuditService {
    AuditService::new(log.clone(), checkpointer(log, dir))
}

/// A checkpointer of `log` with a test key, its file in `dir`.
pub(super) fn checkpointer(log: &AuditLog, dir: &std::path::Path) -> Checkpointer {
    Checkpointer::new(
        log.clone(),
        CheckpointKey::from_seed("cp-test", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=")
            .unwrap(),
        CheckpointFile::new(dir.join("checkpoints.jsonl")),
    )
}

/// A request as the hub's auth interceptor would pass it on for an auditor.
pub(super) fn as_auditor<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(crate::auth::Caller {
        iss: "test".into(),
        sub: "auditor-1".into(),
        officer: String::new(),
        court: "鄂0116".into(),
        role: crate::auth::Role::Auditor,
    });
    request
}

#[tokio::test]
async fn only_auditors_may_read_the_log() {
    use assethub_proto::v1 as pb;
    use pb::audit_server::Audit;
    for (_, log, _pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let service = service(&log, dir.path());
        let mut request = tonic::Request::new(pb::VerifyAuditRequest::default());
        request.extensions_mut().insert(crate::auth::Caller {
            iss: "test".into(),
            sub: "judge-1".into(),
            officer: "王法官".into(),
            court: "鄂0116".into(),
            role: crate::auth::Role::Judge,
        });
        let denied = service.verify_audit(request).await.unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    }
}

/// The embedded ledger's audit writer has a connection of its own: the ledger's transactions
/// that read before they write (registering a case reads it first) must take turns with it,
/// not fail because its commit overtook their snapshot (SQLITE_BUSY).
#[tokio::test]
async fn ledger_transactions_and_audit_appends_take_turns() {
    use crate::cases::model::{CaseDebtor, NewCase};
    use crate::cases::CaseStore;
    use assethub_connectors::domain::CaseNumber;
    for (backend, ledger, _keep) in crate::orders::ledger::tests::ledgers().await {
        let log = AuditLog::open(ledger.pool().clone(), ledger.sqlite_file(), KEY).unwrap();
        let store = CaseStore::new(ledger.pool().clone());
        let registrations = (0..40).map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let new = NewCase {
                    case: CaseNumber::parse(&format!("(2024)鄂0116执{}号", 3000 + n)).unwrap(),
                    debtors: vec![CaseDebtor {
                        id: ID.into(),
                        name: "张伟".into(),
                    }],
                    claim_fen: 100_000,
                    account: "HB0116-ZX-2024-1234".into(),
                };
                store.register(&new, "test").await
            })
        });
        let appends = (0..40).map(|n| {
            let log = log.clone();
            tokio::spawn(async move { log.append(entry(&log, n)).await })
        });
        let (registered, appended) = futures::future::join(
            futures::future::join_all(registrations),
            futures::future::join_all(appends),
        )
        .await;
        for r in registered {
            assert!(r.unwrap().is_ok(), "{backend}: a registration failed");
        }
        for a in appended {
            assert!(a.unwrap().is_ok(), "{backend}: an append failed");
        }
        assert!(log.verify().await.unwrap().intact(), "{backend}");
    }
}
