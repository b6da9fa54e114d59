//! Story: an auditor keeps the hub's signed checkpoints of the audit log; an insider with
//! write access to the ledger's database then shortens the log (deleting the newest entries
//! and moving the head back) and rewrites it (editing an entry and recomputing every later
//! hash and the head). The chain alone still verifies each time — the kept checkpoints do not,
//! and VerifyAudit says which and why. The hub also refuses to sign the tampered log, and its
//! own checkpoint file (mode 0600) says the same.

use assethub_hub::audit::{entry_hash, AuditLog, Checkpoint};
use assethub_hub::orders::Ledger;
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{bearer, demo_person_query, token, Authed, Role, World, COURT};
use pb::CheckpointVerdict::{Ok as OK, Rewritten as REWRITTEN, Truncated as TRUNCATED};
use sqlx::AnyPool;

type Auditor = AuditClient<Authed>;

/// A judge searches the demo person `n` times: `n` audited calls.
async fn searches(world: &World, n: usize) {
    let mut client = world.client.clone();
    for _ in 0..n {
        client.query(demo_person_query()).await.expect("search");
    }
}

async fn sign_now(auditor: &mut Auditor) -> pb::AuditCheckpoint {
    let response = auditor
        .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: true })
        .await
        .expect("a checkpoint")
        .into_inner();
    assert!(response.signed_now);
    assert!(!response.public_key.is_empty());
    response.checkpoint.expect("the checkpoint")
}

async fn verify(auditor: &mut Auditor, kept: &[&pb::AuditCheckpoint]) -> pb::VerifyAuditResponse {
    auditor
        .verify_audit(pb::VerifyAuditRequest {
            checkpoints: kept.iter().map(|c| (*c).clone()).collect(),
        })
        .await
        .expect("verify")
        .into_inner()
}

/// Each checkpoint's verdict, and whether it came from the hub's own file.
fn verdicts(report: &pb::VerifyAuditResponse) -> Vec<(pb::CheckpointVerdict, bool)> {
    report
        .checkpoints
        .iter()
        .map(|c| (c.verdict(), c.from_hub_file))
        .collect()
}

async fn exec(pool: &AnyPool, sql: &str, binds: &[&str]) {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(pool).await.expect("tampering SQL");
}

#[tokio::test]
async fn kept_checkpoints_reveal_a_truncated_and_a_rewritten_ledger() {
    let world = World::start().await;
    let mut auditor: Auditor =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)));

    searches(&world, 3).await;
    let first = sign_now(&mut auditor).await;
    searches(&world, 3).await;
    let second = sign_now(&mut auditor).await;
    assert!(
        first.entries >= 3 && second.entries >= first.entries + 3,
        "{first:?} {second:?}"
    );

    // The hub keeps what it signed outside the database, readable by its user only.
    let file = &world.config.audit.checkpoint_file;
    let text = std::fs::read_to_string(file).expect("the checkpoint file");
    let last = text.lines().last().expect("a line");
    assert_eq!(
        Checkpoint::from_json_line(last),
        Ok(Checkpoint::from(second.clone()))
    );
    assert!(last.starts_with(r#"{"v":1,"key_id":"#), "{last}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    let report = verify(&mut auditor, &[&first, &second]).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(verdicts(&report), [(OK, false), (OK, false), (OK, true)]);

    // The insider opens the ledger's SQLite file and deletes the newest entries, moving the
    // head back to an entry between the two checkpoints.
    let ledger = Ledger::open(&world.config.ledger.url)
        .await
        .expect("the ledger file");
    let pool = ledger.pool().clone();
    let log = AuditLog::new(pool.clone(), b"not needed to tamper");
    let keep = first.entries + 1;
    let kept_entry = log.list(keep - 1, 1).await.unwrap().remove(0);
    exec(
        &pool,
        &format!("DELETE FROM audit_log WHERE seq > {keep}"),
        &[],
    )
    .await;
    exec(
        &pool,
        &format!("UPDATE audit_head SET last_seq = {keep}, last_hash = $1 WHERE id = 1"),
        &[&kept_entry.hash],
    )
    .await;
    let plain = verify(&mut auditor, &[]).await;
    assert_eq!(
        plain.first_broken_seq, 0,
        "the chain alone walks clean: {plain:?}"
    );
    let report = verify(&mut auditor, &[&first, &second]).await;
    assert!(!report.intact, "{report:?}");
    assert_eq!(report.first_broken_seq, 0);
    assert_eq!(
        verdicts(&report),
        [(OK, false), (TRUNCATED, false), (TRUNCATED, true)],
        "{report:?}"
    );
    // (The auditor's own calls are audited too, so the head has grown by them since.)
    assert!(
        report.checkpoints[1]
            .reason
            .contains("the newest entries were deleted"),
        "{report:?}"
    );

    // Then rewrites entry #2, which the first checkpoint covers, recomputing every later hash
    // and the head.
    let records = log.list(1, 1_000).await.unwrap();
    let mut prev = records[0].prev_hash.clone();
    for mut record in records {
        if record.seq == 2 {
            record.entry.decision = "denied: nothing happened here".into();
        }
        let hash = entry_hash(&prev, record.seq, &record.entry);
        exec(
            &pool,
            &format!(
                "UPDATE audit_log SET decision = $1, prev_hash = $2, hash = $3 WHERE seq = {}",
                record.seq
            ),
            &[&record.entry.decision, &prev, &hash],
        )
        .await;
        prev = hash;
    }
    exec(
        &pool,
        "UPDATE audit_head SET last_hash = $1 WHERE id = 1",
        &[&prev],
    )
    .await;
    let plain = verify(&mut auditor, &[]).await;
    assert_eq!(
        plain.first_broken_seq, 0,
        "the chain alone walks clean: {plain:?}"
    );
    let report = verify(&mut auditor, &[&first, &second]).await;
    assert!(!report.intact);
    let found = verdicts(&report);
    assert_eq!(found[0], (REWRITTEN, false), "{report:?}");
    // The second checkpoint (and the hub's own) fail too: truncated, or rewritten once the
    // auditor's own audited calls have grown the log past them again.
    for (verdict, _) in &found[1..] {
        assert!([TRUNCATED, REWRITTEN].contains(verdict), "{report:?}");
    }
    assert!(
        report.checkpoints[0].reason.contains("rewritten"),
        "{report:?}"
    );
    assert!(report.reason.contains("rewritten"), "{}", report.reason);

    // The hub will not sign the tampered log.
    let refused = auditor
        .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: true })
        .await
        .expect_err("no checkpoint over a tampered log");
    assert_eq!(refused.code(), tonic::Code::DataLoss, "{refused:?}");
}
