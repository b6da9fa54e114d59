//! Connecting to the hub and applying the gRPC deadline to each call.

use std::future::Future;
use std::time::Duration;

use assethub_client::connect::{Bearer, ConnectError, Tls};
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use std::sync::OnceLock;

use crate::error::CliError;

pub use assethub_client::connect::normalize_addr;

/// Largest response message accepted (a debtor with very many assets, a long page).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Longest wait for the TCP/HTTP2 connection itself.
const MAX_CONNECT: Duration = Duration::from_secs(5);
/// Slack on top of the gRPC deadline before the client gives up on its own, in case the hub
/// never answers after sending headers.
const LOCAL_SLACK: Duration = Duration::from_millis(500);

/// A channel whose calls carry the command's token.
pub type Conn = assethub_client::Authed;

static TOKEN: OnceLock<Bearer> = OnceLock::new();
static TLS: OnceLock<Tls> = OnceLock::new();

impl From<ConnectError> for CliError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Input(text) => CliError::Input(text),
            ConnectError::Unreachable { addr, detail } => CliError::Connect { addr, detail },
        }
    }
}

/// TLS for `https://` addresses: the CA that signed the hub's certificate (else the system's
/// roots are not consulted: pass one) and an optional client certificate (mutual TLS).
pub fn set_tls(
    ca: Option<&std::path::Path>,
    client_cert: Option<&std::path::Path>,
    client_key: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let _ = TLS.set(Tls::from_files(ca, client_cert, client_key)?);
    Ok(())
}

/// Sets the token every connection of this run uses (once, before connecting).
pub fn set_token(token: Option<String>) -> Result<(), CliError> {
    let _ = TOKEN.set(Bearer::new(token.as_deref())?);
    Ok(())
}

/// Connects eagerly (through `assethub_client::connect`, with this run's TLS and token), so
/// that "nobody is listening" is reported as such before any call; also returns the address
/// as normalised, for error messages.
pub async fn channel(addr: &str, timeout: Option<Duration>) -> Result<(Conn, String), CliError> {
    let wait = timeout.map_or(MAX_CONNECT, |t| t.min(MAX_CONNECT));
    let bearer = TOKEN.get().cloned().unwrap_or_default();
    let conn = assethub_client::connect(addr, wait, TLS.get(), bearer).await?;
    let shown: Vec<String> = addr.split(',').map(normalize_addr).collect();
    Ok((conn, shown.join(",")))
}

/// A connected client and the address it talks to (for error messages).
pub struct Hub {
    pub client: AssetHubClient<Conn>,
    pub addr: String,
}

/// Connects to the search API.
pub async fn connect(addr: &str, timeout: Option<Duration>) -> Result<Hub, CliError> {
    let (conn, addr) = channel(addr, timeout).await?;
    let client = AssetHubClient::new(conn).max_decoding_message_size(MAX_RESPONSE_BYTES);
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
