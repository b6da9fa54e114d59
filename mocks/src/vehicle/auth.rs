//! The administration's request authentication: each court gateway holds an app key and an
//! app secret; every request carries `appKey`, `timestamp` (Unix milliseconds, within five
//! minutes of the administration's clock) and `sign` = lowercase hex SHA-256 of
//! appKey + timestamp + appSecret.

use super::wire::Code;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

pub const APP_KEY_HEADER: &str = "appKey";
pub const TIMESTAMP_HEADER: &str = "timestamp";
pub const SIGN_HEADER: &str = "sign";
/// Largest accepted difference between a request's timestamp and the clock.
pub const MAX_SKEW_MS: u64 = 5 * 60 * 1000;

/// The signature of a request made with these credentials at `timestamp`.
pub fn sign(app_key: &str, timestamp: &str, app_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app_key.as_bytes());
    hasher.update(timestamp.as_bytes());
    hasher.update(app_secret.as_bytes());
    hex::encode(hasher.finalize())
}

/// Checks a request's credentials; on refusal, the code and message to answer with.
pub fn check(
    headers: &HeaderMap,
    app_key: &str,
    app_secret: &str,
    now_ms: u64,
) -> Result<(), (Code, &'static str)> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let presented_key =
        header(APP_KEY_HEADER).ok_or((Code::UnknownAppKey, "缺少认证参数 appKey"))?;
    if !constant_time_eq(presented_key.as_bytes(), app_key.as_bytes()) {
        return Err((Code::UnknownAppKey, "appKey 无效"));
    }
    let timestamp =
        header(TIMESTAMP_HEADER).ok_or((Code::StaleTimestamp, "缺少认证参数 timestamp"))?;
    let millis: u64 = timestamp
        .parse()
        .map_err(|_| (Code::StaleTimestamp, "timestamp 须为毫秒时间戳"))?;
    if millis.abs_diff(now_ms) > MAX_SKEW_MS {
        return Err((Code::StaleTimestamp, "timestamp 超出有效期"));
    }
    let presented_sign = header(SIGN_HEADER).ok_or((Code::BadSignature, "缺少认证参数 sign"))?;
    let expected = sign(presented_key, timestamp, app_secret);
    if !constant_time_eq(
        presented_sign.to_ascii_lowercase().as_bytes(),
        expected.as_bytes(),
    ) {
        return Err((Code::BadSignature, "签名验证失败"));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(key: &str, timestamp: &str, sign: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (APP_KEY_HEADER, key),
            (TIMESTAMP_HEADER, timestamp),
            (SIGN_HEADER, sign),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        headers
    }

    #[test]
    fn signature_is_sha256_hex_of_key_timestamp_secret() {
        // echo -n "k1700000000000s" | sha256sum
        assert_eq!(
            sign("k", "1700000000000", "s"),
            "ea69308234fc809599f8b5934fae803c77be085338d5c57d31e2fd18afe3752e"
        );
        assert_eq!(sign("k", "1", "s").len(), 64);
    }

    #[test]
    fn checks_key_timestamp_and_signature_in_turn() {
        let now = 1_700_000_000_000u64;
        let ts = now.to_string();
        let good = sign("key", &ts, "secret");
        assert_eq!(
            check(&headers("key", &ts, &good), "key", "secret", now),
            Ok(())
        );
        let upper = good.to_ascii_uppercase();
        assert_eq!(
            check(&headers("key", &ts, &upper), "key", "secret", now),
            Ok(())
        );
        let refused = |h: HeaderMap| check(&h, "key", "secret", now).map_err(|(code, _)| code);
        assert_eq!(refused(headers("", &ts, &good)), Err(Code::UnknownAppKey));
        assert_eq!(
            refused(headers("other", &ts, &good)),
            Err(Code::UnknownAppKey)
        );
        assert_eq!(
            refused(headers("key", "", &good)),
            Err(Code::StaleTimestamp)
        );
        assert_eq!(
            refused(headers("key", "yesterday", &good)),
            Err(Code::StaleTimestamp)
        );
        let old = (now - MAX_SKEW_MS - 1).to_string();
        let old_sign = sign("key", &old, "secret");
        assert_eq!(
            refused(headers("key", &old, &old_sign)),
            Err(Code::StaleTimestamp)
        );
        assert_eq!(refused(headers("key", &ts, "")), Err(Code::BadSignature));
        let wrong = sign("key", &ts, "other-secret");
        assert_eq!(
            refused(headers("key", &ts, &wrong)),
            Err(Code::BadSignature)
        );
    }
}
