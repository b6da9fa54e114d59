//! Signed checkpoints against an insider with SQL access, on SQLite and PostgreSQL (like
//! `tests`): a rewrite with every later hash and the head recomputed, and the newest entries
//! deleted with the head moved back, both pass the plain chain walk — and both fail against
//! a checkpoint signed before. Forged and altered checkpoints are refused; a log that only
//! grew verifies; the hub never signs over a rewrite.

use super::tests::{as_auditor, checkpointer, entry, exec, filled, logs, service};
use super::*;
use sqlx::AnyPool;

/// Rewrites entry `seq` (its outcome) and recomputes its hash, every later entry's links and
/// hashes, and the head: what an insider does so that the chain alone still verifies.
async fn rewrite_and_rehash(log: &AuditLog, pool: &AnyPool, seq: u64) {
    let records = log.list(seq - 1, MAX_LIMIT).await.unwrap();
    let mut prev = records[0].prev_hash.clone();
    for mut record in records {
        if record.seq == seq {
            record.entry.outcome = "ord-forged".into();
        }
        let hash = entry_hash(&prev, record.seq, &record.entry);
        sqlx::query("UPDATE audit_log SET outcome = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&record.entry.outcome)
            .bind(&prev)
            .bind(&hash)
            .bind(record.seq as i64)
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(pool)
        .await
        .unwrap();
}

/// Deletes every entry after `keep` and moves the head back to it.
async fn truncate(log: &AuditLog, pool: &AnyPool, keep: u64) {
    let kept = log.list(keep - 1, 1).await.unwrap().remove(0);
    exec(pool, &format!("DELETE FROM audit_log WHERE seq > {keep}")).await;
    sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
        .bind(keep as i64)
        .bind(&kept.hash)
        .execute(pool)
        .await
        .unwrap();
}

/// Appends entries numbered `from..=to`.
async fn more(log: &AuditLog, from: usize, to: usize) {
    for i in from..=to {
        assert_eq!(log.append(entry(log, i)).await.unwrap(), i as u64);
    }
}

#[tokio::test]
async fn a_rewrite_with_every_hash_recomputed_fails_an_earlier_checkpoint() {
    for (backend, log, pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = checkpointer(&log, dir.path());
        filled(&log, 10).await;
        let kept = checkpoints.sign_now().await.unwrap();
        assert_eq!(kept.entries, 10, "{backend}");
        more(&log, 11, 12).await;

        rewrite_and_rehash(&log, &pool, 5).await;
        let chain = log.verify().await.unwrap();
        assert!(
            chain.intact(),
            "{backend}: the chain alone cannot tell: {chain:?}"
        );

        let judgement = checkpoints.judge(vec![kept.clone()]).await.unwrap();
        assert!(!judgement.intact(), "{backend}");
        assert!(judgement.chain.intact(), "{backend}");
        let [presented, own] = &judgement.checkpoints[..] else {
            panic!("{backend}: the presented checkpoint and the hub's own: {judgement:?}")
        };
        assert_eq!(
            (presented.verdict, presented.from_hub_file),
            (Verdict::Rewritten, false)
        );
        assert!(
            presented.reason.contains("rewritten"),
            "{backend}: {}",
            presented.reason
        );
        assert!(
            presented.reason.contains("#10"),
            "{backend}: {}",
            presented.reason
        );
        assert_eq!(
            (own.verdict, own.from_hub_file),
            (Verdict::Rewritten, true),
            "{backend}"
        );
        assert_eq!(own.checkpoint, kept);

        // The hub will not bless the rewrite with a new checkpoint.
        let refused = checkpoints.sign_now().await.unwrap_err();
        assert!(
            matches!(
                refused,
                CheckpointError::NotExtending {
                    entries: 10,
                    seq: 11,
                    ..
                }
            ),
            "{backend}: {refused}"
        );
        assert!(
            refused.to_string().contains("rewritten"),
            "{backend}: {refused}"
        );
    }
}

#[tokio::test]
async fn deleting_the_newest_entries_and_moving_the_head_back_is_a_truncation() {
    for (backend, log, pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = checkpointer(&log, dir.path());
        filled(&log, 10).await;
        let early = checkpoints.sign_now().await.unwrap();
        more(&log, 11, 14).await;
        let kept = checkpoints.sign_now().await.unwrap();
        assert_eq!((early.entries, kept.entries), (10, 14), "{backend}");

        truncate(&log, &pool, 12).await;
        let chain = log.verify().await.unwrap();
        assert!(
            chain.intact(),
            "{backend}: the chain alone cannot tell: {chain:?}"
        );
        assert_eq!(chain.entries_checked, 12);

        let judgement = checkpoints
            .judge(vec![early.clone(), kept.clone()])
            .await
            .unwrap();
        let verdicts: Vec<(Verdict, bool)> = judgement
            .checkpoints
            .iter()
            .map(|j| (j.verdict, j.from_hub_file))
            .collect();
        assert_eq!(
            verdicts,
            [
                (Verdict::Ok, false),
                (Verdict::Truncated, false),
                (Verdict::Truncated, true)
            ],
            "{backend}"
        );
        assert!(
            judgement.checkpoints[1].reason.contains("only 12"),
            "{backend}"
        );
        assert!(!judgement.intact());
        assert!(matches!(
            checkpoints.sign_if_grown().await,
            Err(CheckpointError::NotExtending { entries: 14, .. })
        ));

        // The log grows back past the checkpoint, with other entries: what it covered is
        // still not there.
        for n in 13..=16 {
            let mut other = entry(&log, n);
            other.outcome = format!("ord-other-{n}");
            assert_eq!(log.append(other).await.unwrap(), n as u64);
        }
        assert!(log.verify().await.unwrap().intact(), "{backend}");
        let judgement = checkpoints.judge(vec![kept]).await.unwrap();
        assert_eq!(
            judgement.checkpoints[0].verdict,
            Verdict::Rewritten,
            "{backend}"
        );
        assert!(judgement.checkpoints[0].reason.contains("#14"), "{backend}");
    }
}

#[tokio::test]
async fn altered_checkpoints_and_other_keys_are_refused() {
    for (backend, log, _pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = checkpointer(&log, dir.path());
        filled(&log, 6).await;
        let kept = checkpoints.sign_now().await.unwrap();
        let forger =
            CheckpointKey::from_seed("cp-test", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
                .unwrap();
        let presented = vec![
            Checkpoint {
                entries: 5,
                ..kept.clone()
            },
            Checkpoint {
                at_ms: kept.at_ms - 1,
                ..kept.clone()
            },
            Checkpoint {
                key_id: "cp-other".into(),
                ..kept.clone()
            },
            forger.sign(6, &kept.head_hash, kept.at_ms),
            kept.clone(),
        ];
        let judgement = checkpoints.judge(presented).await.unwrap();
        let verdicts: Vec<Verdict> = judgement.checkpoints.iter().map(|j| j.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::BadSignature,
                Verdict::BadSignature,
                Verdict::BadSignature,
                Verdict::BadSignature,
                Verdict::Ok,
                Verdict::Ok
            ],
            "{backend}"
        );
        assert!(judgement.checkpoints[2].reason.contains("cp-other"));
        assert!(judgement.chain.intact() && !judgement.intact());

        // The hub's own file is checked too: a forged newest line is reported.
        let file = checkpoints.file().clone();
        file.append(&forger.sign(6, &kept.head_hash, kept.at_ms + 1))
            .unwrap();
        let judgement = checkpoints.judge(Vec::new()).await.unwrap();
        let own = &judgement.checkpoints[0];
        assert_eq!(
            (own.verdict, own.from_hub_file),
            (Verdict::BadSignature, true),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_log_that_only_grew_verifies_and_is_checkpointed_when_it_grows() {
    for (backend, log, pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = checkpointer(&log, dir.path());
        assert_eq!(
            checkpoints.sign_if_grown().await.unwrap(),
            None,
            "{backend}: empty"
        );
        let empty = checkpoints.sign_now().await.unwrap();
        assert_eq!((empty.entries, empty.head_hash.as_str()), (0, GENESIS));
        filled(&log, 7).await;
        let seven = checkpoints.sign_if_grown().await.unwrap().expect("grown");
        assert_eq!(seven.entries, 7);
        assert_eq!(
            checkpoints.sign_if_grown().await.unwrap(),
            None,
            "{backend}: unchanged"
        );
        more(&log, 8, 30).await;

        let judgement = checkpoints.judge(vec![empty, seven.clone()]).await.unwrap();
        assert!(judgement.intact(), "{backend}: {judgement:?}");
        assert_eq!(judgement.checkpoints.len(), 3);
        let latest = checkpoints.latest_or_sign().await.unwrap();
        assert_eq!(latest, (seven.clone(), false));

        // A break after what a checkpoint covers fails the chain, not the checkpoint.
        exec(&pool, "UPDATE audit_log SET detail = 'x' WHERE seq = 20").await;
        let judgement = checkpoints.judge(vec![seven]).await.unwrap();
        assert_eq!(judgement.chain.first_broken.as_ref().map(|b| b.0), Some(20));
        assert_eq!(judgement.checkpoints[0].verdict, Verdict::Ok, "{backend}");
        assert!(!judgement.intact());
        // ... and one inside it fails the checkpoint too.
        exec(&pool, "UPDATE audit_log SET detail = 'x' WHERE seq = 3").await;
        let judgement = checkpoints.judge(Vec::new()).await.unwrap();
        assert_eq!(
            judgement.checkpoints[0].verdict,
            Verdict::Rewritten,
            "{backend}"
        );
        assert!(judgement.checkpoints[0].reason.contains("broken at #3"));
    }
}

#[tokio::test]
async fn a_new_hub_continues_from_the_checkpoint_in_its_file() {
    for (backend, log, pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        filled(&log, 5).await;
        let first = checkpointer(&log, dir.path()).sign_now().await.unwrap();
        // A restarted hub reads its newest checkpoint back and checks only what follows it;
        // a rewrite made while it was down is refused.
        let restarted = checkpointer(&log, dir.path());
        assert_eq!(
            restarted.latest_or_sign().await.unwrap(),
            (first, false),
            "{backend}"
        );
        rewrite_and_rehash(&log, &pool, 2).await;
        more(&log, 6, 6).await;
        let refused = checkpointer(&log, dir.path())
            .sign_if_grown()
            .await
            .unwrap_err();
        assert!(
            matches!(refused, CheckpointError::NotExtending { .. }),
            "{backend}: {refused}"
        );
    }
}

#[tokio::test]
async fn the_interval_signs_only_when_the_log_grew() {
    for (backend, log, _pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = checkpointer(&log, dir.path());
        filled(&log, 3).await;
        let task = tokio::spawn(
            checkpoints
                .clone()
                .run_every(std::time::Duration::from_millis(50)),
        );
        let lines = || {
            std::fs::read_to_string(checkpoints.file().path())
                .unwrap_or_default()
                .lines()
                .count()
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while lines() < 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            lines(),
            1,
            "{backend}: one checkpoint while nothing changes"
        );
        more(&log, 4, 4).await;
        while lines() < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        task.abort();
        let latest = checkpoints.file().latest().unwrap().expect("signed");
        assert_eq!(latest.entries, 4, "{backend}");
    }
}

#[tokio::test]
async fn the_service_signs_hands_out_and_verifies_checkpoints() {
    use assethub_proto::v1 as pb;
    use pb::audit_server::Audit;
    for (backend, log, pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let service = service(&log, dir.path());
        filled(&log, 4).await;
        let first = service
            .checkpoint_audit(as_auditor(pb::CheckpointAuditRequest { sign_now: false }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            first.signed_now,
            "{backend}: the first one is signed on demand"
        );
        assert_eq!(
            first.public_key,
            CheckpointKey::from_seed("cp-test", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=")
                .unwrap()
                .public_key()
        );
        let kept = first.checkpoint.clone().unwrap();
        assert_eq!((kept.version, kept.entries), (1, 4));
        let again = service
            .checkpoint_audit(as_auditor(pb::CheckpointAuditRequest { sign_now: false }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (again.checkpoint, again.signed_now),
            (Some(kept.clone()), false)
        );
        more(&log, 5, 6).await;
        let now = service
            .checkpoint_audit(as_auditor(pb::CheckpointAuditRequest { sign_now: true }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(now.checkpoint.as_ref().map(|c| c.entries), Some(6));

        let verify = |checkpoints: Vec<pb::AuditCheckpoint>| {
            service.verify_audit(as_auditor(pb::VerifyAuditRequest { checkpoints }))
        };
        let ok = verify(vec![kept.clone()]).await.unwrap().into_inner();
        assert!(ok.intact, "{backend}: {ok:?}");
        let verdicts: Vec<(i32, bool)> = ok
            .checkpoints
            .iter()
            .map(|c| (c.verdict, c.from_hub_file))
            .collect();
        let ok_verdict = pb::CheckpointVerdict::Ok as i32;
        assert_eq!(verdicts, [(ok_verdict, false), (ok_verdict, true)]);

        exec(&pool, "DELETE FROM audit_log WHERE seq > 4").await;
        exec(
            &pool,
            &format!(
                "UPDATE audit_head SET last_seq = 4, last_hash = '{}' WHERE id = 1",
                kept.head_hash
            ),
        )
        .await;
        let truncated = verify(vec![kept.clone()]).await.unwrap().into_inner();
        assert!(!truncated.intact, "{backend}");
        assert_eq!(truncated.first_broken_seq, 0, "the chain itself is intact");
        assert!(
            truncated.reason.contains("truncated"),
            "{}",
            truncated.reason
        );
        assert_eq!(
            truncated.checkpoints[1].verdict,
            pb::CheckpointVerdict::Truncated as i32,
            "{backend}"
        );
        let refused = service
            .checkpoint_audit(as_auditor(pb::CheckpointAuditRequest { sign_now: true }))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            tonic::Code::DataLoss,
            "{backend}: {refused:?}"
        );

        let mut malformed = kept.clone();
        malformed.signature = "???".into();
        let bad = verify(vec![kept, malformed]).await.unwrap_err();
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        assert!(
            bad.message().contains("checkpoints[1].signature"),
            "{}",
            bad.message()
        );
    }
}

#[tokio::test]
async fn only_auditors_may_sign_checkpoints() {
    use assethub_proto::v1 as pb;
    use pb::audit_server::Audit;
    for (_, log, _pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let service = service(&log, dir.path());
        let mut request = tonic::Request::new(pb::CheckpointAuditRequest { sign_now: true });
        request.extensions_mut().insert(crate::auth::Caller {
            iss: "test".into(),
            sub: "judge-1".into(),
            officer: "王法官".into(),
            court: "鄂0116".into(),
            role: crate::auth::Role::Judge,
        });
        let denied = service.checkpoint_audit(request).await.unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(
            !dir.path().join("checkpoints.jsonl").exists(),
            "nothing signed"
        );
    }
}

#[tokio::test]
async fn asked_now_the_hub_walks_the_whole_chain_and_a_lost_file_is_reported() {
    for (backend, log, pool, _keep) in logs().await {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = checkpointer(&log, dir.path());
        filled(&log, 6).await;
        checkpoints.sign_now().await.unwrap();
        more(&log, 7, 8).await;
        // Entry #3, which the checkpoint covers, edited without recomputing anything: the part
        // after the checkpoint still links, but the chain is broken.
        exec(
            &pool,
            "UPDATE audit_log SET outcome = 'ord-forged' WHERE seq = 3",
        )
        .await;
        let refused = checkpoints.sign_now().await.unwrap_err();
        assert!(
            matches!(refused, CheckpointError::NotExtending { seq: 3, .. }),
            "{backend}: {refused}"
        );
        // A hub whose checkpoint file is gone says so, although it cannot prove what was lost.
        let fresh = tempfile::tempdir().unwrap();
        let forgetful = checkpointer(&log, fresh.path());
        let judgement = forgetful.judge(Vec::new()).await.unwrap();
        assert_eq!(judgement.warnings.len(), 1, "{backend}: {judgement:?}");
        assert!(judgement.warnings[0].contains("holds no checkpoint"));
    }
}
