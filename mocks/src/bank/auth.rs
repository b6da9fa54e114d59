//! The gateway's request authentication: API key, timestamp freshness, single-use nonce and an
//! HMAC-SHA256 signature over the canonical string
//!
//! ```text
//! {X-Timestamp}\n{X-Nonce}\n{METHOD}\n{path}\n{lowercase hex SHA-256 of the body}
//! ```
//!
//! sent as lowercase hex in `X-Signature`. Checks run in that order (key, timestamp, nonce
//! shape, signature, replay), and a nonce is remembered only once its signature verified.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub(super) const API_KEY_HEADER: &str = "x-api-key";
pub(super) const TIMESTAMP_HEADER: &str = "x-timestamp";
pub(super) const NONCE_HEADER: &str = "x-nonce";
pub(super) const SIGNATURE_HEADER: &str = "x-signature";

/// Largest accepted distance between the request's timestamp and the gateway's clock.
pub(super) const FRESHNESS_SECS: u64 = 300;
/// A nonce is remembered this long: any replay later carries a stale timestamp anyway.
const NONCE_MEMORY_SECS: u64 = 2 * FRESHNESS_SECS;
/// Most nonces remembered at once; beyond it the oldest are forgotten early, which bounds
/// memory under a flood at the cost of replay protection for the oldest requests.
const MAX_NONCES: usize = 200_000;

type HmacSha256 = Hmac<Sha256>;

/// Why a request was refused, with the bank's code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthFailure {
    /// Missing or unknown API key.
    UnknownKey,
    /// Missing, unreadable or stale timestamp.
    Timestamp,
    /// Missing or wrong signature (or a nonce of the wrong shape).
    Signature,
    /// The nonce was used before.
    Replay,
}

impl AuthFailure {
    pub(super) fn code(self) -> &'static str {
        match self {
            Self::UnknownKey => "AUTH001",
            Self::Signature => "AUTH002",
            Self::Timestamp => "AUTH003",
            Self::Replay => "AUTH004",
        }
    }

    pub(super) fn message(self) -> &'static str {
        match self {
            Self::UnknownKey => "API Key无效",
            Self::Signature => "签名校验失败",
            Self::Timestamp => "请求时间戳超出有效范围",
            Self::Replay => "重复请求(Nonce已使用)",
        }
    }
}

/// Verifies requests for one set of credentials and remembers recent nonces.
pub(super) struct Verifier {
    api_key: String,
    api_secret: Vec<u8>,
    nonces: Mutex<NonceMemory>,
}

impl Verifier {
    pub(super) fn new(api_key: &str, api_secret: &str) -> Self {
        Self {
            api_key: api_key.to_string(),
            api_secret: api_secret.as_bytes().to_vec(),
            nonces: Mutex::new(NonceMemory::default()),
        }
    }

    /// Checks one request; `path` is the request path as received.
    pub(super) fn verify(
        &self,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), AuthFailure> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let key = header(API_KEY_HEADER).ok_or(AuthFailure::UnknownKey)?;
        if !constant_time_eq(key.as_bytes(), self.api_key.as_bytes()) {
            return Err(AuthFailure::UnknownKey);
        }
        let timestamp = header(TIMESTAMP_HEADER).ok_or(AuthFailure::Timestamp)?;
        let sent: u64 = timestamp
            .parse()
            .ok()
            .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(AuthFailure::Timestamp)?;
        let now = unix_now();
        if now.abs_diff(sent) > FRESHNESS_SECS {
            return Err(AuthFailure::Timestamp);
        }
        let nonce = header(NONCE_HEADER)
            .filter(|n| valid_nonce(n))
            .ok_or(AuthFailure::Signature)?;
        let signature = header(SIGNATURE_HEADER)
            .and_then(|s| hex::decode(s).ok())
            .ok_or(AuthFailure::Signature)?;
        let mut mac =
            HmacSha256::new_from_slice(&self.api_secret).map_err(|_| AuthFailure::Signature)?;
        mac.update(canonical_string(timestamp, nonce, method, path, body).as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| AuthFailure::Signature)?;
        let mut nonces = self
            .nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if nonces.remember(nonce, now) {
            Ok(())
        } else {
            Err(AuthFailure::Replay)
        }
    }
}

/// The string a request's signature covers.
pub(super) fn canonical_string(
    timestamp: &str,
    nonce: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{timestamp}\n{nonce}\n{method}\n{path}\n{body_hash}")
}

/// 16 to 64 characters of letters, digits and dashes.
fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Nonces seen in the last `NONCE_MEMORY_SECS`, forgotten in arrival order.
#[derive(Default)]
struct NonceMemory {
    seen: HashSet<String>,
    order: VecDeque<(u64, String)>,
}

impl NonceMemory {
    /// Records `nonce` at `now`; false if it was already seen.
    fn remember(&mut self, nonce: &str, now: u64) -> bool {
        while let Some((at, _)) = self.order.front() {
            let expired = at.saturating_add(NONCE_MEMORY_SECS) <= now;
            if !expired && self.order.len() < MAX_NONCES {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        if !self.seen.insert(nonce.to_string()) {
            return false;
        }
        self.order.push_back((now, nonce.to_string()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_single_use_within_the_window_and_forgotten_after() {
        let mut memory = NonceMemory::default();
        assert!(memory.remember("a", 1_000));
        assert!(!memory.remember("a", 1_200));
        assert!(memory.remember("b", 1_300));
        assert!(memory.remember("a", 1_000 + NONCE_MEMORY_SECS));
        assert_eq!(memory.seen.len(), 2);
    }

    #[test]
    fn canonical_string_layout() {
        let s = canonical_string("1700000000", "n0nce-0000000001", "POST", "/p", b"");
        assert_eq!(
            s,
            "1700000000\nn0nce-0000000001\nPOST\n/p\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
