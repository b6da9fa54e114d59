//! Connecting to the hub and applying the gRPC deadline to each call.

use std::future::Future;
use std::time::Duration;

use assethub_proto::v1::asset_hub_client::AssetHubClient;
use std::sync::OnceLock;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::error::{chain, CliError};

/// Largest response message accepted (a debtor with very many assets).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Longest wait for the TCP/HTTP2 connection itself.
const MAX_CONNECT: Duration = Duration::from_secs(5);
/// Slack on top of the gRPC deadline before the client gives up on its own, in case the hub
/// never answers after sending headers.
const LOCAL_SLACK: Duration = Duration::from_millis(500);

/// Adds the command's bearer token (if any) to every call.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

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

/// A channel whose calls carry the command's token.
pub type Conn = InterceptedService<Channel, Bearer>;

static TOKEN: OnceLock<Bearer> = OnceLock::new();
static TLS: OnceLock<Option<ClientTlsConfig>> = OnceLock::new();

/// TLS for `https://` addresses: the CA that signed the hub's certificate (else the system's
/// roots are not consulted: pass one) and an optional client certificate (mutual TLS).
pub fn set_tls(
    ca: Option<&std::path::Path>,
    client_cert: Option<&std::path::Path>,
    client_key: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
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
            return Err(CliError::Input(
                "--client-cert and --client-key go together".into(),
            ))
        }
    }
    let _ = TLS.set(Some(config));
    Ok(())
}

/// The endpoint for `addr`, with TLS when it is `https://`.
pub fn endpoint(addr: &str) -> Result<Endpoint, CliError> {
    let endpoint = Endpoint::from_shared(addr.to_string())
        .map_err(|e| CliError::Input(format!("--addr {addr:?} is not a valid URI: {e}")))?;
    if !addr.starts_with("https://") {
        return Ok(endpoint);
    }
    let tls = TLS.get().cloned().flatten().unwrap_or_default();
    endpoint
        .tls_config(tls)
        .map_err(|e| CliError::Input(format!("TLS settings: {}", chain(&e))))
}

/// Sets the token every connection of this run uses (once, before connecting).
pub fn set_token(token: Option<String>) -> Result<(), CliError> {
    let value = match token {
        None => None,
        Some(t) => Some(format!("Bearer {}", t.trim()).parse().map_err(|_| {
            CliError::Input("the token has characters a header cannot carry".into())
        })?),
    };
    let _ = TOKEN.set(Bearer(value));
    Ok(())
}

/// `channel` with the command's token on every call.
pub fn authed(channel: Channel) -> Conn {
    InterceptedService::new(channel, TOKEN.get().cloned().unwrap_or(Bearer(None)))
}

/// A connected client and the address it talks to (for error messages).
pub struct Hub {
    pub client: AssetHubClient<Conn>,
    pub addr: String,
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

/// Connects eagerly, so that "nobody is listening" is reported as such before any call.
pub async fn connect(addr: &str, timeout: Option<Duration>) -> Result<Hub, CliError> {
    let addr = normalize_addr(addr);
    let endpoint = crate::client::endpoint(&addr)?
        .connect_timeout(timeout.map_or(MAX_CONNECT, |t| t.min(MAX_CONNECT)));
    let channel = endpoint.connect().await.map_err(|e| CliError::Connect {
        addr: addr.clone(),
        detail: chain(&e),
    })?;
    let client = AssetHubClient::new(authed(channel)).max_decoding_message_size(MAX_RESPONSE_BYTES);
    Ok(Hub { client, addr })
}

/// A request carrying the gRPC deadline (`grpc-timeout`), if any.
pub fn request<T>(message: T, timeout: Option<Duration>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(t) = timeout {
        request.set_timeout(t);
    }
    request
}

/// Runs a call, failing with DEADLINE_EXCEEDED locally if the hub overruns the deadline.
pub async fn bounded<T>(
    timeout: Option<Duration>,
    call: impl Future<Output = Result<T, tonic::Status>>,
) -> Result<T, tonic::Status> {
    let Some(t) = timeout else {
        return call.await;
    };
    let started = tokio::time::Instant::now();
    let expired =
        || tonic::Status::deadline_exceeded(format!("no answer within {} ms", t.as_millis()));
    match tokio::time::timeout(t + LOCAL_SLACK, call).await {
        Ok(Err(status)) => Err(as_deadline(status, started.elapsed(), t)),
        Ok(Ok(value)) => Ok(value),
        Err(_) => Err(expired()),
    }
}

/// tonic reports its own client-side deadline as CANCELLED "Timeout expired"; call it what it
/// is when the deadline has indeed passed; any other status is returned as is.
fn as_deadline(status: tonic::Status, elapsed: Duration, timeout: Duration) -> tonic::Status {
    let near = timeout.saturating_sub(Duration::from_millis(50));
    if status.code() == tonic::Code::Cancelled && elapsed >= near {
        tonic::Status::deadline_exceeded(format!("no answer within {} ms", timeout.as_millis()))
    } else {
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_host_port_gets_http() {
        assert_eq!(normalize_addr("127.0.0.1:50051"), "http://127.0.0.1:50051");
        assert_eq!(normalize_addr(" http://h:1 "), "http://h:1");
    }

    #[test]
    fn client_timeout_is_reported_as_deadline() {
        let t = Duration::from_millis(500);
        let got = as_deadline(tonic::Status::cancelled("Timeout expired"), t, t);
        assert_eq!(got.code(), tonic::Code::DeadlineExceeded);
        let early = as_deadline(tonic::Status::cancelled("x"), Duration::from_millis(10), t);
        assert_eq!(early.code(), tonic::Code::Cancelled);
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_times_out_locally() {
        let never = std::future::pending::<Result<(), tonic::Status>>();
        let err = bounded(Some(Duration::from_millis(100)), never)
            .await
            .expect_err("must time out");
        assert_eq!(err.code(), tonic::Code::DeadlineExceeded);
    }
}
