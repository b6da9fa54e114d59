//! Sign-in sessions: a random id in an HttpOnly, SameSite=Strict cookie names the person's
//! token, kept in memory only (a restart signs everyone out), for at most [`SESSION_TTL`];
//! at most [`MAX_SESSIONS`] at once (the oldest goes first). Each session has a CSRF token
//! every state-changing form carries back; a form posted from another origin is refused by
//! its `Origin` header too ([`same_origin`]).

use assethub_client::{Credential, Role};
use axum::http::HeaderMap;
use base64::Engine;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "assethub_session";
/// The sign-in form's own CSRF cookie (before there is a session).
pub const SIGNIN_COOKIE: &str = "assethub_signin";
/// How long a session lasts (a working day).
pub const SESSION_TTL: Duration = Duration::from_secs(10 * 3600);
/// Most sessions kept at once.
pub const MAX_SESSIONS: usize = 10_000;

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub credential: Credential,
    /// The token every form of this session carries.
    pub csrf: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

/// A random, unguessable token (122 bits from the OS's generator).
pub fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Sessions {
    /// Opens a session for `credential`; returns its id.
    pub fn open(&self, credential: Credential) -> String {
        let id = format!("{}{}", random_token(), random_token());
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Session {
                credential,
                csrf: random_token(),
                expires: now + SESSION_TTL,
            },
        );
        id
    }

    /// The session the request's cookie names, if it is still open.
    pub fn of(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, COOKIE)?;
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&id).filter(|s| s.expires > Instant::now()).cloned()
    }

    /// Ends the session the request's cookie names.
    pub fn close(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, COOKIE) {
            self.map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        }
    }
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, the whole site; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// Whether a state-changing request comes from the console's own pages: its `Origin` (or,
/// without one, its `Referer`) names the host it was sent to. A request naming neither is
/// refused too: every browser sends `Origin` on a form POST.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    let from = headers
        .get(axum::http::header::ORIGIN)
        .or_else(|| headers.get(axum::http::header::REFERER))
        .and_then(|h| h.to_str().ok());
    let Some(from) = from else { return false };
    let rest = from
        .strip_prefix("http://")
        .or_else(|| from.strip_prefix("https://"));
    rest.map(|r| r.split('/').next().unwrap_or_default()) == Some(host)
}

/// Constant-time comparison of two tokens.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who a pasted token says it is, for display only (the hub verifies it on every call): the
/// court, role and officer of its claims.
pub fn credential_of_token(token: &str) -> Option<Credential> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    Some(Credential {
        issuer: text("iss").to_string(),
        court: text("court").to_string(),
        role: Role::parse(text("role"))?,
        officer: text("officer").to_string(),
        token: token.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_the_consoles_own_origin_may_post() {
        let ok = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert!(same_origin(&ok));
        for bad in [
            headers(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://evil.example"),
            ]),
            headers(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080.evil"),
            ]),
            headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]),
            headers(&[("host", "127.0.0.1:8080")]),
        ] {
            assert!(!same_origin(&bad), "{bad:?}");
        }
        let referer = headers(&[
            ("host", "127.0.0.1:8080"),
            ("referer", "http://127.0.0.1:8080/search?case=x"),
        ]);
        assert!(same_origin(&referer));
    }

    #[test]
    fn a_session_is_found_by_its_cookie_and_gone_when_closed() {
        let sessions = Sessions::default();
        let credential = Credential {
            issuer: "demo".into(),
            court: "鄂0116".into(),
            role: Role::Judge,
            officer: "王法官".into(),
            token: "t".into(),
        };
        let id = sessions.open(credential);
        let request = headers(&[("cookie", &format!("other=1; {COOKIE}={id}"))]);
        let session = sessions.of(&request).expect("open");
        assert_eq!(session.credential.court, "鄂0116");
        assert_eq!(session.csrf.len(), 32);
        assert!(sessions
            .of(&headers(&[("cookie", &format!("{COOKIE}=guess"))]))
            .is_none());
        sessions.close(&request);
        assert!(sessions.of(&request).is_none());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
    }
}
