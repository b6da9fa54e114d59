//! The registry's access control: a static token issued to each court gateway, sent in the
//! `X-BDC-Token` header and compared in constant time.

use axum::http::HeaderMap;

pub const TOKEN_HEADER: &str = "X-BDC-Token";

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Invalid,
}

impl AuthError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "缺少访问令牌",
            Self::Invalid => "访问令牌无效",
        }
    }
}

/// Checks the request's token against the registry's.
pub fn check(headers: &HeaderMap, expected: &str) -> Result<(), AuthError> {
    let presented = headers
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .filter(|v| !v.is_empty())
        .ok_or(AuthError::Missing)?;
    if constant_time_eq(presented, expected.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Invalid)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn checks_the_token() {
        let mut headers = HeaderMap::new();
        assert_eq!(check(&headers, "secret"), Err(AuthError::Missing));
        headers.insert(TOKEN_HEADER, HeaderValue::from_static("secreT"));
        assert_eq!(check(&headers, "secret"), Err(AuthError::Invalid));
        headers.insert(TOKEN_HEADER, HeaderValue::from_static("secret"));
        assert_eq!(check(&headers, "secret"), Ok(()));
        headers.insert(TOKEN_HEADER, HeaderValue::from_static("secret2"));
        assert_eq!(check(&headers, "secret"), Err(AuthError::Invalid));
    }
}
