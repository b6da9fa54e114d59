//! The payment platform's wire format: endpoint paths, the OAuth2 token and error bodies
//! (RFC 6749 / 6750), and the judicial holdings inquiry with its result codes. Amounts are
//! integer fen on this platform.

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use serde::Deserialize;

/// Token endpoint (client credentials grant, client authenticated with HTTP Basic).
pub const TOKEN_PATH: &str = "/oauth2/token";
/// Holdings inquiry (bearer token).
pub const HOLDINGS_PATH: &str = "/v3/judicial/holdings";

/// `cert_type` of a resident identity number.
pub const CERT_IDCARD: &str = "IDCARD";
/// `cert_type` of a unified social credit code.
pub const CERT_USCC: &str = "USCC";

/// Business result codes of the holdings inquiry (HTTP 200).
pub const SUCCESS: &str = "SUCCESS";
pub const USER_NOT_EXIST: &str = "USER_NOT_EXIST";
pub const CERT_NAME_MISMATCH: &str = "CERT_NAME_MISMATCH";

/// Products a balance is kept in.
pub const PRODUCT_BALANCE: &str = "BALANCE";
pub const PRODUCT_FUND: &str = "FUND";
pub const PRODUCT_MERCHANT: &str = "MERCHANT";

/// Successful answer of the token endpoint.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

/// OAuth2 error body (token endpoint and bearer challenges): its code is what matters.
#[derive(Debug, Deserialize)]
pub struct OAuthError {
    pub error: String,
}

/// Answer of the holdings inquiry; also the body of its 4xx refusals.
#[derive(Debug, Deserialize)]
pub struct HoldingsResponse {
    pub result_code: String,
    #[serde(default)]
    pub result_msg: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub holdings: Option<Vec<Holding>>,
}

/// One balance, in fen.
#[derive(Debug, Deserialize)]
pub struct Holding {
    pub product: String,
    pub account_id: String,
    pub amount_fen: i64,
    pub frozen_fen: i64,
}

/// Any of the platform's error bodies, read loosely for an error message.
#[derive(Debug, Default, Deserialize)]
struct AnyError {
    error: Option<String>,
    error_description: Option<String>,
    result_code: Option<String>,
    result_msg: Option<String>,
}

/// The platform's own explanation of a refusal: its codes and messages when the body is one
/// of its JSON error bodies, else the body text (a gateway's page).
pub fn error_detail(body: &[u8]) -> String {
    match serde_json::from_slice::<AnyError>(body) {
        Ok(e) => {
            let parts: Vec<&str> = [
                &e.result_code,
                &e.result_msg,
                &e.error,
                &e.error_description,
            ]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
            parts.join(": ")
        }
        Err(_) => String::from_utf8_lossy(body).trim().to_string(),
    }
}

/// The OAuth2 `error` code of a body, if it is an OAuth2 error body.
pub fn oauth_error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<OAuthError>(body)
        .ok()
        .map(|e| e.error)
}

/// Whether a 401 says the bearer token is invalid or expired (RFC 6750 `invalid_token`), in
/// the body or in the `WWW-Authenticate` challenge.
pub fn is_invalid_token(headers: &HeaderMap, body: &[u8]) -> bool {
    let in_body = oauth_error_code(body).is_some_and(|code| code == "invalid_token");
    let in_challenge = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("error=\"invalid_token\""));
    in_body || in_challenge
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn explains_refusals() {
        assert_eq!(
            error_detail(br#"{"result_code":"QUOTA_EXCEEDED","result_msg":"slow down"}"#),
            "QUOTA_EXCEEDED: slow down"
        );
        assert_eq!(
            error_detail(br#"{"error":"invalid_client","error_description":"no"}"#),
            "invalid_client: no"
        );
        assert_eq!(
            error_detail(b" Service Unavailable\n"),
            "Service Unavailable"
        );
    }

    #[test]
    fn recognises_invalid_token() {
        let none = HeaderMap::new();
        assert!(is_invalid_token(&none, br#"{"error":"invalid_token"}"#));
        assert!(!is_invalid_token(&none, br#"{"error":"invalid_request"}"#));
        assert!(!is_invalid_token(&none, b"Unauthorized"));
        let mut headers = HeaderMap::new();
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="x", error="invalid_token""#),
        );
        assert!(is_invalid_token(&headers, b""));
    }
}
