//! The one way a client reaches the hub: an address (`host:port`, `http://…` or `https://…`),
//! TLS for `https://` (the CA that signed the hub's certificate, optionally a client
//! certificate for mutual TLS), a bounded wait for the connection, and the caller's bearer
//! token on every call. hubctl, the tests and the bench all connect through [`connect`]; every
//! service client of the hub (`AssetHub`, `Orders`, `Cases`, `Audit`, `Tokens`) is built on the
//! [`Authed`] channel it returns.

use std::path::Path;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// Why no connection was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The caller's own input is unusable (address, TLS files, token): nothing was attempted.
    #[error("{0}")]
    Input(String),
    /// Nobody answered at `addr` (or the TLS handshake failed).
    #[error("no hub is listening at {addr}: {detail}")]
    Unreachable { addr: String, detail: String },
}

/// TLS settings for `https://` addresses. Without a CA the system's roots are not consulted:
/// name the CA that signed the hub's certificate.
#[derive(Debug, Clone, Default)]
pub struct Tls(ClientTlsConfig);

impl Tls {
    /// From PEM files: the CA, and a client certificate with its key (both or neither).
    pub fn from_files(
        ca: Option<&Path>,
        client_cert: Option<&Path>,
        client_key: Option<&Path>,
    ) -> Result<Self, ConnectError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| ConnectError::Input(format!("{}: {e}", path.display())))
        };
        let mut config = ClientTlsConfig::new();
        if let Some(ca) = ca {
            config = config.ca_certificate(Certificate::from_pem(read(ca)?));
        }
        match (client_cert, client_key) {
            (Some(cert), Some(key)) => {
                config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
            }
            (None, None) => {}
            _ => {
                return Err(ConnectError::Input(
                    "--client-cert and --client-key go together".into(),
                ))
            }
        }
        Ok(Self(config))
    }

    /// From a CA certificate (PEM) already in memory.
    pub fn with_ca_pem(ca_pem: impl AsRef<[u8]>) -> Self {
        Self(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca_pem)))
    }
}

/// Adds the caller's bearer token (if any) to every call.
#[derive(Debug, Clone, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// `authorization: Bearer <token>` on every call; `None` sends no header.
    pub fn new(token: Option<&str>) -> Result<Self, ConnectError> {
        let Some(token) = token else {
            return Ok(Self(None));
        };
        let value = format!("Bearer {}", token.trim()).parse().map_err(|_| {
            ConnectError::Input("the token has characters a header cannot carry".into())
        })?;
        Ok(Self(Some(value)))
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A channel whose calls carry one caller's token.
pub type Authed = InterceptedService<Channel, Bearer>;

/// `channel` with `bearer` on every call (a channel shared by several callers).
pub fn authed(channel: Channel, bearer: Bearer) -> Authed {
    InterceptedService::new(channel, bearer)
}

/// `127.0.0.1:50051` → `http://127.0.0.1:50051`; addresses with a scheme are kept.
pub fn normalize_addr(addr: &str) -> String {
    let addr = addr.trim();
    if addr.contains("://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    }
}

/// The endpoint for `addr` (normalised), with `tls` when it is `https://` (the default TLS
/// settings when `tls` is `None`).
pub fn endpoint(addr: &str, tls: Option<&Tls>) -> Result<Endpoint, ConnectError> {
    let addr = normalize_addr(addr);
    let endpoint = Endpoint::from_shared(addr.clone())
        .map_err(|e| ConnectError::Input(format!("--addr {addr:?} is not a valid URI: {e}")))?;
    if !addr.starts_with("https://") {
        return Ok(endpoint);
    }
    endpoint
        .tls_config(tls.cloned().unwrap_or_default().0)
        .map_err(|e| ConnectError::Input(format!("TLS settings: {}", chain(&e))))
}

/// Connects to `addr` eagerly, waiting at most `connect_timeout` for the connection, so that
/// "nobody is listening" is reported as such before any call; every call carries `bearer`.
pub async fn connect(
    addr: &str,
    connect_timeout: Duration,
    tls: Option<&Tls>,
    bearer: Bearer,
) -> Result<Authed, ConnectError> {
    Ok(authed(channel(addr, connect_timeout, tls).await?, bearer))
}

/// The connection [`connect`] makes, without a token yet: for programs that call as several
/// callers over one connection ([`authed`] gives each its own token).
///
/// `addr` may name several hubs sharing one ledger, separated by commas
/// (`http://10.0.0.1:50051,http://10.0.0.2:50051`): each is tried at once, those that answer
/// within `connect_timeout` share the calls (tonic's balancer, each call to the least loaded
/// of two picked at random), and only when none answers is the hub unreachable. A hub that
/// goes away later fails the calls sent to it until it is back; long-lived programs that must
/// ride over that put a proxy in front (README "Behind a standard proxy").
pub async fn channel(
    addr: &str,
    connect_timeout: Duration,
    tls: Option<&Tls>,
) -> Result<Channel, ConnectError> {
    let addrs = addresses(addr)?;
    if let [one] = addrs.as_slice() {
        return connect_one(one, connect_timeout, tls)
            .await
            .map(|(channel, _)| channel);
    }
    let tried = futures::future::join_all(
        addrs
            .iter()
            .map(|one| connect_one(one, connect_timeout, tls)),
    )
    .await;
    let mut reachable = Vec::new();
    let mut refused = Vec::new();
    for outcome in tried {
        match outcome {
            Ok((_, endpoint)) => reachable.push(endpoint),
            Err(ConnectError::Unreachable { addr, detail }) => {
                refused.push(format!("{addr}: {detail}"))
            }
            Err(input) => return Err(input),
        }
    }
    match reachable.len() {
        0 => Err(ConnectError::Unreachable {
            addr: addrs.join(", "),
            detail: refused.join("; "),
        }),
        _ => Ok(Channel::balance_list(reachable.into_iter())),
    }
}

/// Most hubs one address list may name.
pub const MAX_ADDRESSES: usize = 16;

/// The hubs `addr` names: one, or several separated by commas (blank entries refused).
pub fn addresses(addr: &str) -> Result<Vec<String>, ConnectError> {
    let addrs: Vec<String> = addr.split(',').map(|a| a.trim().to_string()).collect();
    if addrs.iter().any(String::is_empty) {
        return Err(ConnectError::Input(format!(
            "--addr {addr:?}: an empty address in the list"
        )));
    }
    if addrs.len() > MAX_ADDRESSES {
        return Err(ConnectError::Input(format!(
            "--addr names {} hubs; at most {MAX_ADDRESSES}",
            addrs.len()
        )));
    }
    Ok(addrs)
}

/// One hub, connected eagerly; its endpoint too, for a balanced channel.
async fn connect_one(
    addr: &str,
    connect_timeout: Duration,
    tls: Option<&Tls>,
) -> Result<(Channel, Endpoint), ConnectError> {
    let endpoint = endpoint(addr, tls)?.connect_timeout(connect_timeout);
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| ConnectError::Unreachable {
            addr: normalize_addr(addr),
            detail: chain(&e),
        })?;
    Ok((channel, endpoint))
}

/// An error and its sources, each said once.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_host_port_gets_http() {
        assert_eq!(normalize_addr("127.0.0.1:50051"), "http://127.0.0.1:50051");
        assert_eq!(normalize_addr(" https://h:1 "), "https://h:1");
    }

    #[test]
    fn the_interceptor_adds_the_bearer_header_or_none() {
        let mut bearer = Bearer::new(Some(" abc.def ")).unwrap();
        let request = bearer.call(tonic::Request::new(())).unwrap();
        assert_eq!(
            request.metadata().get("authorization").unwrap(),
            "Bearer abc.def"
        );
        let mut none = Bearer::new(None).unwrap();
        let request = none.call(tonic::Request::new(())).unwrap();
        assert!(request.metadata().get("authorization").is_none());
        assert!(matches!(
            Bearer::new(Some("bad\ntoken")),
            Err(ConnectError::Input(_))
        ));
    }

    #[test]
    fn a_client_certificate_needs_its_key_and_missing_files_are_named() {
        let cert = Path::new("/nonexistent/client.pem");
        let err = Tls::from_files(None, Some(cert), None).unwrap_err();
        assert_eq!(
            err,
            ConnectError::Input("--client-cert and --client-key go together".into())
        );
        let err = Tls::from_files(Some(cert), None, None).unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent/client.pem: "),
            "{err}"
        );
    }

    #[tokio::test]
    async fn nobody_listening_is_unreachable_not_a_call_error() {
        // A port just released: nobody listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let err = connect(&addr, Duration::from_secs(2), None, Bearer::default())
            .await
            .unwrap_err();
        match err {
            ConnectError::Unreachable { addr: a, .. } => assert_eq!(a, format!("http://{addr}")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            endpoint("http://bad host", None),
            Err(ConnectError::Input(_))
        ));
    }
}
