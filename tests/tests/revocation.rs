//! Revocation end to end: an admin revokes one token by its id and every token of a subject
//! through `assethub.v1.Tokens`; the hub that records it refuses the token on the next call, and
//! a second hub sharing the ledger (SQLite, and PostgreSQL when ASSETHUB_TEST_PG_URL is set)
//! within its revocation_poll_ms. Only admins may revoke, and the call is audited.

use assethub_hub::auth::{now_secs, Claims};
use assethub_hub::spawn;
use assethub_proto::v1 as pb;
use assethub_tests::{
    bearer, demo_person_query, ledger_backends, token, Role, World, WorldOptions, COURT,
};
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use tonic::Code;

fn judge_token(sub: &str, iat: i64) -> String {
    assethub_demo::token_issuer().issue(&Claims {
        iss: String::new(),
        sub: sub.into(),
        officer: "王法官".into(),
        court: COURT.into(),
        role: Role::Judge,
        jti: String::new(),
        iat,
        exp: iat + 3_600,
    })
}

/// The token's `jti` (its payload read without verifying: the test made it).
fn jti_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_string()
}

async fn query_as(channel: &Channel, token: &str) -> Result<(), tonic::Status> {
    pb::asset_hub_client::AssetHubClient::with_interceptor(channel.clone(), bearer(token))
        .query(demo_person_query())
        .await
        .map(|_| ())
}

async fn revoke(
    channel: &Channel,
    role: Role,
    request: pb::RevokeTokenRequest,
) -> Result<pb::Revocation, tonic::Status> {
    pb::tokens_client::TokensClient::with_interceptor(channel.clone(), bearer(&token(role, COURT)))
        .revoke_token(request)
        .await
        .map(tonic::Response::into_inner)
}

fn by(jti: &str, subject: &str) -> pb::RevokeTokenRequest {
    pb::RevokeTokenRequest {
        issuer: "demo".into(),
        jti: jti.into(),
        subject: subject.into(),
        reason: "laptop stolen".into(),
    }
}

#[tokio::test]
async fn a_revoked_token_stops_working_here_at_once_and_on_a_second_hub_within_its_poll() {
    for (backend, ledger) in ledger_backends().await {
        let world = World::start_with(WorldOptions {
            ledger_url: ledger,
            ..Default::default()
        })
        .await;
        let mut config = world.config.clone();
        config.auth.revocation_poll_ms = 200;
        config.audit.checkpoint_file = world.data.path().join("second-checkpoints.jsonl");
        let second = spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let second_channel = Channel::from_shared(second.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let now = now_secs();
        let stolen = judge_token("judge-0042", now - 5);
        let sibling = judge_token("judge-0042", now - 5);
        for channel in [&world.channel, &second_channel] {
            query_as(channel, &stolen).await.expect("valid before");
        }

        // Only an admin may revoke.
        let denied = revoke(&world.channel, Role::Supervisor, by(&jti_of(&stolen), "")).await;
        assert_eq!(
            denied.unwrap_err().code(),
            Code::PermissionDenied,
            "{backend}"
        );
        let recorded = revoke(&world.channel, Role::Admin, by(&jti_of(&stolen), ""))
            .await
            .unwrap();
        assert_eq!(
            recorded.revoked_by,
            format!("demo/{}@{COURT}", Role::Admin.as_str())
        );

        let refused = query_as(&world.channel, &stolen).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{backend}");
        assert!(refused.message().contains("revoked: token"), "{refused:?}");
        query_as(&world.channel, &sibling)
            .await
            .expect("another token of the subject");
        let asked = Instant::now();
        while query_as(&second_channel, &stolen).await.is_ok() {
            assert!(
                asked.elapsed() < Duration::from_secs(5),
                "{backend}: the second hub never honoured it"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // Every token of the subject issued up to now; one issued later works.
        revoke(&world.channel, Role::Admin, by("", "judge-0042"))
            .await
            .unwrap();
        let refused = query_as(&world.channel, &sibling).await.unwrap_err();
        assert!(
            refused.message().contains("every token of judge-0042"),
            "{refused:?}"
        );
        query_as(&world.channel, &judge_token("judge-0042", now_secs() + 2))
            .await
            .expect("issued after");

        // The revocations are in the audit, with who and why.
        let mut auditor = pb::audit_client::AuditClient::with_interceptor(
            world.channel.clone(),
            bearer(&token(Role::Auditor, COURT)),
        );
        let entries = auditor
            .list_audit(pb::ListAuditRequest::default())
            .await
            .unwrap()
            .into_inner()
            .entries;
        let revocations: Vec<_> = entries
            .iter()
            .filter(|e| e.method == "RevokeToken")
            .collect();
        assert_eq!(revocations.len(), 3, "{backend}: the refused one too");
        assert!(
            revocations.iter().any(|e| e.outcome == "OK"
                && e.detail
                    .contains("every token of subject judge-0042 of demo: laptop stolen")),
            "{revocations:?}"
        );
        second.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_malformed_revocation_names_the_field_and_records_nothing() {
    let world = World::start().await;
    for (request, field) in [
        (by("", ""), "jti"),
        (by("t-1", "judge-0042"), "jti"),
        (by("t 1", ""), "jti"),
        (by("", &"s".repeat(129)), "subject"),
        (
            pb::RevokeTokenRequest {
                issuer: "nobody".into(),
                ..by("t-1", "")
            },
            "issuer",
        ),
        (
            pb::RevokeTokenRequest {
                reason: " ".into(),
                ..by("t-1", "")
            },
            "reason",
        ),
    ] {
        let status = revoke(&world.channel, Role::Admin, request.clone())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
        assert!(
            status.message().contains(&format!("{field}:")),
            "{status:?}"
        );
    }
    query_as(&world.channel, &token(Role::Judge, COURT))
        .await
        .expect("nothing was revoked");
}
