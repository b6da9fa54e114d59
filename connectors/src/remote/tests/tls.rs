//! The remote connector over TLS: the connector's certificate checked against `ca_file`, and
//! the hub's own certificate presented (`cert_file` + `key_file`) to a connector that
//! requires one (mTLS).

use super::agency;
use crate::connector::QueryAnswer;
use crate::domain::SourceId;
use crate::ConnectorFactory;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::path::Path;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// Two CAs (the right one and a stranger), a connector certificate for 127.0.0.1 and a hub
/// client certificate, both signed by the right CA, as PEM files in `dir`.
fn pki(dir: &Path) {
    let ca = |dir: &Path, name: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        (cert, key)
    };
    let (ca_cert, ca_key) = ca(dir, "ca");
    ca(dir, "stranger-ca");
    for (name, san) in [("connector", "127.0.0.1"), ("hub", "assethub.example")] {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![san.to_string()])
            .unwrap()
            .signed_by(&key, &ca_cert, &ca_key)
            .unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
}

fn server_tls(dir: &Path, require_client: bool) -> ServerTlsConfig {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let config = ServerTlsConfig::new().identity(Identity::from_pem(
        read("connector.pem"),
        read("connector.key"),
    ));
    if require_client {
        config.client_ca_root(Certificate::from_pem(read("ca.pem")))
    } else {
        config
    }
}

async fn build(
    depository: &agency::Running,
    dir: &Path,
    ca: &str,
    client_cert: bool,
) -> Result<std::sync::Arc<dyn crate::Connector>, crate::ConfigError> {
    let mut text = format!(
        "address = \"https://{}\"\nca_file = \"{}\"\ntimeout_ms = 3000\n",
        depository.addr,
        dir.join(ca).display()
    );
    if client_cert {
        text.push_str(&format!(
            "cert_file = \"{}\"\nkey_file = \"{}\"\n",
            dir.join("hub.pem").display(),
            dir.join("hub.key").display()
        ));
    }
    super::super::RemoteFactory
        .build(
            SourceId::new("csdc").unwrap(),
            toml::from_str(&text).unwrap(),
        )
        .await
}

#[tokio::test]
async fn the_connector_is_trusted_by_its_ca_only() {
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path());
    let depository = agency::start_with(1, Some(server_tls(dir.path(), false))).await;
    let connector = build(&depository, dir.path(), "ca.pem", false)
        .await
        .expect("described over TLS");
    let answer = connector.query(&super::ctx(), &super::person()).await;
    assert!(matches!(answer, Ok(QueryAnswer::Found(_))), "{answer:?}");
    let error = build(&depository, dir.path(), "stranger-ca.pem", false)
        .await
        .err()
        .expect("a certificate of another CA is refused");
    assert!(
        error.message.contains("could not describe itself"),
        "{error}"
    );
}

#[tokio::test]
async fn a_connector_requiring_mtls_gets_the_hubs_certificate() {
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path());
    let depository = agency::start_with(1, Some(server_tls(dir.path(), true))).await;
    let error = build(&depository, dir.path(), "ca.pem", false).await.err();
    assert!(error.is_some(), "no client certificate, no description");
    let connector = build(&depository, dir.path(), "ca.pem", true)
        .await
        .expect("described over mTLS");
    assert_eq!(connector.check().await, Ok(()));
}
