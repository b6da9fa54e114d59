//! Revocation by token id and by subject, and a second hub on the same ledger honouring a
//! revocation within its polling period (paused time: the bound is the period, not luck).

use super::*;
use crate::identity::Role;
use crate::orders::Ledger;

fn claims(iss: &str, sub: &str, jti: &str, iat: i64) -> Claims {
    Claims {
        iss: iss.into(),
        sub: sub.into(),
        officer: "王法官".into(),
        court: "鄂0116".into(),
        role: Role::Judge,
        jti: jti.into(),
        iat,
        exp: iat + 3_600,
    }
}

fn revocation(issuer: &str, target: Target, at: i64) -> Revocation {
    Revocation {
        issuer: issuer.into(),
        target,
        reason: "laptop stolen".into(),
        revoked_by: "demo/admin".into(),
        revoked_at: at,
    }
}

async fn hub(dir: &std::path::Path) -> Arc<Revocations> {
    let ledger = Ledger::open(&format!("sqlite://{}/ledger.db", dir.display()))
        .await
        .unwrap();
    Revocations::load(ledger.pool().clone()).await.unwrap()
}

#[tokio::test]
async fn by_token_id_and_by_subject_up_to_the_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path()).await;
    let stolen = claims("court-ca", "judge-0042", "t-1", 1_000);
    let sibling = claims("court-ca", "judge-0042", "t-2", 1_000);
    assert_eq!(hub.check(&stolen), Ok(()));
    hub.revoke(&revocation("court-ca", Target::Jti("t-1".into()), 2_000))
        .await
        .unwrap();
    assert_eq!(
        hub.check(&stolen),
        Err(TokenError::Revoked("token t-1".into()))
    );
    assert_eq!(hub.check(&sibling), Ok(()), "another token of the subject");
    let other_issuer = claims("other-idp", "judge-0042", "t-1", 1_000);
    assert_eq!(hub.check(&other_issuer), Ok(()), "ids are per issuer");

    hub.revoke(&revocation(
        "court-ca",
        Target::Subject("judge-0042".into()),
        2_000,
    ))
    .await
    .unwrap();
    assert!(hub.check(&sibling).is_err());
    assert!(hub
        .check(&claims("court-ca", "judge-0042", "t-3", 2_000))
        .is_err());
    // Issued after the revocation: the subject may work again.
    assert_eq!(
        hub.check(&claims("court-ca", "judge-0042", "t-4", 2_001)),
        Ok(())
    );
    assert_eq!(
        hub.check(&claims("court-ca", "judge-0043", "t-5", 1_000)),
        Ok(())
    );
    // Recorded in the ledger: a hub started later knows them.
    let restarted = super::Revocations::load(hub.pool.clone()).await.unwrap();
    assert!(restarted.check(&stolen).is_err());
    assert_eq!(restarted.refresh().await.unwrap(), 2);
}

#[tokio::test]
async fn another_hub_on_the_ledger_honours_it_within_its_polling_period() {
    let dir = tempfile::tempdir().unwrap();
    let first = hub(dir.path()).await;
    let second = hub(dir.path()).await;
    let every = Duration::from_secs(5);
    let _poll = tokio::spawn(second.clone().poll_every(every));
    let token = claims("court-ca", "judge-0042", "t-1", 1_000);
    first
        .revoke(&revocation("court-ca", Target::Jti("t-1".into()), 2_000))
        .await
        .unwrap();
    assert!(
        first.check(&token).is_err(),
        "at once where it was recorded"
    );
    // From here on the clock only moves when nothing else can run (the ledgers' I/O runs on
    // real time, so their pools are opened and the revocation written before).
    tokio::time::pause();
    let revoked = tokio::time::Instant::now();
    tokio::time::sleep(every).await;
    // The poll that period brought reads the table; wait for it without moving the clock.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while second.check(&token).is_ok() {
        assert!(std::time::Instant::now() < deadline, "never honoured");
        tokio::task::yield_now().await;
    }
    // Within the period (and the timer's 1 ms resolution).
    let took = revoked.elapsed();
    assert!(took <= every + Duration::from_millis(1), "{took:?}");
    // Real time again before awaiting the ledger (a paused clock would run out its timeouts).
    tokio::time::resume();
    assert_eq!(second.refresh().await.unwrap(), 1);
}
