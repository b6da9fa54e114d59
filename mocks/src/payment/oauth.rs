//! The platform's OAuth2 side: issuing access tokens to the court client (client credentials
//! grant, client authenticated by HTTP Basic only), validating bearer tokens on the API
//! (RFC 6750 challenges), and the token admin routes (statistics, revoke-all).
//!
//! Token lifetimes run on `tokio::time::Instant`, so tests with paused time can expire them.

use super::Platform;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// The only scope the judicial API grants.
pub const SCOPE: &str = "judicial.inquiry";
/// Realm named in `WWW-Authenticate` challenges (ASCII: header values are).
const REALM: &str = "judicial-open-api";

/// Access tokens issued and not yet purged.
pub(crate) struct TokenStore {
    ttl: Duration,
    live: Mutex<HashMap<String, Issued>>,
    issued_total: AtomicU64,
}

struct Issued {
    client_id: String,
    expires_at: Instant,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Unknown,
    Expired,
}

/// Token statistics, as served on the admin route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenStats {
    /// Tokens issued since the platform started.
    pub issued: u64,
    /// Tokens currently valid.
    pub active: u64,
}

impl TokenStore {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            live: Mutex::new(HashMap::new()),
            issued_total: AtomicU64::new(0),
        }
    }

    fn live(&self) -> MutexGuard<'_, HashMap<String, Issued>> {
        // A poisoned map is still a consistent map of tokens.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a fresh token to `client_id`, purging expired ones on the way.
    pub fn issue(&self, client_id: &str) -> String {
        let now = Instant::now();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut live = self.live();
        live.retain(|_, t| t.expires_at > now);
        live.insert(
            token.clone(),
            Issued {
                client_id: client_id.to_string(),
                expires_at: now + self.ttl,
            },
        );
        self.issued_total.fetch_add(1, Ordering::Relaxed);
        token
    }

    /// The client a token was issued to, if it is known and not expired.
    pub fn validate(&self, token: &str) -> Result<String, TokenProblem> {
        let now = Instant::now();
        let mut live = self.live();
        match live.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(t) if t.expires_at <= now => {
                live.remove(token);
                Err(TokenProblem::Expired)
            }
            Some(t) => Ok(t.client_id.clone()),
        }
    }

    pub fn revoke_all(&self) {
        self.live().clear();
    }

    pub fn stats(&self) -> TokenStats {
        let now = Instant::now();
        let active = self.live().values().filter(|t| t.expires_at > now).count();
        TokenStats {
            issued: self.issued_total.load(Ordering::Relaxed),
            active: active as u64,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

/// Form body of a token request. Credential fields are listed only to refuse them.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    grant_type: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    scope: &'static str,
}

/// RFC 6749 / 6750 error body.
#[derive(Debug, Serialize)]
struct OAuthError {
    error: &'static str,
    error_description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(OAuthError {
            error,
            error_description: description.to_string(),
        }),
    )
        .into_response()
}

fn with_challenge(mut response: Response, challenge: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn invalid_client(description: &str) -> Response {
    with_challenge(
        oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description),
        format!("Basic realm=\"{REALM}\""),
    )
}

/// `POST /oauth2/token`: the client credentials grant.
pub(crate) async fn token(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    if form.client_id.is_some() || form.client_secret.is_some() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client credentials must be sent with HTTP Basic authentication, not in the body",
        );
    }
    let Some((client_id, secret)) = basic_credentials(&headers) else {
        return invalid_client("HTTP Basic client authentication is required");
    };
    let settings = &platform.settings;
    if client_id != settings.client_id || secret != settings.client_secret {
        tracing::info!(agency = %platform.name, "token refused: unknown client or wrong secret");
        return invalid_client("unknown client or wrong client secret");
    }
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        None | Some("") => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            )
        }
    }
    if let Some(scope) = &form.scope {
        if scope.split_whitespace().any(|s| s != SCOPE) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!("the only scope is {SCOPE}"),
            );
        }
    }
    let access_token = platform.tokens.issue(&client_id);
    tracing::debug!(agency = %platform.name, "access token issued");
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: platform.tokens.ttl().as_secs(),
            scope: SCOPE,
        }),
    )
        .into_response()
}

/// Client id and secret from `Authorization: Basic ...`, if well formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Why an API request's bearer token was refused; answered as an RFC 6750 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerRefusal {
    Missing,
    Invalid(TokenProblem),
}

impl IntoResponse for BearerRefusal {
    fn into_response(self) -> Response {
        let description = match self {
            Self::Missing => {
                return with_challenge(
                    oauth_error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_request",
                        "an Authorization: Bearer access token is required",
                    ),
                    format!("Bearer realm=\"{REALM}\""),
                )
            }
            Self::Invalid(TokenProblem::Unknown) => "the access token is not known or was revoked",
            Self::Invalid(TokenProblem::Expired) => "the access token expired",
        };
        with_challenge(
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", description),
            format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\""
            ),
        )
    }
}

/// Checks the bearer token of an API request; answers the client it was issued to.
pub(crate) fn authenticate(
    platform: &Platform,
    headers: &HeaderMap,
) -> Result<String, BearerRefusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(BearerRefusal::Missing)?;
    platform
        .tokens
        .validate(token)
        .map_err(BearerRefusal::Invalid)
}

/// `GET /__admin/oauth2`: token statistics.
pub(crate) async fn stats(State(platform): State<Arc<Platform>>) -> Json<TokenStats> {
    Json(platform.tokens.stats())
}

/// `POST /__admin/oauth2/revoke`: revokes every token (as a key rotation would).
pub(crate) async fn revoke(State(platform): State<Arc<Platform>>) -> Json<TokenStats> {
    platform.tokens.revoke_all();
    Json(platform.tokens.stats())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokens_expire_after_their_ttl() {
        let store = TokenStore::new(Duration::from_secs(300));
        let token = store.issue("court");
        assert_eq!(store.validate(&token), Ok("court".to_string()));
        tokio::time::advance(Duration::from_secs(299)).await;
        assert!(store.validate(&token).is_ok());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(store.validate(&token), Err(TokenProblem::Expired));
        assert_eq!(store.validate(&token), Err(TokenProblem::Unknown));
        assert_eq!(store.validate("forged"), Err(TokenProblem::Unknown));
        assert_eq!(
            store.stats(),
            TokenStats {
                issued: 1,
                active: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn issuing_purges_expired_tokens_and_revoke_clears_all() {
        let store = TokenStore::new(Duration::from_secs(10));
        store.issue("court");
        tokio::time::advance(Duration::from_secs(11)).await;
        let fresh = store.issue("court");
        assert_eq!(store.live().len(), 1);
        store.revoke_all();
        assert_eq!(store.validate(&fresh), Err(TokenProblem::Unknown));
        assert_eq!(store.stats().issued, 2);
    }

    #[test]
    fn parses_basic_credentials() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("id:se:cret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("id".into(), "se:cret".into()))
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic !!notbase64"),
        );
        assert_eq!(basic_credentials(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&headers), None);
    }
}
