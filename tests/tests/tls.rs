//! The listener's transport: TLS with the hub's certificate, optional and required client
//! certificates, and the rule that plaintext is served on loopback only.

use assethub_client::Tls;
use assethub_hub::config::TlsConfig;
use assethub_hub::{spawn, HubConfig};
use assethub_proto::v1 as pb;
use assethub_tests::{bearer, token, Role, COURT};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::path::Path;
use std::time::Duration;
use tonic::transport::Channel;

/// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, as PEM files.
fn pki(dir: &Path) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["case-system.example".to_string()])
        .unwrap()
        .signed_by(&client_key, &ca, &ca_key)
        .unwrap();
    for (name, pem) in [
        ("ca.pem", ca.pem()),
        ("server.pem", server.pem()),
        ("server.key", server_key.serialize_pem()),
        ("client.pem", client.pem()),
        ("client.key", client_key.serialize_pem()),
    ] {
        std::fs::write(dir.join(name), pem).unwrap();
    }
}

fn config(dir: &Path, require_client_cert: bool) -> HubConfig {
    let mut config = assethub_demo::config();
    config.metrics.enabled = false;
    config.ledger.url = format!("sqlite://{}/ledger.db", dir.display());
    config.server.tls = Some(TlsConfig {
        cert_file: dir.join("server.pem"),
        key_file: dir.join("server.key"),
        client_ca_file: Some(dir.join("ca.pem")),
        require_client_cert,
    });
    config
}

async fn list_sources(channel: Channel) -> Result<usize, tonic::Status> {
    let mut client = pb::asset_hub_client::AssetHubClient::with_interceptor(
        channel,
        bearer(&token(Role::Admin, COURT)),
    );
    let response = client.list_sources(pb::ListSourcesRequest {}).await?;
    Ok(response.into_inner().sources.len())
}

/// A channel to `url` the way hubctl makes one: `assethub_client::channel` with the CA file
/// (`--ca-cert`) and, if asked, the client certificate (`--client-cert`, `--client-key`).
async fn tls_channel(url: &str, dir: &Path, with_client_cert: bool) -> Result<Channel, String> {
    let (cert, key) = (dir.join("client.pem"), dir.join("client.key"));
    let tls = Tls::from_files(
        Some(&dir.join("ca.pem")),
        with_client_cert.then_some(cert.as_path()),
        with_client_cert.then_some(key.as_path()),
    )
    .map_err(|e| e.to_string())?;
    assethub_client::channel(url, Duration::from_secs(5), Some(&tls))
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_hub_serves_tls_and_a_plaintext_client_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path());
    let hub = spawn(config(dir.path(), false), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", hub.addr.port());
    let channel = tls_channel(&url, dir.path(), false).await.unwrap();
    assert_eq!(list_sources(channel).await.unwrap(), 6);
    // Client certificates are optional here, and accepted when given.
    let channel = tls_channel(&url, dir.path(), true).await.unwrap();
    assert_eq!(list_sources(channel).await.unwrap(), 6);
    let plain = Channel::from_shared(format!("http://127.0.0.1:{}", hub.addr.port()))
        .unwrap()
        .connect()
        .await;
    if let Ok(plain) = plain {
        assert!(list_sources(plain).await.is_err());
    }
}

#[tokio::test]
async fn a_required_client_certificate_is_required() {
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path());
    let hub = spawn(config(dir.path(), true), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", hub.addr.port());
    let with_cert = tls_channel(&url, dir.path(), true).await.unwrap();
    assert_eq!(list_sources(with_cert).await.unwrap(), 6);
    let refused = match tls_channel(&url, dir.path(), false).await {
        Err(_) => true,
        Ok(channel) => list_sources(channel).await.is_err(),
    };
    assert!(refused, "no client certificate, no service");
}

#[tokio::test]
async fn plaintext_beyond_loopback_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = assethub_demo::config();
    config.metrics.enabled = false;
    config.ledger.url = format!("sqlite://{}/ledger.db", dir.path().display());
    let refused = spawn(config, "0.0.0.0:0".parse().unwrap()).await;
    let message = refused.err().expect("refused").to_string();
    assert!(message.contains("not loopback"), "{message}");
}

#[tokio::test]
async fn beyond_loopback_the_hub_refuses_public_demo_keys_even_over_tls() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path());
    let anywhere = "0.0.0.0:0".parse().unwrap();
    let refused = spawn(config(dir.path(), false), anywhere).await;
    let message = refused.err().expect("refused").to_string();
    for key in [
        "auth.issuers demo",
        "trust.instruction_key_seed",
        "trust.audit_checkpoint_key_seed",
        "trust.audit_key",
    ] {
        assert!(message.contains(key), "{key}: {message}");
    }
    // The demo issuer's key under another name is still the demo's key.
    let mut renamed = config(dir.path(), false);
    renamed.auth.issuers[0].name = "court-ca".into();
    let message = spawn(renamed, anywhere)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(message.contains("auth.issuers court-ca"), "{message}");

    // Keys of its own: it serves.
    let seed = |n: u8| base64::engine::general_purpose::STANDARD.encode([n; 32]);
    let mut own = config(dir.path(), false);
    own.auth.issuers[0].jwks = Some(
        assethub_hub::auth::TokenIssuer::from_seed("demo", "k1", &seed(1))
            .unwrap()
            .jwks(),
    );
    own.trust.instruction_key_seed = seed(2);
    own.trust.audit_checkpoint_key_seed = seed(3);
    own.trust.audit_key = "a secret of this hub".into();
    own.audit.checkpoint_file = dir.path().join("checkpoints.jsonl");
    let hub = spawn(own, anywhere).await.expect("no demo key: it serves");
    hub.shutdown().await.unwrap();
}
