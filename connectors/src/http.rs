//! HTTP plumbing shared by the connectors: the clients shared by sources of the same client
//! settings ([`Clients`], [`AgencyClient`]) and the factory handing them out
//! ([`HttpFactory`]), settings parsing, one
//! request/answer exchange (with an optional body size cap), and the mapping of transport
//! failures and HTTP statuses onto `ConnectorError` classes.
//! Nothing agency-specific lives here.

use crate::domain::SourceId;
use crate::error::{ConfigError, ConnectorError, ErrorClass};
use crate::{Connector, ConnectorFactory};
use async_trait::async_trait;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default per-attempt timeout when a connector's config does not set `timeout_ms`.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;

pub fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

/// Deserialises a connector's own settings table, naming the source in errors.
pub fn parse_settings<T: DeserializeOwned>(
    source_id: &str,
    settings: toml::Table,
) -> Result<T, ConfigError> {
    settings
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError {
            source_id: source_id.to_string(),
            message: e.message().to_string(),
        })
}

/// Validates a base URL (http or https, no trailing slash kept) and returns it normalised.
pub fn base_url(source_id: &str, raw: &str) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(raw).map_err(|e| ConfigError {
        source_id: source_id.to_string(),
        message: format!("base_url {raw:?}: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError {
            source_id: source_id.to_string(),
            message: format!("base_url {raw:?} must be http or https"),
        });
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// Checks a per-attempt `timeout_ms` setting against `1..=max_ms` and returns it.
pub fn timeout_ms(source_id: &str, timeout_ms: u64, max_ms: u64) -> Result<u64, ConfigError> {
    if (1..=max_ms).contains(&timeout_ms) {
        Ok(timeout_ms)
    } else {
        Err(ConfigError::new(
            source_id,
            format!("timeout_ms must be between 1 and {max_ms}"),
        ))
    }
}

/// How long an idle keep-alive connection to an agency is kept before it is closed.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Settings of a source that decide which HTTP client it may share with others: everything
/// the client itself is built with. The per-attempt timeout is not among them (each request
/// carries its own, see [`AgencyClient`]), so sources differing only by it share a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientSettings {
    /// Time allowed to open a TCP (and TLS) connection.
    pub connect_timeout_ms: u64,
    /// Speak HTTP/2 without negotiating it (`http2_prior_knowledge = true` in a source's
    /// settings: cleartext agencies known to speak HTTP/2). Over https, HTTP/2 is negotiated
    /// by ALPN anyway when the agency offers it.
    pub http2_prior_knowledge: bool,
}

impl ClientSettings {
    /// The client settings of a source with a per-attempt `timeout_ms`: connections are given
    /// at most 2 s of it.
    pub fn for_timeout(timeout_ms: u64, http2_prior_knowledge: bool) -> Self {
        Self {
            connect_timeout_ms: timeout_ms.min(2_000),
            http2_prior_knowledge,
        }
    }
}

/// HTTP clients built for agencies by this process, ever (the hub exports it).
static CLIENTS_BUILT: AtomicU64 = AtomicU64::new(0);

/// HTTP clients built for agencies by this process so far: one per distinct
/// [`ClientSettings`] of each [`Clients`] cache, however many sources share it.
pub fn clients_built() -> u64 {
    CLIENTS_BUILT.load(Ordering::Relaxed)
}

/// The HTTP clients of the sources built by one registry of factories, one per distinct
/// [`ClientSettings`]: a `reqwest::Client` (its connection pool, its TLS configuration with
/// the system's root certificates parsed once) is shared by every source with the same
/// settings, rather than built per source.
///
/// The pool keeps per agency host every connection that was needed at once, idle for up to
/// [`POOL_IDLE_TIMEOUT`]: the hub's bulkhead per source (`max_concurrency`) is what bounds how
/// many that is, not a fixed idle cap below it, so connections are reused rather than closed
/// and reopened once more calls are in flight than such a cap.
#[derive(Debug, Default)]
pub struct Clients {
    by_settings: Mutex<HashMap<ClientSettings, reqwest::Client>>,
}

impl Clients {
    /// The client for `settings`, built on first use; `source_id` names the source in errors.
    pub fn get(
        &self,
        source_id: &str,
        settings: ClientSettings,
    ) -> Result<reqwest::Client, ConfigError> {
        let mut by_settings = self.by_settings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = by_settings.get(&settings) {
            return Ok(client.clone());
        }
        let client = build_client(settings).map_err(|e| ConfigError {
            source_id: source_id.to_string(),
            message: format!("http client: {e}"),
        })?;
        CLIENTS_BUILT.fetch_add(1, Ordering::Relaxed);
        by_settings.insert(settings, client.clone());
        Ok(client)
    }

    /// Distinct clients this cache built.
    pub fn len(&self) -> usize {
        self.by_settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn build_client(settings: ClientSettings) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(usize::MAX)
        .tcp_nodelay(true)
        // An agency's answer is its answer: a redirect is never followed, so a signed inquiry
        // carrying personal data goes nowhere but the configured `base_url` (a 3xx is
        // reported as a rejected call, its status named).
        .redirect(reqwest::redirect::Policy::none());
    let builder = if settings.http2_prior_knowledge {
        builder.http2_prior_knowledge()
    } else {
        builder
    };
    builder.build()
}

/// One source's view of a shared client: its requests carry the source's per-attempt timeout.
#[derive(Clone)]
pub struct AgencyClient {
    client: reqwest::Client,
    timeout: Duration,
}

impl fmt::Debug for AgencyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgencyClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl AgencyClient {
    /// The client of `clients` for a source with a per-attempt `timeout_ms`, speaking HTTP/2
    /// without negotiation when `http2_prior_knowledge`.
    pub fn new(
        clients: &Clients,
        source_id: &str,
        timeout_ms: u64,
        http2_prior_knowledge: bool,
    ) -> Result<Self, ConfigError> {
        let settings = ClientSettings::for_timeout(timeout_ms, http2_prior_knowledge);
        Ok(Self {
            client: clients.get(source_id, settings)?,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    pub fn get<U: reqwest::IntoUrl>(&self, url: U) -> reqwest::RequestBuilder {
        self.client.get(url).timeout(self.timeout)
    }

    pub fn post<U: reqwest::IntoUrl>(&self, url: U) -> reqwest::RequestBuilder {
        self.client.post(url).timeout(self.timeout)
    }
}

/// A factory of one HTTP connector type: its build function gets the registry's shared
/// [`Clients`] besides the source's id and settings.
pub struct HttpFactory {
    type_name: &'static str,
    settings: &'static str,
    build: HttpBuildFn,
    clients: Arc<Clients>,
}

/// What an HTTP connector type builds a source with.
pub type HttpBuildFn =
    fn(SourceId, toml::Table, &Clients) -> Result<Arc<dyn Connector>, ConfigError>;

impl HttpFactory {
    /// The factory of `type_name` (its settings described by `settings`), building with
    /// `build` on the shared `clients`.
    pub fn new(
        type_name: &'static str,
        settings: &'static str,
        build: HttpBuildFn,
        clients: Arc<Clients>,
    ) -> Self {
        Self {
            type_name,
            settings,
            build,
            clients,
        }
    }
}

#[async_trait]
impl ConnectorFactory for HttpFactory {
    fn type_name(&self) -> &str {
        self.type_name
    }

    async fn build(
        &self,
        id: SourceId,
        settings: toml::Table,
    ) -> Result<Arc<dyn Connector>, ConfigError> {
        (self.build)(id, settings, &self.clients)
    }

    fn settings_description(&self) -> Option<&str> {
        Some(self.settings)
    }
}

/// Classifies a transport-level failure (no HTTP answer, or an unreadable body).
pub fn send_error(error: reqwest::Error) -> ConnectorError {
    let class = if error.is_timeout() {
        ErrorClass::Timeout
    } else if error.is_decode() {
        ErrorClass::Malformed
    } else {
        ErrorClass::Connect
    };
    // reqwest's Display includes the URL, which may carry query parameters with personal
    // data; keep only the error kind and its source chain.
    let mut message = String::from(match class {
        ErrorClass::Timeout => "no answer within the timeout",
        ErrorClass::Malformed => "unreadable response body",
        _ => "connection failed",
    });
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    ConnectorError::new(class, message)
}

/// Status, headers and full body of one HTTP exchange.
pub struct Exchange {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Exchange {
    /// The body of a successful answer; any other status becomes its [`status_error`], with
    /// `detail` reading the agency's own message from the body.
    pub fn success_body(
        self,
        detail: impl FnOnce(&[u8]) -> String,
    ) -> Result<Vec<u8>, ConnectorError> {
        if self.status.is_success() {
            Ok(self.body)
        } else {
            Err(status_error(
                self.status,
                &self.headers,
                &detail(&self.body),
            ))
        }
    }
}

/// A limit on the size of an answer, and what to call the answer when it is exceeded.
#[derive(Debug, Clone, Copy)]
pub struct BodyCap {
    pub max_bytes: usize,
    /// Names the answer in the error, as in "registry answer" (… "is too large").
    pub what: &'static str,
}

/// Sends `request` and reads the whole answer, refusing one larger than `cap` if given.
/// Transport failures (sending or reading) are classified by [`send_error`]; the status is
/// returned as is, for the caller to judge.
pub async fn exchange(
    request: reqwest::RequestBuilder,
    cap: Option<BodyCap>,
) -> Result<Exchange, ConnectorError> {
    let response = request.send().await.map_err(send_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = match cap {
        Some(cap) => read_capped(response, cap).await?,
        None => response.bytes().await.map_err(send_error)?.to_vec(),
    };
    Ok(Exchange {
        status,
        headers,
        body,
    })
}

/// Reads a response body, refusing one larger than `cap.max_bytes`.
async fn read_capped(
    mut response: reqwest::Response,
    cap: BodyCap,
) -> Result<Vec<u8>, ConnectorError> {
    let too_large = || ConnectorError::malformed(format!("{} is too large", cap.what));
    if response
        .content_length()
        .is_some_and(|n| n > cap.max_bytes as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(send_error)? {
        if body.len() + chunk.len() > cap.max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps a non-success HTTP status onto an error class; `detail` is the agency's own message.
pub fn status_error(status: StatusCode, headers: &HeaderMap, detail: &str) -> ConnectorError {
    let detail = truncate(detail, 200);
    let message = format!("HTTP {}: {detail}", status.as_u16());
    match status {
        StatusCode::TOO_MANY_REQUESTS => {
            ConnectorError::rate_limited(retry_after(headers), message)
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ConnectorError::new(ErrorClass::Auth, message)
        }
        s if s.is_server_error() => ConnectorError::new(ErrorClass::Server, message),
        _ => ConnectorError::new(ErrorClass::Rejected, message),
    }
}

/// Reads `Retry-After` as delay-seconds (the HTTP-date form is not used by our agencies and is
/// treated as absent, so the caller's backoff applies).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Decodes a JSON body, reporting a malformed answer rather than panicking.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ConnectorError> {
    serde_json::from_slice(body)
        .map_err(|e| ConnectorError::malformed(format!("invalid JSON from agency: {e}")))
}

/// Shortens an agency message for error text, on a character boundary.
pub fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn classifies_statuses() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let e = status_error(StatusCode::TOO_MANY_REQUESTS, &headers, "slow down");
        assert_eq!(e.class, ErrorClass::RateLimited);
        assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
        assert!(e.is_retryable());
        let e = status_error(StatusCode::BAD_GATEWAY, &HeaderMap::new(), "");
        assert!(e.is_retryable());
        let e = status_error(StatusCode::UNAUTHORIZED, &HeaderMap::new(), "bad sig");
        assert_eq!(e.class, ErrorClass::Auth);
        assert!(!e.is_retryable());
        let e = status_error(StatusCode::BAD_REQUEST, &HeaderMap::new(), "");
        assert_eq!(e.class, ErrorClass::Rejected);
    }

    /// A redirect from an agency is not followed: the inquiry (signed, with the debtor's
    /// identity) reaches the configured address only, and the 3xx is a rejected call.
    #[tokio::test]
    async fn redirects_are_not_followed() {
        use std::sync::atomic::AtomicUsize;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        /// Answers every connection with `response`; counts the connections.
        async fn serve(response: String) -> (String, Arc<AtomicUsize>) {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("address");
            let seen = Arc::new(AtomicUsize::new(0));
            let counted = seen.clone();
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf).await;
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                }
            });
            (format!("http://{addr}"), seen)
        }
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        let (elsewhere, elsewhere_seen) = serve(ok.to_string()).await;
        for status in [
            "301 Moved Permanently",
            "302 Found",
            "307 Temporary Redirect",
            "308 Permanent Redirect",
        ] {
            let redirect = format!(
                "HTTP/1.1 {status}\r\nLocation: {elsewhere}/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let (agency, agency_seen) = serve(redirect).await;
            let client = AgencyClient::new(&Clients::default(), "bank-test", 2_000, false)
                .expect("a client");
            let answer = exchange(client.post(format!("{agency}/query")).body("{}"), None)
                .await
                .expect("an HTTP answer");
            assert_eq!(answer.status.as_u16() / 100, 3, "{status}: returned as is");
            let error = answer.success_body(|_| String::new()).expect_err(status);
            assert_eq!(error.class, ErrorClass::Rejected, "{status}");
            assert!(error.to_string().contains(&status[..3]), "{error}");
            assert_eq!(agency_seen.load(Ordering::SeqCst), 1, "{status}");
        }
        assert_eq!(
            elsewhere_seen.load(Ordering::SeqCst),
            0,
            "no redirect was followed"
        );
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("张伟张伟", 2), "张伟…");
        assert_eq!(truncate("ok", 5), "ok");
    }
}
